// Loader throughput: MB/s (bytes read from disk) and samples/s for the binary loaders, on files
// generated in the OS temp folder (MNIST-sized IDX, raw and .gz; a CIFAR-10-sized batch; a .npy;
// a folder of 2,000 28x28 PNGs). Prints markdown rows for BENCHMARKS.md.
// Run: node bench/run.mjs loaders [repeats]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { PNG } from 'pngjs';
import { parseCifarBatch } from '../src/trainer/data/cifar';
import { loadIdxPair } from '../src/trainer/data/idx';
import { loadImageFolder } from '../src/trainer/data/images';
import { loadNpy } from '../src/trainer/data/npy';
import { readDataFile } from '../src/trainer/data/dataError';

const COMMAND = 'node bench/run.mjs loaders';
const repeats = Math.max(1, Number(process.argv[2] ?? 3));
const dir = path.join(os.tmpdir(), 'model-lab-bench-loaders');

/** MNIST-like strokes: a ring whose radius and thickness vary per sample, on a black background. */
function digit(i: number, size: number): Uint8Array {
  const img = new Uint8Array(size * size);
  const r = 5 + (i % 7);
  const cx = size / 2 + ((i * 3) % 5) - 2;
  const cy = size / 2 + ((i * 7) % 5) - 2;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const d = Math.abs(Math.hypot(x - cx, y - cy) - r);
      img[y * size + x] = d < 2 ? Math.round(255 * (1 - d / 2)) : 0;
    }
  return img;
}

function idxHeader(type: number, dims: number[]): Buffer {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h[2] = type;
  h[3] = dims.length;
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  return h;
}

