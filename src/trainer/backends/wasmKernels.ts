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
 * The zero padding that makes the input exactly cover every window the backprop-filter convolution
 * reads, (OH-1)·sh + FH rows and (OW-1)·sw + FW columns. That is the forward padding, except with
 * explicit padding and dimRoundingMode 'ceil', where the far side may need a little more.
 */
function windowPadding(ci: Conv2DInfo): { top: number; bottom: number; left: number; right: number } {
  const { top, bottom, left, right } = ci.padInfo;
  const needH = (ci.outHeight - 1) * ci.strideHeight + (ci.filterHeight - 1) * ci.dilationHeight + 1;
  const needW = (ci.outWidth - 1) * ci.strideWidth + (ci.filterWidth - 1) * ci.dilationWidth + 1;
  return {
    top,
    left,
    bottom: bottom + Math.max(0, needH - (ci.inHeight + top + bottom)),
    right: right + Math.max(0, needW - (ci.inWidth + left + right)),
  };
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
    const { top, bottom, left, right } = windowPadding(ci);

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

/**
 * Depthwise dW with dilation 1, in XNNPACK: the batch becomes channels, so
 * dW[kh,kw,c,q] = Σ_b depthwise(xpadᵀ [1,Hp,Wp,N·C], dyᵀ [OH,OW,N·C,M], stride 1, dilation = the
 * forward stride)[0,kh,kw,(b·C+c)·M+q], the sum over b being a Sum over one axis.
 */
function depthwiseFilterXnn(tf: TF, backend: WasmBackend, x: TensorInfo, dy: TensorInfo, ci: Conv2DInfo, M: number): TensorInfo {
  const { batchSize: N, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW } = ci;
  const { top, bottom, left, right } = windowPadding(ci);
  const k = (name: string) => wasmKernel(tf, name);
  const tmp: TensorInfo[] = [];
  const keep = <T extends TensorInfo>(t: T): T => (tmp.push(t), t);
  try {
    let xp = x;
    if (top || bottom || left || right) {
      xp = keep(k('PadV2')({ inputs: { x }, backend, attrs: { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 } }));
    }
    const [, Hp, Wp] = xp.shape;
    const xt = keep(k('Transpose')({ inputs: { x: xp }, backend, attrs: { perm: [1, 2, 0, 3] } }));
    const xr = keep(k('Reshape')({ inputs: { x: xt }, backend, attrs: { shape: [1, Hp, Wp, N * C] } }));
    const dyt = keep(k('Transpose')({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } }));
    const dyr = keep(k('Reshape')({ inputs: { x: dyt }, backend, attrs: { shape: [OH, OW, N * C, M] } }));
    let c = keep(
      k('DepthwiseConv2dNative')({
        inputs: { x: xr, filter: dyr },
        backend,
        attrs: { strides: [1, 1], pad: 'valid', dilations: [ci.strideHeight, ci.strideWidth], dimRoundingMode: undefined },
      }),
    );
    if (c.shape[1] !== FH || c.shape[2] !== FW) {
      c = keep(k('Slice')({ inputs: { x: c }, backend, attrs: { begin: [0, 0, 0, 0], size: [1, FH, FW, N * C * M] } }));
    }
    const cr = keep(k('Reshape')({ inputs: { x: c }, backend, attrs: { shape: [FH, FW, N, C * M] } }));
    const s = keep(k('Sum')({ inputs: { x: cr }, backend, attrs: { axis: [2], keepDims: false } }));
    return k('Reshape')({ inputs: { x: s }, backend, attrs: { shape: [FH, FW, C, M] } });
  } finally {
    for (const t of tmp) backend.disposeData(t.dataId);
  }
}

/** dW[kh,kw,c,q] = Σ_b,oh,ow x[b, oh·sh + kh·dh - top, ow·sw + kw·dw - left, c] · dy[b,oh,ow,c·M+q] */
function depthwiseConv2dNativeBackpropFilter(tf: TF): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs;
    const filterShape = attrs.filterShape as [number, number, number, number];
    const { ci, m: M } = depthwiseGeometry(tf, 'DepthwiseConv2dNativeBackpropFilter', x.shape, filterShape, attrs);
    if (ci.dilationHeight === 1 && ci.dilationWidth === 1) {
      return depthwiseFilterXnn(tf, backend, x, dy, ci, M);
    }
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

