// The fused executor's data-parallel worker pool with real worker threads (dist/fusedWorker.js, each
// with its own wasm instance): the averaged gradient of a batch split over 2 and 3 threads equals the
// gradient one executor computes for the whole batch, within float32 rounding; several steps with the
// optimizer give the same losses and weights; a worker that exits or hangs fails the step with an
// error naming it, and the parameters stay those of the last finished step. Also the 'auto' choice.
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { FusedExecutor } from '../../src/trainer/backends/fused/executor';
import { planFusedModel } from '../../src/trainer/backends/fused/plan';
import { chooseThreads, threadsForModel } from '../../src/trainer/backends/fused/threads';
import { FusedEngine } from '../../src/trainer/backends/fused/wasmEngine';
import { GradientWorkerPool, nextShift, shardSizes, shiftLimit } from '../../src/trainer/backends/fused/workerPool';
import { DIST, ensureBuilt } from './builtTrainer';
import { mulberry32 as rng } from '../../src/trainer/data/split';

const WORKER = path.join(DIST, 'fusedWorker.js');

function cnn(): tf.LayersModel {
  const init = (seed: number) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed }) });
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [12, 12, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', ...init(1) }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 16, activation: 'tanh', ...init(2) }));
  m.add(tf.layers.dense({ units: 5, activation: 'softmax', ...init(3) }));
  m.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

function batch(n: number, seed: number): { x: Float32Array; y: Float32Array } {
  const r = rng(seed);
  const x = Float32Array.from({ length: n * 12 * 12 * 2 }, () => r() * 2 - 1);
  const y = new Float32Array(n * 5);
  for (let i = 0; i < n; i++) y[i * 5 + Math.floor(r() * 5)] = 1;
  return { x, y };
}

async function executor(model: tf.LayersModel, maxBatch: number): Promise<FusedExecutor> {
  const exec = new FusedExecutor(planFusedModel(model).plan!, maxBatch, new FusedEngine('simd128'));
  await exec.loadFromModel(model);
  return exec;
}

/** Largest |a−b| relative to the largest |a|: float32 sums in a different order differ by a few ulps of the biggest term. */
function relDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]));
  }
  return d / scale;
}

let pools: GradientWorkerPool[] = [];
afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  pools = [];
});

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ensureBuilt(['fusedWorker.js', 'wasm/fused.wasm']);
}, 180_000);

