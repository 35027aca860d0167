// The built-in datasets the templates train on: CO2 windows, names for generation and for gender
// classification, and MNIST as its own target for autoencoders, checked on the real data.
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { builtinDataFile, CO2_FILE, CO2_WINDOW, loadCo2, parseCo2Csv } from '../../src/trainer/data/builtins/co2';
import { loadMnistAutoencoder, MNIST_NOISE_STD } from '../../src/trainer/data/builtins/mnistAutoencoder';
import { encodeName, loadNames, loadNamesGender, NAME_VOCAB, NAMES_GENDER_LENGTH, NAMES_WINDOW, nameWindows, readNameLists } from '../../src/trainer/data/builtins/names';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';

beforeAll(async () => {
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});

describe('co2', () => {
  test('missing months are interpolated so every step is one month', () => {
    const s = parseCo2Csv('Date,CO2,adjusted CO2\n1958-03-01,315.70,1\n1958-04-01,317.00,1\n1958-07-01,320.00,1\n');
    expect(s.start).toBe('1958-03');
    expect(s.filled).toBe(2);
    expect(Array.from(s.ppm)).toEqual([315.7, 317, 318, 319, 320].map((v) => Math.fround(v)));
    expect(() => parseCo2Csv('Date,CO2\n1958-04-01,1\n1958-03-01,2\n')).toThrow(/not in increasing order/);
    expect(() => parseCo2Csv('Day,ppm\n')).toThrow(/Date and CO2/);
  });

  test('windows of 12 months predict the 13th, in time order, scaled by the training part', () => {
    const series = parseCo2Csv(fs.readFileSync(builtinDataFile(CO2_FILE), 'utf8'));
    const d = loadCo2(tf);
    try {
      expect(d.xs.shape).toEqual([d.count, CO2_WINDOW, 1]);
      expect(d.ys.shape).toEqual([d.count, 1]);
      expect(d.count).toBe(series.ppm.length - CO2_WINDOW);
      const { shift, divisor } = d.stats.series;
      const x = d.xs.arraySync() as number[][][];
      const y = d.ys.arraySync() as number[][];
      const unscale = (v: number) => v * divisor + shift;
      // Sample k covers months k..k+11 and its target is month k+12, for the first and the last.
      for (const k of [0, d.count - 1]) {
        expect(unscale(x[k][0][0])).toBeCloseTo(series.ppm[k], 3);
        expect(unscale(y[k][0])).toBeCloseTo(series.ppm[k + CO2_WINDOW], 3);
      }
      // Time order: the next sample's window is this one shifted by a month.
      expect(x[1][0][0]).toBeCloseTo(x[0][1][0], 5);
      // Scale from the older 80%: the most recent months lie above everything it saw.
      expect(y[d.count - 1][0]).toBeGreaterThan(2);
      expect(d.validationCount).toBeGreaterThan(0.19 * d.count);
      expect(d.validationCount).toBeLessThan(0.21 * d.count);
    } finally {
      tf.dispose([d.xs, d.ys]);
    }
  });

  test('limit keeps the oldest windows', () => {
    const d = loadCo2(tf, { limit: 50 });
    expect(d.xs.shape).toEqual([50, CO2_WINDOW, 1]);
    expect(d.validationCount).toBe(0);
    tf.dispose([d.xs, d.ys]);
  });
});

describe('names', () => {
  test('next-character windows start from "." padding and end with "."', () => {
    const w = nameWindows(['ada'], 3);
    const ids = (s: string) => [...s].map((c) => NAME_VOCAB.indexOf(c));
    expect(w.count).toBe(4);
    expect(Array.from(w.x)).toEqual([...ids('...'), ...ids('..a'), ...ids('.ad'), ...ids('ada')]);
    expect(Array.from(w.y)).toEqual(ids('ada.'));
  });

  test('the real lists: one vocabulary covers every name', () => {
    const { female, male } = readNameLists();
    expect(female.length).toBeGreaterThan(4000);
    expect(male.length).toBeGreaterThan(2500);
    for (const n of [...female, ...male]) for (const c of n) expect(NAME_VOCAB).toContain(c);
    expect(Math.max(...[...female, ...male].map((n) => n.length))).toBeLessThanOrEqual(NAMES_GENDER_LENGTH);
  });

  test("'names': ids in, one-hot next character out, every row a real window", () => {
    const d = loadNames(tf, { limit: 500 });
    expect(d.xs.shape).toEqual([500, NAMES_WINDOW]);
    expect(d.ys.shape).toEqual([500, NAME_VOCAB.length]);
    const x = d.xs.arraySync() as number[][];
    const y = (d.ys.argMax(-1).arraySync() as number[]);
    expect(tf.sum(d.ys).arraySync()).toBe(500);
    // The target of row k is the last id of row k+1's window, unless row k ended a name ('.').
    for (let k = 0; k < 499; k++) if (y[k] !== 0) expect(x[k + 1][NAMES_WINDOW - 1]).toBe(y[k]);
    tf.dispose([d.xs, d.ys]);
  });

  test("'names-gender': left-padded ids and 1 = female, names in both lists left out", () => {
    expect(encodeName('Ada', 5)).toEqual([0, 0, ...[...'ada'].map((c) => NAME_VOCAB.indexOf(c))]);
    const { female, male } = readNameLists();
    const d = loadNamesGender(tf);
    const y = d.ys.dataSync();
    const both = female.filter((n) => male.includes(n));
    expect(both.length).toBeGreaterThan(0);
    expect(d.count).toBe(female.length + male.length - 2 * both.length);
    d.names.forEach((n, i) => {
      expect(both).not.toContain(n);
      expect(y[i]).toBe(female.includes(n) ? 1 : 0);
    });
    const x = d.xs.arraySync() as number[][];
    const i = d.names.findIndex((n) => n.length === 4);
    expect(x[i].slice(0, NAMES_GENDER_LENGTH - 4)).toEqual(new Array(NAMES_GENDER_LENGTH - 4).fill(0));
    expect(x[i].slice(-4)).toEqual(encodeName(d.names[i], 4));
    tf.dispose([d.xs, d.ys]);
  });
});

describe('mnist for autoencoders', () => {
  test('targets are the inputs; denoising inputs are noisy, clipped to 0–1, targets clean', () => {
    const plain = loadMnistAutoencoder(tf, { limit: 20 });
    const noisy = loadMnistAutoencoder(tf, { limit: 20, noise: MNIST_NOISE_STD });
    expect(plain.xs.shape).toEqual([20, 28, 28, 1]);
    expect(tf.max(tf.abs(tf.sub(plain.xs, plain.ys))).arraySync()).toBe(0);
    // Same images as targets in both (same seeded order)...
    expect(tf.max(tf.abs(tf.sub(noisy.ys, plain.ys))).arraySync()).toBe(0);
    // ...and inputs that differ by noise of about the asked std, inside the pixel range.
    const diff = tf.sub(noisy.xs, noisy.ys);
    expect(tf.min(noisy.xs).arraySync()).toBeGreaterThanOrEqual(0);
    expect(tf.max(noisy.xs).arraySync()).toBeLessThanOrEqual(1);
    const rms = Math.sqrt(tf.mean(tf.square(diff)).arraySync() as number);
    expect(rms).toBeGreaterThan(0.1);
    expect(rms).toBeLessThan(MNIST_NOISE_STD);
    tf.dispose([plain.xs, plain.ys, noisy.xs, noisy.ys, diff]);
  });
});