function generate(): Record<string, string> {
  fs.mkdirSync(dir, { recursive: true });
  const p = (name: string) => path.join(dir, name);
  const files = {
    images: p('train-images-idx3-ubyte'),
    labels: p('train-labels-idx1-ubyte'),
    imagesGz: p('train-images-idx3-ubyte.gz'),
    labelsGz: p('train-labels-idx1-ubyte.gz'),
    cifar: p('data_batch_1.bin'),
    npy: p('x.npy'),
    pngs: p('pngs'),
  };
  if (!fs.existsSync(files.images)) {
    const n = 60_000;
    const pixels = Buffer.alloc(n * 784);
    for (let i = 0; i < n; i++) pixels.set(digit(i, 28), i * 784);
    const labels = Buffer.from(Array.from({ length: n }, (_, i) => i % 10));
    const images = Buffer.concat([idxHeader(0x08, [n, 28, 28]), pixels]);
    const lab = Buffer.concat([idxHeader(0x08, [n]), labels]);
    fs.writeFileSync(files.images, images);
    fs.writeFileSync(files.labels, lab);
    fs.writeFileSync(files.imagesGz, zlib.gzipSync(images));
    fs.writeFileSync(files.labelsGz, zlib.gzipSync(lab));
  }
  if (!fs.existsSync(files.cifar)) {
    const rec = Buffer.alloc(10_000 * 3073);
    for (let i = 0; i < 10_000; i++) {
      rec[i * 3073] = i % 10;
      for (let k = 1; k < 3073; k++) rec[i * 3073 + k] = (i * 31 + k * 7) & 255;
    }
    fs.writeFileSync(files.cifar, rec);
  }
  if (!fs.existsSync(files.npy)) {
    const n = 10_000;
    let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, 784), }`;
    dict += ' '.repeat((64 - ((10 + dict.length + 1) % 64)) % 64) + '\n';
    const head = Buffer.alloc(10);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
    head.writeUInt16LE(dict.length, 8);
    const data = new Float32Array(n * 784).map((_, i) => (i % 97) / 97);
    fs.writeFileSync(files.npy, Buffer.concat([head, Buffer.from(dict, 'latin1'), Buffer.from(data.buffer)]));
  }
  if (!fs.existsSync(files.pngs)) {
    for (let i = 0; i < 2000; i++) {
      const cls = path.join(files.pngs, `class${i % 10}`);
      fs.mkdirSync(cls, { recursive: true });
      const png = new PNG({ width: 28, height: 28, colorType: 0 });
      const g = digit(i, 28);
      for (let k = 0; k < 784; k++) png.data.set([g[k], g[k], g[k], 255], k * 4);
      fs.writeFileSync(path.join(cls, `${String(i).padStart(5, '0')}.png`), PNG.sync.write(png, { colorType: 0 }));
    }
  }
  return files;
}

function bytesOf(...paths: string[]): number {
  let total = 0;
  for (const p of paths) {
    const st = fs.statSync(p);
    if (st.isDirectory()) total += bytesOf(...fs.readdirSync(p).map((f) => path.join(p, f)));
    else total += st.size;
  }
  return total;
}

/** Best of `repeats` runs (after one warm-up): the least disturbed by other work on the machine. */
function best(run: () => number): { ms: number; samples: number } {
  let samples = run();
  let ms = Infinity;
  for (let i = 0; i < repeats; i++) {
    const t = process.hrtime.bigint();
    samples = run();
    ms = Math.min(ms, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { ms, samples };
}

/**
 * The least any loader of that input must do: read the bytes and turn each into a float. Loader time
 * over this, measured in the same process moments apart, says what parsing costs, whatever the load
 * on the machine.
 */
function baseline(paths: string[]): () => number {
  return () => {
    let n = 0;
    for (const p of paths) {
      const b = fs.readFileSync(p);
      const out = new Float32Array(b.length);
      for (let i = 0; i < b.length; i++) out[i] = b[i] / 255;
      n += out.length;
    }
    return n;
  };
}

const listFiles = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(d, e.name)) : [path.join(d, e.name)]));

function main(): void {
  const f = generate();
  const gunzipped = (p: string) => zlib.gunzipSync(fs.readFileSync(p)).length;
  const cases: { name: string; disk: number; data: number; run: () => number; base: () => number }[] = [
    { name: 'IDX raw, 60,000 28x28 (loadIdxPair)', disk: bytesOf(f.images, f.labels), data: bytesOf(f.images, f.labels), run: () => loadIdxPair(f.images, f.labels).labels.length, base: baseline([f.images, f.labels]) },
    { name: 'IDX .gz, 60,000 28x28 (loadIdxPair)', disk: bytesOf(f.imagesGz, f.labelsGz), data: gunzipped(f.imagesGz) + gunzipped(f.labelsGz), run: () => loadIdxPair(f.imagesGz, f.labelsGz).labels.length, base: baseline([f.images, f.labels]) },
    { name: 'CIFAR-10 batch, 10,000 32x32x3 (parseCifarBatch)', disk: bytesOf(f.cifar), data: bytesOf(f.cifar), run: () => parseCifarBatch(readDataFile(f.cifar), f.cifar).labels.length, base: baseline([f.cifar]) },
    { name: 'NPY <f4 (10,000, 784) (loadNpy)', disk: bytesOf(f.npy), data: bytesOf(f.npy), run: () => loadNpy(f.npy).shape[0], base: baseline([f.npy]) },
    { name: 'PNG folder, 2,000 28x28 gray, 10 classes (loadImageFolder)', disk: bytesOf(f.pngs), data: 2000 * 784, run: () => loadImageFolder(f.pngs, { channels: 1 }).labels.length, base: baseline(listFiles(f.pngs)) },
  ];
  const rows = cases.map((c) => ({ ...c, r: best(c.run), b: best(c.base) }));
  // The load average goes in the header: on a shared machine it explains more of the spread than anything else.
  console.log(`Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg()[0].toFixed(1)}, best of ${repeats}; command: \`${COMMAND}\``);
  console.log('MB/s counts decompressed input bytes (pixels for images); "× baseline" is loader time over reading the same files and converting each byte to a float.');
  console.log('');
  console.log('| loader | on disk | data | time | MB/s | samples/s | × baseline |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const { name, disk, data, r, b } of rows) {
    const s = r.ms / 1000;
    console.log(`| ${name} | ${(disk / 1e6).toFixed(1)} MB | ${(data / 1e6).toFixed(1)} MB | ${r.ms.toFixed(0)} ms | ${(data / 1e6 / s).toFixed(0)} | ${Math.round(r.samples / s).toLocaleString('en-US')} | ${(r.ms / b.ms).toFixed(2)} |`);
  }
}

main();
