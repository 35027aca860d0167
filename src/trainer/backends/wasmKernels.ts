// Gradient kernels that @tensorflow/tfjs-backend-wasm 4.22.0 does not ship. Without them, fitting a
// conv2d, depthwiseConv2d/separableConv2d or embedding layer on wasm fails with
// "Kernel '…' not registered for backend 'wasm'". Each is checked numerically against the `cpu`
// backend in test/unit/wasmKernels.test.ts.
//
// `tf` is a parameter (and only types are imported here) so that this module never loads a second
// copy of tfjs: kernels must be registered in the same registry the backend lives in.
import type { TensorInfo } from '@tensorflow/tfjs';

type TF = typeof import('@tensorflow/tfjs');
type Conv2DInfo = ReturnType<TF['backend_util']['computeConv2DInfo']>;
type DataId = TensorInfo['dataId'];
type DType = TensorInfo['dtype'];

/** The part of the wasm backend (BackendWasm) these kernels use. */
interface WasmBackend {
  readSync(dataId: DataId): unknown;
  disposeData(dataId: DataId, force?: boolean): boolean;
  makeOutput(shape: number[], dtype: DType, memoryOffset?: number, values?: ArrayLike<number>): TensorInfo;
}

interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackend;
  attrs: Record<string, unknown>;
}

type WasmKernelFunc = (args: KernelArgs) => TensorInfo;

const BACKEND = 'wasm';

/** Throws when a conv attribute asks for something a kernel here does not implement. */
function unsupported(kernel: string, attr: string, value: unknown, supported: string): never {
  throw new Error(
    `Model Lab's wasm ${kernel} kernel does not support ${attr}=${JSON.stringify(value)} (supported: ${supported}).`,
  );
}

function isOnes(v: unknown): boolean {
  if (v == null) return true;
  if (typeof v === 'number') return v === 1;
  return Array.isArray(v) && v.every((d) => d === 1);
}

function pair(v: unknown): [number, number] {
  if (v == null) return [1, 1];
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0], a.length > 1 ? a[1] : a[0]];
}

function asFloat32(values: unknown): Float32Array {
  return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
}

/** Calls one of the wasm backend's own kernels. */
function wasmKernel(tf: TF, name: string): WasmKernelFunc {
  const k = tf.getKernel(name, BACKEND);
  if (!k) throw new Error(`Model Lab: the wasm backend has no '${name}' kernel to build on.`);
  return k.kernelFunc as unknown as WasmKernelFunc;
}

/**
 * dW[kh,kw,c,k] = Σ_b,oh,ow xpad[b, oh·sh + kh, ow·sw + kw, c] · dy[b,oh,ow,k]
 * which is itself a convolution: input xpadᵀ [C,Hp,Wp,N], filter dyᵀ [OH,OW,N,K], stride 1,
 * dilation = the forward stride → [C,FH',FW',K], sliced to [C,FH,FW,K], transposed to [FH,FW,C,K].
 * So the work runs in XNNPACK instead of JS loops (about 9x faster for the reference CNN).
 */