describe('GradientWorkerPool', () => {
  for (const [threads, n] of [
    [2, 32],
    [3, 31],
    [2, 3],
  ] as const)
    it(`averages the gradients of ${n} samples over ${threads} threads to the one-thread gradient`, async () => {
      const model = cnn();
      const alone = await executor(model, 32);
      const split = await executor(model, 32);
      const pool = await GradientWorkerPool.start(split, { threads, maxBatch: 32, yRow: 5, workerFile: WORKER });
      pools.push(pool);
      expect(pool.threads).toBe(threads);
      const { x, y } = batch(n, 7);
      alone.inputView(n).set(x);
      split.inputView(n).set(x);
      const want = alone.computeGradients(n, y);
      const got = await pool.computeGradients(split, n, y);
      expect(got.loss).toBeCloseTo(want.loss, 6);
      expect(got.acc).toBeCloseTo(want.acc!, 6);
      expect(relDiff(alone.gradView(), split.gradView())).toBeLessThan(1e-5);
      // Not a trivially equal pair: the gradient is non-zero throughout the layers.
      expect(alone.gradView().some((g) => Math.abs(g) > 1e-4)).toBe(true);
    });

  it('averages the mse and mae metrics of an image output (a transposed-convolution decoder) over 2 threads to the one-thread values', async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [5], units: 32, activation: 'relu' }),
        tf.layers.reshape({ targetShape: [4, 4, 2] }),
        tf.layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' }),
      ],
    });
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['mse', 'mae'] });
    const alone = await executor(m, 16);
    const split = await executor(m, 16);
    const pool = await GradientWorkerPool.start(split, { threads: 2, maxBatch: 16, yRow: 64, workerFile: WORKER });
    pools.push(pool);
    const r = rng(9);
    const n = 15;
    const x = Float32Array.from({ length: n * 5 }, () => r() * 2 - 1);
    const y = Float32Array.from({ length: n * 64 }, () => r());
    alone.inputView(n).set(x);
    split.inputView(n).set(x);
    const want = alone.computeGradients(n, y);
    const got = await pool.computeGradients(split, n, y);
    expect(want.values).toHaveLength(2);
    expect(got.values).toHaveLength(2);
    got.values!.forEach((v, i) => expect(v, ['mse', 'mae'][i]).toBeCloseTo(want.values![i], 6));
    expect(got.loss).toBeCloseTo(want.loss, 6);
    expect(relDiff(alone.gradView(), split.gradView())).toBeLessThan(1e-5);
  });

  it('trains ten Adam steps on 2 threads to the losses and weights of one thread', async () => {
    const model = cnn();
    const alone = await executor(model, 24);
    const split = await executor(model, 24);
    const pool = await GradientWorkerPool.start(split, { threads: 2, maxBatch: 24, yRow: 5, workerFile: WORKER });
    pools.push(pool);
    for (let s = 0; s < 10; s++) {
      const n = s === 9 ? 13 : 24; // a short last batch too
      const { x, y } = batch(n, 100 + s);
      alone.inputView(n).set(x);
      split.inputView(n).set(x);
      const want = alone.trainStep(n, y, 0.01);
      const got = await pool.computeGradients(split, n, y);
      split.applyGradients(0.01);
      expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5 * Math.abs(want.loss));
    }
    expect(relDiff(alone.paramView(), split.paramView())).toBeLessThan(1e-5);
  });

  it('hands a batch off and collects it after the trainer’s other work, with the losses and weights of one thread', async () => {
    const model = cnn();
    const alone = await executor(model, 24);
    const split = await executor(model, 24);
    const pool = await GradientWorkerPool.start(split, { threads: 2, maxBatch: 24, yRow: 5, workerFile: WORKER });
    pools.push(pool);
    for (let s = 0; s < 6; s++) {
      const { x, y } = batch(24, 200 + s);
      alone.inputView(24).set(x);
      split.inputView(24).set(x);
      const want = alone.trainStep(24, y, 0.01);
      pool.handOff(split, 24, y);
      expect(pool.busy).toBe(true);
      expect(() => pool.handOff(split, 24, y)).toThrow(/before the previous one was collected/);
      // The trainer's per-batch work (metrics, callbacks, a yield) runs here while the worker computes.
      await new Promise((r) => setTimeout(r, 5));
      const got = await pool.collect(split);
      split.applyGradients(0.01);
      expect(pool.busy).toBe(false);
      expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5 * Math.abs(want.loss));
    }
    expect(relDiff(alone.paramView(), split.paramView())).toBeLessThan(1e-5);
    await expect(pool.collect(split)).rejects.toThrow(/no batch was handed/);
  });

  for (const spinMs of [0, 60_000])
    it(`trains on 2 threads to the weights of one thread when both sides ${spinMs ? 'poll all the time' : 'sleep at once'} (spinMs ${spinMs}), and shuts down while the worker ${spinMs ? 'polls' : 'sleeps'}`, async () => {
      const model = cnn();
      const alone = await executor(model, 16);
      const split = await executor(model, 16);
      const pool = await GradientWorkerPool.start(split, { threads: 2, maxBatch: 16, yRow: 5, workerFile: WORKER, spinMs });
      for (let s = 0; s < 4; s++) {
        const { x, y } = batch(16, 300 + s);
        alone.inputView(16).set(x);
        split.inputView(16).set(x);
        const want = alone.trainStep(16, y, 0.01);
        const got = await pool.computeGradients(split, 16, y);
        split.applyGradients(0.01);
        expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5 * Math.abs(want.loss));
      }
      expect(relDiff(alone.paramView(), split.paramView())).toBeLessThan(1e-5);
      // With spinMs 60 s the worker is still polling for its next shard here: close must end it all the same
      // (the test's own timeout fails a close that waits for the poll to run out).
      await pool.close();
      await expect(pool.computeGradients(split, 16, batch(16, 9).y)).rejects.toThrow(/already shut down/);
    }, 20_000);

  it('fails the step naming the worker when a worker exits, keeping the last step’s weights', async () => {
    const model = cnn();
    const exec = await executor(model, 16);
    const pool = await GradientWorkerPool.start(exec, { threads: 2, maxBatch: 16, yRow: 5, workerFile: WORKER, fault: { index: 1, kind: 'exit', at: 3 } });
    pools.push(pool);
    for (let s = 0; s < 2; s++) {
      const { x, y } = batch(16, s);
      exec.inputView(16).set(x);
      await pool.computeGradients(exec, 16, y);
      exec.applyGradients(0.01);
    }
    const before = exec.paramView().slice();
    const { x, y } = batch(16, 9);
    exec.inputView(16).set(x);
    await expect(pool.computeGradients(exec, 16, y)).rejects.toThrow(/training worker 1 of 1 exited \(code 7\) during training step 3/);
    expect(exec.paramView()).toEqual(before);
    // Later steps fail at once rather than waiting on the dead worker.
    await expect(pool.computeGradients(exec, 16, y)).rejects.toThrow(/shut down/);
  });

  it('fails the step naming the worker when a worker hangs past the timeout', async () => {
    const model = cnn();
    const exec = await executor(model, 16);
    const pool = await GradientWorkerPool.start(exec, { threads: 2, maxBatch: 16, yRow: 5, workerFile: WORKER, timeoutMs: 400, fault: { index: 1, kind: 'hang', at: 1 } });
    pools.push(pool);
    const { x, y } = batch(16, 1);
    exec.inputView(16).set(x);
    await expect(pool.computeGradients(exec, 16, y)).rejects.toThrow(/training worker 1 of 1 did not finish its shard within 400 ms during training step 1/);
  });

  it('says why a worker file that does not start fails', async () => {
    const exec = await executor(cnn(), 8);
    await expect(GradientWorkerPool.start(exec, { threads: 2, maxBatch: 8, yRow: 5, workerFile: path.join(DIST, 'no-such-worker.js') })).rejects.toThrow(/training worker 1 of 1 could not start/);
  });
});

