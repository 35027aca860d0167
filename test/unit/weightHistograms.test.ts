// Weight histograms: the binning against a count written out here, the lines a real run records in
// histograms.jsonl (one per epoch, one histogram per weight, counts adding up to the weight's size),
// reading them back, and the strips the panel draws from them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HISTOGRAMS_FILE, parseHistogramLines } from '../../src/protocol/runFolder';
import { WEIGHT_HISTOGRAM_BINS, type HistogramLine, type TrainerToHost } from '../../src/protocol/trainer';
import { runTraining, silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { histogramOf, weightHistograms } from '../../src/trainer/weightHistograms';
import { runViewFromStore } from '../../src/training/runViewFromStore';
import { histogramStrips, stripCells } from '../../webview-ui/src/histogramModel';

/** Bin of x by brute force: the i whose [lo_i, hi_i) holds it, the last closed. */
function bruteBins(values: number[], bins: number): number[] {
  const finite = values.filter(Number.isFinite);
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const counts = new Array(bins).fill(0);
  for (const x of finite) {
    let found = bins - 1;
    for (let i = 0; i < bins; i++) {
      const lo = min + ((max - min) * i) / bins;
      const hi = min + ((max - min) * (i + 1)) / bins;
      if (x >= lo && x < hi) {
        found = i;
        break;
      }
    }
    counts[found]++;
  }
  return counts;
}

describe('histogramOf', () => {
  test('equal bins from min to max, the max in the last bin, matching a brute-force count', () => {
    const values = [-1, -0.5, 0, 0.25, 0.3, 0.99, 1, 1, 2];
    const h = histogramOf(values, 6);
    expect([h.min, h.max]).toEqual([-1, 2]);
    expect(h.counts).toEqual(bruteBins(values, 6));
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(values.length);
    expect(h.counts[5]).toBeGreaterThan(0);
  });

  test('random values, 30 bins: same as brute force', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const values = Array.from({ length: 5000 }, rand);
    expect(histogramOf(Float32Array.from(values)).counts).toEqual(bruteBins(Array.from(Float32Array.from(values)), 30));
  });

  test('NaN and Infinity are counted apart; all-equal values sit in bin 0; nothing finite gives an empty histogram', () => {
    const h = histogramOf([1, Number.NaN, 3, Number.POSITIVE_INFINITY], 4);
    expect(h).toMatchObject({ min: 1, max: 3, nonFinite: 2 });
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(2);
    expect(histogramOf([0.5, 0.5, 0.5], 3)).toEqual({ min: 0.5, max: 0.5, counts: [3, 0, 0] });
    expect(histogramOf([Number.NaN], 2)).toEqual({ min: 0, max: 0, counts: [0, 0], nonFinite: 1 });
  });

  test('a real model: one histogram per weight, counts adding up to its size', () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 4 }), tf.layers.dense({ units: 2 })] });
    const line = weightHistograms(model, 0, 123);
    expect(line.weights.map((w) => w.shape)).toEqual([[3, 4], [4], [4, 2], [2]]);
    for (const w of line.weights) {
      expect(w.counts).toHaveLength(WEIGHT_HISTOGRAM_BINS);
      expect(w.counts.reduce((a, b) => a + b, 0)).toBe(w.shape.reduce((a, b) => a * b, 1));
    }
    // Biases start at zero: one value range, all in bin 0.
    expect(line.weights[1]).toMatchObject({ min: 0, max: 0 });
    model.dispose();
  });
});