function conv2DBackpropFilter(tf: TF): WasmKernelFunc {
  const name = 'Conv2DBackpropFilter';
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs;
    const { strides, pad, dataFormat, dimRoundingMode, filterShape, dilations } = attrs as {
      strides: number | [number, number];
      pad: 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
      dataFormat?: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      filterShape: [number, number, number, number];
      dilations?: number | [number, number];
    };
    if (dataFormat != null && dataFormat !== 'NHWC') unsupported(name, 'dataFormat', dataFormat, "'NHWC'");
    if (!isOnes(dilations)) unsupported(name, 'dilations', dilations, '1');
    const ci: Conv2DInfo = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const { top, left } = ci.padInfo;
    // The window the conv below reads must cover (OH-1)·sh + FH rows; with explicit padding and
    // dimRoundingMode 'ceil' the forward padding alone may not, so pad the far side a bit more.
    const padded = (n: number, a: number, b: number) => n + a + b;
    const needH = (ci.outHeight - 1) * ci.strideHeight + ci.filterHeight;
    const needW = (ci.outWidth - 1) * ci.strideWidth + ci.filterWidth;
    const bottom = ci.padInfo.bottom + Math.max(0, needH - padded(ci.inHeight, top, ci.padInfo.bottom));
    const right = ci.padInfo.right + Math.max(0, needW - padded(ci.inWidth, left, ci.padInfo.right));

    const tmp: TensorInfo[] = [];
    try {
      let xp = x;
      if (top || bottom || left || right) {
        xp = wasmKernel(tf, 'PadV2')({
          inputs: { x },
          backend,
          attrs: { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 },
        });
        tmp.push(xp);
      }
      const transpose = wasmKernel(tf, 'Transpose');
      const xt = transpose({ inputs: { x: xp }, backend, attrs: { perm: [3, 1, 2, 0] } });
      tmp.push(xt);
      const dyt = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
      tmp.push(dyt);
      let c = wasmKernel(tf, 'Conv2D')({
        inputs: { x: xt, filter: dyt },
        backend,
        attrs: {
          strides: [1, 1],
          pad: 'valid',
          dataFormat: 'NHWC',
          dilations: [ci.strideHeight, ci.strideWidth],
          dimRoundingMode: undefined,
        },
      });
      tmp.push(c);
      if (c.shape[1] !== ci.filterHeight || c.shape[2] !== ci.filterWidth) {
        c = wasmKernel(tf, 'Slice')({
          inputs: { x: c },
          backend,
          attrs: { begin: [0, 0, 0, 0], size: [ci.inChannels, ci.filterHeight, ci.filterWidth, ci.outChannels] },
        });
        tmp.push(c);
      }
      return transpose({ inputs: { x: c }, backend, attrs: { perm: [1, 2, 0, 3] } });
    } finally {
      for (const t of tmp) if (t !== x) backend.disposeData(t.dataId);
    }
  };
}

interface DepthwiseGeometry {
  ci: Conv2DInfo;
  /** channel multiplier */
  m: number;
}

function depthwiseGeometry(
  tf: TF,
  kernel: string,
  inShape: number[],
  filterShape: [number, number, number, number],
  attrs: Record<string, unknown>,
): DepthwiseGeometry {
  const { strides, dilations, pad, dimRoundingMode, dataFormat } = attrs as {
    strides: number | [number, number];
    dilations?: number | [number, number];
    pad: 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    dataFormat?: string;
  };
  if (dataFormat != null && dataFormat !== 'NHWC') unsupported(kernel, 'dataFormat', dataFormat, "'NHWC'");
  const ci = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape,
    strides,
    pair(dilations),
    pad,
    dimRoundingMode,
    true,
    'channelsLast',
  );
  return { ci, m: filterShape[3] };
}

/** dW[kh,kw,c,q] = Σ_b,oh,ow x[b, oh·sh + kh·dh - top, ow·sw + kw·dw - left, c] · dy[b,oh,ow,c·M+q] */
function depthwiseConv2dNativeBackpropFilter(tf: TF): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs;
    const filterShape = attrs.filterShape as [number, number, number, number];
    const { ci, m: M } = depthwiseGeometry(tf, 'DepthwiseConv2dNativeBackpropFilter', x.shape, filterShape, attrs);
    const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = ci;
    const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = ci;
    const { dilationHeight: DH, dilationWidth: DW } = ci;
    const { top, left } = ci.padInfo;
    const K = C * M;
    const xv = asFloat32(backend.readSync(x.dataId));
    const dv = asFloat32(backend.readSync(dy.dataId));
    const dw = new Float32Array(FH * FW * K);
    for (let b = 0; b < N; b++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const dOff = ((b * OH + oh) * OW + ow) * K;
          for (let kh = 0; kh < FH; kh++) {
            const xr = oh * SH + kh * DH - top;
            if (xr < 0 || xr >= H) continue;
            for (let kw = 0; kw < FW; kw++) {
              const xc = ow * SW + kw * DW - left;
              if (xc < 0 || xc >= W) continue;
              const xOff = ((b * H + xr) * W + xc) * C;
              const wOff = (kh * FW + kw) * K;
              for (let c = 0; c < C; c++) {
                const xval = xv[xOff + c];
                if (xval === 0) continue;
                const o = c * M;
                for (let q = 0; q < M; q++) dw[wOff + o + q] += xval * dv[dOff + o + q];
              }
            }
          }
        }
      }
    }
    return backend.makeOutput([FH, FW, C, M], 'float32', undefined, dw);
  };
}

