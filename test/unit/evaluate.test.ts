import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EVAL_FILE, parseEvalReport, type ClassificationEval, type RegressionEval, type AutoencoderEval } from '../../src/protocol/evalReport';
import { loadMnist, type MnistData } from '../../src/trainer/data/mnist';
import { disposeEvalData, evaluateModel, histogram, validationTail, writeEvalReport } from '../../src/trainer/evaluate';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { setTrainerLocale } from '../../src/trainer/messages';

let mnist: MnistData;
let model: tf.LayersModel;
const N = 400;
const SPLIT = 0.25; // last 100 digits held out

beforeAll(async () => {
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
  mnist = loadMnist(tf, { limit: N });
  model = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 32, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(mnist.xs, mnist.ys, { epochs: 3, batchSize: 32, validationSplit: SPLIT, verbose: 0 });
});

afterAll(() => {
  tf.dispose([mnist.xs, mnist.ys]);
  model.dispose();
});

/** argmax of the model's predictions on the held-out digits, computed directly. */
function handPredictions(): number[] {
  return tf.tidy(() => Array.from((model.predict(mnist.xs.slice(N * (1 - SPLIT))) as tf.Tensor).argMax(-1).dataSync()));
}

describe('evaluateModel: classifier on real MNIST', () => {
  test('confusion matrix equals a hand count of argmax(pred) vs labels; per-class scores follow from it; no tensor leaks', async () => {
    const before = tf.memory().numTensors;
    const val = validationTail(tf, { xs: mnist.xs, ys: mnist.ys }, SPLIT)!;
    // A batch size that does not divide 100, so the last batch is short.
    const report = await evaluateModel(tf, model, val, { batchSize: 32 });
    disposeEvalData(val);
    expect(tf.memory().numTensors).toBe(before);

    expect(report.count).toBe(100);
    expect(report.data).toBe('the last 25% (100 samples) held out by validationSplit');
    // The panel shows this line as the evaluation's data: in the trainer's language.
    setTrainerLocale('zh-cn');
    try {
      const zh = validationTail(tf, { xs: mnist.xs, ys: mnist.ys }, SPLIT)!;
      expect(zh.description).toBe('validationSplit 留出的最后 25%（100 个样本）');
      disposeEvalData(zh);
    } finally {
      setTrainerLocale('en');
    }
    const out = report.outputs[0] as ClassificationEval;
    expect(out.kind).toBe('classification');
    expect(out.labels).toBe('onehot');

    const predicted = handPredictions();
    const labels = Array.from(mnist.labels.slice(N * (1 - SPLIT)));
    const hand = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
    labels.forEach((t, i) => hand[t][predicted[i]]++);
    expect(out.confusion).toEqual(hand);
    const correct = labels.filter((t, i) => t === predicted[i]).length;
    expect(out.accuracy).toBeCloseTo(correct / 100, 10);
    // Trained for 3 epochs on 300 digits: far better than chance, so the matrix is not trivial.
    expect(out.accuracy).toBeGreaterThan(0.5);

    for (let c = 0; c < 10; c++) {
      const tp = hand[c][c];
      const support = hand[c].reduce((a, b) => a + b, 0);
      const predictedAs = hand.reduce((a, row) => a + row[c], 0);
      const m = out.perClass[c];
      expect(m.support).toBe(support);
      expect(m.precision).toBe(predictedAs ? tp / predictedAs : null);
      expect(m.recall).toBe(support ? tp / support : null);
      if (m.precision !== null && m.recall !== null && m.precision + m.recall > 0)
        expect(m.f1).toBeCloseTo((2 * m.precision * m.recall) / (m.precision + m.recall), 12);
    }

    // Samples: 12, each a drawable 28x28 gray image, label and prediction matching the hand count.
    expect(out.samples).toHaveLength(12);
    const wrong = labels.map((t, i) => (t !== predicted[i] ? i : -1)).filter((i) => i >= 0);
    // A third of the samples are mistakes on purpose (more when evenly spaced picks are wrong too).
    expect(out.samples.filter((s) => s.label !== s.predicted).length).toBeGreaterThanOrEqual(Math.min(4, wrong.length));
    for (const s of out.samples) {
      expect(s.label).toBe(labels[s.index]);
      expect(s.predicted).toBe(predicted[s.index]);
      expect(s.top.map((t) => t.class)[0]).toBe(predicted[s.index]);
      expect(s.top).toHaveLength(3);
      expect(s.top[0].probability).toBeGreaterThanOrEqual(s.top[1].probability);
      expect(s.input).toMatchObject({ kind: 'image', width: 28, height: 28, channels: 1 });
      if (s.input.kind !== 'image') throw new Error('not an image');
      expect(s.input.pixels).toHaveLength(784);
      // MNIST pixels are 0–1: drawn as 0–255 integers of the same image.
      const raw = tf.tidy(() => Array.from(mnist.xs.slice(N * (1 - SPLIT) + s.index, 1).dataSync()));
      expect(s.input.pixels).toEqual(raw.map((v) => Math.round(v * 255)));
    }

    // eval.json round-trips through the protocol's reader.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-eval-'));
    writeEvalReport(dir, report);
    expect(parseEvalReport(JSON.parse(fs.readFileSync(path.join(dir, EVAL_FILE), 'utf8')))).toEqual(report);
    fs.rmSync(dir, { recursive: true });
  });

  test('sparse labels give the same confusion matrix as one-hot', async () => {
    const from = N * (1 - SPLIT);
    const xs = mnist.xs.slice(from);
    const ys = tf.tensor1d(Array.from(mnist.labels.slice(from)), 'int32');
    const report = await evaluateModel(tf, model, { xs, ys, description: 'sparse' }, { batchSize: 64 });
    tf.dispose([xs, ys]);
    const out = report.outputs[0] as ClassificationEval;
    expect(out.labels).toBe('sparse');
    const hand = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
    const predicted = handPredictions();
    Array.from(mnist.labels.slice(from)).forEach((t, i) => hand[t][predicted[i]]++);
    expect(out.confusion).toEqual(hand);
  });
});

