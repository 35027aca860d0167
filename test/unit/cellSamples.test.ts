// Clicking a confusion-matrix cell shows its samples: eval.json keeps up to CELL_SAMPLES of every
// cell (bounded in all), each with the true and predicted class of that cell, checked against a
// hand count of the model's own predictions; a regressor keeps its forecast against actual values.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseEvalReport, type ClassificationEval, type RegressionEval } from '../../src/protocol/evalReport';
import { loadMnist, type MnistData } from '../../src/trainer/data/mnist';
import { CELL_SAMPLES, disposeEvalData, evaluateModel, MAX_CELL_SAMPLES, SERIES_POINTS, validationTail } from '../../src/trainer/evaluate';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { samplesOfCell, validCell } from '../../webview-ui/src/evalModel';

let mnist: MnistData;
let model: tf.LayersModel;
const N = 300;

beforeAll(async () => {
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
  mnist = loadMnist(tf, { limit: N });
  model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  await model.fit(mnist.xs, mnist.ys, { epochs: 1, batchSize: 32, verbose: 0 });
});
afterAll(() => {
  tf.dispose([mnist.xs, mnist.ys]);
  model.dispose();
});

describe('samples per confusion-matrix cell', () => {
  test('every cell with samples has min(count, CELL_SAMPLES) of them, each of that cell', async () => {
    const val = validationTail(tf, { xs: mnist.xs, ys: mnist.ys }, 0.5)!;
    const report = parseEvalReport(JSON.parse(JSON.stringify(await evaluateModel(tf, model, val))))!;
    disposeEvalData(val);
    const o = report.outputs[0] as ClassificationEval;
    expect(o.cellSampleLimit).toBe(CELL_SAMPLES);
    // The model's own predictions for the held-out half, counted by hand.
    const predicted = tf.tidy(() => Array.from((model.predict(mnist.xs.slice(N / 2)) as tf.Tensor).argMax(-1).dataSync()));
    const labels = Array.from(mnist.labels.slice(N / 2));
    let kept = 0;
    for (let t = 0; t < 10; t++)
      for (let p = 0; p < 10; p++) {
        const cell = samplesOfCell(o, t, p);
        const hand = labels.map((l, i) => [l, predicted[i], i]).filter(([l, q]) => l === t && q === p).map(([, , i]) => i);
        expect(cell.count).toBe(hand.length);
        expect(cell.samples.length).toBeGreaterThanOrEqual(Math.min(hand.length, CELL_SAMPLES));
        for (const s of cell.samples) expect(hand).toContain(s.index);
        kept += cell.samples.length;
      }
    // Gallery and cell samples together: bounded.
    expect(o.samples.length + (o.cellSamples?.length ?? 0)).toBeLessThanOrEqual(12 + MAX_CELL_SAMPLES);
    expect(kept).toBe(new Set([...o.samples, ...(o.cellSamples ?? [])].map((s) => s.index)).size);
  });

  test('a report without cell samples (written before they existed) still gives the gallery’s', () => {
    const o = {
      kind: 'classification', output: 'y', labels: 'sparse', classNames: ['a', 'b'], accuracy: 0.5, confusion: [[1, 1], [0, 2]],
      perClass: [], macro: { precision: null, recall: null, f1: null },
      samples: [{ index: 4, input: { kind: 'vector', values: [1], length: 1 }, label: 0, predicted: 1, top: [] }],
    } as unknown as ClassificationEval;
    expect(samplesOfCell(o, 0, 1)).toEqual({ samples: o.samples, count: 1 });
    expect(samplesOfCell(o, 1, 1)).toEqual({ samples: [], count: 2 });
  });

  test('a restored choice must name a real cell', () => {
    const outputs = [{ kind: 'classification', classNames: ['a', 'b'] }];
    expect(validCell({ output: 0, label: 1, predicted: 0 }, outputs)).toEqual({ output: 0, label: 1, predicted: 0 });
    expect(validCell({ output: 0, label: 2, predicted: 0 }, outputs)).toBeUndefined();
    expect(validCell({ output: 1, label: 0, predicted: 0 }, outputs)).toBeUndefined();
    expect(validCell({ output: 0, label: -1, predicted: 0 }, outputs)).toBeUndefined();
    expect(validCell('x', outputs)).toBeUndefined();
  });
});

describe('forecast vs actual', () => {
  test('a regressor keeps its first target and prediction in data order', async () => {
    const n = SERIES_POINTS + 50;
    const xs = tf.tensor2d(Array.from({ length: n }, (_, i) => [Math.sin(i / 10), Math.cos(i / 10)]));
    const ys = tf.tensor2d(Array.from({ length: n }, (_, i) => [Math.sin((i + 1) / 10)]));
    const reg = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });
    reg.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const report = await evaluateModel(tf, reg, { xs, ys, description: 'series' });
    const o = report.outputs[0] as RegressionEval;
    const want = tf.tidy(() => Array.from((reg.predict(xs) as tf.Tensor).dataSync()));
    expect(o.series!.target).toHaveLength(SERIES_POINTS);
    o.series!.target.forEach((v, i) => expect(v).toBeCloseTo(Math.sin((i + 1) / 10), 6));
    o.series!.predicted.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    tf.dispose([xs, ys]);
    reg.dispose();
  });
});
