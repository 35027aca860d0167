// The fused executor's kernels registered on tfjs's wasm backend (MaxPoolGrad, Conv2DBackpropInput,
// BatchMatMul with a transpose), against tfjs's `cpu` backend: the same inputs through
// tf.engine().runKernel on both backends, every element within float32 tolerance, no leaked tensors.
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { registerFusedTfjsKernels } from '../../src/trainer/backends/fused/tfjsKernels';
import { mulberry32 as rng } from '../../src/trainer/data/split';

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
/** Values on a coarse grid, so max pooling windows have ties (first maximum must win). */
const values = (shape: number[], seed: number, grid = 0) => {
  const r = rng(seed);
  return Float32Array.from({ length: size(shape) }, () => (grid ? Math.round((r() * 2 - 1) * grid) / grid : r() * 2 - 1));
};

let registered: string[] = [];
let again: string[] = [];

beforeAll(async () => {
  wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
  registered = registerFusedTfjsKernels(tf);
  again = registerFusedTfjsKernels(tf);
});

async function both(run: () => tf.Tensor): Promise<{ cpu: Float32Array; wasm: Float32Array; shape: number[] }> {
  const out: Record<string, Float32Array> = {};
  let shape: number[] = [];
  for (const b of ['cpu', 'wasm']) {
    await tf.setBackend(b);
    const before = tf.memory().numTensors;
    const t = tf.tidy(run);
    out[b] = Float32Array.from(t.dataSync());
    shape = t.shape;
    t.dispose();
    expect(tf.memory().numTensors, `${b}: tensors leaked`).toBe(before);
  }
  return { cpu: out.cpu, wasm: out.wasm, shape };
}

function expectClose(got: Float32Array, want: Float32Array, label: string): void {
  expect(got.length, label).toBe(want.length);
  const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  expect(scale, `${label}: all zeros`).toBeGreaterThan(0);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst, `${label}: max |wasm - cpu| ${worst} for values up to ${scale}`).toBeLessThanOrEqual(1e-5 * scale);
}

describe('registerFusedTfjsKernels', () => {
  it('replaces the three wasm kernels once', () => {
    expect(registered).toEqual(['MaxPoolGrad', 'Conv2DBackpropInput', 'BatchMatMul']);
    expect(again).toEqual([]);
  });

  const pools: [number[], number, number, 'valid' | 'same'][] = [
    [[4, 24, 24, 8], 2, 2, 'valid'],
    [[2, 9, 9, 3], 3, 2, 'same'],
    [[2, 7, 8, 5], 3, 1, 'valid'],
    [[1, 5, 5, 2], 2, 2, 'same'],
  ];
  for (const [xs, f, s, p] of pools)
    it(`MaxPoolGrad ${JSON.stringify(xs)} pool ${f} stride ${s} ${p} (with ties)`, async () => {
      const xv = values(xs, 1, 4);
      const { cpu, wasm: w } = await both(() => {
        const x = tf.tensor4d(xv, xs as [number, number, number, number]);
        const y = tf.maxPool(x, f, s, p);
        const dy = tf.tensor(values(y.shape, 2), y.shape);
        return tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: f, strides: s, pad: p } as unknown as tf.NamedAttrMap) as tf.Tensor;
      });
      expectClose(w, cpu, 'MaxPoolGrad');
    });

  const convs: [number[], number[], number | [number, number], 'valid' | 'same'][] = [
    [[8, 12, 12, 8], [5, 5, 8, 16], 1, 'valid'],
    [[3, 9, 11, 5], [3, 3, 5, 7], 2, 'same'],
    [[2, 10, 10, 4], [4, 4, 4, 6], 2, 'valid'],
    [[2, 7, 8, 3], [3, 2, 3, 4], [1, 2], 'same'],
    [[2, 8, 8, 16], [1, 1, 16, 32], 1, 'valid'],
  ];
  for (const [xs, fs, s, p] of convs)
    it(`Conv2DBackpropInput x ${JSON.stringify(xs)} filter ${JSON.stringify(fs)} stride ${JSON.stringify(s)} ${p}`, async () => {
      const { cpu, wasm: w } = await both(() => {
        const yShape = tf.conv2d(tf.zeros(xs) as unknown as tf.Tensor4D, tf.zeros(fs) as unknown as tf.Tensor4D, s as [number, number], p).shape;
        const dy = tf.tensor(values(yShape, 3), yShape);
        const filter = tf.tensor(values(fs, 4), fs);
        return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides: s, pad: p, dataFormat: 'NHWC', inputShape: xs } as unknown as tf.NamedAttrMap) as tf.Tensor;
      });
      expectClose(w, cpu, 'Conv2DBackpropInput');
    });

  const mms: [number[], number[], boolean, boolean][] = [
    [[64, 256], [64, 128], true, false],
    [[64, 128], [256, 128], false, true],
    [[3, 7, 5], [3, 9, 5], false, true],
    [[2, 6, 4], [2, 6, 3], true, false],
    [[5, 7], [9, 5], true, true],
    [[6, 4], [4, 3], false, false],
  ];
  for (const [as, bs, ta, tb] of mms)
    it(`BatchMatMul ${JSON.stringify(as)}${ta ? 'ᵀ' : ''} · ${JSON.stringify(bs)}${tb ? 'ᵀ' : ''}`, async () => {
      const { cpu, wasm: w, shape } = await both(() => tf.matMul(tf.tensor(values(as, 5), as), tf.tensor(values(bs, 6), bs), ta, tb));
      expect(shape.slice(-1)[0]).toBe(tb ? bs[bs.length - 2] : bs[bs.length - 1]);
      expectClose(w, cpu, 'BatchMatMul');
    });

  it('trains an LSTM on wasm with the same loss as on cpu (its gradients use the transposed products)', async () => {
    const losses: Record<string, number> = {};
    for (const b of ['cpu', 'wasm']) {
      await tf.setBackend(b);
      const model = tf.sequential({ layers: [tf.layers.lstm({ inputShape: [6, 4], units: 8, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 2 }) }), tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })] });
      model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
      const x = tf.tensor(values([10, 6, 4], 7), [10, 6, 4]);
      const y = tf.tensor(values([10, 3], 8), [10, 3]);
      await model.trainOnBatch(x, y);
      losses[b] = (await model.trainOnBatch(x, y)) as number;
      tf.dispose([x, y]);
      model.dispose();
    }
    expect(losses.wasm).toBeCloseTo(losses.cpu, 5);
  });
});
