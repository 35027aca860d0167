// The fused executor against tfjs's `cpu` backend: the same model, initial weights and batches go
// through tfjs's trainOnBatch and through the executor's wasm kernels; the losses of every step, the
// weights after the steps and the optimizer state (tfjs getWeights layout) must agree within float32
// tolerance. Each case covers a set of kernels forward and backward (conv valid/same/strided, max and
// average pooling, dense, the activations) with one loss and one optimizer.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { FusedExecutor } from '../../src/trainer/backends/fused/executor';
import { prepareFusedFit } from '../../src/trainer/backends/fused/fusedFit';
import { planFusedModel } from '../../src/trainer/backends/fused/plan';
import { FusedEngine, pickVariant } from '../../src/trainer/backends/fused/wasmEngine';
import { mulberry32 as rng } from '../../src/trainer/data/split';

interface Case {
  name: string;
  build: () => tf.LayersModel;
  batch: number;
  steps: number;
  /** Targets for one batch: one-hot rows, class indices or values. */
  labels: 'onehot' | 'sparse' | 'binary' | 'values';
}

function batchData(model: tf.LayersModel, c: Case, seed: number): { x: Float32Array; y: Float32Array; xShape: number[]; yShape: number[] } {
  const r = rng(seed);
  const inShape = model.inputs[0].shape.slice(1) as number[];
  const k = model.outputs[0].shape[1] as number;
  const x = Float32Array.from({ length: c.batch * inShape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1);
  let y: Float32Array;
  let yShape: number[];
  if (c.labels === 'sparse') {
    y = Float32Array.from({ length: c.batch }, () => Math.floor(r() * k));
    yShape = [c.batch];
  } else if (c.labels === 'onehot') {
    y = new Float32Array(c.batch * k);
    for (let i = 0; i < c.batch; i++) y[i * k + Math.floor(r() * k)] = 1;
    yShape = [c.batch, k];
  } else {
    y = Float32Array.from({ length: c.batch * k }, () => (c.labels === 'binary' ? (r() < 0.5 ? 0 : 1) : r() * 2 - 1));
    yShape = [c.batch, k];
  }
  return { x, y, xShape: [c.batch, ...inShape], yShape };
}

/**
 * One batch's loss and gradients from the executor against tfjs's: tfjs-layers' own loss function of the
 * compiled model, as fit uses it (mean over the batch; a Sequential keeps it on its inner functional
 * model), differentiated by tf.variableGrads on the cpu backend.
 */
function expectGradientsOfTfjs(model: tf.LayersModel, exec: FusedExecutor, batch: number, d: { x: Float32Array; y: Float32Array; xShape: number[]; yShape: number[] }): void {
  const xs = tf.tensor(d.x, d.xShape);
  const ys = tf.tensor(d.y, d.yShape);
  const lossFn = (model as unknown as { model: { lossFunctions: ((y: tf.Tensor, p: tf.Tensor) => tf.Tensor)[] } }).model.lossFunctions[0];
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => tf.mean(lossFn(ys, model.apply(xs, { training: true }) as tf.Tensor)) as tf.Scalar, vars);
  exec.inputView(batch).set(d.x);
  const got = exec.computeGradients(batch, d.y);
  expect(got.loss).toBeCloseTo(value.dataSync()[0], 5);
  const all = exec.gradView();
  let off = 0;
  for (const v of vars) {
    const want = Array.from(grads[v.name].dataSync());
    const scale = want.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    expect(scale, `gradient of ${v.name} is all zeros`).toBeGreaterThan(0);
    let diff = 0;
    // Relative to the gradient's size, with a floor: a small gradient (a batch-norm beta of 0.016)
    // is a sum of float32 terms of order 1, whose rounding does not shrink with the sum.
    for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(all[off + i] - want[i]));
    expect(diff, `gradient of ${v.name}: max |fused - tfjs| ${diff}, max |tfjs| ${scale}`).toBeLessThanOrEqual(2e-5 * Math.max(scale, 0.05));
    off += want.length;
  }
  tf.dispose([xs, ys, value, ...Object.values(grads)]);
}

/**
 * Replaces the model's initial weights with seeded ones: each weight tensor that the initializer filled
 * with different values gets uniform values within Glorot's limit for its shape (the last axis as the
 * outputs); constant ones (zero biases, batch-norm gammas of 1) stay as they are.
 */
function seedWeights(model: tf.LayersModel, seed: number): void {
  const r = rng(seed);
  model.setWeights(
    model.getWeights().map((w) => {
      const v = w.dataSync() as Float32Array;
      if (v.every((x) => x === v[0])) return w.clone();
      const fanOut = w.shape[w.shape.length - 1] ?? 1;
      const limit = Math.sqrt(6 / (v.length / fanOut + fanOut));
      return tf.tensor(Float32Array.from(v, () => (r() * 2 - 1) * limit), w.shape);
    }),
  );
}

/** max |a - b| over max |b - b0|: the difference as a fraction of how far training moved the weights. */
function relativeToUpdate(a: ArrayLike<number>, b: ArrayLike<number>, b0: ArrayLike<number>): { diff: number; moved: number } {
  let diff = 0;
  let moved = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    moved = Math.max(moved, Math.abs(b[i] - b0[i]));
  }
  return { diff, moved };
}

