import { describe, expect, it } from 'vitest';
import { minMaxIndices } from '../../webview-ui/src/downsample';

/** A noisy falling loss curve, like a real run's batch losses, with deterministic noise. */
function lossCurve(n: number): number[] {
  let seed = 42;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, (_, i) => 2.3 * Math.exp(-i / (n / 4)) + 0.05 + (rand() - 0.5) * 0.1);
}

describe('minMaxIndices', () => {
  it('returns every index when the series fits', () => {
    expect(minMaxIndices([3, 1, 2], 10)).toEqual([0, 1, 2]);
    expect(minMaxIndices([], 10)).toEqual([]);
    expect(minMaxIndices(lossCurve(5000), 5000)).toHaveLength(5000);
  });

  it('never returns more than maxPoints, ascending and unique, first and last kept', () => {
    for (const [n, max] of [
      [5001, 5000],
      [20_000, 5000],
      [100_000, 1000],
      [10, 3],
      [7, 2],
    ]) {
      const values = lossCurve(n);
      const idx = minMaxIndices(values, max);
      expect(idx.length).toBeLessThanOrEqual(max);
      expect(idx[0]).toBe(0);
      expect(idx[idx.length - 1]).toBe(n - 1);
      for (let i = 1; i < idx.length; i++) expect(idx[i]).toBeGreaterThan(idx[i - 1]);
    }
  });

  it('uses most of its budget on a long series', () => {
    expect(minMaxIndices(lossCurve(50_000), 5000).length).toBeGreaterThan(4900);
  });

  it('keeps a single spike and a single dip that decimation would drop', () => {
    const values = new Array(10_000).fill(1);
    values[3333] = 50; // a loss spike
    values[7777] = -4; // and a dip
    const idx = minMaxIndices(values, 100);
    expect(idx).toContain(3333);
    expect(idx).toContain(7777);
  });

  it('keeps the min and max of every bucket', () => {
    const values = lossCurve(1000);
    const max = 22; // 10 buckets over the 998 inner points
    const idx = new Set(minMaxIndices(values, max));
    const buckets = Math.floor((max - 2) / 2);
    const inner = values.length - 2;
    for (let b = 0; b < buckets; b++) {
      const from = 1 + Math.floor((b * inner) / buckets);
      const to = 1 + Math.floor(((b + 1) * inner) / buckets);
      const slice = values.slice(from, to);
      const minI = from + slice.indexOf(Math.min(...slice));
      const maxI = from + slice.indexOf(Math.max(...slice));
      expect(idx.has(minI)).toBe(true);
      expect(idx.has(maxI)).toBe(true);
    }
    // The global extremes of the whole series are therefore always drawn.
    expect(idx.has(values.indexOf(Math.max(...values)))).toBe(true);
    expect(idx.has(values.indexOf(Math.min(...values)))).toBe(true);
  });

  it('never picks NaN or null as an extreme', () => {
    const values: (number | null)[] = lossCurve(2000);
    for (let i = 100; i < 2000; i += 7) values[i] = i % 2 ? Number.NaN : null;
    const idx = minMaxIndices(values, 200);
    for (const i of idx.slice(1, -1)) expect(Number.isFinite(values[i])).toBe(true);
  });
});
