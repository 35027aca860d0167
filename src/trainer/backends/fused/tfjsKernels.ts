/**
 * The fused executor's wasm SIMD kernels, registered on tfjs's wasm backend for models the executor
 * does not cover (recurrent layers, functional graphs, custom layers), replacing the three kernels
 * where a tfjs training step spends most of its time (recipes/fast-training: a scalar 7-deep loop,
 * a scalar pooling gradient, a scalar batched matmul whenever an operand is transposed):
 *   Conv2DBackpropInput, MaxPoolGrad, and BatchMatMul with transposeA or transposeB.
 * Inputs are copied into the kernels' own wasm instance and the result back into a tfjs tensor:
 * O(size) copies around O(size·k) work. What they do not cover (dilation, NCHW, broadcast batches)
 * goes to tfjs's own kernel. Checked against the `cpu` backend in test/unit/fusedTfjsKernels.test.ts.
 */
import type { TensorInfo } from '@tensorflow/tfjs';
import { FusedEngine } from './wasmEngine';

type TF = typeof import('@tensorflow/tfjs');
type DataId = TensorInfo['dataId'];

interface WasmBackend {
  readSync(dataId: DataId): unknown;
  makeOutput(shape: number[], dtype: TensorInfo['dtype'], memoryOffset?: number, values?: ArrayLike<number>): TensorInfo;
}

interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackend;
  attrs: Record<string, unknown>;
}
type KernelFunc = (args: KernelArgs) => TensorInfo;

const BACKEND = 'wasm';

/** One engine for all kernel calls; its scratch buffers are reused from call to call. */
class Scratch {
  private engine?: FusedEngine;
  private base = 0;

  get e(): FusedEngine {
    if (!this.engine) {
      this.engine = new FusedEngine('simd128');
      this.base = this.engine.alloc(0);
    }
    return this.engine;
  }

  /** Buffers of the given float counts for one call (the previous call's are overwritten). */
  take(...counts: number[]): number[] {
    const e = this.e;
    e.resetTo(this.base);
    return counts.map((c) => e.alloc(c));
  }

  put(ptr: number, values: unknown): void {
    this.e.f32.set(values as Float32Array, ptr >> 2);
  }

  get(ptr: number, count: number): Float32Array {
    return this.e.f32.slice(ptr >> 2, (ptr >> 2) + count);
  }
}

const scratch = new Scratch();
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const isOnes = (v: unknown) => v == null || v === 1 || (Array.isArray(v) && v.every((d) => d === 1));
const f32 = (backend: WasmBackend, t: TensorInfo) => backend.readSync(t.dataId) as Float32Array;

function maxPoolGrad(tf: TF, fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { dy, input } = args.inputs;
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
    if (input.dtype !== 'float32' || input.shape.length !== 4) return fallback(args);
    const pi = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = pi;
    const nIn = size(input.shape);
    const nOut = n * oh * ow * c;
    const [x, y, idx, d, dx] = scratch.take(nIn, nOut, nOut, nOut, nIn);
    scratch.put(x, f32(args.backend, input));
    scratch.put(d, f32(args.backend, dy));
    const k = scratch.e.k;
    // The argmax again, with tfjs cpu's rule (first maximum in window order), then the scatter.
    k.maxpool_fwd(x, y, idx, n, h, w, c, oh, ow, pi.filterHeight, pi.filterWidth, pi.strideHeight, pi.strideWidth, pi.padInfo.top, pi.padInfo.left);
    k.maxpool_bwd(d, idx, dx, nOut, nIn);
    return args.backend.makeOutput(input.shape, 'float32', undefined, scratch.get(dx, nIn));
  };
}

