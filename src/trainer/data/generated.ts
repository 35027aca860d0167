/**
 * Synthetic datasets for trying an idea in seconds: spiral arms, Gaussian blobs, XOR and a noisy
 * sine. Pure and deterministic for a seed, so a run can be reproduced from its config alone.
 * Classes are exactly balanced and the samples come out shuffled, because tfjs' validationSplit
 * takes the LAST fraction of the samples: an unshuffled set would validate on one class only.
 */
import { ArrayData, DEFAULT_SEED, gaussian, mulberry32, oneHot, shuffleSamples } from './split';
import { msg } from '../messages';

export interface GeneratedData extends ArrayData {
  kind: 'classification' | 'regression';
  /** Class of each sample (classification only). */
  labels?: Int32Array;
  classNames?: string[];
  description: string;
}

export interface SpiralOptions {
  /** Total samples (default 600). */
  size?: number;
  /** Number of arms = classes (default 3). */
  arms?: number;
  /** Std of Gaussian noise on the angle, in radians (default 0.2). */
  noise?: number;
  /** Turns each arm makes from the centre outwards (default 0.75). */
  turns?: number;
  seed?: number;
}

export interface BlobsOptions {
  size?: number;
  /** Centres, one per class ([[x, y], …], any dimension), or a count placed evenly on a circle of radius 4. */
  centers?: number | number[][];
  /** Std of each blob (default 1). */
  std?: number;
  seed?: number;
}

export interface XorOptions {
  size?: number;
  /** Std of Gaussian noise added to both coordinates after labelling (default 0.1). */
  noise?: number;
  seed?: number;
}

export interface SineOptions {
  size?: number;
  /** Std of Gaussian noise on y (default 0.1). */
  noise?: number;
  /** x range (default [-π, π]). */
  xMin?: number;
  xMax?: number;
  /** y = amplitude · sin(frequency · x) + noise (defaults 1 and 1). */
  amplitude?: number;
  frequency?: number;
  seed?: number;
}

function checkSize(size: number, min: number, what: string): number {
  if (!Number.isInteger(size) || size < min) throw new RangeError(msg('gen.size', what, min, size));
  return size;
}

/** Splits `size` into `k` near-equal counts (the first `size % k` classes get one more). */
function perClass(size: number, k: number): number[] {
  return Array.from({ length: k }, (_, c) => Math.floor(size / k) + (c < size % k ? 1 : 0));
}

function finishClassification(x: Float32Array, labels: Int32Array, dims: number, k: number, seed: number, description: string): GeneratedData {
  const n = labels.length;
  const base: ArrayData = { x, y: Float32Array.from(labels), xShape: [n, dims], yShape: [n, 1] };
  // Shuffle features and labels together, then expand the (shuffled) labels to one-hot.
  const shuffled = shuffleSamples(base, seed ^ 0x5eed);
  const shuffledLabels = Int32Array.from(shuffled.y);
  return {
    x: shuffled.x,
    y: oneHot(shuffledLabels, k),
    xShape: [n, dims],
    yShape: [n, k],
    labels: shuffledLabels,
    classNames: Array.from({ length: k }, (_, c) => String(c)),
    kind: 'classification',
    description,
  };
}

/** k interleaved spiral arms in 2-D, radius 0..1; xs [N, 2], ys one-hot [N, k]. */
export function spiral(opts: SpiralOptions = {}): GeneratedData {
  const size = checkSize(opts.size ?? 600, 1, 'spiral');
  const arms = opts.arms ?? 3;
  if (!Number.isInteger(arms) || arms < 2) throw new RangeError(msg('gen.arms', arms));
  const noise = opts.noise ?? 0.2;
  const turns = opts.turns ?? 0.75;
  const seed = opts.seed ?? DEFAULT_SEED;
  const randn = gaussian(mulberry32(seed));
  const x = new Float32Array(size * 2);
  const labels = new Int32Array(size);
  let i = 0;
  perClass(size, arms).forEach((count, c) => {
    for (let j = 0; j < count; j++, i++) {
      const r = count === 1 ? 1 : j / (count - 1);
      const theta = (2 * Math.PI * c) / arms + 2 * Math.PI * turns * r + noise * randn();
      x[i * 2] = r * Math.cos(theta);
      x[i * 2 + 1] = r * Math.sin(theta);
      labels[i] = c;
    }
  });
  return finishClassification(x, labels, 2, arms, seed, `Spiral: ${size} points, ${arms} arms (classes), noise ${noise}, seed ${seed}`);
}

