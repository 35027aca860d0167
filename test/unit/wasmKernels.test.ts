// The gradient kernels Model Lab adds to the wasm backend, checked against tfjs's `cpu` backend:
// the same inputs (from a seeded generator, as plain arrays) go through tf.grads on both backends,
// and every gradient element must agree within float32 tolerance.
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradKernels } from '../../src/trainer/backends/wasmKernels';
import { mulberry32 as rng } from '../../src/trainer/data/split';

const ADDED = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
];

function randn(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r() * 2 - 1;
  return out;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

// Tolerance: |wasm - cpu| <= RTOL·|cpu| + ATOL·max|cpu| per element. XNNPACK and the cpu backend sum
// in different orders, so elements that are sums of cancelling terms can be near zero on one side
// and a few float32 ulps of the tensor's scale on the other; ATOL covers that and nothing more.
const RTOL = 1e-4;
const ATOL = 1e-5;

interface Err {
  abs: number;
  rel: number;
  n: number;
}
const errors = new Map<string, Err>();

function expectClose(label: string, kernel: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  // A gradient of all zeros would make the comparison vacuous.
  expect(scale, `${label}: reference gradient is all zeros`).toBeGreaterThan(0);
  let worstAbs = 0;
  let worstRel = 0;
  let bad = -1;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= RTOL * Math.abs(want[i]) + ATOL * scale) && bad < 0) bad = i;
    worstAbs = Math.max(worstAbs, d);
    worstRel = Math.max(worstRel, d / scale);
  }
  const e = errors.get(kernel) ?? { abs: 0, rel: 0, n: 0 };
  errors.set(kernel, { abs: Math.max(e.abs, worstAbs), rel: Math.max(e.rel, worstRel), n: e.n + 1 });
  if (bad >= 0) {
    expect.fail(
      `${label}: element ${bad} is ${got[bad]} on wasm, ${want[bad]} on cpu (max abs diff ${worstAbs}, scale ${scale})`,
    );
  }
}

/** Runs fn on one backend and returns its outputs as plain arrays. */
async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  expect(await tf.setBackend(backend)).toBe(true);
  const count = () => ({ tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() });
  const before = count();
  const outs = tf.tidy(fn);
  const vals = outs.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(outs);
  // Kernels must not leak: every intermediate (including the backend buffers a kernel makes for
  // itself) is freed by tidy or by the kernel.
  expect(count()).toEqual(before);
  return vals;
}

let registeredFirst: string[] = [];
let registeredSecond: string[] = [];
let missingBefore: string[] = [];

beforeAll(async () => {
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(dist + path.sep);
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
  missingBefore = ADDED.filter((k) => !tf.getKernel(k, 'wasm'));
  registeredFirst = registerWasmGradKernels(tf);
  registeredSecond = registerWasmGradKernels(tf);
});

afterAll(() => {
  const rows = [...errors].map(([k, e]) => `${k.padEnd(36)} cases ${String(e.n).padStart(3)}  max abs ${e.abs.toExponential(2)}  max abs/scale ${e.rel.toExponential(2)}`);
  console.log(`wasm vs cpu gradient error:\n${rows.join('\n')}`);
});

describe('registerWasmGradKernels', () => {
  it('registers exactly the kernels wasm 4.22.0 lacks, once', () => {
    expect(missingBefore).toEqual(ADDED);
    expect(registeredFirst).toEqual(ADDED);
    expect(registeredSecond).toEqual([]);
    for (const k of ADDED) expect(tf.getKernel(k, 'wasm')?.backendName).toBe('wasm');
  });
});

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

/** Gradients of sum(conv(x, w) · dy) w.r.t. x and w, on cpu and on wasm. */
async function convGrads(
  op: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D,
  xShape: number[],
  wShape: number[],
  seed: number,
): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  const xv = randn(size(xShape), seed);
  const wv = randn(size(wShape), seed + 1);
  await tf.setBackend('cpu');
  const yShape = tf.tidy(() => op(tf.tensor4d(xv, xShape as never), tf.tensor4d(wv, wShape as never)).shape);
  const dyv = randn(size(yShape), seed + 2);
  const fn = () => {
    const g = tf.grads((x: tf.Tensor, w: tf.Tensor) => op(x as tf.Tensor4D, w as tf.Tensor4D));
    return g([tf.tensor4d(xv, xShape as never), tf.tensor4d(wv, wShape as never)], tf.tensor(dyv, yShape));
  };
  return { cpu: await on('cpu', fn), wasm: await on('wasm', fn) };
}

