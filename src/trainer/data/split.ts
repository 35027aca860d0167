/**
 * Seeded randomness and splits shared by every loader. A run must be reproducible from its config,
 * so nothing here touches Math.random: the same seed gives the same order on every machine.
 */

/** Samples as flat arrays plus shapes: what every pure loader returns, before any tensor exists. */
export interface ArrayData {
  /** Row-major features, `xShape[0]` samples. */
  x: Float32Array;
  /** Row-major labels/targets, `yShape[0]` samples (same count as x). */
  y: Float32Array;
  xShape: number[];
  yShape: number[];
}

export const DEFAULT_SEED = 42;

/** mulberry32: 32 bits of state, fast, and plenty for shuffling and generating toy data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples from a uniform source (Box–Muller; the second value is kept for the next call). */
export function gaussian(rand: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = rand(); // log(0) would be -Infinity
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/**
 * A stateless uniform value in [0, 1) for (seed, index): lets a streaming loader decide whether row
 * `index` is a validation row in any pass, in any order, without remembering earlier rows.
 */
export function hashUniform(seed: number, index: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index >>> 0, 0xc2b2ae35);
  h ^= Math.floor(index / 4294967296); // rows beyond 2^32 still differ
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Fisher–Yates over indices 0..n-1. */
export function permutation(n: number, seed: number = DEFAULT_SEED): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const rand = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

export interface SplitOptions {
  /** Fraction of samples for validation, 0 ≤ v < 1. */
  validation?: number;
  /** Fraction of samples for test, 0 ≤ t < 1, v + t < 1. */
  test?: number;
  /** false keeps the original order (time series: validation and test come after train). */
  shuffle?: boolean;
  seed?: number;
}

export interface SplitIndices {
  train: Uint32Array;
  validation: Uint32Array;
  test: Uint32Array;
}

/**
 * Indices of a train/validation/test split. Counts are rounded down for validation and test so
 * train never ends up empty because of rounding; without shuffling the order is train, validation,
 * test, which is what a time-ordered split needs.
 */
export function splitIndices(n: number, opts: SplitOptions = {}): SplitIndices {
  const v = opts.validation ?? 0;
  const t = opts.test ?? 0;
  if (!(v >= 0 && v < 1) || !(t >= 0 && t < 1) || !(v + t < 1))
    throw new RangeError(`split fractions must be ≥ 0 and validation + test < 1 (got validation ${v}, test ${t})`);
  const order = opts.shuffle === false ? Uint32Array.from({ length: n }, (_, i) => i) : permutation(n, opts.seed ?? DEFAULT_SEED);
  const nVal = Math.floor(n * v);
  const nTest = Math.floor(n * t);
  const nTrain = n - nVal - nTest;
  return {
    train: order.slice(0, nTrain),
    validation: order.slice(nTrain, nTrain + nVal),
    test: order.slice(nTrain + nVal),
  };
}

/** The samples at `indices`, in that order (copies). */
export function takeSamples(data: ArrayData, indices: ArrayLike<number>): ArrayData {
  const n = data.xShape[0];
  const xRow = n === 0 ? 0 : data.x.length / n;
  const yRow = n === 0 ? 0 : data.y.length / n;
  const x = new Float32Array(indices.length * xRow);
  const y = new Float32Array(indices.length * yRow);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!(i >= 0 && i < n)) throw new RangeError(`sample index ${i} out of range 0..${n - 1}`);
    x.set(data.x.subarray(i * xRow, (i + 1) * xRow), k * xRow);
    y.set(data.y.subarray(i * yRow, (i + 1) * yRow), k * yRow);
  }
  return { x, y, xShape: [indices.length, ...data.xShape.slice(1)], yShape: [indices.length, ...data.yShape.slice(1)] };
}

/** Same samples in a seeded random order. */
export function shuffleSamples(data: ArrayData, seed: number = DEFAULT_SEED): ArrayData {
  return takeSamples(data, permutation(data.xShape[0], seed));
}

/** The first `limit` samples (all when undefined). */
export function limitSamples(data: ArrayData, limit: number | undefined): ArrayData {
  const n = data.xShape[0];
  if (limit === undefined || limit >= n) return data;
  const k = Math.max(0, Math.floor(limit));
  const xRow = n === 0 ? 0 : data.x.length / n;
  const yRow = n === 0 ? 0 : data.y.length / n;
  return {
    x: data.x.slice(0, k * xRow),
    y: data.y.slice(0, k * yRow),
    xShape: [k, ...data.xShape.slice(1)],
    yShape: [k, ...data.yShape.slice(1)],
  };
}

/** One-hot rows for class indices. */
export function oneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]] = 1;
  return out;
}
