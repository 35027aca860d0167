// Control, checkpoints, resume and callbacks of a real run: tfjs on the cpu backend, real MNIST
// digits (300 of them), the trainer's own runTraining in-process, and what it leaves on disk.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { CheckpointInfo, EndStatus, RunSpec, TrainerToHost } from '../../src/protocol/trainer';
import type { MetricLine } from '../../src/protocol/runFolder';
import { checkpointDir, getLearningRate, readCheckpointInfo, restoreCheckpoint, saveCheckpoint, setLearningRate } from '../../src/trainer/checkpoints';
import { RunControl, type TrainingControl } from '../../src/trainer/control';
import { loadMnist } from '../../src/trainer/data/mnist';
import { loadModel } from '../../src/trainer/fsModelIo';
import { runTraining, silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { readRun } from '../../src/training/runStore';

const fixtures = path.resolve(__dirname, '../fixtures/trainer');
let runsDir: string;

beforeAll(async () => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-control-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(runsDir, { recursive: true, force: true }));
afterEach(() => {
  delete process.env.MODEL_LAB_TEST_CONFIG;
});

interface Result {
  status: EndStatus;
  messages: TrainerToHost[];
  end: Extract<TrainerToHost, { type: 'end' }>;
  runDir: string;
  lines: MetricLine[];
}

type Batch = Extract<MetricLine, { type: 'batch' }>;
type Epoch = Extract<MetricLine, { type: 'epoch' }>;

/**
 * Trains `file` (callbacks.model.ts reads extra config from MODEL_LAB_TEST_CONFIG). `onMessage` sees
 * every message as it is emitted, with the control, so a test can act at a given point of the run.
 */
async function train(
  file: string,
  opts: {
    config?: Record<string, unknown>;
    overrides?: RunSpec['overrides'];
    resumeFrom?: string;
    control?: TrainingControl;
    onMessage?: (m: TrainerToHost, control: RunControl) => void;
  } = {},
): Promise<Result> {
  if (opts.config) process.env.MODEL_LAB_TEST_CONFIG = JSON.stringify(opts.config);
  const control = new RunControl();
  const messages: TrainerToHost[] = [];
  const status = await runTraining(
    tf,
    { name: 'cpu', reason: 'unit test' },
    { modelFile: path.join(fixtures, file), runsDir, backend: 'cpu', overrides: opts.overrides, resumeFrom: opts.resumeFrom },
    (m) => {
      const copy = JSON.parse(JSON.stringify(m)) as TrainerToHost; // as over IPC: plain JSON
      messages.push(copy);
      opts.onMessage?.(copy, control);
    },
    opts.control ?? control,
  );
  const end = messages[messages.length - 1];
  if (end.type !== 'end') throw new Error(`last message was ${end.type}`);
  const runDir = end.runDir ?? '';
  return { status, messages, end, runDir, lines: runDir ? readRun(runDir).metrics : [] };
}

const batches = (r: Result) => r.lines.filter((l): l is Batch => l.type === 'batch');
const epochs = (r: Result) => r.lines.filter((l): l is Epoch => l.type === 'epoch');
const ofType = <T extends TrainerToHost['type']>(r: Result, type: T) => r.messages.filter((m) => m.type === type) as Extract<TrainerToHost, { type: T }>[];
const checkpointsSaved = (r: Result) => ofType(r, 'checkpoint').map((m) => m.checkpoint);

/** The validation split tfjs holds out of tiny.model.ts-style configs: the last 60 of 300 digits. */
function validationData() {
  const data = loadMnist(tf, { limit: 300 });
  const x = data.xs.slice([240, 0, 0, 0], [60, 28, 28, 1]);
  const y = data.ys.slice([240, 0], [60, 10]);
  tf.dispose([data.xs, data.ys]);
  return { x, y };
}

async function evaluateLoss(model: tf.LayersModel): Promise<number> {
  const { x, y } = validationData();
  const out = model.evaluate(x, y, { batchSize: 32 });
  const loss = (Array.isArray(out) ? out[0] : out).dataSync()[0];
  tf.dispose([x, y, out as tf.Tensor | tf.Tensor[]]);
  return loss;
}

describe('pause, resume, checkpoint now, stop', () => {
  test('pause then resume trains exactly the batches of an uninterrupted run', async () => {
    const plain = await train('callbacks.model.ts', { config: { epochs: 2 } });
    const paused = await train('callbacks.model.ts', {
      config: { epochs: 2 },
      onMessage: (m, control) => {
        if (m.type === 'run') control.pause(); // takes effect after the first batch
        // Resumed from another macrotask, as an IPC message would be.
        if (m.type === 'paused') setTimeout(() => control.resume(), 20);
      },
    });
    expect(plain.status).toBe('completed');
    expect(paused.status).toBe('completed');
    expect(batches(paused).map((b) => [b.epoch, b.batch, b.step])).toEqual(batches(plain).map((b) => [b.epoch, b.batch, b.step]));
    expect(batches(paused)).toHaveLength(16);
    expect(ofType(paused, 'paused')).toEqual([{ type: 'paused', epoch: 0, batch: 0, step: 0 }]);
    const [resumed] = ofType(paused, 'resumed');
    expect(resumed).toMatchObject({ type: 'resumed', epoch: 0, batch: 0, step: 0 });
    expect(resumed.pausedMs).toBeGreaterThanOrEqual(0);
    // paused comes after the first batch was streamed, and before the second
    const order = paused.messages.map((m) => (m.type === 'batches' ? `b${m.points.map((p) => p.step).join(',')}` : m.type));
    expect(order.indexOf('paused')).toBeGreaterThan(order.findIndex((s) => s.startsWith('b0')));
    expect(order.indexOf('resumed')).toBe(order.indexOf('paused') + 1);
  });

  test('checkpoint now writes checkpoints/last after the current batch, with checkpoint.json', async () => {
    let seenOnDisk: { info: CheckpointInfo; files: string[] } | undefined;
    const r = await train('callbacks.model.ts', {
      config: { epochs: 2 },
      onMessage: (m, control) => {
        if (m.type === 'batches' && m.points.some((p) => p.step === 0) && !seenOnDisk) control.checkpoint();
        if (m.type === 'checkpoint' && m.checkpoint.reason === 'request') {
          // The message comes after the atomic rename: the folder is complete now.
          seenOnDisk = { info: readCheckpointInfo(m.dir), files: fs.readdirSync(m.dir).sort() };
        }
      },
    });
    expect(r.status).toBe('completed');
    const request = checkpointsSaved(r).find((c) => c.reason === 'request');
    expect(request).toMatchObject({ kind: 'last', epoch: 0, epochsCompleted: 0, lr: 0.01 });
    // It is taken after the batch during which it was asked for (the flush of step 0 comes after that batch).
    expect(request!.step).toBeGreaterThanOrEqual(0);
    expect(request!.step).toBeLessThan(8);
    expect(seenOnDisk?.files).toEqual(['checkpoint.json', 'model.json', 'weights.bin']);
    expect(seenOnDisk?.info).toEqual(request);
    // Each epoch end rewrites last; the end state is epoch 2's.
    expect(readCheckpointInfo(checkpointDir(r.runDir, 'last'))).toMatchObject({ reason: 'epoch', epoch: 1, step: 15, epochsCompleted: 2 });
  });

  test('a checkpoint can be taken while paused', async () => {
    const r = await train('callbacks.model.ts', {
      config: { epochs: 1 },
      onMessage: (m, control) => {
        if (m.type === 'run') control.pause();
        if (m.type === 'paused') setTimeout(() => control.checkpoint(), 10);
        if (m.type === 'checkpoint' && m.checkpoint.reason === 'request') setTimeout(() => control.resume(), 10);
      },
    });
    expect(r.status).toBe('completed');
    const types = r.messages.map((m) => (m.type === 'checkpoint' ? `checkpoint:${m.checkpoint.reason}` : m.type));
    expect(types.slice(types.indexOf('paused'), types.indexOf('paused') + 3)).toEqual(['paused', 'checkpoint:request', 'resumed']);
    expect(checkpointsSaved(r).find((c) => c.reason === 'request')).toMatchObject({ step: 0, epoch: 0, epochsCompleted: 0 });
  });

  test('stop saves checkpoints/last with the same weights as the final model', async () => {
    let polls = 0;
    const r = await train('callbacks.model.ts', {
      config: { epochs: 3 },
      control: { stopRequested: () => ++polls >= 3 }, // polled once per batch: stop after the third
    });
    expect(r.status).toBe('stopped');
    expect(batches(r)).toHaveLength(3);
    const last = checkpointDir(r.runDir, 'last');
    expect(readCheckpointInfo(last)).toMatchObject({ kind: 'last', reason: 'stop', epoch: 0, step: 2, epochsCompleted: 0 });
    expect(checkpointsSaved(r).map((c) => c.reason)).toEqual(['stop']);
    // model/ is saved after the checkpoint from the same model, optimizer state included: identical bytes.
    expect(fs.readFileSync(path.join(last, 'weights.bin')).equals(fs.readFileSync(path.join(r.runDir, 'model', 'weights.bin')))).toBe(true);
  });
});

describe('checkpoints/best and resume', () => {
  let original: Result;

  test('best holds the epoch with the lowest val_loss', async () => {
    original = await train('callbacks.model.ts', { config: { epochs: 4 } });
    expect(original.status).toBe('completed');
    const valLosses = epochs(original).map((e) => e.val_loss as number);
    const min = Math.min(...valLosses);
    const best = readCheckpointInfo(checkpointDir(original.runDir, 'best'));
    expect(best).toMatchObject({ kind: 'best', reason: 'improved', monitor: 'val_loss', value: min, epoch: valLosses.indexOf(min) });
    // every reported best improved on the one before
    const bests = checkpointsSaved(original).filter((c) => c.kind === 'best').map((c) => c.value!);
    expect(bests.length).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < bests.length; i++) expect(bests[i]).toBeLessThan(bests[i - 1]);
    // and the weights in best/ score that val_loss again
    const model = await loadModel(tf, checkpointDir(original.runDir, 'best'));
    expect(await evaluateLoss(model)).toBeCloseTo(min, 4);
    model.dispose();
  });

  test('without validation data the best checkpoint follows loss', async () => {
    const r = await train('callbacks.model.ts', { config: { epochs: 2, validationSplit: 0 } });
    expect(r.status).toBe('completed');
    const losses = epochs(r).map((e) => e.loss as number);
    expect(readCheckpointInfo(checkpointDir(r.runDir, 'best'))).toMatchObject({ monitor: 'loss', value: Math.min(...losses) });
  });

  test('resume continues at the next epoch with the optimizer state, in a new run', async () => {
    const fresh = await train('callbacks.model.ts', { config: { epochs: 1 } });
    const resumed = await train('callbacks.model.ts', { config: { epochs: 6 }, resumeFrom: path.basename(original.runDir) });
    expect(resumed.status).toBe('completed');
    expect(resumed.runDir).not.toBe(original.runDir);
    const { record } = readRun(resumed.runDir);
    expect(record.resumedFrom).toEqual({ runId: path.basename(original.runDir), runDir: original.runDir, epochsCompleted: 4, step: 31 });
    // epochs 5 and 6 only, steps continuing after the original 32
    expect(epochs(resumed).map((e) => e.epoch)).toEqual([4, 5]);
    expect(batches(resumed)[0]).toMatchObject({ epoch: 4, batch: 0, step: 32 });
    // The first batch loss carries on from where the original ended, far from an untrained model's.
    const endLoss = epochs(original).at(-1)!.loss as number;
    const firstResumed = batches(resumed)[0].loss as number;
    const firstFresh = batches(fresh)[0].loss as number;
    expect(Math.abs(firstResumed - endLoss)).toBeLessThan(Math.abs(firstFresh - endLoss) / 3);
    // the original's best checkpoint came along; it is replaced only by a better val_loss
    const bestBefore = readCheckpointInfo(checkpointDir(original.runDir, 'best')).value!;
    const bestAfter = readCheckpointInfo(checkpointDir(resumed.runDir, 'best')).value!;
    expect(bestAfter).toBe(Math.min(bestBefore, ...epochs(resumed).map((e) => e.val_loss as number)));
  });

  test('resuming a run that already trained all its epochs asks for more', async () => {
    const r = await train('callbacks.model.ts', { config: { epochs: 4 }, resumeFrom: original.runDir });
    expect(r.status).toBe('failed');
    expect(r.end.error?.message).toMatch(/already trained 4 of 4 epochs: ask for more epochs \(--epochs 5 or more\)/);
  });

  test('resuming a run without a checkpoint fails naming it', async () => {
    const r = await train('callbacks.model.ts', { resumeFrom: 'no-such-run' });
    expect(r.status).toBe('failed');
    expect(r.end.error?.message).toContain('Cannot resume: no run "no-such-run"');
  });

  test('a restored checkpoint continues Adam exactly where it was (moments and step count)', async () => {
    const build = () => {
      const m = tf.sequential({ layers: [tf.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }), tf.layers.dense({ units: 1 })] });
      m.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
      return m;
    };
    const x = tf.randomNormal([16, 4]);
    const y = tf.randomNormal([16, 1]);
    const a = build();
    for (let i = 0; i < 5; i++) await a.trainOnBatch(x, y);
    const dir = fs.mkdtempSync(path.join(runsDir, 'adam-'));
    await saveCheckpoint(tf, a, dir, { kind: 'last', reason: 'request', epoch: 0, step: 4, epochsCompleted: 0, time: Date.now() });
    await a.trainOnBatch(x, y);
    const afterA = a.getWeights().map((w) => Array.from(w.dataSync()));

    const b = build();
    await restoreCheckpoint(tf, b, checkpointDir(dir, 'last'));
    await b.trainOnBatch(x, y);
    const afterB = b.getWeights().map((w) => Array.from(w.dataSync()));

    // Weights alone (a fresh Adam) take a different step: the optimizer state is what makes B match A.
    const c = build();
    const saved = await loadModel(tf, checkpointDir(dir, 'last'));
    c.setWeights(saved.getWeights());
    await c.trainOnBatch(x, y);
    const afterC = c.getWeights().map((w) => Array.from(w.dataSync()));

    const maxDiff = (p: number[][], q: number[][]) => Math.max(...p.flatMap((w, i) => w.map((v, j) => Math.abs(v - q[i][j]))));
    expect(maxDiff(afterA, afterB)).toBeLessThan(1e-6);
    expect(maxDiff(afterA, afterC)).toBeGreaterThan(1e-3);
    tf.dispose([x, y]);
    for (const m of [a, b, c, saved]) {
      m.optimizer?.dispose();
      m.dispose();
    }
  });
});