const sequential = (layers: tf.layers.Layer[], compile: tf.ModelCompileArgs) => {
  const m = tf.sequential({ layers });
  m.compile(compile);
  return m;
};

const CASES: Case[] = [
  {
    name: 'reference CNN: conv valid + relu, 2x2 max pool, dense relu, softmax, categorical cross-entropy, Adam',
    batch: 16,
    steps: 3,
    labels: 'onehot',
    build: () =>
      sequential(
        [
          tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 128, activation: 'relu' }),
          tf.layers.dense({ units: 10, activation: 'softmax' }),
        ],
        { optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
      ),
  },
  {
    name: "conv 'same' stride 2 with 6 filters, tanh, 3x3/2 average pool 'same', sparse cross-entropy, Nesterov momentum",
    batch: 5,
    steps: 3,
    labels: 'sparse',
    build: () =>
      sequential(
        [
          tf.layers.conv2d({ inputShape: [11, 9, 3], filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }),
          tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
          tf.layers.conv2d({ filters: 5, kernelSize: [2, 1], padding: 'same', activation: 'sigmoid' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 7, activation: 'softmax' }),
        ],
        { optimizer: tf.train.momentum(0.05, 0.9, true), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
      ),
  },
  {
    name: "3x3/2 max pool 'same' on odd sizes, relu6 and an Activation layer, plain RMSProp",
    batch: 6,
    steps: 3,
    labels: 'onehot',
    build: () =>
      sequential(
        [
          tf.layers.conv2d({ inputShape: [9, 7, 4], filters: 12, kernelSize: 3, activation: 'relu6' }),
          tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
          tf.layers.conv2d({ filters: 20, kernelSize: 2, strides: [1, 2], useBias: false }),
          tf.layers.activation({ activation: 'tanh' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 4 }),
          tf.layers.activation({ activation: 'softmax' }),
        ],
        { optimizer: tf.train.rmsprop(0.005), loss: 'categoricalCrossentropy' },
      ),
  },
  {
    // tfjs's centered RMSProp subtracts epsilon under the square root (NaN for gradients below ~3e-4 with the default 1e-7, and
    // an ill-conditioned g/sqrt(ms - mg²) with a tiny one; the executor does the same), so a negative epsilon damps it here.
    name: 'MLP: elu, selu, linear output, mean squared error, centered RMSProp with momentum',
    batch: 9,
    steps: 4,
    labels: 'values',
    build: () =>
      sequential(
        [
          tf.layers.dense({ inputShape: [13], units: 17, activation: 'elu' }),
          tf.layers.dense({ units: 8, activation: 'selu' }),
          tf.layers.dense({ units: 3 }),
        ],
        { optimizer: tf.train.rmsprop(0.01, 0.9, 0.5, -1e-3, true), loss: 'meanSquaredError' },
      ),
  },
  {
    name: 'binary classifier: sigmoid output, binary cross-entropy and accuracy, SGD',
    batch: 12,
    steps: 4,
    labels: 'binary',
    build: () =>
      sequential(
        [tf.layers.dense({ inputShape: [6], units: 10, activation: 'relu' }), tf.layers.dense({ units: 1, activation: 'sigmoid' })],
        { optimizer: tf.train.sgd(0.5), loss: 'binaryCrossentropy', metrics: ['accuracy'] },
      ),
  },
  {
    name: 'batch normalisation after a conv (per channel, NHWC) and after a dense layer, Adam',
    batch: 8,
    steps: 3,
    labels: 'onehot',
    build: () =>
      sequential(
        [
          // No bias before a normalisation (it would cancel out: a zero gradient made of rounding noise, which Adam scales up).
          tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 6, kernelSize: 3, useBias: false }),
          tf.layers.batchNormalization({ momentum: 0.9 }),
          tf.layers.activation({ activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 12, activation: 'tanh' }),
          tf.layers.batchNormalization({ epsilon: 0.01, momentum: 0.5 }),
          tf.layers.dropout({ rate: 0 }),
          tf.layers.dense({ units: 4, activation: 'softmax' }),
        ],
        { optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
      ),
  },
  {
    name: 'a dropout of rate 0 between dense layers, plain momentum',
    batch: 4,
    steps: 3,
    labels: 'values',
    build: () =>
      sequential([tf.layers.dense({ inputShape: [5], units: 6, activation: 'sigmoid' }), tf.layers.dropout({ rate: 0 }), tf.layers.dense({ units: 2 })], {
        optimizer: tf.train.momentum(0.1, 0.8),
        loss: 'meanSquaredError',
      }),
  },
];

