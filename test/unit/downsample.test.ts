import { describe, expect, it } from 'vitest';
import { lowerBound, MinMaxBlocks, pixelColumnIndices } from '../../src/protocol/downsample';

/** A noisy falling loss curve, like a real run's batch losses, with deterministic noise. */
function lossCurve(n: number): Float64Array {
  let seed = 42;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Float64Array.from({ length: n }, (_, i) => 2.3 * Math.exp(-i / (n / 4)) + 0.05 + (rand() - 0.5) * 0.1);
}
const steps = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => i);

describe('lowerBound', () => {
  it('finds the first index at or after x', () => {
    const xs = [0, 2, 2, 5];
    expect([-1, 0, 1, 2, 3, 5, 6].map((x) => lowerBound(xs, xs.length, x))).toEqual([0, 0, 1, 1, 3, 3, 4]);
  });
});

describe('pixelColumnIndices', () => {
  it('returns every index when the points fit, and none for an empty series', () => {
    expect(pixelColumnIndices(steps(10), [lossCurve(10)], 10, 0, 9, 100)).toEqual([...Array(10).keys()]);
    expect(pixelColumnIndices([], [[]], 0, 0, 1, 100)).toEqual([]);
  });

  it('keeps the first, min, max and last of every pixel column, ascending and unique', () => {
    const n = 100_000;
    const xs = steps(n);
    const ys = lossCurve(n);
    const cols = 300;
    const idx = pixelColumnIndices(xs, [ys], n, 0, n - 1, cols);
    expect(idx.length).toBeLessThanOrEqual(4 * cols + 2);
    for (let i = 1; i < idx.length; i++) expect(idx[i]).toBeGreaterThan(idx[i - 1]);
    const kept = new Set(idx);
    // Recompute each column's extremes independently of the implementation.
    const byCol = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const c = Math.min(cols - 1, Math.floor((i / (n - 1)) * cols));
      byCol.set(c, [...(byCol.get(c) ?? []), i]);
    }
    for (const members of byCol.values()) {
      const vals = members.map((i) => ys[i]);
      expect(kept.has(members[vals.indexOf(Math.min(...vals))])).toBe(true);
      expect(kept.has(members[vals.indexOf(Math.max(...vals))])).toBe(true);
      expect(kept.has(members[members.length - 1])).toBe(true);
      expect(kept.has(members[0])).toBe(true);
    }
  });

  it('keeps a one-batch spike and dip at any zoom, and the points either side of the view', () => {
    const n = 1_000_000;
    const xs = steps(n);
    const ys = new Float64Array(n).fill(1);
    ys[333_333] = 50;
    ys[777_777] = -4;
    for (const [lo, hi] of [[0, n - 1], [300_000, 400_000], [333_000, 334_000], [700_000, 800_000]]) {
      const idx = pixelColumnIndices(xs, [ys], n, lo, hi, 200);
      if (lo <= 333_333 && 333_333 <= hi) expect(idx).toContain(333_333);
      if (lo <= 777_777 && 777_777 <= hi) expect(idx).toContain(777_777);
      if (lo > 0) expect(idx[0]).toBe(lo - 1);
      expect(idx[idx.length - 1]).toBe(Math.min(n - 1, hi + 1));
      expect(idx.length).toBeLessThanOrEqual(4 * 200 + 2);
    }
  });

  it('keeps the extremes of every series drawn on the same x values', () => {
    const n = 10_000;
    const a = new Float64Array(n).fill(0);
    const b = new Float64Array(n).fill(0);
    a[1234] = 9;
    b[8765] = -9;
    const idx = pixelColumnIndices(steps(n), [a, b], n, 0, n - 1, 50);
    expect(idx).toContain(1234);
    expect(idx).toContain(8765);
  });

  it('keeps a NaN so the gap is drawn, never as an extreme', () => {
    const n = 10_000;
    const ys = lossCurve(n);
    ys[5000] = Number.NaN;
    const idx = pixelColumnIndices(steps(n), [ys], n, 0, n - 1, 100);
    expect(idx).toContain(5000);
    // One gap marker per column at most: the NaN is not spread around.
    expect(idx.filter((i) => Number.isNaN(ys[i]))).toEqual([5000]);
  });

  it('picks the same points from block summaries as from a full scan, at any range and width', () => {
    const n = 200_003;
    const xs = steps(n);
    const ys = lossCurve(n);
    for (const i of [5, 777, 64 * 100, 150_001]) ys[i] = Number.NaN;
    ys[99_999] = 30;
    const blocks = new MinMaxBlocks().extend(ys, n);
    for (const [lo, hi, cols] of [[0, n - 1, 700], [0, n - 1, 33], [1000.5, 90_000, 400], [120_000, 120_500, 300], [50, 60, 10]]) {
      expect(pixelColumnIndices(xs, [ys], n, lo, hi, cols, [blocks])).toEqual(pixelColumnIndices(xs, [ys], n, lo, hi, cols));
    }
  });

  it('extends block summaries as a series grows, matching a summary built at once', () => {
    const ys = lossCurve(10_000);
    const grown = new MinMaxBlocks();
    for (const n of [10, 64, 65, 1000, 10_000]) grown.extend(ys, n);
    const once = new MinMaxBlocks().extend(ys, 10_000);
    expect(grown.blocks).toBe(once.blocks);
    expect(Array.from(grown.min.subarray(0, grown.blocks))).toEqual(Array.from(once.min.subarray(0, once.blocks)));
    expect(Array.from(grown.max.subarray(0, grown.blocks))).toEqual(Array.from(once.max.subarray(0, once.blocks)));
  });
});