/** Isotropic Gaussian blobs, one per class; xs [N, dims], ys one-hot [N, k]. */
export function blobs(opts: BlobsOptions = {}): GeneratedData {
  const size = checkSize(opts.size ?? 600, 1, 'blobs');
  const c = opts.centers ?? 3;
  let centers: number[][];
  if (typeof c === 'number') {
    if (!Number.isInteger(c) || c < 2) throw new RangeError(msg('gen.centers', c));
    centers = Array.from({ length: c }, (_, k) => [4 * Math.cos((2 * Math.PI * k) / c), 4 * Math.sin((2 * Math.PI * k) / c)]);
  } else {
    centers = c;
    if (centers.length < 2) throw new RangeError(msg('gen.twoCentres'));
    const d = centers[0].length;
    if (d < 1 || !centers.every((p) => p.length === d && p.every(Number.isFinite)))
      throw new RangeError(msg('gen.centreForm'));
  }
  const std = opts.std ?? 1;
  if (!(std >= 0)) throw new RangeError(msg('gen.std', std));
  const seed = opts.seed ?? DEFAULT_SEED;
  const randn = gaussian(mulberry32(seed));
  const dims = centers[0].length;
  const x = new Float32Array(size * dims);
  const labels = new Int32Array(size);
  let i = 0;
  perClass(size, centers.length).forEach((count, k) => {
    for (let j = 0; j < count; j++, i++) {
      for (let d = 0; d < dims; d++) x[i * dims + d] = centers[k][d] + std * randn();
      labels[i] = k;
    }
  });
  return finishClassification(x, labels, dims, centers.length, seed, `Blobs: ${size} points, ${centers.length} Gaussian blobs in ${dims}-D, std ${std}, seed ${seed}`);
}

/**
 * XOR of the signs of x and y, points uniform in [-1, 1]²; xs [N, 2], ys one-hot [N, 2]. Points are
 * drawn quadrant by quadrant so both classes have exactly half (±1) of the samples.
 */
export function xor(opts: XorOptions = {}): GeneratedData {
  const size = checkSize(opts.size ?? 400, 1, 'xor');
  const noise = opts.noise ?? 0.1;
  const seed = opts.seed ?? DEFAULT_SEED;
  const rand = mulberry32(seed);
  const randn = gaussian(rand);
  const x = new Float32Array(size * 2);
  const labels = new Int32Array(size);
  // Cycling through the quadrants as class 0, 1, 0, 1 keeps the classes balanced for any size.
  const quadrants = [[1, 1], [1, -1], [-1, -1], [-1, 1]];
  for (let i = 0; i < size; i++) {
    const [sx, sy] = quadrants[i % 4];
    const px = sx * rand();
    const py = sy * rand();
    labels[i] = sx * sy > 0 ? 0 : 1;
    x[i * 2] = px + noise * randn();
    x[i * 2 + 1] = py + noise * randn();
  }
  return finishClassification(x, labels, 2, 2, seed, `XOR: ${size} points in [-1, 1]², 2 classes, noise ${noise}, seed ${seed}`);
}

/** Regression: y = a·sin(f·x) + noise for x uniform in [xMin, xMax]; xs [N, 1], ys [N, 1]. */
export function sine(opts: SineOptions = {}): GeneratedData {
  const size = checkSize(opts.size ?? 500, 1, 'sine');
  const noise = opts.noise ?? 0.1;
  const xMin = opts.xMin ?? -Math.PI;
  const xMax = opts.xMax ?? Math.PI;
  if (!(xMax > xMin)) throw new RangeError(msg('gen.range', xMin, xMax));
  const amplitude = opts.amplitude ?? 1;
  const frequency = opts.frequency ?? 1;
  const seed = opts.seed ?? DEFAULT_SEED;
  const rand = mulberry32(seed);
  const randn = gaussian(rand);
  const x = new Float32Array(size);
  const y = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    x[i] = xMin + (xMax - xMin) * rand(); // uniform draws are already in random order: no shuffle needed
    y[i] = amplitude * Math.sin(frequency * x[i]) + noise * randn();
  }
  return {
    x,
    y,
    xShape: [size, 1],
    yShape: [size, 1],
    kind: 'regression',
    description: `Sine: ${size} points, y = ${amplitude}·sin(${frequency}·x) + noise ${noise}, x in [${xMin.toFixed(2)}, ${xMax.toFixed(2)}], seed ${seed}`,
  };
}