/**
 * Depthwise dx with dilation 1, in XNNPACK: a depthwise correlation of dy, with zeros inserted
 * between rows/columns for the stride and padded (or cropped) by FH-1-top before, with the filter
 * flipped and reshaped to one output per channel c·M+q; then the sum over q.
 */
function depthwiseInputXnn(tf: TF, backend: WasmBackend, dy: TensorInfo, filter: TensorInfo, ci: Conv2DInfo, M: number): TensorInfo {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = ci;
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = ci;
  const K = C * M;
  const k = (name: string) => wasmKernel(tf, name);
  const tmp: TensorInfo[] = [];
  const keep = <T extends TensorInfo>(t: T): T => (tmp.push(t), t);
  try {
    let d = dy;
    if (SH > 1 || SW > 1) {
      const d6 = keep(k('Reshape')({ inputs: { x: dy }, backend, attrs: { shape: [N, OH, 1, OW, 1, K] } }));
      const p6 = keep(
        k('PadV2')({
          inputs: { x: d6 },
          backend,
          attrs: { paddings: [[0, 0], [0, 0], [0, SH - 1], [0, 0], [0, SW - 1], [0, 0]], constantValue: 0 },
        }),
      );
      d = keep(k('Reshape')({ inputs: { x: p6 }, backend, attrs: { shape: [N, OH * SH, OW * SW, K] } }));
    }
    // Rows needed: H + FH - 1, starting FH-1-top rows before dy's first row. Negative = crop.
    const beforeH = FH - 1 - ci.padInfo.top;
    const beforeW = FW - 1 - ci.padInfo.left;
    const afterH = H + FH - 1 - beforeH - d.shape[1];
    const afterW = W + FW - 1 - beforeW - d.shape[2];
    if (beforeH < 0 || beforeW < 0 || afterH < 0 || afterW < 0) {
      const bh = Math.max(0, -beforeH);
      const bw = Math.max(0, -beforeW);
      d = keep(
        k('Slice')({
          inputs: { x: d },
          backend,
          attrs: {
            begin: [0, bh, bw, 0],
            size: [N, d.shape[1] - bh - Math.max(0, -afterH), d.shape[2] - bw - Math.max(0, -afterW), K],
          },
        }),
      );
    }
    if (beforeH > 0 || beforeW > 0 || afterH > 0 || afterW > 0) {
      const pads = [[0, 0], [Math.max(0, beforeH), Math.max(0, afterH)], [Math.max(0, beforeW), Math.max(0, afterW)], [0, 0]];
      d = keep(k('PadV2')({ inputs: { x: d }, backend, attrs: { paddings: pads, constantValue: 0 } }));
    }
    const wf = keep(k('Reverse')({ inputs: { x: filter }, backend, attrs: { dims: [0, 1] } }));
    const wr = keep(k('Reshape')({ inputs: { x: wf }, backend, attrs: { shape: [FH, FW, K, 1] } }));
    const c = keep(
      k('DepthwiseConv2dNative')({
        inputs: { x: d, filter: wr },
        backend,
        attrs: { strides: [1, 1], pad: 'valid', dilations: [1, 1], dimRoundingMode: undefined },
      }),
    );
    if (M === 1) return k('Reshape')({ inputs: { x: c }, backend, attrs: { shape: [N, H, W, C] } });
    const c5 = keep(k('Reshape')({ inputs: { x: c }, backend, attrs: { shape: [N, H, W, C, M] } }));
    return k('Sum')({ inputs: { x: c5 }, backend, attrs: { axis: [4], keepDims: false } });
  } finally {
    for (const t of tmp) backend.disposeData(t.dataId);
  }
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
    if (ci.dilationHeight === 1 && ci.dilationWidth === 1) {
      return depthwiseInputXnn(tf, backend, dy, filter, ci, M);
    }
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
