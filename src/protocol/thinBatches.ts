/**
 * Bounds the batch points a run view keeps (host memory, the panel's snapshot) however long the run.
 * A long run keeps, per group of batches (equal step ranges), its first and last point and, for every
 * metric, the points holding its minimum and maximum and its first non-finite value: real points,
 * never averages, so no spike or NaN disappears from a chart drawn at any width. Every epoch keeps
 * its first and last batch, so epoch spans (and an epoch cut short by Stop) stay right. The full
 * series stays on disk in metrics.jsonl, and a comparison reads it in full. The panel bounds a live
 * run's columns with the same rule (thinnedMask over its columns).
 */
import type { BatchPoint } from './trainer';

/** Most batch points a run view holds before it is thinned (about 4 MB of snapshot JSON). */
export const MAX_VIEW_BATCHES = 20_000;
const MIN_GROUPS = 2048;

/**
 * A run's batches as the thinning reads them, whatever holds them (the host's points, the panel's
 * columns): how many, each one's epoch, and each metric's value.
 */
export interface BatchSeries {
  count: number;
  /** Ascending. */
  step(i: number): number;
  /** How many metrics `value` knows. */
  metrics: number;
  epoch(i: number): number;
  /** Metric `m` of batch `i`: undefined when the batch does not report it; null or non-finite is a NaN reported. */
  value(m: number, i: number): number | null | undefined;
}

/**
 * Which batches to keep (1 in the mask) to bring `series` to about half of `cap`; undefined when it
 * fits in `cap` as it is.
 */
export function thinnedMask(series: BatchSeries, cap = MAX_VIEW_BATCHES): Uint8Array | undefined {
  const n = series.count;
  if (n <= cap) return undefined;
  // Groups of equal step ranges: at least MIN_GROUPS (more than a wide chart has pixel columns), more
  // when few metrics leave room under half the cap (min and max of each, first and last). By step,
  // not by count, so a part already thinned (a live run is thinned again as it grows) keeps as many
  // groups as the part that is not: resolution stays even along the run instead of fading at its start.
  const groups = Math.max(MIN_GROUPS, Math.floor(cap / 2 / (2 + 2 * series.metrics)));
  const x0 = series.step(0);
  const width = (series.step(n - 1) - x0) / groups || 1;
  const keep = new Uint8Array(n);
  for (let i = 0; i < n; ) {
    const g = Math.floor((series.step(i) - x0) / width);
    let end = i + 1;
    while (end < n && Math.floor((series.step(end) - x0) / width) === g) end++;
    keep[i] = 1;
    keep[end - 1] = 1;
    for (let k = 0; k < series.metrics; k++) {
      let lo = -1;
      let hi = -1;
      let loV = 0;
      let hiV = 0;
      let bad = -1;
      for (let j = i; j < end; j++) {
        const x = series.value(k, j);
        if (x === undefined) continue;
        if (typeof x !== 'number' || !Number.isFinite(x)) {
          if (bad < 0) bad = j;
          continue;
        }
        if (lo < 0 || x < loV) [lo, loV] = [j, x];
        if (hi < 0 || x > hiV) [hi, hiV] = [j, x];
      }
      if (lo >= 0) keep[lo] = 1;
      if (hi >= 0) keep[hi] = 1;
      if (bad >= 0) keep[bad] = 1;
    }
    i = end;
  }
  // Epoch edges: the first and last batch of every epoch.
  for (let j = 1; j < n; j++)
    if (series.epoch(j) !== series.epoch(j - 1)) {
      keep[j - 1] = 1;
      keep[j] = 1;
    }
  return keep;
}

/**
 * `points` (in step order) thinned to about half of `cap` when longer than `cap`; the same array when
 * not. Kept points are the originals, in their order.
 */
export function thinBatches(points: readonly BatchPoint[], cap = MAX_VIEW_BATCHES): readonly BatchPoint[] {
  if (points.length <= cap) return points;
  const metrics = new Set<string>();
  for (const p of points) for (const k in p.metrics) metrics.add(k);
  const keys = [...metrics];
  const keep = thinnedMask(
    { count: points.length, step: (i) => points[i].step, metrics: keys.length, epoch: (i) => points[i].epoch, value: (m, i) => points[i].metrics[keys[m]] as number | null | undefined },
    cap,
  )!;
  const out: BatchPoint[] = [];
  for (let j = 0; j < points.length; j++) if (keep[j]) out.push(points[j]);
  return out;
}

/**
 * Keeps a growing view's batches bounded: call after appending; thins when the array passes its
 * threshold, then waits for twice what is left, so a run with more epochs than the cap is thinned
 * a logarithmic number of times, not on every batch.
 */
export class BatchThinner {
  private threshold: number;

  constructor(private readonly cap = MAX_VIEW_BATCHES) {
    this.threshold = cap;
  }

  /** The batches to keep: `points` itself while under the threshold. */
  apply(points: BatchPoint[]): BatchPoint[] {
    if (points.length <= this.threshold) return points;
    const thinned = thinBatches(points, this.cap) as BatchPoint[];
    this.threshold = Math.max(this.cap, 2 * thinned.length);
    return thinned;
  }

  /** The same for batches held in columns: which to keep, or undefined while under the threshold. */
  mask(series: BatchSeries): Uint8Array | undefined {
    if (series.count <= this.threshold) return undefined;
    const keep = thinnedMask(series, this.cap)!;
    let kept = 0;
    for (let i = 0; i < keep.length; i++) kept += keep[i];
    this.threshold = Math.max(this.cap, 2 * kept);
    return keep;
  }
}