describe('Conv2DBackpropFilter on wasm matches cpu', () => {
  const cases: Array<{ x: number[]; w: number[]; s: number | [number, number]; pad: Pad }> = [
    { x: [1, 5, 5, 1], w: [3, 3, 1, 1], s: 1, pad: 'valid' },
    { x: [2, 9, 7, 3], w: [3, 2, 3, 4], s: 2, pad: 'same' },
    { x: [3, 8, 10, 2], w: [5, 5, 2, 3], s: 1, pad: 'same' },
    { x: [2, 11, 6, 4], w: [3, 3, 4, 5], s: [2, 1], pad: 'valid' },
    { x: [2, 7, 7, 3], w: [2, 2, 3, 2], s: 3, pad: 'same' },
    { x: [2, 13, 9, 2], w: [4, 3, 2, 3], s: 2, pad: 'valid' },
    { x: [1, 6, 9, 2], w: [1, 1, 2, 3], s: 2, pad: 'valid' },
    { x: [2, 7, 8, 2], w: [3, 3, 2, 2], s: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
    { x: [4, 28, 28, 1], w: [5, 5, 1, 8], s: 1, pad: 'same' },
  ];
  it.each(cases.map((c, i) => ({ ...c, i })))('x $x w $w strides $s pad $pad', async ({ x, w, s, pad, i }) => {
    const g = await convGrads((a, b) => tf.conv2d(a, b, s, pad), x, w, 100 + i);
    expectClose(`dW x${x} w${w}`, 'Conv2DBackpropFilter', g.wasm[1], g.cpu[1]);
    // dx goes through wasm's own Conv2DBackpropInput; checked so the whole conv gradient is known good.
    expectClose(`dx x${x} w${w}`, 'Conv2DBackpropInput (wasm builtin)', g.wasm[0], g.cpu[0]);
  });

  it('names the attribute it does not support', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 4, 4, 1]);
    const dy = tf.zeros([1, 4, 4, 1]);
    const run = (attrs: Record<string, unknown>) => () =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
        strides: 1,
        pad: 'same',
        dataFormat: 'NHWC',
        filterShape: [1, 1, 1, 1],
        ...attrs,
      } as never);
    expect(run({ dataFormat: 'NCHW' })).toThrow(/dataFormat="NCHW"/);
    expect(run({ dilations: [2, 2] })).toThrow(/dilations=\[2,2\]/);
    tf.dispose([x, dy]);
  });
});