function conv2DBackpropInput(tf: TF, fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs;
    const { strides, pad, dataFormat, dimRoundingMode, inputShape, dilations } = args.attrs as {
      strides: number | [number, number];
      pad: 'valid' | 'same' | number;
      dataFormat?: string;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      inputShape: [number, number, number, number];
      dilations?: number | [number, number];
    };
    if ((dataFormat != null && dataFormat !== 'NHWC') || !isOnes(dilations) || dy.dtype !== 'float32') return fallback(args);
    const ci = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, 'channelsLast');
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, outChannels: kk, filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = ci;
    const { top, left } = ci.padInfo;
    // The padded frame every window lies in (and the input inside it at top, left).
    const hp = Math.max(top + h, (oh - 1) * sh + fh);
    const wp = Math.max(left + w, (ow - 1) * sw + fw);
    const [d, wgt, wt, dxp, dx] = scratch.take(size(dy.shape), fh * fw * c * kk, fh * fw * c * kk, n * hp * wp * c, n * h * w * c);
    scratch.put(d, f32(args.backend, dy));
    scratch.put(wgt, f32(args.backend, filter));
    const k = scratch.e.k;
    k.transpose(wgt, wt, c, kk, fh * fw);
    k.conv2d_bwd_input(d, wt, dxp, n, hp, wp, c, oh, ow, kk, fh, fw, sh, sw);
    k.unpad_nhwc(dxp, dx, n, h, w, c, hp, wp, top, left);
    return args.backend.makeOutput(inputShape, 'float32', undefined, scratch.get(dx, n * h * w * c));
  };
}

function batchMatMul(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs;
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const ra = a.shape.length;
    const rb = b.shape.length;
    // XNNPACK serves untransposed products well; broadcast batch dimensions stay with tfjs.
    if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32' || ra !== rb || a.shape.slice(0, -2).join() !== b.shape.slice(0, -2).join())
      return fallback(args);
    const batch = size(a.shape.slice(0, -2));
    const [a0, a1] = a.shape.slice(-2);
    const [b0, b1] = b.shape.slice(-2);
    const m = transposeA ? a1 : a0;
    const kk = transposeA ? a0 : a1;
    const nn = transposeB ? b0 : b1;
    if ((transposeB ? b1 : b0) !== kk) return fallback(args);
    const [pa, pb, pbt, pc] = scratch.take(batch * m * kk, batch * kk * nn, kk * nn, batch * m * nn);
    scratch.put(pa, f32(args.backend, a));
    scratch.put(pb, f32(args.backend, b));
    const k = scratch.e.k;
    for (let i = 0; i < batch; i++) {
      const ai = pa + 4 * i * m * kk;
      let bi = pb + 4 * i * kk * nn;
      if (transposeB) {
        k.transpose(bi, pbt, nn, kk, 1);
        bi = pbt;
      }
      // A(i,k) = a[i·sam + k·sak]: a transposed A is only other strides.
      k.gemm(ai, transposeA ? 1 : kk, transposeA ? m : 1, bi, pc + 4 * i * m * nn, m, nn, kk, 0);
    }
    return args.backend.makeOutput([...a.shape.slice(0, -2), m, nn], 'float32', undefined, scratch.get(pc, batch * m * nn));
  };
}

const KERNELS: [string, (tf: TF, fallback: KernelFunc) => KernelFunc][] = [
  ['MaxPoolGrad', maxPoolGrad],
  ['Conv2DBackpropInput', conv2DBackpropInput],
  ['BatchMatMul', (_tf, fallback) => batchMatMul(fallback)],
];

const registered = new WeakSet<object>();

/** Replaces tfjs wasm's own kernels by these (keeping them for what these do not cover); returns the names. */
export function registerFusedTfjsKernels(tf: TF): string[] {
  const names: string[] = [];
  for (const [name, make] of KERNELS) {
    const own = tf.getKernel(name, BACKEND);
    if (!own || registered.has(own)) continue;
    const fallback = own.kernelFunc as unknown as KernelFunc;
    tf.unregisterKernel(name, BACKEND);
    const config = { ...own, kernelFunc: make(tf, fallback) as unknown as typeof own.kernelFunc };
    registered.add(config);
    tf.registerKernel(config);
    names.push(name);
  }
  return names;
}
