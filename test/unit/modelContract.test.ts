import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  compileIfNeeded,
  disposeTrainingData,
  fitWithData,
  loadModelContract,
  prepareData,
  type TrainingData,
} from '../../src/trainer/modelContract';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';

const fixtures = path.resolve(__dirname, '../fixtures/contract');
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-contract-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes a model file into the temp folder and returns its path. */
function modelFile(name: string, source: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `import * as tf from '@tensorflow/tfjs';\n${source}\n`);
  return file;
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a failure');
}

const LINEAR = `
export function loadData() {
  const xs = tf.tensor2d([[0], [1], [2], [3], [4], [5], [6], [7]]);
  return { xs, ys: tf.tidy(() => xs.mul(2).add(1)) };
}
export const createModel = () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1 })] });
`;

describe('model file contract', () => {
  test('a functional model with two named inputs and two outputs is compiled from the labels and trains', async () => {
    const c = await loadModelContract(tf, path.join(fixtures, 'twoHeads.model.ts'));
    expect(c.hasLoadData).toBe(true);
    const model = await c.createModel();
    const data = (await c.loadData())!;
    const note = await compileIfNeeded(tf, model, c.config, data, c.file);
    expect(note).toContain('"cls":"categoricalCrossentropy"');
    expect(note).toContain('"reg":"meanSquaredError"');
    expect(note).toContain('adam (learning rate 0.01)');
    const { data: ready } = await prepareData(tf, model, data, { batchSize: 8, source: 'loadData()', file: c.file });
    const h = await fitWithData(model, ready, { epochs: 2, batchSize: 8, validationSplit: 0.25, shuffle: true });
    for (const k of ['loss', 'cls_loss', 'reg_loss', 'cls_acc', 'val_loss', 'val_cls_acc']) {
      expect(h.history[k], k).toHaveLength(2);
      expect(Number.isFinite(h.history[k][1] as number)).toBe(true);
    }
    disposeTrainingData(tf, data);
    model.dispose();
  });

  test('an uncompiled model is compiled from config: optimizer by name, learningRate, loss, metrics', async () => {
    const file = modelFile('sgd.model.ts', `export const config = { optimizer: 'sgd', learningRate: 0.02, loss: 'meanAbsoluteError', metrics: ['mse'] };${LINEAR}`);
    const c = await loadModelContract(tf, file);
    const model = await c.createModel();
    const data = (await c.loadData())!;
    await compileIfNeeded(tf, model, c.config, data, file);
    expect(model.optimizer.getClassName()).toBe('SGD');
    expect((model.optimizer as unknown as { learningRate: number }).learningRate).toBe(0.02);
    expect(model.loss).toBe('meanAbsoluteError');
    const h = await fitWithData(model, data, { epochs: 3, batchSize: 8, validationSplit: 0, shuffle: false });
    expect(Object.keys(h.history).sort()).toEqual(['loss', 'mse']);
    // Plain SGD on a linear fit: the loss goes down epoch after epoch.
    const loss = h.history.loss as number[];
    expect(loss[2]).toBeLessThan(loss[0]);
    disposeTrainingData(tf, data);
    model.dispose();
  });

  test('loadData tensors with their own validation set train with it', async () => {
    const file = modelFile(
      'valdata.model.ts',
      `export function loadData() {
  const xs = tf.tensor2d([[0], [1], [2], [3]]);
  return { xs, ys: xs.mul(2), validation: { xs: tf.tensor2d([[5], [6]]), ys: tf.tensor2d([[10], [12]]) } };
}
export const createModel = () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1 })] });`,
    );
    const c = await loadModelContract(tf, file);
    const model = await c.createModel();
    const data = (await c.loadData())!;
    expect(data.kind).toBe('tensors');
    expect(await compileIfNeeded(tf, model, c.config, data, file)).toContain('meanSquaredError (inferred from the labels)');
    const h = await fitWithData(model, data, { epochs: 1, batchSize: 2, validationSplit: 0, shuffle: false });
    // val_loss is the model's loss on exactly the 2 validation samples.
    const check = tf.tidy(() => tf.losses.meanSquaredError(tf.tensor2d([[10], [12]]), model.predict(tf.tensor2d([[5], [6]])) as tf.Tensor).dataSync()[0]);
    // Equal within float32 rounding, relative to the loss's size (the weights are random, so it can be large).
    expect(Math.abs((h.history.val_loss[0] as number) - check)).toBeLessThan(1e-6 * Math.max(1, Math.abs(check)));
    disposeTrainingData(tf, data);
    model.dispose();
  });

  test('loadData returning an unbatched tf.data.Dataset with sparse labels trains with fitDataset', async () => {
    const file = modelFile(
      'dataset.model.ts',
      `export const config = { batchSize: 4 };
export function loadData() {
  const xs = tf.data.array(Array.from({ length: 12 }, (_, i) => [i % 3, 1]));
  const ys = tf.data.array(Array.from({ length: 12 }, (_, i) => i % 3));
  return tf.data.zip({ xs, ys });
}
export const createModel = () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 3, activation: 'softmax' })] });`,
    );
    const c = await loadModelContract(tf, file);
    const before = tf.memory().numTensors;
    const model = await c.createModel();
    const raw = (await c.loadData()) as TrainingData;
    expect(raw.kind).toBe('dataset');
    const { data, note } = await prepareData(tf, model, raw, { batchSize: 4, source: 'loadData()', file });
    expect(note).toContain('batched them by 4');
    expect(await compileIfNeeded(tf, model, c.config, data, file)).toContain('sparseCategoricalCrossentropy');
    const batches: number[] = [];
    const h = await fitWithData(model, data, {
      epochs: 2, batchSize: 4, validationSplit: 0, shuffle: false,
      callbacks: { onBatchEnd: async (b) => { batches.push(b); } },
    });
    expect(batches).toEqual([0, 1, 2, 0, 1, 2]);
    expect(h.history.acc).toHaveLength(2);
    // The optimizer made from config.optimizer is the caller's to dispose, as runTraining does.
    const optimizer = model.optimizer;
    model.dispose();
    optimizer.dispose();
    // Peeking at the dataset (shape check, loss inference) left no tensors behind.
    expect(tf.memory().numTensors).toBe(before);
  });

  test('exports of the wrong type name the export and what was found', async () => {
    expect(await failure(loadModelContract(tf, modelFile('num.model.ts', 'export const createModel = 42;'))))
      .toBe('num.model.ts: createModel is a number (42), not a function that builds and returns a tf.LayersModel');
    expect(await failure(loadModelContract(tf, modelFile('inst.model.ts', `export default tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1 })] });`))))
      .toMatch(/^inst\.model\.ts: default export is a tf\.Sequential model instance, not a function that builds and returns a tf\.LayersModel/);
    expect(await failure(loadModelContract(tf, modelFile('cls.model.ts', 'export class Net {}\nexport { Net as createModel };'))))
      .toBe('cls.model.ts: createModel is class Net, not a function that builds and returns a tf.LayersModel');
    expect(await failure(loadModelContract(tf, modelFile('none.model.ts', 'export const model = 1;'))))
      .toBe('none.model.ts does not export a createModel() function or a default export (found: model)');
    const c = await loadModelContract(tf, modelFile('returns.model.ts', 'export async function createModel() { return 7; }'));
    expect(await failure(c.createModel())).toBe('createModel() in returns.model.ts returned a number (7), not a tf.LayersModel (tf.sequential() or tf.model())');
    expect(await failure(loadModelContract(tf, modelFile('ld.model.ts', `export const loadData = [1, 2];${LINEAR.replace(/export function loadData[\s\S]*?\n}\n/, '')}`))))
      .toBe('ld.model.ts: loadData is an array of numbers, not a function returning {xs, ys} tensors or a tf.data.Dataset');
    const bad = await loadModelContract(tf, modelFile('badData.model.ts', `export const loadData = () => ({ xs: [[1], [2]], ys: [[1], [2]] });\nexport const createModel = () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1 })] });`));
    expect(await failure(bad.loadData())).toBe('badData.model.ts: loadData() xs must be a tf.Tensor, an array of tensors (one per model input/output) or an object of tensors by name; got an array of arrays (wrap plain arrays with tf.tensor(...))');
  });

  test('config values are checked by key, with a suggestion for a near miss', async () => {
    expect(await failure(loadModelContract(tf, modelFile('opt.model.ts', `export const config = { optimizer: 'adamm' };${LINEAR}`))))
      .toBe('opt.model.ts: config.optimizer must be one of adam, sgd, rmsprop, adagrad, adadelta, adamax or a tf.train optimizer (got a string ("adamm")) — did you mean "adam"?');
    expect(await failure(loadModelContract(tf, modelFile('loss.model.ts', `export const config = { loss: { out: 'categoricalCrossEntropy' } };${LINEAR}`))))
      .toMatch(/^loss\.model\.ts: config\.loss: unknown loss "categoricalCrossEntropy" — did you mean "categoricalCrossentropy"\?/);
    expect(await failure(loadModelContract(tf, modelFile('lr.model.ts', `export const config = { learningRate: -1 };${LINEAR}`))))
      .toBe('lr.model.ts: config.learningRate must be a number > 0 (got a number (-1))');
  });

  test('not compiled, no config.loss and labels that fit no loss: a clear failure', async () => {
    const file = modelFile(
      'noLoss.model.ts',
      `export const loadData = () => ({ xs: tf.ones([4, 2]), ys: tf.tensor2d([[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3]], undefined, 'int32') });
export const createModel = () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 5, activation: 'softmax' })] });`,
    );
    const c = await loadModelContract(tf, file);
    const model = await c.createModel();
    const data = (await c.loadData())!;
    const msg = await failure(compileIfNeeded(tf, model, c.config, data, file));
    expect(msg).toMatch(/^The model from noLoss\.model\.ts is not compiled and config\.loss is not set, and no loss can be inferred: labels \[N, 3\] int32 do not match output "dense_Dense\d+" \[batch, 5\]/);
    expect(model.optimizer).toBeFalsy();
    disposeTrainingData(tf, data);
    model.dispose();
  });

  test('data that does not fit a multi-input model names the input and both shapes', async () => {
    const c = await loadModelContract(tf, path.join(fixtures, 'twoHeads.model.ts'));
    const model = await c.createModel();
    const ys = [tf.zeros([5, 3]), tf.zeros([5, 1])];
    const good = tf.zeros([5, 4]);
    const wrong = tf.zeros([5, 5]);
    const data: TrainingData = { kind: 'tensors', xs: [good, wrong], ys };
    expect(await failure(prepareData(tf, model, data, { batchSize: 8, source: 'loadData()' }))).toBe('Model input "b" expects [batch, 3] but loadData() xs[1] is [N, 5]');
    const short: TrainingData = { kind: 'tensors', xs: { a: good, b: tf.zeros([5, 3]) }, ys: [ys[0]] };
    expect(await failure(prepareData(tf, model, short, { batchSize: 8, source: 'loadData()' }))).toBe('The model has 2 outputs (cls, reg) but loadData() gives 1 ys tensors');
    tf.dispose([...ys, good, wrong, (short.xs as Record<string, tf.Tensor>).b]);
    model.dispose();
  });
});
