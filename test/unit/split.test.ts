import { describe, expect, test } from 'vitest';
import { gaussian, hashUniform, limitSamples, mulberry32, oneHot, permutation, shuffleSamples, splitIndices, takeSamples } from '../../src/trainer/data/split';

describe('seeded randomness', () => {
  test('mulberry32 repeats for a seed and differs between seeds', () => {
    const a = Array.from({ length: 5 }, mulberry32(7));
    expect(Array.from({ length: 5 }, mulberry32(7))).toEqual(a);
    expect(Array.from({ length: 5 }, mulberry32(8))).not.toEqual(a);
    for (const v of a) expect(v >= 0 && v < 1).toBe(true);
  });

  test('gaussian samples have mean ≈ 0 and std ≈ 1', () => {
    const g = gaussian(mulberry32(1));
    const xs = Array.from({ length: 20000 }, g);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(std - 1)).toBeLessThan(0.03);
  });

  test('hashUniform is stateless, in [0, 1) and roughly uniform', () => {
    expect(hashUniform(3, 12345)).toBe(hashUniform(3, 12345));
    expect(hashUniform(3, 12345)).not.toBe(hashUniform(4, 12345));
    let below = 0;
    for (let i = 0; i < 10000; i++) {
      const u = hashUniform(42, i);
      expect(u >= 0 && u < 1).toBe(true);
      if (u < 0.2) below++;
    }
    expect(below).toBeGreaterThan(1800);
    expect(below).toBeLessThan(2200);
  });

  test('permutation holds each index once and depends on the seed', () => {
    const p = permutation(1000, 5);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(permutation(1000, 5)).toEqual(p);
    expect(permutation(1000, 6)).not.toEqual(p);
  });
});

describe('splits', () => {
  test('train/validation/test by fractions cover every index once', () => {
    const s = splitIndices(100, { validation: 0.2, test: 0.1, seed: 3 });
    expect([s.train.length, s.validation.length, s.test.length]).toEqual([70, 20, 10]);
    const all = [...s.train, ...s.validation, ...s.test].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  test('without shuffling the split keeps order: train, then validation, then test', () => {
    const s = splitIndices(10, { validation: 0.2, test: 0.2, shuffle: false });
    expect([...s.train]).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...s.validation]).toEqual([6, 7]);
    expect([...s.test]).toEqual([8, 9]);
  });

  test('bad fractions are refused', () => {
    expect(() => splitIndices(10, { validation: 0.6, test: 0.4 })).toThrow(/validation \+ test < 1/);
    expect(() => splitIndices(10, { validation: -0.1 })).toThrow(RangeError);
  });

  test('takeSamples and shuffleSamples keep features and labels together', () => {
    const data = { x: Float32Array.from([0, 0, 1, 1, 2, 2, 3, 3]), y: oneHot([0, 1, 2, 3], 4), xShape: [4, 2], yShape: [4, 4] };
    const t = takeSamples(data, [3, 1]);
    expect([...t.x]).toEqual([3, 3, 1, 1]);
    expect([...t.y]).toEqual([0, 0, 0, 1, 0, 1, 0, 0]);
    expect(t.xShape).toEqual([2, 2]);
    const s = shuffleSamples(data, 9);
    for (let i = 0; i < 4; i++) expect(s.y[i * 4 + s.x[i * 2]]).toBe(1); // row i's one-hot points at its own value
    expect(() => takeSamples(data, [4])).toThrow(/out of range/);
    expect(limitSamples(data, 1).xShape).toEqual([1, 2]);
  });
});