// ---- depthwise and separable convolutions, global pooling (issue 13's MobileNet-style layers) ------------------------
// Appended to CASES, so each gets the whole-step comparison and the one-batch gradient comparison in both wasm builds.
// Between them: valid and 'same', strides 1, 2 and [2, 1], depthMultiplier 1, 2 and 3, C·M of 5, 6, 8, 12 and 32 lanes
// (the 16-lane blocks, the 4-lane blocks and the scalar tail), with and without bias, the first layer (no input gradient)
// and a middle one (its input gradient through the expansion and the padding), under Adam, RMSProp, momentum and SGD.
const DEPTHWISE_CASES: Case[] = [
  {
    name: 'depthwise conv valid (multiplier 1, 8 lanes) + relu first, global average pooling, softmax, Adam',
    batch: 6,
    steps: 3,
    labels: 'onehot',
    build: () =>
      sequential(
        [
          tf.layers.depthwiseConv2d({ inputShape: [9, 8, 8], kernelSize: 3, activation: 'relu' }),
          tf.layers.globalAveragePooling2d({}),
          tf.layers.dense({ units: 5, activation: 'softmax' }),
        ],
        { optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
      ),
  },
  {
    name: "depthwise conv 'same' stride 2, multiplier 2 on 3 channels (6 lanes), no bias, tanh, flatten, RMSProp",
    batch: 5,
    steps: 3,
    labels: 'onehot',
    build: () =>
      sequential(
        [
          tf.layers.depthwiseConv2d({ inputShape: [7, 10, 3], kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2, useBias: false, activation: 'tanh' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 4, activation: 'softmax' }),
        ],
        { optimizer: tf.train.rmsprop(0.003), loss: 'categoricalCrossentropy' },
      ),
  },
  {
    name: "separable convs: 'same' relu6 on 5 channels, then valid stride 2 with multiplier 2 (32 lanes), global average pooling, momentum",
    batch: 4,
    steps: 3,
    labels: 'sparse',
    build: () =>
      sequential(
        [
          tf.layers.separableConv2d({ inputShape: [8, 8, 5], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu6' }),
          tf.layers.separableConv2d({ filters: 7, kernelSize: 3, strides: 2, depthMultiplier: 2, activation: 'relu6' }),
          tf.layers.globalAveragePooling2d({}),
          tf.layers.dense({ units: 3, activation: 'softmax' }),
        ],
        { optimizer: tf.train.momentum(0.05, 0.9), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
      ),
  },
  {
    name: "conv, then a depthwise conv 'same' [3, 2] stride [2, 1] multiplier 3 (12 lanes) + selu, global max pooling, SGD",
    batch: 5,
    steps: 3,
    labels: 'values',
    build: () =>
      sequential(
        [
          tf.layers.conv2d({ inputShape: [7, 6, 2], filters: 4, kernelSize: 2, activation: 'tanh' }),
          tf.layers.depthwiseConv2d({ kernelSize: [3, 2], strides: [2, 1], padding: 'same', depthMultiplier: 3, activation: 'selu' }),
          tf.layers.globalMaxPooling2d({}),
          tf.layers.dense({ units: 2 }),
        ],
        { optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' },
      ),
  },
  {
    name: "depthwise conv 5x5 'same' stride 3, multiplier 4 on 5 channels (20 lanes: a 16-lane and a 4-lane block), Nesterov momentum",
    batch: 3,
    steps: 3,
    labels: 'onehot',
    build: () =>
      sequential(
        [
          tf.layers.depthwiseConv2d({ inputShape: [11, 13, 5], kernelSize: 5, strides: 3, padding: 'same', depthMultiplier: 4, activation: 'sigmoid' }),
          tf.layers.globalAveragePooling2d({}),
          tf.layers.dense({ units: 3, activation: 'softmax' }),
        ],
        { optimizer: tf.train.momentum(0.1, 0.9, true), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
      ),
  },
  {
    name: "separable conv 'same' stride 2 without bias, multiplier 3 on 2 channels, linear, flatten, sigmoid output, binary cross-entropy, Adam",
    batch: 7,
    steps: 3,
    labels: 'binary',
    build: () =>
      sequential(
        [
          tf.layers.separableConv2d({ inputShape: [6, 9, 2], filters: 6, kernelSize: [3, 4], strides: 2, padding: 'same', depthMultiplier: 3, useBias: false }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 1, activation: 'sigmoid' }),
        ],
        { optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy', metrics: ['accuracy'] },
      ),
  },
  {
    name: 'MobileNet-style block: conv stride 2, batch norm, relu, depthwise, batch norm, relu6, 1x1 conv, global average pooling, Adam',
    batch: 6,
    steps: 3,
    labels: 'onehot',
    build: () =>
      sequential(
        [
          tf.layers.conv2d({ inputShape: [12, 12, 3], filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false }),
          tf.layers.batchNormalization({}),
          tf.layers.activation({ activation: 'relu' }),
          tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false }),
          tf.layers.batchNormalization({}),
          tf.layers.activation({ activation: 'relu6' }),
          tf.layers.conv2d({ filters: 12, kernelSize: 1, activation: 'relu' }),
          tf.layers.globalAveragePooling2d({}),
          tf.layers.dense({ units: 4, activation: 'softmax' }),
        ],
        { optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
      ),
  },
];
CASES.push(...DEPTHWISE_CASES);

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('fused executor vs tfjs cpu, whole training steps', () => {
  for (const c of CASES)
    it(c.name, async () => {
      const ref = c.build();
      const fused = c.build();
      const w0 = ref.getWeights().map((w) => w.dataSync().slice());
      fused.setWeights(ref.getWeights().map((w) => w.clone()));
      const planned = planFusedModel(fused);
      expect(planned.reason).toBeUndefined();
      const exec = new FusedExecutor(planned.plan!, c.batch, new FusedEngine('simd128'));
      await exec.loadFromModel(fused);
      const lr = (ref.optimizer as unknown as { learningRate: number }).learningRate;
      for (let s = 0; s < c.steps; s++) {
        const d = batchData(ref, c, 100 + s);
        const xs = tf.tensor(d.x, d.xShape);
        const ys = tf.tensor(d.y, d.yShape);
        const out = await ref.trainOnBatch(xs, ys);
        tf.dispose([xs, ys]);
        const [wantLoss, wantAcc] = Array.isArray(out) ? out : [out];
        exec.inputView(c.batch).set(d.x);
        const got = exec.trainStep(c.batch, d.y, lr);
        expect(Math.abs(got.loss - wantLoss), `step ${s + 1} loss ${got.loss} vs tfjs ${wantLoss}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(wantLoss)));
        if (wantAcc !== undefined) expect(got.acc, `step ${s + 1} accuracy`).toBeCloseTo(wantAcc, 6);
      }
      await exec.ensureOptimizerState(tf, fused);
      exec.storeToModel(tf, fused);
      const want = ref.getWeights();
      const got = fused.getWeights();
      // Adam moves every weight by about lr whatever the gradient's size, so a weight whose gradient is
      // float32 rounding noise (different summation orders) may move differently by a few % of lr; the
      // gradients themselves are compared strictly in the test below.
      const adam = ref.optimizer.getClassName() === 'Adam';
      want.forEach((w, i) => {
        const { diff, moved } = relativeToUpdate(got[i].dataSync(), w.dataSync(), w0[i]);
        expect(moved, `weight ${ref.weights[i].name} moved`).toBeGreaterThan(0);
        expect(diff, `weight ${ref.weights[i].name}: max |fused - tfjs| ${diff} for an update of ${moved}`).toBeLessThanOrEqual((adam ? 0.05 : 1e-3) * moved + 1e-7);
      });
      // Optimizer state: same layout (iterations, then each slot per weight), same values.
      const ws = await ref.optimizer.getWeights();
      const gs = await fused.optimizer.getWeights();
      expect(gs.length).toBe(ws.length);
      expect(gs[0].tensor.dataSync()[0]).toBe(c.steps);
      for (let i = 1; i < ws.length; i++) {
        const a = Array.from(ws[i].tensor.dataSync());
        const b = Array.from(gs[i].tensor.dataSync());
        const scale = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const diff = a.reduce((m, v, j) => Math.max(m, Math.abs(v - b[j])), 0);
        expect(diff, `optimizer state ${ws[i].name}`).toBeLessThanOrEqual(2e-3 * scale + 1e-9);
        const nw = fused.trainableWeights.length;
        expect(gs[i].name).toBe(`${fused.trainableWeights[(i - 1) % nw].name}/${ws[i].name.split('/').pop()}`);
      }
    });

  it('picks relaxed SIMD by default where it compiles, plain SIMD with MODEL_LAB_RELAXED_SIMD=0', () => {
    expect(pickVariant({ MODEL_LAB_RELAXED_SIMD: '0' })).toBe('simd128');
    expect(pickVariant({})).toBe('relaxed-simd');
    expect(new FusedEngine().k.simd_variant()).toBe(2);
  });

  const gradientCases: [Case, 'simd128' | 'relaxed-simd'][] = CASES.flatMap((c) => [
    [c, 'simd128'],
    [c, 'relaxed-simd'],
  ]);
  for (const [c, variant] of gradientCases)
    it(`gradients of one batch (${variant}): ${c.name}`, () => {
      // Relaxed SIMD (fused multiply-add) is the default: Node 20 compiles it once pickVariant sets its flag.
      if (variant === 'relaxed-simd') expect(pickVariant({})).toBe('relaxed-simd');
      const model = c.build();
      // Seeded weights: with tfjs's unseeded initializers a case's largest rounding difference moves from run
      // to run (the MLP's selu bias gradient came out just over its bound about one run in six).
      seedWeights(model, 11);
      const exec = new FusedExecutor(planFusedModel(model).plan!, c.batch, new FusedEngine(variant));
      expect(exec.engine.k.simd_variant()).toBe(variant === 'relaxed-simd' ? 2 : 1);
      return exec.loadFromModel(model).then(() => expectGradientsOfTfjs(model, exec, c.batch, batchData(model, c, 7)));
    });

  it('continues from optimizer state tfjs built up (Adam resumed after 2 tfjs steps), writing it back in place', async () => {
    const c = CASES[0];
    const ref = c.build();
    const fused = c.build();
    fused.setWeights(ref.getWeights().map((w) => w.clone()));
    for (let s = 0; s < 2; s++) {
      const d = batchData(ref, c, 200 + s);
      for (const m of [ref, fused]) {
        const xs = tf.tensor(d.x, d.xShape);
        const ys = tf.tensor(d.y, d.yShape);
        await m.trainOnBatch(xs, ys);
        tf.dispose([xs, ys]);
      }
    }
    const exec = new FusedExecutor(planFusedModel(fused).plan!, c.batch, new FusedEngine('simd128'));
    await exec.loadFromModel(fused);
    const before = tf.memory().numTensors;
    for (let s = 2; s < 4; s++) {
      const d = batchData(ref, c, 200 + s);
      const xs = tf.tensor(d.x, d.xShape);
      const ys = tf.tensor(d.y, d.yShape);
      const [wantLoss] = (await ref.trainOnBatch(xs, ys)) as number[];
      tf.dispose([xs, ys]);
      exec.inputView(c.batch).set(d.x);
      expect(exec.trainStep(c.batch, d.y, 1e-3).loss).toBeCloseTo(wantLoss, 5);
    }
    await exec.ensureOptimizerState(tf, fused);
    exec.storeToModel(tf, fused);
    exec.storeToModel(tf, fused);
    // Writing back twice assigns into the same variables: no tensor is leaked by a sync.
    expect(tf.memory().numTensors).toBe(before + 0);
    const a = await ref.optimizer.getWeights();
    const b = await fused.optimizer.getWeights();
    expect(b[0].tensor.dataSync()[0]).toBe(4);
    expect(b.map((x) => x.name.split('/').pop())).toEqual(a.map((x) => x.name.split('/').pop()));
    for (let i = 1; i < a.length; i++) {
      const x = Array.from(a[i].tensor.dataSync());
      const y = Array.from(b[i].tensor.dataSync());
      const scale = x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(x.reduce((m, v, j) => Math.max(m, Math.abs(v - y[j])), 0)).toBeLessThanOrEqual(2e-3 * scale);
    }
  });
});

describe('batch normalisation in the fused executor', () => {
  it('evaluates with the moving statistics it trained, as tfjs does outside training', async () => {
    const c = CASES.find((x) => x.name.startsWith('batch normalisation'))!;
    const ref = c.build();
    const fused = c.build();
    fused.setWeights(ref.getWeights().map((w) => w.clone()));
    const exec = new FusedExecutor(planFusedModel(fused).plan!, c.batch, new FusedEngine('simd128'));
    await exec.loadFromModel(fused);
    for (let s = 0; s < 3; s++) {
      const d = batchData(ref, c, 300 + s);
      const xs = tf.tensor(d.x, d.xShape);
      const ys = tf.tensor(d.y, d.yShape);
      await ref.trainOnBatch(xs, ys);
      tf.dispose([xs, ys]);
      exec.inputView(c.batch).set(d.x);
      exec.trainStep(c.batch, d.y, 0.01);
    }
    const d = batchData(ref, c, 999);
    const xs = tf.tensor(d.x, d.xShape);
    const ys = tf.tensor(d.y, d.yShape);
    const want = (ref.evaluate(xs, ys, { batchSize: c.batch }) as tf.Scalar[])[0].dataSync()[0];
    const inference = (ref.predict(xs) as tf.Tensor).dataSync();
    // The batch's own statistics give other outputs (this call also moves ref's moving statistics: last).
    const trainingMode = (ref.apply(xs, { training: true }) as tf.Tensor).dataSync();
    expect(Math.max(...inference.map((v, i) => Math.abs(v - trainingMode[i])))).toBeGreaterThan(1e-3);
    tf.dispose([xs, ys]);
    exec.inputView(c.batch).set(d.x);
    const got = exec.evaluate(c.batch, d.y);
    expect(Math.abs(got.loss - want)).toBeLessThan(1e-4 * want);
    expect(Array.from(exec.outputView(c.batch)).map((v, i) => Math.abs(v - inference[i])).every((e) => e < 1e-4)).toBe(true);
  });
});

describe('dropout in the fused executor', () => {
  it('zeroes about `rate` of the values while training, scales the rest by 1/(1-rate), and is the identity otherwise', () => {
    const model = sequential([tf.layers.dense({ inputShape: [50], units: 200, kernelInitializer: 'ones', biasInitializer: 'ones' }), tf.layers.dropout({ rate: 0.3 })], {
      optimizer: 'adam',
      loss: 'meanSquaredError',
    });
    const exec = new FusedExecutor(planFusedModel(model).plan!, 40, new FusedEngine('simd128'));
    return exec.loadFromModel(model).then(() => {
      exec.inputView(40).fill(0);
      exec.forward(40, true);
      const out = exec.outputView(40);
      const zeros = out.filter((v) => v === 0).length / out.length;
      expect(zeros).toBeGreaterThan(0.27);
      expect(zeros).toBeLessThan(0.33);
      for (const v of out) if (v !== 0) expect(v).toBeCloseTo(1 / 0.7, 6);
      exec.forward(40, false);
      expect(exec.outputView(40).every((v) => v === 1)).toBe(true);
    });
  });
});

describe('planning depthwise, separable and global pooling layers', () => {
  const compiled = (layers: tf.layers.Layer[]) => sequential(layers, { optimizer: 'sgd', loss: 'meanSquaredError' });

  it("plans a separable conv with the depth multiplier of its kernel (its getConfig leaves it out) and tfjs's weight order", () => {
    const model = compiled([
      tf.layers.separableConv2d({ inputShape: [9, 9, 3], filters: 5, kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2, activation: 'relu6' }),
      tf.layers.globalMaxPooling2d({}),
    ]);
    const { plan, reason } = planFusedModel(model);
    expect(reason).toBeUndefined();
    expect(plan!.layers[0]).toMatchObject({ kind: 'depthwise', inShape: [9, 9, 3], outShape: [5, 5, 5], multiplier: 2, pointwise: 5, strides: [2, 2], pad: { top: 1, left: 1, hp: 11, wp: 11 }, activation: 'relu6' });
    expect(plan!.layers[1]).toMatchObject({ kind: 'globalPool', op: 'max', inShape: [5, 5, 5] });
    expect(plan!.outputSize).toBe(5);
    expect(plan!.weights.map((w) => [w.name.split('/').pop(), w.shape])).toEqual([
      ['depthwise_kernel', [3, 3, 3, 2]],
      ['pointwise_kernel', [1, 1, 6, 5]],
      ['bias', [5]],
    ]);
  });

  it('trains on tfjs, saying why, what the kernels do not cover: dilation, a regularizer, channels first', () => {
    const reason = (layer: tf.layers.Layer) => planFusedModel(compiled([layer, tf.layers.flatten()])).reason;
    expect(reason(tf.layers.depthwiseConv2d({ inputShape: [8, 8, 2], kernelSize: 3, dilationRate: 2 }))).toMatch(/layer depthwise_conv2d\S*: dilation 2x2 is not fused/);
    expect(reason(tf.layers.separableConv2d({ inputShape: [8, 8, 2], filters: 3, kernelSize: 3, depthwiseRegularizer: tf.regularizers.l2() }))).toMatch(/has a depthwiseRegularizer/);
    expect(reason(tf.layers.separableConv2d({ inputShape: [8, 8, 2], filters: 3, kernelSize: 3, pointwiseRegularizer: tf.regularizers.l2() }))).toMatch(/has a pointwiseRegularizer/);
    expect(planFusedModel(compiled([tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 2, kernelSize: 1 }), tf.layers.globalAveragePooling2d({ dataFormat: 'channelsFirst' })])).reason).toMatch(
      /dataFormat channelsFirst/,
    );
    expect(reason(tf.layers.upSampling2d({ inputShape: [4, 4, 2] }))).toMatch(/\(UpSampling2D\) is not a layer the fused executor covers \(it covers .*DepthwiseConv2D, SeparableConv2D.*GlobalAveragePooling2D, GlobalMaxPooling2D/);
  });
});

// ---- transposed convolutions, reshape, image outputs and the mse / mae metrics (the autoencoder templates) ----
// Whole steps and one batch's gradients against tfjs `cpu`, in both wasm builds. Labels have the model's whole
// output shape ([batch, h, w, c] for an image output), so these cases have their own batch maker.

interface ImageCase {
  name: string;
  build: () => tf.LayersModel;
  batch: number;
  steps: number;
  labels: 'onehot' | 'binary' | 'values' | 'pixels';
  /** Weights compared to this fraction of how far training moved them (Adam: see the first block). */
  weightTolerance?: number;
}

/** x in -1..1 and labels for the output's full per-sample shape (from the plan: a reshape's -1 is resolved there). */
function imageBatch(model: tf.LayersModel, c: ImageCase, seed: number): { x: Float32Array; y: Float32Array; xShape: number[]; yShape: number[] } {
  const r = rng(seed);
  const inShape = model.inputs[0].shape.slice(1) as number[];
  const outShape = planFusedModel(model).plan!.outputShape!;
  const k = outShape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: c.batch * inShape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1);
  const y = new Float32Array(c.batch * k);
  if (c.labels === 'onehot') for (let i = 0; i < c.batch; i++) y[i * k + Math.floor(r() * k)] = 1;
  else for (let i = 0; i < y.length; i++) y[i] = c.labels === 'binary' ? (r() < 0.5 ? 0 : 1) : c.labels === 'pixels' ? r() : r() * 2 - 1;
  return { x, y, xShape: [c.batch, ...inShape], yShape: [c.batch, ...outShape] };
}

const IMAGE_CASES: ImageCase[] = [
  {
    name: "conv2dTranspose 'valid' stride 1 on an odd 5x7 input, with bias and relu, then flatten, softmax, categorical cross-entropy, SGD",
    batch: 4,
    steps: 3,
    labels: 'onehot',
    build: () =>
      sequential(
        [
          tf.layers.conv2dTranspose({ inputShape: [5, 7, 3], filters: 6, kernelSize: 3, activation: 'relu' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 5, activation: 'softmax' }),
        ],
        { optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
      ),
  },
  {
    name: "conv2dTranspose 'same' stride 2 (kernel 5: uneven padding) without bias on 5x3, then 'valid' stride 2 (kernel 3) to a sigmoid image, binary cross-entropy and mse, momentum",
    batch: 3,
    steps: 3,
    labels: 'binary',
    build: () =>
      sequential(
        [
          tf.layers.conv2dTranspose({ inputShape: [5, 3, 4], filters: 9, kernelSize: 5, strides: 2, padding: 'same', useBias: false, activation: 'tanh' }),
          tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, activation: 'sigmoid' }),
        ],
        { optimizer: tf.train.momentum(0.05, 0.9), loss: 'binaryCrossentropy', metrics: ['mse'] },
      ),
  },
  {
    name: "conv2dTranspose with a kernel smaller than its stride ('valid' 1x1 stride 2) and [2,3] kernel strides [1,2] 'same'; mean squared error on the image, mae and MSE metrics, RMSProp",
    batch: 5,
    steps: 3,
    labels: 'values',
    build: () =>
      sequential(
        [
          tf.layers.conv2dTranspose({ inputShape: [3, 5, 8], filters: 4, kernelSize: 1, strides: 2, activation: 'selu' }),
          tf.layers.conv2dTranspose({ filters: 3, kernelSize: [2, 3], strides: [1, 2], padding: 'same' }),
        ],
        { optimizer: tf.train.rmsprop(0.002), loss: 'meanSquaredError', metrics: ['mae', 'MSE'] },
      ),
  },
  {
    // tfjs-layers leaves a -1 unresolved in the symbolic shape (its computeOutputShape sees the unknown batch), so a
    // Flatten or Dense cannot follow one: the -1 is on the last layer here.
    name: "reshape in the middle and as the output (targetShape with -1): dense, reshape, conv2d 'same', conv2dTranspose stride 2, flatten, dense, reshape; mean squared error, Nesterov momentum",
    batch: 6,
    steps: 3,
    labels: 'values',
    build: () =>
      sequential(
        [
          tf.layers.dense({ inputShape: [7], units: 30, activation: 'elu' }),
          tf.layers.reshape({ targetShape: [3, 5, 2] }),
          tf.layers.conv2d({ filters: 4, kernelSize: 2, padding: 'same', activation: 'relu' }),
          tf.layers.conv2dTranspose({ filters: 5, kernelSize: 3, strides: 2, padding: 'same' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 12 }),
          tf.layers.reshape({ targetShape: [2, -1, 3] }),
        ],
        { optimizer: tf.train.momentum(0.02, 0.5, true), loss: 'meanSquaredError' },
      ),
  },
  {
    name: "a [batch, 28, 28, 1] sigmoid output (the conv autoencoder's decoder): dense, reshape [7,7,4], two conv2dTranspose 'same' stride 2, binary cross-entropy and mse, Adam",
    batch: 4,
    steps: 3,
    labels: 'pixels',
    weightTolerance: 0.05,
    build: () =>
      sequential(
        [
          tf.layers.dense({ inputShape: [6], units: 196, activation: 'relu' }),
          tf.layers.reshape({ targetShape: [7, 7, 4] }),
          tf.layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
          tf.layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' }),
        ],
        { optimizer: tf.train.adam(0.002), loss: 'binaryCrossentropy', metrics: ['mse'] },
      ),
  },
];

describe('fused executor vs tfjs cpu: transposed convolutions, reshape, image outputs, mse / mae', () => {
  it('plans the output sizes and paddings tfjs-layers and tfjs-core use (deconvLength, conv2DBackpropInput)', () => {
    for (const [size, k, s, padding] of [
      [5, 3, 1, 'valid'],
      [5, 3, 2, 'valid'],
      [5, 1, 2, 'valid'],
      [7, 5, 2, 'same'],
      [3, 2, 1, 'same'],
      [4, 3, 3, 'same'],
    ] as const) {
      const layer = tf.layers.conv2dTranspose({ inputShape: [size, size, 2], filters: 1, kernelSize: k, strides: s, padding });
      const model = sequential([layer], { optimizer: 'sgd', loss: 'meanSquaredError' });
      const l = planFusedModel(model).plan!.layers[0];
      expect(l.kind).toBe('conv2dTranspose');
      if (l.kind !== 'conv2dTranspose') continue;
      expect(l.outShape, `${size} ${k}/${s} ${padding}`).toEqual((model.outputs[0].shape as number[]).slice(1));
      const y = model.predict(tf.ones([1, size, size, 2])) as tf.Tensor;
      expect(y.shape.slice(1)).toEqual(l.outShape);
      y.dispose();
    }
  });

  it('refuses categorical cross-entropy on an image output, and categorical accuracy there, saying why', () => {
    const layers = () => [tf.layers.conv2dTranspose({ inputShape: [4, 4, 2], filters: 3, kernelSize: 2, strides: 2, activation: 'softmax' })];
    expect(planFusedModel(sequential(layers(), { optimizer: 'adam', loss: 'categoricalCrossentropy' })).reason).toMatch(
      /output shape \[null,8,8,3\] is not \[batch, units\], which categoricalCrossentropy needs/,
    );
    expect(planFusedModel(sequential(layers(), { optimizer: 'adam', loss: 'meanSquaredError', metrics: ['accuracy'] })).reason).toMatch(/categorical accuracy on the output shape/);
    expect(planFusedModel(sequential(layers(), { optimizer: 'adam', loss: 'meanSquaredError', metrics: ['mape'] })).reason).toMatch(/metric mape is not fused/);
  });

  for (const c of IMAGE_CASES)
    for (const variant of ['simd128', 'relaxed-simd'] as const) {
      it(`whole steps (${variant}): ${c.name}`, async () => {
        const ref = c.build();
        const fused = c.build();
        const w0 = ref.getWeights().map((w) => w.dataSync().slice());
        fused.setWeights(ref.getWeights().map((w) => w.clone()));
        const planned = planFusedModel(fused);
        expect(planned.reason).toBeUndefined();
        const plan = planned.plan!;
        const exec = new FusedExecutor(plan, c.batch, new FusedEngine(variant));
        await exec.loadFromModel(fused);
        const lr = (ref.optimizer as unknown as { learningRate: number }).learningRate;
        // tfjs's logs: loss, then the metrics in compile order (acc for accuracy).
        const names = (ref as unknown as { model: { metricsNames: string[] } }).model.metricsNames;
        for (let s = 0; s < c.steps; s++) {
          const d = imageBatch(ref, c, 500 + s);
          const xs = tf.tensor(d.x, d.xShape);
          const ys = tf.tensor(d.y, d.yShape);
          const out = await ref.trainOnBatch(xs, ys);
          tf.dispose([xs, ys]);
          const want = Array.isArray(out) ? out : [out];
          exec.inputView(c.batch).set(d.x);
          const got = exec.trainStep(c.batch, d.y, lr);
          const gotByName: Record<string, number | undefined> = { loss: got.loss, acc: got.acc };
          plan.valueMetrics?.forEach((m, i) => (gotByName[m.name] = got.values![i]));
          expect(Object.keys(gotByName).filter((k) => gotByName[k] !== undefined).sort()).toEqual([...names].sort());
          if (plan.metricOrder) expect(['loss', ...plan.metricOrder]).toEqual(names);
          names.forEach((name, i) =>
            expect(Math.abs(gotByName[name]! - want[i]), `step ${s + 1} ${name} ${gotByName[name]} vs tfjs ${want[i]}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i]))),
          );
        }
        await exec.ensureOptimizerState(tf, fused);
        exec.storeToModel(tf, fused);
        const want = ref.getWeights();
        const got = fused.getWeights();
        want.forEach((w, i) => {
          const { diff, moved } = relativeToUpdate(got[i].dataSync(), w.dataSync(), w0[i]);
          expect(moved, `weight ${ref.weights[i].name} moved`).toBeGreaterThan(0);
          expect(diff, `weight ${ref.weights[i].name}: max |fused - tfjs| ${diff} for an update of ${moved}`).toBeLessThanOrEqual((c.weightTolerance ?? 1e-3) * moved + 1e-7);
        });
      });

      it(`gradients of one batch (${variant}): ${c.name}`, async () => {
        const model = c.build();
        seedWeights(model, 11);
        const exec = new FusedExecutor(planFusedModel(model).plan!, c.batch, new FusedEngine(variant));
        expect(exec.engine.k.simd_variant()).toBe(variant === 'relaxed-simd' ? 2 : 1);
        await exec.loadFromModel(model);
        expectGradientsOfTfjs(model, exec, c.batch, imageBatch(model, c, 11));
      });
    }
});