describe('DepthwiseConv2dNativeBackpropFilter / BackpropInput on wasm match cpu', () => {
  const cases: Array<{ x: number[]; w: number[]; s: number | [number, number]; pad: Pad }> = [
    { x: [2, 7, 9, 3], w: [3, 3, 3, 2], s: 1, pad: 'same' },
    { x: [2, 9, 8, 2], w: [3, 2, 2, 1], s: 2, pad: 'same' },
    { x: [1, 10, 7, 4], w: [5, 3, 4, 3], s: 2, pad: 'valid' },
    { x: [3, 6, 6, 1], w: [2, 2, 1, 4], s: [1, 2], pad: 'valid' },
    { x: [2, 5, 5, 2], w: [1, 1, 2, 1], s: 1, pad: 'valid' },
    // Padding wider than the filter: the backprop-input path has to crop instead of pad.
    { x: [2, 7, 6, 2], w: [2, 2, 2, 2], s: 2, pad: [[0, 0], [3, 0], [0, 2], [0, 0]] },
    { x: [1, 8, 9, 3], w: [3, 3, 3, 1], s: [2, 3], pad: [[0, 0], [0, 4], [1, 1], [0, 0]] },
  ];
  it.each(cases.map((c, i) => ({ ...c, i })))('x $x w $w strides $s pad $pad', async ({ x, w, s, pad, i }) => {
    const g = await convGrads((a, b) => tf.depthwiseConv2d(a, b, s, pad as 'same'), x, w, 200 + i);
    expectClose(`dW x${x} w${w}`, 'DepthwiseConv2dNativeBackpropFilter', g.wasm[1], g.cpu[1]);
    expectClose(`dx x${x} w${w}`, 'DepthwiseConv2dNativeBackpropInput', g.wasm[0], g.cpu[0]);
  });

  // tfjs refuses gradients of dilated depthwise convs, and the cpu kernels ignore dilations, so the
  // reference here is the undilated gradient w.r.t. a filter with the holes written out as zeros.
  it.each([
    { x: [2, 9, 8, 2], w: [3, 2, 2, 2], d: 2, pad: 'same' as const },
    { x: [1, 10, 11, 3], w: [2, 3, 3, 1], d: 3, pad: 'valid' as const },
  ])('dilations $d, x $x w $w pad $pad (direct kernel calls)', async ({ x, w, d, pad }) => {
    const [FH, FW, C, M] = w;
    const xv = randn(size(x), 300 + d);
    const wv = randn(size(w), 301 + d);
    const DFH = (FH - 1) * d + 1;
    const DFW = (FW - 1) * d + 1;
    const dilated = new Float32Array(DFH * DFW * C * M);
    for (let i = 0; i < FH; i++)
      for (let j = 0; j < FW; j++)
        for (let k = 0; k < C * M; k++) dilated[(i * d * DFW + j * d) * C * M + k] = wv[(i * FW + j) * C * M + k];
    await tf.setBackend('cpu');
    const yShape = tf.tidy(() => tf.depthwiseConv2d(tf.tensor4d(xv, x as never), tf.tensor4d(wv, w as never), 1, pad, 'NHWC', d).shape);
    const dyv = randn(size(yShape), 302 + d);
    const [dxRef, dwDilated] = await on('cpu', () =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad))(
        [tf.tensor4d(xv, x as never), tf.tensor4d(dilated, [DFH, DFW, C, M])],
        tf.tensor(dyv, yShape),
      ),
    );
    const dwRef = new Float32Array(size(w));
    for (let i = 0; i < FH; i++)
      for (let j = 0; j < FW; j++)
        for (let k = 0; k < C * M; k++) dwRef[(i * FW + j) * C * M + k] = dwDilated[(i * d * DFW + j * d) * C * M + k];
    const attrs = { strides: 1, dilations: d, pad, dimRoundingMode: undefined };
    const [dx, dw] = await on('wasm', () => [
      tf.engine().runKernel(
        'DepthwiseConv2dNativeBackpropInput',
        { dy: tf.tensor(dyv, yShape), filter: tf.tensor4d(wv, w as never) },
        { ...attrs, inputShape: x } as never,
      ) as tf.Tensor,
      tf.engine().runKernel(
        'DepthwiseConv2dNativeBackpropFilter',
        { x: tf.tensor4d(xv, x as never), dy: tf.tensor(dyv, yShape) },
        { ...attrs, filterShape: w } as never,
      ) as tf.Tensor,
    ]);
    expectClose(`dilated dx x${x}`, 'DepthwiseConv2dNativeBackpropInput', dx, dxRef);
    expectClose(`dilated dW w${w}`, 'DepthwiseConv2dNativeBackpropFilter', dw, dwRef);
  });
});

describe('UnsortedSegmentSum on wasm matches cpu', () => {
  it.each([
    { params: [7, 3], indices: [[0, 3, 3, 6, 0, 1]], axis: 0 },
    { params: [12, 5], indices: [[1, 2], [11, 2], [1, 1], [0, 7]], axis: 0 },
    { params: [3, 9, 2], indices: [[8, 0, 8, 4]], axis: 1 },
    { params: [20, 4], indices: [[5, 5, 5, 5, 5]], axis: 0 },
  ])('gather gradient: params $params indices $indices axis $axis', async ({ params, indices, axis }, ) => {
    const pv = randn(size(params), 400 + params[0]);
    const flat = indices.flat();
    const ishape = indices.length === 1 ? [flat.length] : [indices.length, indices[0].length];
    await tf.setBackend('cpu');
    const yShape = tf.tidy(() => tf.gather(tf.tensor(pv, params), tf.tensor(flat, ishape, 'int32'), axis).shape);
    const dyv = randn(size(yShape), 401);
    const fn = () => [
      tf.grad((p: tf.Tensor) => tf.gather(p, tf.tensor(flat, ishape, 'int32'), axis))(tf.tensor(pv, params), tf.tensor(dyv, yShape)),
    ];
    const [cpu] = await on('cpu', fn);
    const [got] = await on('wasm', fn);
    expectClose(`gather grad ${params}`, 'UnsortedSegmentSum', got, cpu);
  });

  it('drops out-of-range ids and keeps int32', async () => {
    const fn = () => [tf.unsortedSegmentSum(tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [5, 2], 'int32'), tf.tensor1d([2, -1, 0, 2, 4], 'int32'), 3)];
    const [cpu] = await on('cpu', fn);
    await tf.setBackend('wasm');
    const out = tf.unsortedSegmentSum(tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [5, 2], 'int32'), tf.tensor1d([2, -1, 0, 2, 4], 'int32'), 3);
    expect(out.dtype).toBe('int32');
    expect(out.shape).toEqual([3, 2]);
    expect(Array.from(out.dataSync())).toEqual([5, 6, 0, 0, 8, 10]);
    expect(Array.from(out.dataSync())).toEqual(Array.from(cpu));
    out.dispose();
  });
});

