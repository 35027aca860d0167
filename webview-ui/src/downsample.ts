/**
 * Min-max downsampling for the batch series. A run can stream tens of thousands of batch points;
 * drawing them all costs time for no visible gain (a chart is a few hundred pixels wide), but plain
 * decimation would hide the spikes a user is looking for. Keeping each bucket's min and max keeps
 * the envelope of the line, so spikes and dips survive. Pure, so it is unit-tested.
 */

/**
 * Indices of the points to draw, ascending: the first and last point always, then for each of
 * `(maxPoints - 2) / 2` equal buckets in between the index of its smallest and its largest finite
 * value. Returns every index when `values.length <= maxPoints`. Never returns more than `maxPoints`.
 * Non-finite values (NaN from a diverging loss, or null) are never chosen as extremes.
 */
export function minMaxIndices(values: ArrayLike<number | null>, maxPoints: number): number[] {
  const n = values.length;
  const limit = Math.max(2, Math.floor(maxPoints));
  if (n <= limit) return Array.from({ length: n }, (_, i) => i);

  const out: number[] = [0];
  const buckets = Math.floor((limit - 2) / 2);
  // The inner range (1 .. n-2) is split into `buckets` slices of (nearly) equal width.
  const inner = n - 2;
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * inner) / buckets);
    const to = 1 + Math.floor(((b + 1) * inner) / buckets); // exclusive
    let minI = -1;
    let maxI = -1;
    for (let i = from; i < to; i++) {
      const v = values[i];
      if (v === null || !Number.isFinite(v)) continue;
      if (minI < 0 || v < (values[minI] as number)) minI = i;
      if (maxI < 0 || v > (values[maxI] as number)) maxI = i;
    }
    if (minI < 0) continue;
    // Emit in index order so the line is drawn left to right.
    if (minI === maxI) out.push(minI);
    else if (minI < maxI) out.push(minI, maxI);
    else out.push(maxI, minI);
  }
  out.push(n - 1);
  return out;
}
