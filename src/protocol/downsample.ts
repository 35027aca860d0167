/**
 * Downsampling by pixel column, for drawing. A run can stream a million batch points and a chart is
 * a few hundred pixels wide; plain decimation (or TensorBoard's 1,000 random points) hides the
 * spikes a user is looking for. Here every pixel column of the visible x range keeps its first, its
 * smallest, its largest and its last point of every series, so the drawn envelope is exactly the
 * envelope of the data at any zoom: no spike and no dip can vanish. Pure, so it is unit-tested.
 * Shared by the panel (a live run's columns, webview-ui/src/chartModel.ts) and the host (a
 * comparison's full-resolution series, src/training/seriesStore.ts), so both draw by one rule.
 */

/** First index `i` in ascending `xs[0..n)` with `xs[i] >= x` (n when none). */
export function lowerBound(xs: ArrayLike<number>, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Indices (ascending, unique) of the points to draw for the series `ys` (all on the ascending x
 * values `xs`, first `n` used) in the x range [xMin, xMax] spread over `columns` pixel columns.
 * Per column and per series: first, min, max and last finite point, and the first non-finite one
 * (so a NaN draws as the gap it is). One point either side of the range is kept so the lines run to
 * the chart's edges. Every index is returned when the visible points fit in `4 × columns`.
 */
export function pixelColumnIndices(
  xs: ArrayLike<number>,
  ys: readonly ArrayLike<number>[],
  n: number,
  xMin: number,
  xMax: number,
  columns: number,
  blocks: readonly (MinMaxBlocks | undefined)[] = [],
): number[] {
  if (n === 0) return [];
  const from = Math.max(0, lowerBound(xs, n, xMin) - 1);
  let to = lowerBound(xs, n, xMax);
  // `to` is the first point past xMax (or the first equal to it): keep it, and one past.
  to = Math.min(n - 1, to < n && xs[to] === xMax ? to + 1 : to);
  const cols = Math.max(1, Math.floor(columns));
  if (to - from + 1 <= 4 * cols) return Array.from({ length: to - from + 1 }, (_, i) => from + i);

  // A few indices per column and series: collected, then sorted and made unique (never a pass over
  // every point just to gather them).
  const picked: number[] = [from, to];
  const span = xMax - xMin || 1;
  const colOf = (i: number): number => Math.min(cols - 1, Math.max(0, Math.floor(((xs[i] - xMin) / span) * cols)));
  // Column boundaries by binary search on the same formula, so the scans below are tight loops
  // over plain index ranges (a million points in a few milliseconds).
  const ends: number[] = [];
  for (let start = from; start <= to; ) {
    const c = colOf(start);
    let lo = start + 1;
    let hi = to + 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (colOf(mid) <= c) lo = mid + 1;
      else hi = mid;
    }
    ends.push(lo);
    start = lo;
  }
  const B = BLOCK;
  ys.forEach((y, k) => {
    const blk = blocks[k];
    const full = blk ? blk.blocks : 0;
    let start = from;
    for (const end of ends) {
      let first = -1;
      let minI = -1;
      let maxI = -1;
      let lastI = -1;
      let gap = -1;
      let minV = Infinity;
      let maxV = -Infinity;
      let i = start;
      // Whole blocks inside the column are read from their summary; only the edges are scanned.
      const useBlocks = blk !== undefined && end - start >= 2 * B;
      const headEnd = useBlocks ? Math.min(end, Math.ceil(start / B) * B) : end;
      for (let pass = 0; pass < 3; pass++) {
        const stop = pass === 0 ? headEnd : pass === 1 ? Math.min(end, Math.floor(end / B) * B) : end;
        if (pass === 1) {
          if (!useBlocks) continue;
          for (; i + B <= stop && i / B < full; i += B) {
            const b = i / B;
            const f = blk.first[b];
            if (f >= 0) {
              if (first < 0) first = f;
              lastI = blk.last[b];
              const lo = blk.min[b];
              const hi = blk.max[b];
              if (y[lo] < minV) {
                minV = y[lo];
                minI = lo;
              }
              if (y[hi] > maxV) {
                maxV = y[hi];
                maxI = hi;
              }
            }
            if (gap < 0 && blk.gap[b] >= 0) gap = blk.gap[b];
          }
          continue;
        }
        for (; i < stop; i++) {
          const v = y[i];
          if (v !== v || v === Infinity || v === -Infinity) {
            if (gap < 0) gap = i;
            continue;
          }
          if (first < 0) first = i;
          if (v < minV) {
            minV = v;
            minI = i;
          }
          if (v > maxV) {
            maxV = v;
            maxI = i;
          }
          lastI = i;
        }
      }
      if (first >= 0) picked.push(first, minI, maxI, lastI);
      if (gap >= 0) picked.push(gap);
      start = end;
    }
  });
  picked.sort((a, b) => a - b);
  const out: number[] = [];
  for (const k of picked) if (out.length === 0 || out[out.length - 1] !== k) out.push(k);
  return out;
}

/** Points per block of a MinMaxBlocks summary. */
export const BLOCK = 64;

/**
 * Per-block summaries of a series (first, min, max and last finite index, first non-finite index),
 * extended as the series grows, so a full-range pass over a million points reads ~16,000 blocks
 * instead of every point. The chosen indices are the same as a full scan's.
 */
export class MinMaxBlocks {
  blocks = 0;
  first: Int32Array<ArrayBuffer> = new Int32Array(0);
  last: Int32Array<ArrayBuffer> = new Int32Array(0);
  min: Int32Array<ArrayBuffer> = new Int32Array(0);
  max: Int32Array<ArrayBuffer> = new Int32Array(0);
  gap: Int32Array<ArrayBuffer> = new Int32Array(0);

  /** Summarises every complete block of `y[0..n)` not yet summarised. */
  extend(y: ArrayLike<number>, n: number): this {
    const want = Math.floor(n / BLOCK);
    if (want <= this.blocks) return this;
    if (want > this.first.length) {
      const size = Math.max(want, this.first.length * 2, 64);
      const g = (old: Int32Array): Int32Array<ArrayBuffer> => {
        const next = new Int32Array(size);
        next.set(old.subarray(0, this.blocks));
        return next;
      };
      this.first = g(this.first);
      this.last = g(this.last);
      this.min = g(this.min);
      this.max = g(this.max);
      this.gap = g(this.gap);
    }
    for (let b = this.blocks; b < want; b++) {
      let first = -1;
      let last = -1;
      let minI = -1;
      let maxI = -1;
      let gap = -1;
      let minV = Infinity;
      let maxV = -Infinity;
      for (let i = b * BLOCK, end = i + BLOCK; i < end; i++) {
        const v = y[i];
        if (v !== v || v === Infinity || v === -Infinity) {
          if (gap < 0) gap = i;
          continue;
        }
        if (first < 0) first = i;
        if (v < minV) {
          minV = v;
          minI = i;
        }
        if (v > maxV) {
          maxV = v;
          maxI = i;
        }
        last = i;
      }
      this.first[b] = first;
      this.last[b] = last;
      this.min[b] = minI;
      this.max[b] = maxI;
      this.gap[b] = gap;
    }
    this.blocks = want;
    return this;
  }
}