describe('planning models whose weight names tfjs suffixed', () => {
  it("fuses a model built twice with a named layer (tfjs names the second one's weights code/kernel_1 …)", () => {
    const build = () => sequential([tf.layers.dense({ inputShape: [3], units: 2, name: 'code' })], { optimizer: 'sgd', loss: 'meanSquaredError' });
    build();
    const again = build();
    expect(again.trainableWeights.map((w) => w.name)).toEqual([expect.stringMatching(/^code\/kernel_\d+$/), expect.stringMatching(/^code\/bias_\d+$/)]);
    expect(planFusedModel(again).reason).toBeUndefined();
  });
});

describe("the fused fit's logs for an image output with metrics", () => {
  it("has tfjs fit's keys in tfjs's order (loss, then compile order; val_ ones first at an epoch end) and its values", async () => {
    const build = () =>
      sequential(
        [
          tf.layers.dense({ inputShape: [5], units: 32, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
          tf.layers.reshape({ targetShape: [4, 4, 2] }),
          tf.layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
        ],
        { optimizer: tf.train.sgd(0.5), loss: 'binaryCrossentropy', metrics: ['mse', 'accuracy', 'MAE'] },
      );
    const r = rng(21);
    const xs = tf.tensor(Float32Array.from({ length: 20 * 5 }, () => r() * 2 - 1), [20, 5]);
    const ys = tf.tensor(Float32Array.from({ length: 20 * 64 }, () => (r() < 0.5 ? 0 : 1)), [20, 8, 8, 1]);
    const record = (into: Record<string, number>[][]) => ({
      onBatchEnd: async (_b: number, logs?: tf.Logs) => void into[0].push({ ...(logs as Record<string, number>) }),
      onEpochEnd: async (_e: number, logs?: tf.Logs) => void into[1].push({ ...(logs as Record<string, number>) }),
    });
    const want: Record<string, number>[][] = [[], []];
    await build().fit(xs, ys, { epochs: 2, batchSize: 8, validationSplit: 0.25, shuffle: false, callbacks: record(want) });
    const model = build();
    const fit = await prepareFusedFit(tf, { name: 'cpu', reason: 'test' }, model, { kind: 'tensors', xs, ys }, { batchSize: 8, validationSplit: 0.25, threads: 1, env: { MODEL_LAB_EXECUTOR: 'fused' } });
    expect(fit.executor, fit.reason).toBe('fused');
    const got: Record<string, number>[][] = [[], []];
    if (fit.executor === 'fused') await fit.fit({ epochs: 2, initialEpoch: 0, batchSize: 8, validationSplit: 0.25, shuffle: false, yieldEvery: 'never', callbacks: record(got) });
    tf.dispose([xs, ys]);
    expect(Object.keys(want[0][0])).toEqual(['batch', 'size', 'loss', 'mse', 'acc', 'MAE']);
    expect(Object.keys(want[1][0])).toEqual(['val_loss', 'val_mse', 'val_acc', 'val_MAE', 'loss', 'mse', 'acc', 'MAE']);
    for (const kind of [0, 1]) {
      expect(got[kind].map((l) => Object.keys(l))).toEqual(want[kind].map((l) => Object.keys(l)));
      got[kind].forEach((l, i) => {
        for (const [k, v] of Object.entries(want[kind][i])) expect(Math.abs(l[k] - v), `${kind ? 'epoch' : 'batch'} ${i} ${k}: ${l[k]} fused, ${v} tfjs`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v)));
      });
    }
  });
});