/** dx[b, oh·sh + kh·dh - top, ow·sw + kw·dw - left, c] += Σ_q dy[b,oh,ow,c·M+q] · w[kh,kw,c,q] */
function depthwiseConv2dNativeBackpropInput(tf: TF): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs;
    const inputShape = attrs.inputShape as [number, number, number, number];
    const { ci, m: M } = depthwiseGeometry(
      tf,
      'DepthwiseConv2dNativeBackpropInput',
      inputShape,
      filter.shape as [number, number, number, number],
      attrs,
    );
    const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = ci;
    const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = ci;
    const { dilationHeight: DH, dilationWidth: DW } = ci;
    const { top, left } = ci.padInfo;
    const K = C * M;
    const dv = asFloat32(backend.readSync(dy.dataId));
    const wv = asFloat32(backend.readSync(filter.dataId));
    const dx = new Float32Array(N * H * W * C);
    for (let b = 0; b < N; b++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const dOff = ((b * OH + oh) * OW + ow) * K;
          for (let kh = 0; kh < FH; kh++) {
            const xr = oh * SH + kh * DH - top;
            if (xr < 0 || xr >= H) continue;
            for (let kw = 0; kw < FW; kw++) {
              const xc = ow * SW + kw * DW - left;
              if (xc < 0 || xc >= W) continue;
              const xOff = ((b * H + xr) * W + xc) * C;
              const wOff = (kh * FW + kw) * K;
              for (let c = 0; c < C; c++) {
                const o = c * M;
                let s = 0;
                for (let q = 0; q < M; q++) s += dv[dOff + o + q] * wv[wOff + o + q];
                dx[xOff + c] += s;
              }
            }
          }
        }
      }
    }
    return backend.makeOutput([N, H, W, C], 'float32', undefined, dx);
  };
}

/**
 * out[s, ...] = Σ_{i : ids[i] = s} x[i, ...], over the leading segmentIds.rank dims of x (TF's
 * semantics; for the 1-D ids the gather gradient passes it is the same as the cpu kernel). Ids
 * outside [0, numSegments) are dropped, as in TF and the cpu kernel.
 */
function unsortedSegmentSum(): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs;
    const numSegments = attrs.numSegments as number;
    const idsRank = segmentIds.shape.length;
    for (let i = 0; i < idsRank; i++) {
      if (segmentIds.shape[i] !== x.shape[i]) {
        throw new Error(
          `Model Lab's wasm UnsortedSegmentSum kernel: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}].`,
        );
      }
    }
    const inner = x.shape.slice(idsRank).reduce((a, b) => a * b, 1);
    const ids = backend.readSync(segmentIds.dataId) as ArrayLike<number>;
    const xv = backend.readSync(x.dataId) as ArrayLike<number>;
    const outShape = [numSegments, ...x.shape.slice(idsRank)];
    const out = x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
    for (let i = 0; i < ids.length; i++) {
      const s = ids[i];
      if (s < 0 || s >= numSegments) continue;
      const o = s * inner;
      const xo = i * inner;
      for (let j = 0; j < inner; j++) out[o + j] += xv[xo + j];
    }
    return backend.makeOutput(outShape, x.dtype, undefined, out);
  };
}

const KERNELS: ReadonlyArray<[string, (tf: TF) => WasmKernelFunc]> = [
  ['Conv2DBackpropFilter', conv2DBackpropFilter],
  ['DepthwiseConv2dNativeBackpropFilter', depthwiseConv2dNativeBackpropFilter],
  ['DepthwiseConv2dNativeBackpropInput', depthwiseConv2dNativeBackpropInput],
  ['UnsortedSegmentSum', unsortedSegmentSum],
];

/**
 * Registers, for backend 'wasm', each gradient kernel above that is not registered yet, and
 * returns the names it registered (empty on a second call: idempotent).
 */
export function registerWasmGradKernels(tf: TF): string[] {
  const added: string[] = [];
  for (const [kernelName, make] of KERNELS) {
    if (tf.getKernel(kernelName, BACKEND)) continue;
    tf.registerKernel({
      kernelName,
      backendName: BACKEND,
      kernelFunc: make(tf) as unknown as Parameters<TF['registerKernel']>[0]['kernelFunc'],
    });
    added.push(kernelName);
  }
  return added;
}