describe('a run records histograms.jsonl', () => {
  let runsDir: string;
  beforeAll(async () => {
    runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-hist-'));
    await tf.setBackend('cpu');
    silenceTfjsNodeBanner(tf);
  });
  afterAll(() => fs.rmSync(runsDir, { recursive: true, force: true }));

  test('one line per epoch, streamed as `histograms` after each `epoch`, read back into the run view', async () => {
    const messages: TrainerToHost[] = [];
    const file = path.resolve(__dirname, '../fixtures/trainer/tiny.model.ts');
    await runTraining(tf, { name: 'cpu', reason: 'unit test' }, { modelFile: file, runsDir, backend: 'cpu', overrides: { epochs: 3 } }, (m) => messages.push(m), { stopRequested: () => false });
    const end = messages.at(-1);
    if (end?.type !== 'end' || !end.runDir) throw new Error('no end');
    const lines = parseHistogramLines(fs.readFileSync(path.join(end.runDir, HISTOGRAMS_FILE), 'utf8'));
    expect(lines.map((l) => l.epoch)).toEqual([0, 1, 2]);
    // flatten has none; two dense layers have a kernel and a bias each.
    expect(lines[0].weights.map((w) => w.shape)).toEqual([[784, 16], [16], [16, 10], [10]]);
    // Named as the layers table names their layers (`dense_1/kernel`, not tfjs's `dense_Dense1/kernel`).
    for (const w of lines[0].weights) expect(w.name).toMatch(/^dense_\d+\/(kernel|bias)$/);
    expect(new Set(lines[0].weights.map((w) => w.name.split('/')[0])).size).toBe(2);
    for (const l of lines) for (const w of l.weights) expect(w.counts.reduce((a, b) => a + b, 0)).toBe(w.shape.reduce((a, b) => a * b, 1));
    // Training moves the weights: the first kernel's distribution is not the same after three epochs.
    expect(lines[2].weights[0]).not.toEqual(lines[0].weights[0]);
    const types = messages.map((m) => m.type).filter((t) => t === 'epoch' || t === 'histograms');
    expect(types).toEqual(['epoch', 'histograms', 'epoch', 'histograms', 'epoch', 'histograms']);
    const sent = messages.filter((m): m is Extract<TrainerToHost, { type: 'histograms' }> => m.type === 'histograms').map((m) => m.line);
    expect(JSON.parse(JSON.stringify(sent))).toEqual(lines);
    expect(runViewFromStore(end.runDir).histograms).toEqual(lines);
  });

  test('a line cut short by a kill is skipped', () => {
    const good = { epoch: 0, time: 1, weights: [{ name: 'k', shape: [2], min: 0, max: 1, counts: [1, 1] }] };
    expect(parseHistogramLines(`${JSON.stringify(good)}\n{"epoch":1,"time":2,"weig`)).toEqual([good]);
    expect(parseHistogramLines(JSON.stringify({ ...good, weights: [{ ...good.weights[0], min: 2, max: 1 }] }))).toEqual([]);
  });
});

describe('the strips the panel draws', () => {
  const line = (epoch: number, min: number, max: number, counts: number[]): HistogramLine => ({ epoch, time: epoch, weights: [{ name: 'dense/kernel', shape: [2, 3], min, max, counts }] });

  test('rows per epoch on the weight’s range over all epochs, every cell inside the strip', () => {
    const [s] = histogramStrips([line(0, -1, 1, [1, 2, 3]), line(1, -2, 2, [3, 0, 3])]);
    expect([s.min, s.max, s.rows.length, s.size]).toEqual([-2, 2, 2, 6]);
    const cells = stripCells(s, 300, 10);
    // Empty bins are not drawn; the first row's bins cover [-1, 1], the middle half of the axis.
    expect(cells.map((c) => [c.row, c.bin, c.count])).toEqual([[0, 0, 1], [0, 1, 2], [0, 2, 3], [1, 0, 3], [1, 2, 3]]);
    expect(cells[0].x).toBeCloseTo(75);
    expect(cells[2].x + cells[2].w).toBeCloseTo(225);
    for (const c of cells) {
      expect(c.x).toBeGreaterThanOrEqual(0);
      expect(c.x + c.w).toBeLessThanOrEqual(300 + 1e-9);
      expect(c.y).toBe(c.row * 10);
    }
    expect(cells[2].intensity).toBe(1);
  });
});