// Whole models: the same weights on both backends, one gradient step on the same batch.
type Build = () => tf.LayersModel;
const models: Array<{ name: string; build: Build; input: number[]; classes: number; ints?: number }> = [
  {
    name: "Model Lab's example CNN (conv2d, maxPooling2d, flatten, dense, dropout)",
    input: [12, 12, 1],
    classes: 5,
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 16, activation: 'relu' }),
          tf.layers.dropout({ rate: 0.25, seed: 7 }),
          tf.layers.dense({ units: 5, activation: 'softmax' }),
        ],
      }),
  },
  {
    name: 'conv1d',
    input: [11, 3],
    classes: 4,
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.conv1d({ inputShape: [11, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }),
          tf.layers.conv1d({ filters: 3, kernelSize: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 4, activation: 'softmax' }),
        ],
      }),
  },
  {
    name: 'depthwiseConv2d, separableConv2d, batchNormalization, averagePooling2d, globalAveragePooling2d',
    input: [9, 10, 2],
    classes: 3,
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.depthwiseConv2d({ inputShape: [9, 10, 2], kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' }),
          // No bias before batchNormalization: its gradient is exactly 0, so both sides would be rounding noise.
          tf.layers.separableConv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2, useBias: false }),
          tf.layers.batchNormalization(),
          tf.layers.averagePooling2d({ poolSize: 2, strides: 1 }),
          tf.layers.globalAveragePooling2d({}),
          tf.layers.dense({ units: 3, activation: 'softmax' }),
        ],
      }),
  },
  {
    name: 'embedding, lstm',
    input: [6],
    ints: 15,
    classes: 3,
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.embedding({ inputDim: 15, outputDim: 4, inputLength: 6 }),
          tf.layers.lstm({ units: 5 }),
          tf.layers.dense({ units: 3, activation: 'softmax' }),
        ],
      }),
  },
  {
    name: 'gru, simpleRNN',
    input: [5, 3],
    classes: 3,
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.gru({ inputShape: [5, 3], units: 4, returnSequences: true }),
          tf.layers.simpleRNN({ units: 3 }),
          tf.layers.dense({ units: 3, activation: 'softmax' }),
        ],
      }),
  },
];

describe('whole-model gradients on wasm match cpu', () => {
  it.each(models)('$name', async ({ build, input, classes, ints }) => {
    const batch = 4;
    const r = rng(500 + input.length);
    const xv = ints
      ? Float32Array.from({ length: batch * size(input) }, (_, i) => (i < ints ? i : Math.floor(r() * ints)))
      : randn(batch * size(input), 501);
    const yv = new Float32Array(batch * classes);
    for (let b = 0; b < batch; b++) yv[b * classes + (b % classes)] = 1;

    await tf.setBackend('cpu');
    const cpuModel = build();
    const weights = cpuModel.getWeights().map((w) => ({ shape: w.shape, values: Float32Array.from(w.dataSync()) }));
    // Layer names get a per-process counter ("dense_Dense3"); the rest must line up.
    const kinds = (m: tf.LayersModel) => m.trainableWeights.map((w) => `${w.originalName.replace(/\d+\//, '/')} ${w.shape}`);
    const names = kinds(cpuModel);

    const step = (model: tf.LayersModel) => () => {
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { grads } = tf.variableGrads(() => {
        const p = model.apply(tf.tensor(xv, [batch, ...input]), { training: true }) as tf.Tensor;
        return tf.metrics.categoricalCrossentropy(tf.tensor2d(yv, [batch, classes]), p).mean() as tf.Scalar;
      }, vars);
      return vars.map((v) => grads[v.name]);
    };
    const cpu = await on('cpu', step(cpuModel));

    await tf.setBackend('wasm');
    const wasmModel = build();
    const init = weights.map((w) => tf.tensor(w.values, w.shape));
    wasmModel.setWeights(init);
    tf.dispose(init);
    expect(kinds(wasmModel)).toEqual(names);
    const got = await on('wasm', step(wasmModel));

    expect(got.length).toBe(names.length);
    for (let i = 0; i < names.length; i++) expectClose(`${names[i]}`, 'whole models (per weight)', got[i], cpu[i]);
    cpuModel.dispose();
    wasmModel.dispose();
  });
});
