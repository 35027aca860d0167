/**
 * Downsampling by pixel column, for drawing. A run can stream a million batch points and a chart is
 * a few hundred pixels wide; plain decimation (or TensorBoard's 1,000 random points) hides the
 * spikes a user is looking for. Here every pixel column of the visible x range keeps its first, its
 * smallest, its largest and its last point of every series, so the drawn envelope is exactly the
 * envelope of the data at any zoom: no spike and no dip can vanish. Pure, so it is unit-tested.
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
): number[] {
  if (n === 0) return [];
  const from = Math.max(0, lowerBound(xs, n, xMin) - 1);
  let to = lowerBound(xs, n, xMax);
  // `to` is the first point past xMax (or the first equal to it): keep it, and one past.
  to = Math.min(n - 1, to < n && xs[to] === xMax ? to + 1 : to);
  const cols = Math.max(1, Math.floor(columns));
  if (to - from + 1 <= 4 * cols) return Array.from({ length: to - from + 1 }, (_, i) => from + i);

  const keep = new Uint8Array(to - from + 1);
  keep[0] = 1;
  keep[to - from] = 1;
  const span = xMax - xMin || 1;
  for (const y of ys) {
    let col = -1;
    let first = -1;
    let minI = -1;
    let maxI = -1;
    let lastI = -1;
    let gap = -1;
    const flush = (): void => {
      for (const i of [first, minI, maxI, lastI, gap]) if (i >= 0) keep[i - from] = 1;
    };
    for (let i = from; i <= to; i++) {
      const c = Math.min(cols - 1, Math.max(0, Math.floor(((xs[i] - xMin) / span) * cols)));
      if (c !== col) {
        flush();
        col = c;
        first = minI = maxI = lastI = gap = -1;
      }
      const v = y[i];
      if (!Number.isFinite(v)) {
        if (gap < 0) gap = i;
        continue;
      }
      if (first < 0) first = i;
      if (minI < 0 || v < y[minI]) minI = i;
      if (maxI < 0 || v > y[maxI]) maxI = i;
      lastI = i;
    }
    flush();
  }
  const out: number[] = [];
  for (let k = 0; k < keep.length; k++) if (keep[k]) out.push(from + k);
  return out;
}