describe('shardSizes', () => {
  it('splits a batch as evenly as possible, the trainer’s shard first', () => {
    expect(shardSizes(64, 2)).toEqual([32, 32]);
    expect(shardSizes(31, 3)).toEqual([11, 10, 10]);
    expect(shardSizes(1, 2)).toEqual([1, 0]);
  });

  it('moves samples between the trainer and the workers by the balance, the trainer keeping at least one', () => {
    expect(shardSizes(64, 2, 3)).toEqual([29, 35]);
    expect(shardSizes(64, 2, -2)).toEqual([34, 30]);
    expect(shardSizes(31, 3, 1)).toEqual([10, 11, 10]);
    expect(shardSizes(2, 2, 4)).toEqual([1, 1]);
    for (const [n, t, k] of [[64, 2, 4], [13, 2, -4], [31, 3, 1]]) expect(shardSizes(n, t, k).reduce((a, b) => a + b)).toBe(n);
    // The workers' buffers hold the largest shard the balance can give them.
    const limit = shiftLimit(64, 2);
    expect(limit).toBe(4);
    expect(Math.max(...shardSizes(64, 2, limit).slice(1))).toBeLessThanOrEqual(32 + limit);
  });
});

describe('nextShift', () => {
  const step = { waitedMs: 0, msPerSample: 0.2, limit: 4 };
  it('gives the workers a sample when they finished first, takes one back when the trainer waited, within the limit', () => {
    expect(nextShift(0, { ...step, workersAhead: true })).toBe(1);
    expect(nextShift(4, { ...step, workersAhead: true })).toBe(4);
    expect(nextShift(2, { ...step, workersAhead: false, waitedMs: 0.5 })).toBe(1);
    expect(nextShift(-4, { ...step, workersAhead: false, waitedMs: 0.5 })).toBe(-4);
    // A wait shorter than half a sample's compute is the balance point: keep it.
    expect(nextShift(2, { ...step, workersAhead: false, waitedMs: 0.05 })).toBe(2);
  });
});

