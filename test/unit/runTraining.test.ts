import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BatchPoint, EndStatus, RunSpec, TrainerToHost } from '../../src/protocol/trainer';
import type { MetricLine } from '../../src/protocol/runFolder';
import { loadMnist } from '../../src/trainer/data/mnist';
import { loadModel } from '../../src/trainer/fsModelIo';
import { runTraining, silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { readRun } from '../../src/training/runStore';

const fixtures = path.resolve(__dirname, '../fixtures/trainer');
let runsDir: string;

beforeAll(async () => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-train-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(runsDir, { recursive: true, force: true }));

interface Result {
  status: EndStatus;
  messages: TrainerToHost[];
  end: Extract<TrainerToHost, { type: 'end' }>;
  runDir: string;
  lines: MetricLine[];
}

async function train(file: string, opts: { overrides?: RunSpec['overrides']; stopAfterBatches?: number } = {}): Promise<Result> {
  const messages: TrainerToHost[] = [];
  let batchesSeen = 0;
  const status = await runTraining(
    tf,
    { name: 'cpu', reason: 'unit test' },
    { modelFile: path.resolve(fixtures, file), runsDir, backend: 'cpu', overrides: opts.overrides },
    (m) => messages.push(JSON.parse(JSON.stringify(m))), // as over IPC: plain JSON
    // stopRequested is polled once after each batch
    { stopRequested: () => opts.stopAfterBatches !== undefined && ++batchesSeen >= opts.stopAfterBatches },
  );
  const end = messages[messages.length - 1];
  if (end.type !== 'end') throw new Error(`last message was ${end.type}`);
  const runDir = end.runDir ?? '';
  return { status, messages, end, runDir, lines: runDir ? readRun(runDir).metrics : [] };
}

const ofType = <T extends MetricLine['type']>(lines: MetricLine[], type: T) => lines.filter((l) => l.type === type) as Extract<MetricLine, { type: T }>[];

describe('runTraining on real MNIST', () => {
  test('trains, streams and records every batch and epoch, and saves a model that reloads', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const r = await train('tiny.model.ts');
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(r.status).toBe('completed');
    expect(r.end).toEqual({ type: 'end', status: 'completed', runDir: r.runDir });

    const run = r.messages.find((m) => m.type === 'run');
    if (run?.type !== 'run') throw new Error('no run message');
    // 300 samples, 20% held out -> 240 to train in batches of 32
    expect(run.config).toEqual({ epochs: 1, batchSize: 32, validationSplit: 0.2, shuffle: true, dataset: 'mnist', limit: 300 });
    expect(run.batchesPerEpoch).toBe(8);
    expect(run.layers.map((l) => l.className)).toEqual(['Flatten', 'Dense', 'Dense']);
    expect(run.totalParams).toBe(784 * 16 + 16 + 16 * 10 + 10);

    // metrics.jsonl: 8 batch lines, one epoch line with validation, one end line, in that order
    expect(r.lines.map((l) => l.type)).toEqual([...Array(8).fill('batch'), 'epoch', 'end']);
    const batches = ofType(r.lines, 'batch');
    expect(batches.map((b) => b.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const b of batches) expect(Number.isFinite(b.loss) && Number.isFinite(b.acc)).toBe(true);
    const [epoch] = ofType(r.lines, 'epoch');
    for (const k of ['loss', 'acc', 'val_loss', 'val_acc']) expect(typeof epoch[k]).toBe('number');
    expect(ofType(r.lines, 'end')[0].status).toBe('completed');

    // coalesced messages carry every batch the file has, once, in order
    const streamed = r.messages.flatMap((m) => (m.type === 'batches' ? m.points : [] as BatchPoint[]));
    expect(streamed.map((p) => [p.step, p.metrics.loss])).toEqual(batches.map((b) => [b.step, b.loss]));
    const epochMsg = r.messages.find((m) => m.type === 'epoch');
    expect(epochMsg?.type === 'epoch' && epochMsg.point.metrics.val_acc).toBe(epoch.val_acc);
    // all batch points are sent before the epoch summary
    const lastBatchMsg = r.messages.map((m) => m.type).lastIndexOf('batches');
    expect(lastBatchMsg).toBeLessThan(r.messages.findIndex((m) => m.type === 'epoch'));

    const { record } = readRun(r.runDir);
    expect(record.status).toBe('completed');
    expect(record.backend.name).toBe('cpu');
    expect(record.versions.tfjs).toBe(tf.version.tfjs);
    expect(Date.parse(record.endedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(record.startedAt));

    // The saved model is the trained one: on the held-out 60 digits it scores exactly the logged val_acc.
    const model = await loadModel(tf, path.join(r.runDir, 'model'));
    const data = loadMnist(tf, { limit: 300 });
    const valX = data.xs.slice([240, 0, 0, 0], [60, 28, 28, 1]);
    const predicted = tf.tidy(() => (model.predict(valX) as tf.Tensor).argMax(-1).dataSync());
    const correct = Array.from(predicted).filter((p, i) => p === data.labels[240 + i]).length;
    expect(correct / 60).toBeCloseTo(epoch.val_acc as number, 5);
    tf.dispose([valX, data.xs, data.ys]);
    model.dispose();
  });

  test('stop after 2 batches ends the run "stopped" and still saves the model', async () => {
    const r = await train('tiny.model.ts', { overrides: { epochs: 3 }, stopAfterBatches: 2 });
    expect(r.status).toBe('stopped');
    expect(ofType(r.lines, 'batch')).toHaveLength(2);
    expect(ofType(r.lines, 'end')).toEqual([expect.objectContaining({ status: 'stopped', epoch: 0 })]);
    expect(readRun(r.runDir).record.status).toBe('stopped');
    const model = await loadModel(tf, path.join(r.runDir, 'model'));
    expect(model.outputs[0].shape).toEqual([null, 10]);
    model.dispose();
  });

  test('an uncompiled CommonJS model is compiled with accuracy and trains', async () => {
    const r = await train('uncompiled.model.js');
    expect(r.status).toBe('completed');
    const [epoch] = ofType(r.lines, 'epoch');
    // Model metrics plus the trainer's run stats (learning rate, tfjs memory).
    expect(Object.keys(epoch).sort()).toEqual(['acc', 'bytes', 'epoch', 'loss', 'lr', 'tensors', 'time', 'type', 'val_acc', 'val_loss']);
  });

  test('CLI-style overrides win over the model file config', async () => {
    const r = await train('tiny.model.ts', { overrides: { epochs: 2, batchSize: 120 } });
    expect(r.status).toBe('completed');
    expect(readRun(r.runDir).record.config).toMatchObject({ epochs: 2, batchSize: 120, limit: 300 });
    expect(ofType(r.lines, 'batch').map((b) => [b.epoch, b.batch])).toEqual([[0, 0], [0, 1], [1, 0], [1, 1]]);
    expect(ofType(r.lines, 'epoch').map((e) => e.epoch)).toEqual([0, 1]);
  });
});

describe('runTraining fails cleanly', () => {
  test('a model whose input does not fit the data names both shapes', async () => {
    const r = await train('wrongInput.model.ts');
    expect(r.status).toBe('failed');
    const msg = 'Model input expects [batch, 784] but the data "mnist" gives [N, 28, 28, 1]';
    expect(r.end.error?.message).toBe(msg);
    expect(ofType(r.lines, 'end')[0]).toMatchObject({ status: 'failed', error: { message: msg } });
    expect(readRun(r.runDir).record).toMatchObject({ status: 'failed', error: { message: msg } });
    expect(fs.existsSync(path.join(r.runDir, 'model'))).toBe(false);
    expect(r.messages.some((m) => m.type === 'batches')).toBe(false);
  });

  test('a model whose output does not fit the labels names both shapes', async () => {
    const r = await train('wrongOutput.model.ts');
    expect(r.status).toBe('failed');
    expect(r.end.error?.message).toBe('Model output is [batch, 5] but the data "mnist" has labels [N, 10]');
  });

  test('a syntax error fails with file and line in the end line', async () => {
    const file = path.join(fixtures, 'syntaxError.model.ts');
    const r = await train('syntaxError.model.ts');
    expect(r.status).toBe('failed');
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatchObject({ type: 'end', status: 'failed', error: { file, line: 7, column: 31 } });
    expect((r.lines[0] as { error: { message: string } }).error.message).toMatch(/^syntaxError\.model\.ts:7:31: /);
    expect(readRun(r.runDir).record.error?.line).toBe(7);
  });

  test('an unknown dataset lists the known ones', async () => {
    const r = await train('unknownDataset.model.ts');
    expect(r.status).toBe('failed');
    expect(r.end.error?.message).toContain('Unknown dataset "imagenet"');
    expect(r.end.error?.message).toContain('mnist');
  });

  test('a bad override is refused before training', async () => {
    const r = await train('tiny.model.ts', { overrides: { batchSize: 0 } });
    expect(r.status).toBe('failed');
    expect(r.end.error?.message).toContain('config.batchSize');
  });
});

describe('runTraining takes its data from loadData() or a dataset spec', () => {
  const write = (name: string, source: string) => {
    const file = path.join(runsDir, name);
    fs.writeFileSync(file, `import * as tf from '@tensorflow/tfjs';\n${source}\n`);
    return file;
  };

  test('an unbatched tf.data.Dataset from loadData() is batched, compiled from its sparse labels and fitted; config.dataset is not loaded', async () => {
    const file = write(
      'datasetLoad.model.ts',
      `export const config = { dataset: 'mnist', epochs: 2, batchSize: 4 };
export function loadData() {
  const xs = tf.data.array(Array.from({ length: 12 }, (_, i) => [i % 3, 1]));
  const ys = tf.data.array(Array.from({ length: 12 }, (_, i) => i % 3));
  return tf.data.zip({ xs, ys });
}
export const createModel = () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 3, activation: 'softmax' })] });`,
    );
    const tensorsBefore = tf.memory().numTensors;
    const r = await train(file);
    expect(r.status, JSON.stringify(r.end.error)).toBe('completed');
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    const { record } = readRun(r.runDir);
    // A dataset cannot be split: no validation, and run.json says so.
    expect(record.config).toMatchObject({ dataset: 'loadData()', validationSplit: 0, epochs: 2 });
    expect(record.dataset?.description).toBe('loadData() in datasetLoad.model.ts: a tf.data.Dataset');
    expect(record.batchesPerEpoch).toBe(3);
    expect(ofType(r.lines, 'batch').map((b) => [b.epoch, b.batch])).toEqual([[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
    const epochs = ofType(r.lines, 'epoch');
    expect(Object.keys(epochs[1]).filter((k) => k.startsWith('val_'))).toEqual([]);
    const logs = r.messages.flatMap((m) => (m.type === 'log' ? [m.message] : []));
    expect(logs.join('\n')).toContain('sparseCategoricalCrossentropy (inferred from the labels)');
    expect(logs.join('\n')).toContain('exports loadData(), so its config.dataset is not loaded');
    expect(logs.join('\n')).not.toMatch(/MNIST/);
  });

  test('a bad dataset spec fails before training, naming the model file and the option', async () => {
    const file = write('badSpec.model.ts', `export const config = { dataset: { type: 'csv', path: 'x.csv', labels: 'y' } };\nexport const createModel = () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1 })] });`);
    const r = await train(file);
    expect(r.status).toBe('failed');
    expect(r.end.error?.message).toMatch(/^badSpec\.model\.ts: config\.dataset\.labels is not an option of type 'csv'/);
    expect(r.end.error?.file).toBe(file);
  });
});