describe('callbacks in a real run', () => {
  test('early stopping ends before `epochs` and restores the best weights', async () => {
    // minDelta 100: no epoch after the first counts as an improvement, so with patience 2 the run
    // stops after epoch 3 and epoch 1 is the best.
    const r = await train('callbacks.model.ts', {
      config: { epochs: 8, callbacks: { earlyStopping: { monitor: 'val_loss', patience: 2, minDelta: 100, restoreBestWeights: true } } },
    });
    expect(r.status).toBe('completed');
    expect(epochs(r).map((e) => e.epoch)).toEqual([0, 1, 2]);
    expect(ofType(r, 'log').map((l) => l.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Early stopping after epoch 3: val_loss did not improve for 2 epochs/), 'Restored the weights of epoch 1, the best by val_loss.']),
    );
    const model = await loadModel(tf, path.join(r.runDir, 'model'));
    const loss = await evaluateLoss(model);
    model.dispose();
    expect(loss).toBeCloseTo(epochs(r)[0].val_loss as number, 4);
    // the last epoch's weights really were different
    expect(Math.abs((epochs(r)[2].val_loss as number) - (epochs(r)[0].val_loss as number))).toBeGreaterThan(1e-3);
  });

  test('reduceLROnPlateau lowers lr in the stream after `patience` epochs without improvement', async () => {
    const r = await train('callbacks.model.ts', {
      config: { epochs: 4, callbacks: { reduceLROnPlateau: { patience: 1, minDelta: 100, factor: 0.5 } } },
    });
    expect(r.status).toBe('completed');
    // epoch 1 sets the best; epoch 2 does not improve by 100 -> lr halves from epoch 3 on; epoch 3 again.
    expect(epochs(r).map((e) => e.lr)).toEqual([0.01, 0.01, 0.005, 0.0025]);
    const lrOfEpoch = (e: number) => [...new Set(batches(r).filter((b) => b.epoch === e).map((b) => b.lr))];
    expect([0, 1, 2, 3].map(lrOfEpoch)).toEqual([[0.01], [0.01], [0.005], [0.0025]]);
    const streamed = ofType(r, 'batches').flatMap((m) => m.points);
    expect(streamed.filter((p) => p.epoch === 3).every((p) => p.metrics.lr === 0.0025)).toBe(true);
    expect(ofType(r, 'log').some((l) => l.message.includes('learning rate 0.01 → 0.005'))).toBe(true);
  });

  test('an lr schedule sets the learning rate at each epoch start', async () => {
    const r = await train('callbacks.model.ts', {
      config: { epochs: 3, callbacks: { lrSchedule: { type: 'step', stepSize: 1, gamma: 0.5, warmupEpochs: 1 } } },
    });
    expect(r.status).toBe('completed');
    // warm-up epoch 0 at 0.01 * 1/1, then 0.01 * 0.5^(epoch - 1)
    expect(epochs(r).map((e) => e.lr)).toEqual([0.01, 0.01, 0.005]);
  });

  test('setting the learning rate takes effect for SGD (cached scalar) and Adam (field)', () => {
    for (const opt of [tf.train.sgd(0.1), tf.train.momentum(0.1, 0.9), tf.train.adam(0.1), tf.train.rmsprop(0.1)]) {
      const v = tf.variable(tf.scalar(1));
      setLearningRate(opt, 0);
      expect(getLearningRate(opt)).toBe(0);
      opt.minimize(() => v.square() as tf.Scalar);
      expect(v.dataSync()[0]).toBe(1); // lr 0: no step
      setLearningRate(opt, 0.1);
      opt.minimize(() => v.square() as tf.Scalar);
      expect(v.dataSync()[0]).toBeLessThan(1);
      v.dispose();
      opt.dispose();
    }
  });

  test('a diverging loss ends the run failed, naming the epoch and batch where it became NaN', async () => {
    const r = await train('diverging.model.ts');
    expect(r.status).toBe('failed');
    const message = r.end.error?.message ?? '';
    const m = /^Loss became (NaN|Infinity|-Infinity) at epoch (\d+), batch (\d+) \(step (\d+)\)/.exec(message);
    expect(m, message).not.toBeNull();
    // the named batch is the last one trained: the one whose line has no loss (JSON has no NaN)
    const lines = batches(r);
    const last = lines.at(-1)!;
    expect([last.epoch + 1, last.batch + 1, last.step]).toEqual([Number(m![2]), Number(m![3]), Number(m![4])]);
    expect(last.loss).toBeUndefined();
    for (const b of lines.slice(0, -1)) expect(Number.isFinite(b.loss)).toBe(true);
    expect(readRun(r.runDir).record).toMatchObject({ status: 'failed', error: { message } });
    expect(fs.existsSync(path.join(r.runDir, 'model'))).toBe(false);
  });

  test('terminateOnNaN: false trains on through a NaN loss, with one warning', async () => {
    const r = await train('diverging.model.ts', { config: { epochs: 2, callbacks: { terminateOnNaN: false } } });
    expect(r.status).toBe('completed');
    expect(batches(r)).toHaveLength(16);
    expect(batches(r).some((b) => b.loss === undefined)).toBe(true);
    expect(ofType(r, 'log').filter((l) => l.level === 'warn' && /became (NaN|-?Infinity)/.test(l.message))).toHaveLength(1);
  });

  test('an option that cannot be used fails before training, naming the key', async () => {
    const r = await train('callbacks.model.ts', { config: { callbacks: { earlyStopping: { patience: -1 } } } });
    expect(r.status).toBe('failed');
    expect(r.end.error?.message).toBe('callbacks.model.ts: config.callbacks.earlyStopping.patience must be a whole number ≥ 0 (got -1)');
    expect(batches(r)).toHaveLength(0);
  });

  test('a monitor the run never logs fails after the first epoch, naming the key', async () => {
    const r = await train('callbacks.model.ts', { config: { checkpoint: { monitor: 'val_auc' } } });
    expect(r.status).toBe('failed');
    const message = r.end.error?.message ?? '';
    expect(message).toMatch(/^callbacks\.model\.ts: config\.checkpoint\.monitor is "val_auc", which this run does not log \(epoch metrics: .*\)$/);
    for (const name of ['loss', 'acc', 'val_loss', 'val_acc']) expect(message).toContain(name);
    expect(epochs(r)).toHaveLength(1);
  });

  test('no leaks: the tensor count after epoch 1 equals the count after every later epoch', async () => {
    const before = tf.memory().numTensors;
    const r = await train('callbacks.model.ts', {
      config: {
        epochs: 5,
        callbacks: { earlyStopping: { patience: 10, restoreBestWeights: true }, reduceLROnPlateau: { patience: 1, minDelta: 100 } },
      },
      onMessage: (m, control) => {
        if (m.type === 'batches' && m.points.some((p) => p.epoch === 2 && p.batch === 0)) control.checkpoint();
      },
    });
    expect(r.status).toBe('completed');
    const counts = epochs(r).map((e) => e.tensors);
    expect(counts).toHaveLength(5);
    expect(new Set(counts).size).toBe(1);
    expect(epochs(r).every((e) => typeof e.bytes === 'number' && (e.bytes as number) > 0)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('the metrics stream', () => {
  test('batch points carry samples_per_sec, eta_sec and lr; epoch points lr and memory; all in metrics.jsonl', async () => {
    const r = await train('callbacks.model.ts', { config: { epochs: 2 } });
    const lines = batches(r);
    expect(lines).toHaveLength(16);
    for (const b of lines) {
      expect(b.samples_per_sec).toBeGreaterThan(0);
      expect(b.eta_sec).toBeGreaterThanOrEqual(0);
      expect(b.lr).toBe(0.01);
    }
    // the ETA counts down to 0 at the last batch of the run
    expect(lines.at(-1)!.eta_sec).toBe(0);
    // every recorded line was streamed, once, with the same values
    const streamed = ofType(r, 'batches').flatMap((m) => m.points);
    expect(streamed.map((p) => [p.step, p.metrics.samples_per_sec, p.metrics.eta_sec, p.metrics.lr])).toEqual(
      lines.map((b) => [b.step, b.samples_per_sec, b.eta_sec, b.lr]),
    );
    const [epochMsg] = ofType(r, 'epoch');
    expect(epochMsg.point.metrics).toMatchObject({ lr: 0.01, tensors: epochs(r)[0].tensors, bytes: epochs(r)[0].bytes });
  });
});
