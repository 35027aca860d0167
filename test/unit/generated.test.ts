import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { blobs, sine, spiral, xor, type GeneratedData } from '../../src/trainer/data/generated';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';

beforeAll(async () => {
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});

function classCounts(d: GeneratedData): number[] {
  const k = d.yShape[1];
  const counts = new Array(k).fill(0);
  for (let i = 0; i < d.yShape[0]; i++) {
    let hot = -1;
    for (let c = 0; c < k; c++) if (d.y[i * k + c] === 1) hot = c;
    expect(hot).toBe(d.labels![i]); // one-hot and class index agree
    counts[hot]++;
  }
  return counts;
}

describe('shapes and class balance', () => {
  test('spiral: [N, 2] and one-hot [N, arms], arms equal to ±1, radius within 0..~1', () => {
    const d = spiral({ size: 301, arms: 3, seed: 1 });
    expect(d.xShape).toEqual([301, 2]);
    expect(d.yShape).toEqual([301, 3]);
    expect(classCounts(d)).toEqual([101, 100, 100]);
    for (let i = 0; i < 301; i++) expect(Math.hypot(d.x[2 * i], d.x[2 * i + 1])).toBeLessThanOrEqual(1.0001);
  });

  test('blobs: points lie near their own centre', () => {
    const centers = [[0, 0, 0], [10, 10, 10]];
    const d = blobs({ size: 200, centers, std: 0.5, seed: 2 });
    expect(d.xShape).toEqual([200, 3]);
    expect(classCounts(d)).toEqual([100, 100]);
    for (let i = 0; i < 200; i++) {
      const c = centers[d.labels![i]];
      const dist = Math.hypot(d.x[3 * i] - c[0], d.x[3 * i + 1] - c[1], d.x[3 * i + 2] - c[2]);
      expect(dist).toBeLessThan(5 * 0.5 * Math.sqrt(3));
    }
    expect(blobs({ centers: 4 }).yShape).toEqual([600, 4]);
  });

  test('xor: balanced, and without noise the label is the XOR of the signs', () => {
    const d = xor({ size: 400, noise: 0, seed: 3 });
    expect(classCounts(d)).toEqual([200, 200]);
    for (let i = 0; i < 400; i++) expect(d.labels![i]).toBe(d.x[2 * i] * d.x[2 * i + 1] > 0 ? 0 : 1);
  });

  test('sine: regression targets follow a·sin(f·x) within the noise', () => {
    const d = sine({ size: 300, noise: 0, amplitude: 2, frequency: 3, seed: 4 });
    expect(d.kind).toBe('regression');
    expect(d.yShape).toEqual([300, 1]);
    for (let i = 0; i < 300; i++) expect(d.y[i]).toBeCloseTo(2 * Math.sin(3 * d.x[i]), 5);
    const noisy = sine({ size: 2000, noise: 0.5, seed: 4 });
    let ss = 0;
    for (let i = 0; i < 2000; i++) ss += (noisy.y[i] - Math.sin(noisy.x[i])) ** 2;
    expect(Math.sqrt(ss / 2000)).toBeCloseTo(0.5, 1);
  });

  test('classes are shuffled, so the last 20% (tfjs validationSplit) holds every class', () => {
    for (const d of [spiral({ seed: 5 }), blobs({ seed: 5 }), xor({ seed: 5 })]) {
      const n = d.yShape[0];
      const tail = new Set(Array.from(d.labels!.slice(Math.floor(n * 0.8))));
      expect(tail.size).toBe(d.yShape[1]);
    }
  });

  test('bad parameters are refused', () => {
    expect(() => spiral({ arms: 1 })).toThrow(/arms/);
    expect(() => blobs({ centers: [[0, 0], [1]] })).toThrow(/same length/);
    expect(() => sine({ xMin: 1, xMax: 0 })).toThrow(/xMax/);
    expect(() => xor({ size: 0 })).toThrow(/size/);
  });
});

test('deterministic for a seed, different across seeds', () => {
  for (const gen of [spiral, blobs, xor, sine] as ((o: { seed: number; size: number }) => GeneratedData)[]) {
    const a = gen({ seed: 11, size: 100 });
    const b = gen({ seed: 11, size: 100 });
    const c = gen({ seed: 12, size: 100 });
    expect(b.x).toEqual(a.x);
    expect(b.y).toEqual(a.y);
    expect(c.x).not.toEqual(a.x);
  }
});

test('a spiral is learnable: a small dense net reaches > 0.9 accuracy on the cpu backend', async () => {
  const d = spiral({ size: 600, arms: 3, noise: 0.1, seed: 7 });
  const xs = tf.tensor2d(d.x, [600, 2]);
  const ys = tf.tensor2d(d.y, [600, 3]);
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [2], units: 64, activation: 'relu' }),
      tf.layers.dense({ units: 64, activation: 'relu' }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.02), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const h = await model.fit(xs, ys, { epochs: 25, batchSize: 32, shuffle: true, verbose: 0 });
  const acc = h.history.acc as number[];
  expect(acc[0]).toBeLessThan(0.8); // it starts near chance: the spiral is not trivially separable
  const [, evalAcc] = model.evaluate(xs, ys) as tf.Scalar[];
  expect(evalAcc.dataSync()[0]).toBeGreaterThan(0.9);
  tf.dispose([xs, ys, evalAcc]);
  model.dispose();
});
