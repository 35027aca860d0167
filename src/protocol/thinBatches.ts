/**
 * Bounds the batch points a run view keeps (host memory, the panel's snapshot) however long the run.
 * A long run keeps, per group of consecutive batches, its first and last point and, for every
 * metric, the points holding its minimum and maximum and its first non-finite value: real points,
 * never averages, so no spike or NaN disappears from a chart drawn at any width. Every epoch keeps
 * its first and last batch, so epoch spans (and an epoch cut short by Stop) stay right. The full
 * series stays on disk in metrics.jsonl, and a comparison reads it in full.
 */
import type { BatchPoint } from './trainer';

/** Most batch points a run view holds before it is thinned (about 4 MB of snapshot JSON). */
export const MAX_VIEW_BATCHES = 20_000;
const MIN_GROUPS = 2048;

/**
 * `points` (in step order) thinned to about half of `cap` when longer than `cap`; the same array when
 * not. Kept points are the originals, in their order.
 */
export function thinBatches(points: readonly BatchPoint[], cap = MAX_VIEW_BATCHES): readonly BatchPoint[] {
  if (points.length <= cap) return points;
  const metrics = new Set<string>();
  for (const p of points) for (const k in p.metrics) metrics.add(k);
  // Groups of consecutive batches: at least MIN_GROUPS (more than a wide chart has pixel columns),
  // more when few metrics leave room under half the cap (min and max of each, first and last).
  const groups = Math.max(MIN_GROUPS, Math.floor(cap / 2 / (2 + 2 * metrics.size)));
  const size = Math.max(1, Math.ceil(points.length / groups));
  const keep = new Uint8Array(points.length);
  for (let i = 0; i < points.length; i += size) {
    const end = Math.min(points.length, i + size);
    keep[i] = 1;
    keep[end - 1] = 1;
    for (const k of metrics) {
      let lo = -1;
      let hi = -1;
      let bad = -1;
      for (let j = i; j < end; j++) {
        const x = points[j].metrics[k] as number | null | undefined;
        if (x === undefined) continue;
        if (typeof x !== 'number' || !Number.isFinite(x)) {
          if (bad < 0) bad = j;
          continue;
        }
        if (lo < 0 || x < (points[lo].metrics[k] as number)) lo = j;
        if (hi < 0 || x > (points[hi].metrics[k] as number)) hi = j;
      }
      if (lo >= 0) keep[lo] = 1;
      if (hi >= 0) keep[hi] = 1;
      if (bad >= 0) keep[bad] = 1;
    }
  }
  // Epoch edges: the first and last batch of every epoch.
  for (let j = 1; j < points.length; j++)
    if (points[j].epoch !== points[j - 1].epoch) {
      keep[j - 1] = 1;
      keep[j] = 1;
    }
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
}