describe('chooseThreads', () => {
  it('auto keeps one thread for a model without convolutions; a number the user set is kept', () => {
    const free = { cores: 2, load1: 0.3 };
    expect(threadsForModel('auto', chooseThreads('auto', free), true).threads).toBe(2);
    const mlp = threadsForModel(undefined, chooseThreads(undefined, free), false);
    expect(mlp.threads).toBe(1);
    expect(mlp.reason).toMatch(/^auto: 2 cores, .*without convolutions trains faster on one/);
    expect(threadsForModel(2, chooseThreads(2, free), false)).toEqual(chooseThreads(2, free));
    expect(threadsForModel('auto', chooseThreads('auto', { cores: 2, load1: 1.5 }), false).threads).toBe(1);
  });

  it("'auto' takes 2 threads only when more than one core is free", () => {
    expect(chooseThreads('auto', { cores: 2, load1: 0.3 })).toEqual({ threads: 2, reason: 'auto: 2 cores, load average 0.30 leaves more than one free' });
    expect(chooseThreads(undefined, { cores: 2, load1: 1.2 })).toEqual({ threads: 1, reason: 'auto: 2 cores, load average 1.20 leaves at most one free' });
    expect(chooseThreads('auto', { cores: 8, load1: 5 }).threads).toBe(2);
    expect(chooseThreads('auto', { cores: 1, load1: 0 })).toEqual({ threads: 1, reason: 'auto: this machine has 1 core' });
  });
  it('a set count is used as given, saying when it exceeds the cores', () => {
    expect(chooseThreads(1, { cores: 2, load1: 0 })).toEqual({ threads: 1, reason: 'threads set to 1' });
    expect(chooseThreads(4, { cores: 2, load1: 3 })).toEqual({ threads: 4, reason: "threads set to 4 (more than this machine's 2 cores), load average 3.00" });
  });
});

describe('GradientWorkerPool with depthwise and separable layers', () => {
  // The workers build their executors from the same plan, so the depthwise kernels' buffers (the expanded input, the
  // separable step's intermediate) must come out the same in each: the averaged gradient equals one thread's.
  function separableCnn(): tf.LayersModel {
    const init = (seed: number) => ({ depthwiseInitializer: tf.initializers.glorotUniform({ seed }) });
    const m = tf.sequential();
    m.add(tf.layers.depthwiseConv2d({ inputShape: [12, 12, 2], kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu', ...init(1) }));
    m.add(tf.layers.separableConv2d({ filters: 8, kernelSize: 3, strides: 2, activation: 'relu6', ...init(2), pointwiseInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
    m.add(tf.layers.globalAveragePooling2d({}));
    m.add(tf.layers.dense({ units: 5, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }));
    m.compile({ optimizer: tf.train.rmsprop(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    return m;
  }

  it('trains six RMSProp steps on 2 threads to the losses and weights of one thread', async () => {
    const model = separableCnn();
    const alone = await executor(model, 24);
    const split = await executor(model, 24);
    const pool = await GradientWorkerPool.start(split, { threads: 2, maxBatch: 24, yRow: 5, workerFile: WORKER });
    pools.push(pool);
    const start = alone.paramView().slice();
    for (let s = 0; s < 6; s++) {
      const n = s === 5 ? 11 : 24;
      const { x, y } = batch(n, 300 + s);
      alone.inputView(n).set(x);
      split.inputView(n).set(x);
      const want = alone.trainStep(n, y, 0.01);
      const got = await pool.computeGradients(split, n, y);
      split.applyGradients(0.01);
      expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5 * Math.abs(want.loss));
      expect(got.acc).toBeCloseTo(want.acc!, 6);
    }
    expect(relDiff(alone.paramView(), split.paramView())).toBeLessThan(1e-5);
    expect(relDiff(alone.paramView(), start)).toBeGreaterThan(1e-3);
  });
});
