import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadModel, saveModel } from '../../src/trainer/fsModelIo';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';

let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-io-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function smallModel(): tf.LayersModel {
  const m = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [3], units: 4, activation: 'relu' }), tf.layers.dense({ units: 2, activation: 'softmax' })],
  });
  m.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

test('saves model.json + weights.bin, reloads with the same predictions, and keeps training', async () => {
  const x = tf.tensor2d([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]]);
  const y = tf.tensor2d([[1, 0], [0, 1], [1, 0], [0, 1]]);
  const model = smallModel();
  await model.fit(x, y, { epochs: 3, verbose: 0 });
  const target = path.join(dir, 'run', 'model');
  const tensorsBefore = tf.memory().numTensors;
  await saveModel(tf, model, target, { includeOptimizer: true });
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  expect(fs.readdirSync(target).sort()).toEqual(['model.json', 'weights.bin']);

  const loaded = await loadModel(tf, path.join(target, 'model.json'));
  const [p1, p2] = tf.tidy(() => [(model.predict(x) as tf.Tensor).arraySync(), (loaded.predict(x) as tf.Tensor).arraySync()]);
  expect(p2).toEqual(p1);
  // the optimizer state came along, so the reloaded model is compiled and trains on
  const h = await loaded.fit(x, y, { epochs: 1, verbose: 0 });
  expect(Number.isFinite(h.history.loss[0] as number)).toBe(true);
  tf.dispose([x, y]);
  model.dispose();
  loaded.dispose();
});

test('saving over an existing model replaces it whole and leaves no temp folders', async () => {
  const target = path.join(dir, 'over', 'model');
  const a = smallModel();
  await saveModel(tf, a, target);
  const b = smallModel();
  b.layers[0].setWeights([tf.fill([3, 4], 0.5), tf.fill([4], 0.25)]);
  await saveModel(tf, b, target);
  expect(fs.readdirSync(path.dirname(target))).toEqual(['model']);
  const loaded = await loadModel(tf, target);
  const [kernel, bias] = loaded.layers[0].getWeights().map((w) => Array.from(w.dataSync()));
  expect(kernel).toEqual(new Array(12).fill(0.5));
  expect(bias).toEqual(new Array(4).fill(0.25));
  a.dispose();
  b.dispose();
  loaded.dispose();
});
