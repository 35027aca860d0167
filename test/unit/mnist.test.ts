import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, test } from 'vitest';
import { loadDataset } from '../../src/trainer/data/datasets';
import { loadMnist } from '../../src/trainer/data/mnist';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';

beforeAll(async () => {
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});

test('loads all 10,000 real digits as [N,28,28,1] images in 0–1 with one-hot labels', () => {
  const d = loadMnist(tf);
  expect(d.xs.shape).toEqual([10000, 28, 28, 1]);
  expect(d.ys.shape).toEqual([10000, 10]);
  expect(d.xs.dtype).toBe('float32');
  const counts = new Array(10).fill(0);
  for (const l of d.labels) counts[l]++;
  // the per-digit counts of the mnist package's digits/0..9.json
  expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  const [min, max] = tf.tidy(() => [d.xs.min().dataSync()[0], d.xs.max().dataSync()[0]]);
  expect(min).toBe(0);
  expect(max).toBeLessThanOrEqual(1);
  const argmax = tf.tidy(() => Array.from(d.ys.argMax(-1).dataSync()));
  expect(argmax).toEqual(Array.from(d.labels));
  // shuffled: the first 100 are not all one digit (the files are sorted by digit)
  expect(new Set(Array.from(d.labels.slice(0, 100))).size).toBe(10);
  // real handwriting: a "1" has much less ink than a "0" on average
  const ink = (digit: number) => {
    const idx = Array.from(d.labels).flatMap((l, i) => (l === digit ? [i] : []));
    return tf.tidy(() => tf.gather(d.xs, idx).mean().dataSync()[0]);
  };
  expect(ink(1)).toBeLessThan(ink(0) * 0.7);
  tf.dispose([d.xs, d.ys]);
});

test('is deterministic for a seed and takes a mixed prefix with limit', () => {
  const a = loadMnist(tf, { limit: 50 });
  const b = loadMnist(tf, { limit: 50 });
  const c = loadMnist(tf, { limit: 50, seed: 7 });
  expect(a.xs.shape).toEqual([50, 28, 28, 1]);
  expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
  expect(Array.from(a.xs.dataSync())).toEqual(Array.from(b.xs.dataSync()));
  expect(Array.from(c.labels)).not.toEqual(Array.from(a.labels));
  expect(new Set(Array.from(a.labels)).size).toBeGreaterThan(5);
  tf.dispose([a.xs, a.ys, b.xs, b.ys, c.xs, c.ys]);
});

test('loadDataset names the known datasets for an unknown one', () => {
  expect(() => loadDataset(tf, 'cifar-100')).toThrow('Unknown dataset "cifar-100". Known datasets: mnist');
  const d = loadDataset(tf, 'mnist', { limit: 20 });
  expect(d.xs.shape).toEqual([20, 28, 28, 1]);
  expect(d.description).toContain('20');
  tf.dispose([d.xs, d.ys]);
});