describe('evaluateModel: regression and autoencoder', () => {
  test('MAE, RMSE and R² on known numbers', async () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1 })] });
    m.setWeights([tf.tensor2d([[2]]), tf.tensor1d([0])]);
    const xs = tf.tensor2d([[1], [2], [3], [4]]);
    const ys = tf.tensor2d([[2], [4], [6], [9]]); // predictions 2,4,6,8: errors 0,0,0,-1
    const before = tf.memory().numTensors;
    const report = await evaluateModel(tf, m, { xs, ys, description: 'four points' }, { batchSize: 3 });
    expect(tf.memory().numTensors).toBe(before);
    const out = report.outputs[0] as RegressionEval;
    expect(out.kind).toBe('regression');
    expect(out.mae).toBeCloseTo(0.25, 6);
    expect(out.rmse).toBeCloseTo(0.5, 6);
    // mean 5.25, SStot = 3.25² + 1.25² + 0.75² + 3.75² = 26.75, SSres = 1
    expect(out.r2).toBeCloseTo(1 - 1 / 26.75, 6);
    expect(out.errorHistogram.counts.reduce((a, b) => a + b, 0)).toBe(4);
    expect(out.errorHistogram.counts[0]).toBe(1); // the -1 error is alone in the lowest bin
    expect(out.samples.map((s) => [s.target[0], s.predicted[0]])).toEqual([[2, 2], [4, 4], [6, 6], [9, 8]]);
    expect(out.samples[0].input).toEqual({ kind: 'vector', values: [1], length: 1 });
    tf.dispose([xs, ys]);
    m.dispose();
  });

  test('an output shaped like its input, trained on ys = xs, is judged as an autoencoder', async () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 3, useBias: false })] });
    m.setWeights([tf.tensor2d([[1, 0, 0], [0, 1, 0], [0, 0, 0.5]])]); // halves the last value
    const xs = tf.tensor2d([[1, 2, 2], [0, 0, 4], [3, 3, 0]]);
    const report = await evaluateModel(tf, m, { xs, ys: xs, description: 'three' });
    const out = report.outputs[0] as AutoencoderEval;
    expect(out.kind).toBe('autoencoder');
    // per-sample MSE: (1²)/3, (2²)/3, 0
    expect(out.meanError).toBeCloseTo((1 / 3 + 4 / 3 + 0) / 3, 6);
    expect(out.samples.map((s) => s.error)).toEqual([expect.closeTo(1 / 3, 6), expect.closeTo(4 / 3, 6), 0]);
    expect(out.samples[1].reconstruction).toEqual({ kind: 'vector', values: [0, 0, 2], length: 3 });
    xs.dispose();
    m.dispose();
  });

  test('histogram bins cover min to max and count every finite value', () => {
    const h = histogram([0, 1, 2, 3, 4, NaN], 4);
    expect(h.edges).toEqual([0, 1, 2, 3, 4]);
    expect(h.counts).toEqual([1, 1, 1, 2]);
  });
});
