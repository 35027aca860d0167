/**
 * The fused executor: a FusedPlan run as a fixed list of wasm kernel calls on buffers allocated once
 * (forward with the activation applied in place, backward from the loss gradient, one optimizer pass
 * over all parameters held in one block). Weights and optimizer state live in wasm memory during
 * training and are copied from the tfjs model at the start and back (tfjs layout, tfjs optimizer
 * getWeights order and names) whenever something may read the model: epoch ends, checkpoints, the end.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { accuracy, lossAndGrad, valueMetric } from './loss';
import { ACTIVATIONS, isConvolution, type FusedLayer, type FusedPlan } from './plan';
import { FusedEngine } from './wasmEngine';

type TF = typeof tfTypes;

interface LayerBuffers {
  /** The layer's output (after its activation) and the gradient of the loss with respect to it. */
  out: number;
  d: number;
  /** The layer's input and its gradient (the previous layer's out and d). */
  in: number;
  dIn: number;
  /** conv: the padded input and its gradient (= in / a scratch when there is no padding); the filter transposed. */
  xp?: number;
  dxp?: number;
  wt?: number;
  /** max pooling: argmax indices; dropout: the mask. */
  idx?: number;
  mask?: number;
  kernel?: number;
  bias?: number;
  /** SELU layers: the activation's input, which its gradient needs. */
  pre?: number;
  /** Batch normalisation: gamma and beta (in the parameter block); the mean, variance and 1/sqrt(var + eps) (doubles) of the last forward; scratch (2·C doubles + 3·C floats). */
  gamma?: number;
  beta?: number;
  mean?: number;
  variance?: number;
  invStd?: number;
  acc?: number;
  /** Depthwise layers: the padded input with each channel repeated depthMultiplier times (= xp when it is 1) and its gradient;
   *  separable layers: the depthwise step's output and its gradient, and the pointwise kernel (wt holds it transposed). */
  xe?: number;
  dxe?: number;
  mid?: number;
  dmid?: number;
  pointwise?: number;
  /** Transposed convolution: its output padded as the input of the conv2d it is the gradient of, and that padded output's gradient (= out / d without padding). */
  yp?: number;
  dyp?: number;
}

export interface StepResult {
  loss: number;
  acc?: number;
  /** The plan's valueMetrics (mse, mae), in its order. */
  values?: number[];
}

/** The optimizer's state as tfjs keeps it: step count, Adam's running beta powers. */
interface OptimizerCounters {
  iterations: number;
  accBeta1: number;
  accBeta2: number;
}

const f = Math.fround;

export class FusedExecutor {
  readonly engine: FusedEngine;
  readonly plan: FusedPlan;
  readonly maxBatch: number;
  readonly paramCount: number;
  private readonly bufs: LayerBuffers[] = [];
  private readonly x: number;
  private readonly params: number;
  private readonly grads: number;
  /** Optimizer slots, each paramCount long: Adam m/v, RMSProp ms/mom/mg, Momentum acc. */
  private readonly slots: number[] = [];
  private readonly offsets: number[] = [];
  private readonly firstWeighted: number;
  private counters: OptimizerCounters = { iterations: 0, accBeta1: 0, accBeta2: 0 };
  private rng: number;
  private readonly outGrad: Float32Array;
  /** Non-trainable weights (batch normalisation's moving mean and variance), as plan.states. */
  private readonly states: Float32Array[];

  constructor(plan: FusedPlan, maxBatch: number, engine = new FusedEngine()) {
    this.engine = engine;
    this.plan = plan;
    this.maxBatch = maxBatch;
    const B = maxBatch;
    const e = engine;
    let off = 0;
    for (const w of plan.weights) {
      this.offsets.push(off);
      off += w.size;
    }
    this.paramCount = off;
    this.params = e.alloc(off);
    this.grads = e.alloc(off);
    const slotCount = { sgd: 0, momentum: 1, adam: 2, rmsprop: 3 }[plan.optimizer.kind];
    for (let i = 0; i < slotCount; i++) this.slots.push(e.alloc(off));
    this.x = e.alloc(B * plan.inputSize);
    let input = this.x;
    let dInput = e.alloc(B * plan.inputSize);
    let w = 0;
    this.firstWeighted = plan.layers.findIndex((l) => isConvolution(l) || l.kind === 'dense' || (l.kind === 'batchnorm' && (l.scale || l.center)));
    this.states = plan.states.map((st) => new Float32Array(st.size));
    for (const l of plan.layers) {
      const b: LayerBuffers = { in: input, dIn: dInput, out: 0, d: 0 };
      switch (l.kind) {
        case 'conv2d': {
          const [h, wd, c] = l.inShape;
          const [oh, ow, k] = l.outShape;
          const padded = l.pad.hp !== h || l.pad.wp !== wd;
          b.xp = padded ? e.alloc(B * l.pad.hp * l.pad.wp * c) : input;
          b.dxp = padded ? e.alloc(B * l.pad.hp * l.pad.wp * c) : dInput;
          b.wt = e.alloc(l.filter[0] * l.filter[1] * c * k);
          b.out = e.alloc(B * oh * ow * k);
          b.d = e.alloc(B * oh * ow * k);
          b.kernel = this.params + 4 * this.offsets[w++];
          if (l.useBias) b.bias = this.params + 4 * this.offsets[w++];
          break;
        }
        case 'dense':
          b.wt = e.alloc(l.units * l.inUnits);
          b.out = e.alloc(B * l.units);
          b.d = e.alloc(B * l.units);
          b.kernel = this.params + 4 * this.offsets[w++];
          if (l.useBias) b.bias = this.params + 4 * this.offsets[w++];
          break;
        case 'pool': {
          const n = B * l.outShape[0] * l.outShape[1] * l.outShape[2];
          b.out = e.alloc(n);
          b.d = e.alloc(n);
          if (l.op === 'max') b.idx = e.alloc(n);
          break;
        }
        case 'flatten':
          b.out = input;
          b.d = dInput;
          break;
        case 'dropout':
          b.out = e.alloc(B * l.size);
          b.d = e.alloc(B * l.size);
          b.mask = e.alloc(B * l.size);
          break;
        case 'activation':
          b.out = e.alloc(B * l.size);
          b.d = e.alloc(B * l.size);
          break;
        case 'batchnorm':
          b.out = e.alloc(B * l.size);
          b.d = e.alloc(B * l.size);
          b.gamma = this.params + 4 * this.offsets[w++];
          b.beta = this.params + 4 * this.offsets[w++];
          b.mean = e.alloc(l.channels);
          b.variance = e.alloc(l.channels);
          b.invStd = e.alloc(2 * l.channels);
          // 2·C doubles of sums, then 3·C floats of per-channel constants (native/fused/fused.c bn_bwd, bn_apply).
          b.acc = e.alloc(7 * l.channels);
          break;
        case 'depthwise': {
          const [h, wd, c] = l.inShape;
          const [oh, ow, oc] = l.outShape;
          const lanes = c * l.multiplier;
          const padded = l.pad.hp !== h || l.pad.wp !== wd;
          const pixels = B * l.pad.hp * l.pad.wp;
          b.xp = padded ? e.alloc(pixels * c) : input;
          b.dxp = padded ? e.alloc(pixels * c) : dInput;
          b.xe = l.multiplier > 1 ? e.alloc(pixels * lanes) : b.xp;
          b.dxe = l.multiplier > 1 ? e.alloc(pixels * lanes) : b.dxp;
          if (l.pointwise) {
            b.mid = e.alloc(B * oh * ow * lanes);
            b.dmid = e.alloc(B * oh * ow * lanes);
            b.wt = e.alloc(lanes * oc);
          }
          b.out = e.alloc(B * oh * ow * oc);
          b.d = e.alloc(B * oh * ow * oc);
          b.kernel = this.params + 4 * this.offsets[w++];
          if (l.pointwise) b.pointwise = this.params + 4 * this.offsets[w++];
          if (l.useBias) b.bias = this.params + 4 * this.offsets[w++];
          break;
        }
        case 'globalPool':
          b.out = e.alloc(B * l.inShape[2]);
          b.d = e.alloc(B * l.inShape[2]);
          // C doubles of sums (native/fused/fused.c gap_fwd).
          if (l.op === 'avg') b.acc = e.alloc(2 * l.inShape[2]);
          break;
        case 'reshape':
          b.out = input;
          b.d = dInput;
          break;
        case 'conv2dTranspose': {
          const c = l.inShape[2];
          const [oh, ow, k] = l.outShape;
          const padded = l.pad.hp !== oh || l.pad.wp !== ow;
          b.out = e.alloc(B * oh * ow * k);
          b.d = e.alloc(B * oh * ow * k);
          b.yp = padded ? e.alloc(B * l.pad.hp * l.pad.wp * k) : b.out;
          b.dyp = padded ? e.alloc(B * l.pad.hp * l.pad.wp * k) : b.d;
          b.wt = e.alloc(l.filter[0] * l.filter[1] * c * k);
          b.kernel = this.params + 4 * this.offsets[w++];
          if (l.useBias) b.bias = this.params + 4 * this.offsets[w++];
          break;
        }
      }
      if ('activation' in l && l.activation === 'selu') b.pre = e.alloc(l.kind === 'activation' ? B * l.size : l.kind === 'dense' ? B * l.units : B * l.outShape[0] * l.outShape[1] * l.outShape[2]);
      this.bufs.push(b);
      input = b.out;
      dInput = b.d;
    }
    this.outGrad = new Float32Array(B * plan.outputSize);
    // Drawn only for a dropout that needs it: without one, a fused run takes from Math.random exactly what
    // tfjs's fit would (its shuffles), so the two executors shuffle alike from the same seed.
    this.rng = plan.layers.some((l) => l.kind === 'dropout' && l.rate > 0) ? (Math.random() * 0xffffffff) >>> 0 || 1 : 1;
  }

  /** How many state tensors per weight tfjs's optimizer keeps (RMSProp's mean gradient only when centered). */
  private get stateSlots(): number {
    const o = this.plan.optimizer;
    return o.kind === 'rmsprop' && !o.centered ? 2 : this.slots.length;
  }

  private gradOffset(p: number): number {
    return p - this.params + this.grads;
  }

  /** The input batch buffer (maxBatch × inputSize floats): write samples here before step()/predict(). */
  inputView(n: number): Float32Array {
    return this.engine.view(this.x, n * this.plan.inputSize);
  }

  outputView(n: number): Float32Array {
    return this.engine.view(this.bufs[this.bufs.length - 1].out, n * this.plan.outputSize);
  }

  paramView(): Float32Array {
    return this.engine.view(this.params, this.paramCount);
  }

  gradView(): Float32Array {
    return this.engine.view(this.grads, this.paramCount);
  }

  forward(n: number, training: boolean): void {
    const k = this.engine.k;
    const e = this.engine;
    for (let i = 0; i < this.plan.layers.length; i++) {
      const l = this.plan.layers[i];
      const b = this.bufs[i];
      switch (l.kind) {
        case 'conv2d': {
          const [h, w, c] = l.inShape;
          const [oh, ow, kk] = l.outShape;
          if (b.xp !== b.in) k.pad_nhwc(b.in, b.xp!, n, h, w, c, l.pad.hp, l.pad.wp, l.pad.top, l.pad.left);
          k.conv2d_fwd(b.xp!, b.kernel!, b.bias ?? 0, b.out, n, l.pad.hp, l.pad.wp, c, oh, ow, kk, l.filter[0], l.filter[1], l.strides[0], l.strides[1]);
          if (b.pre) e.copy(b.out, b.pre, n * oh * ow * kk);
          k.act_fwd(ACTIVATIONS[l.activation], b.out, n * oh * ow, kk);
          break;
        }
        case 'dense':
          k.gemm(b.in, l.inUnits, 1, b.kernel!, b.out, n, l.units, l.inUnits, b.bias ?? 0);
          if (b.pre) e.copy(b.out, b.pre, n * l.units);
          k.act_fwd(ACTIVATIONS[l.activation], b.out, n, l.units);
          break;
        case 'pool': {
          const [h, w, c] = l.inShape;
          const [oh, ow] = l.outShape;
          if (l.op === 'max') k.maxpool_fwd(b.in, b.out, b.idx!, n, h, w, c, oh, ow, l.filter[0], l.filter[1], l.strides[0], l.strides[1], l.top, l.left);
          else k.avgpool_fwd(b.in, b.out, n, h, w, c, oh, ow, l.filter[0], l.filter[1], l.strides[0], l.strides[1], l.top, l.left);
          break;
        }
        case 'flatten':
          break;
        case 'dropout':
          e.copy(b.in, b.out, n * l.size);
          if (training && l.rate > 0) this.rng = k.dropout_fwd(b.out, b.mask!, n * l.size, l.rate, this.rng) >>> 0;
          break;
        case 'activation':
          e.copy(b.in, b.out, n * l.size);
          if (b.pre) e.copy(b.in, b.pre, n * l.size);
          k.act_fwd(ACTIVATIONS[l.activation], b.out, (n * l.size) / l.lastDim, l.lastDim);
          break;
        case 'batchnorm':
          this.batchNormForward(l, b, n, training);
          break;
        case 'depthwise':
          this.depthwiseForward(l, b, n);
          break;
        case 'globalPool': {
          const [h, w, c] = l.inShape;
          if (l.op === 'avg') k.gap_fwd(b.in, b.out, b.acc!, n, h * w, c);
          else k.gmp_fwd(b.in, b.out, n, h * w, c);
          break;
        }
        case 'reshape':
          break;
        case 'conv2dTranspose':
          this.conv2dTransposeForward(l, b, n);
          break;
      }
    }
  }

  /**
   * tfjs-layers' BatchNormalization over the last axis. Training: the batch's moments (tf.moments: mean,
   * then the mean of the squared deviations, biased), normalised as tfjs's batchNorm kernel
   * (offset + (x − mean)·scale / sqrt(var + eps)), and the moving statistics updated as its
   * doMovingAverage (moving − (moving − value)·(1 − momentum)). Inference: the moving statistics.
   */
  private batchNormForward(l: Extract<FusedLayer, { kind: 'batchnorm' }>, b: LayerBuffers, n: number, training: boolean): void {
    const k = this.engine.k;
    const C = l.channels;
    const rows = (n * l.size) / C;
    const movingMean = this.states[l.state];
    const movingVar = this.states[l.state + 1];
    if (training) {
      k.bn_moments(b.in, b.mean!, b.variance!, b.acc!, rows, C);
      const mean = this.engine.view(b.mean!, C);
      const variance = this.engine.view(b.variance!, C);
      const decay = f(1 - l.momentum);
      for (let c = 0; c < C; c++) {
        movingMean[c] = f(movingMean[c] - f(f(movingMean[c] - mean[c]) * decay));
        movingVar[c] = f(movingVar[c] - f(f(movingVar[c] - variance[c]) * decay));
      }
    } else {
      this.engine.view(b.mean!, C).set(movingMean);
      this.engine.view(b.variance!, C).set(movingVar);
    }
    k.bn_apply(b.in, b.out, b.mean!, b.variance!, b.gamma!, b.beta!, l.epsilon, b.invStd!, b.acc! + 8 * C, rows, C);
  }

  /** Gradients of a training-mode batch normalisation: gamma, beta, and the input through the batch moments too. */
  private batchNormBackward(l: Extract<FusedLayer, { kind: 'batchnorm' }>, b: LayerBuffers, n: number, needDx: boolean): void {
    const C = l.channels;
    this.engine.k.bn_bwd(b.in, b.d, b.dIn, b.mean!, b.invStd!, b.gamma!, this.gradOffset(b.gamma!), this.gradOffset(b.beta!), b.acc!, (n * l.size) / C, C, needDx ? 1 : 0);
  }

  /**
   * tfjs's DepthwiseConv2D (conv, biasAdd, activation) and SeparableConv2D (tf.separableConv2d: the depthwise conv, then a
   * 1x1 conv with stride 1, here a gemm over the N·OH·OW pixels; biasAdd and the activation after it). The input is padded
   * for 'same' and its channels repeated depthMultiplier times so the depthwise kernels run over C·M independent lanes.
   */
  private depthwiseForward(l: Extract<FusedLayer, { kind: 'depthwise' }>, b: LayerBuffers, n: number): void {
    const k = this.engine.k;
    const [h, w, c] = l.inShape;
    const [oh, ow, oc] = l.outShape;
    const lanes = c * l.multiplier;
    if (b.xp !== b.in) k.pad_nhwc(b.in, b.xp!, n, h, w, c, l.pad.hp, l.pad.wp, l.pad.top, l.pad.left);
    if (b.xe !== b.xp) k.dw_expand(b.xp!, b.xe!, n * l.pad.hp * l.pad.wp, c, l.multiplier);
    if (l.pointwise) {
      k.dw_fwd(b.xe!, b.kernel!, 0, b.mid!, n, l.pad.hp, l.pad.wp, lanes, oh, ow, l.filter[0], l.filter[1], l.strides[0], l.strides[1]);
      k.gemm(b.mid!, lanes, 1, b.pointwise!, b.out, n * oh * ow, oc, lanes, b.bias ?? 0);
    } else {
      k.dw_fwd(b.xe!, b.kernel!, b.bias ?? 0, b.out, n, l.pad.hp, l.pad.wp, lanes, oh, ow, l.filter[0], l.filter[1], l.strides[0], l.strides[1]);
    }
    if (b.pre) this.engine.copy(b.out, b.pre, n * oh * ow * oc);
    k.act_fwd(ACTIVATIONS[l.activation], b.out, n * oh * ow, oc);
  }

  /** The depthwise (and pointwise) gradients; the input's only when a weighted layer comes before. */
  private depthwiseBackward(l: Extract<FusedLayer, { kind: 'depthwise' }>, b: LayerBuffers, n: number, needDx: boolean): void {
    const k = this.engine.k;
    const [h, w, c] = l.inShape;
    const [oh, ow, oc] = l.outShape;
    const lanes = c * l.multiplier;
    const rows = n * oh * ow;
    k.act_bwd(ACTIVATIONS[l.activation], b.out, b.pre ?? 0, b.d, rows, oc);
    if (b.bias) k.col_sum(b.d, this.gradOffset(b.bias), rows, oc);
    let dDepthwise = b.d;
    if (l.pointwise) {
      // pointwise [C·M, F]: its gradient midᵀ·d, and d·pointwiseᵀ into the depthwise step's output.
      k.gemm(b.mid!, 1, lanes, b.d, this.gradOffset(b.pointwise!), lanes, oc, rows, 0);
      k.transpose(b.pointwise!, b.wt!, lanes, oc, 1);
      k.gemm(b.d, oc, 1, b.wt!, b.dmid!, rows, lanes, oc, 0);
      dDepthwise = b.dmid!;
    }
    k.dw_bwd_filter(b.xe!, dDepthwise, this.gradOffset(b.kernel!), n, l.pad.hp, l.pad.wp, lanes, oh, ow, l.filter[0], l.filter[1], l.strides[0], l.strides[1]);
    if (!needDx) return;
    k.dw_bwd_input(dDepthwise, b.kernel!, b.dxe!, n, l.pad.hp, l.pad.wp, lanes, oh, ow, l.filter[0], l.filter[1], l.strides[0], l.strides[1]);
    if (b.dxe !== b.dxp) k.dw_reduce(b.dxe!, b.dxp!, n * l.pad.hp * l.pad.wp, c, l.multiplier);
    if (b.dxp !== b.dIn) k.unpad_nhwc(b.dxp!, b.dIn, n, h, w, c, l.pad.hp, l.pad.wp, l.pad.top, l.pad.left);
  }

  /**
   * tfjs-core's conv2dTranspose (conv2DBackpropInput of the conv2d from the output's shape to the input's):
   * the input scattered through the kernel into the padded output, cropped, plus bias, then the activation.
   * The kernel [FH,FW,F,C] is that conv2d's filter; conv2d_bwd_input wants it as [FH,FW,C,F].
   */
  private conv2dTransposeForward(l: Extract<FusedLayer, { kind: 'conv2dTranspose' }>, b: LayerBuffers, n: number): void {
    const k = this.engine.k;
    const [h, w, c] = l.inShape;
    const [oh, ow, f] = l.outShape;
    const [fh, fw] = l.filter;
    k.transpose(b.kernel!, b.wt!, f, c, fh * fw);
    k.conv2d_bwd_input(b.in, b.wt!, b.yp!, n, l.pad.hp, l.pad.wp, f, h, w, c, fh, fw, l.strides[0], l.strides[1]);
    if (b.yp !== b.out) k.unpad_nhwc(b.yp!, b.out, n, oh, ow, f, l.pad.hp, l.pad.wp, l.pad.top, l.pad.left);
    if (b.bias) k.bias_add(b.out, b.bias, n * oh * ow, f);
    if (b.pre) this.engine.copy(b.out, b.pre, n * oh * ow * f);
    k.act_fwd(ACTIVATIONS[l.activation], b.out, n * oh * ow, f);
  }

  /**
   * Its gradients, from the same conv2d: the input's is that conv2d's forward on the padded output gradient,
   * the kernel's is its filter gradient with the padded output gradient as its input and the layer's input as
   * its output gradient.
   */
  private conv2dTransposeBackward(l: Extract<FusedLayer, { kind: 'conv2dTranspose' }>, b: LayerBuffers, n: number, needDx: boolean): void {
    const k = this.engine.k;
    const [h, w, c] = l.inShape;
    const [oh, ow, f] = l.outShape;
    const [fh, fw] = l.filter;
    k.act_bwd(ACTIVATIONS[l.activation], b.out, b.pre ?? 0, b.d, n * oh * ow, f);
    if (b.bias) k.col_sum(b.d, this.gradOffset(b.bias), n * oh * ow, f);
    if (b.dyp !== b.d) k.pad_nhwc(b.d, b.dyp!, n, oh, ow, f, l.pad.hp, l.pad.wp, l.pad.top, l.pad.left);
    k.conv2d_bwd_filter(b.dyp!, b.in, this.gradOffset(b.kernel!), n, l.pad.hp, l.pad.wp, f, h, w, c, fh, fw, l.strides[0], l.strides[1]);
    if (needDx) k.conv2d_fwd(b.dyp!, b.kernel!, 0, b.dIn, n, l.pad.hp, l.pad.wp, f, h, w, c, fh, fw, l.strides[0], l.strides[1]);
  }

  /** The plan's mse / mae metrics of the n output rows against `y`. */
  private valuesOf(p: Float32Array, y: ArrayLike<number>, n: number): { values?: number[] } {
    const ms = this.plan.valueMetrics;
    return ms && ms.length > 0 ? { values: ms.map((m) => valueMetric(m.kind, p, y, n * this.plan.outputSize)) } : {};
  }

  /** Gradients of the loss into the gradient block; the last layer's d must hold dLoss/dOutput. */
  backward(n: number, training: boolean): void {
    const k = this.engine.k;
    const e = this.engine;
    for (let i = this.plan.layers.length - 1; i >= Math.max(0, this.firstWeighted); i--) {
      const l = this.plan.layers[i];
      const b = this.bufs[i];
      const needDx = i > this.firstWeighted;
      switch (l.kind) {
        case 'conv2d': {
          const [h, w, c] = l.inShape;
          const [oh, ow, kk] = l.outShape;
          const [fh, fw] = l.filter;
          k.act_bwd(ACTIVATIONS[l.activation], b.out, b.pre ?? 0, b.d, n * oh * ow, kk);
          if (b.bias) k.col_sum(b.d, this.gradOffset(b.bias), n * oh * ow, kk);
          k.conv2d_bwd_filter(b.xp!, b.d, this.gradOffset(b.kernel!), n, l.pad.hp, l.pad.wp, c, oh, ow, kk, fh, fw, l.strides[0], l.strides[1]);
          if (needDx) {
            k.transpose(b.kernel!, b.wt!, c, kk, fh * fw);
            k.conv2d_bwd_input(b.d, b.wt!, b.dxp!, n, l.pad.hp, l.pad.wp, c, oh, ow, kk, fh, fw, l.strides[0], l.strides[1]);
            if (b.dxp !== b.dIn) k.unpad_nhwc(b.dxp!, b.dIn, n, h, w, c, l.pad.hp, l.pad.wp, l.pad.top, l.pad.left);
          }
          break;
        }
        case 'dense':
          k.act_bwd(ACTIVATIONS[l.activation], b.out, b.pre ?? 0, b.d, n, l.units);
          k.gemm(b.in, 1, l.inUnits, b.d, this.gradOffset(b.kernel!), l.inUnits, l.units, n, 0);
          if (b.bias) k.col_sum(b.d, this.gradOffset(b.bias), n, l.units);
          if (needDx) {
            k.transpose(b.kernel!, b.wt!, l.inUnits, l.units, 1);
            k.gemm(b.d, l.units, 1, b.wt!, b.dIn, n, l.inUnits, l.units, 0);
          }
          break;
        case 'pool': {
          const [h, w, c] = l.inShape;
          const [oh, ow] = l.outShape;
          if (l.op === 'max') k.maxpool_bwd(b.d, b.idx!, b.dIn, n * oh * ow * c, n * h * w * c);
          else k.avgpool_bwd(b.d, b.dIn, n, h, w, c, oh, ow, l.filter[0], l.filter[1], l.strides[0], l.strides[1], l.top, l.left);
          break;
        }
        case 'flatten':
          break;
        case 'dropout':
          e.copy(b.d, b.dIn, n * l.size);
          if (training && l.rate > 0) k.mul_inplace(b.dIn, b.mask!, n * l.size);
          break;
        case 'activation':
          k.act_bwd(ACTIVATIONS[l.activation], b.out, b.pre ?? 0, b.d, (n * l.size) / l.lastDim, l.lastDim);
          e.copy(b.d, b.dIn, n * l.size);
          break;
        case 'batchnorm':
          this.batchNormBackward(l, b, n, needDx);
          break;
        case 'depthwise':
          this.depthwiseBackward(l, b, n, needDx);
          break;
        case 'globalPool': {
          const [h, w, c] = l.inShape;
          if (l.op === 'avg') k.gap_bwd(b.d, b.dIn, n, h * w, c);
          else k.gmp_bwd(b.in, b.out, b.d, b.dIn, n, h * w, c);
          break;
        }
        case 'reshape':
          break;
        case 'conv2dTranspose':
          this.conv2dTransposeBackward(l, b, n, needDx);
          break;
      }
    }
  }

  /** Loss (and accuracy) of the n samples in the input buffer against `y`, without training. */
  evaluate(n: number, y: ArrayLike<number>): StepResult {
    this.forward(n, false);
    const p = this.outputView(n);
    const loss = lossAndGrad(this.plan.loss, p, y, n, this.plan.outputSize);
    return { loss, ...(this.plan.accuracy ? { acc: accuracy(this.plan.accuracy, p, y, n, this.plan.outputSize) } : {}), ...this.valuesOf(p, y, n) };
  }

  /** Forward and backward of the n samples in the input buffer: gradients in the gradient block; returns the batch's loss. */
  computeGradients(n: number, y: ArrayLike<number>): StepResult {
    this.forward(n, true);
    const K = this.plan.outputSize;
    const p = this.outputView(n);
    const g = this.outGrad.subarray(0, n * K);
    const loss = lossAndGrad(this.plan.loss, p, y, n, K, g);
    const acc = this.plan.accuracy ? accuracy(this.plan.accuracy, p, y, n, K) : undefined;
    const values = this.valuesOf(p, y, n);
    this.engine.view(this.bufs[this.bufs.length - 1].d, n * K).set(g);
    this.backward(n, true);
    return { loss, ...(acc !== undefined ? { acc } : {}), ...values };
  }

  /** One optimizer update from the gradient block at learning rate lr, exactly as tfjs-core's optimizer would. */
  applyGradients(lr: number): void {
    const k = this.engine.k;
    const o = this.plan.optimizer;
    const n = this.paramCount;
    const [s0, s1, s2] = this.slots;
    switch (o.kind) {
      case 'sgd':
        k.sgd_update(this.params, this.grads, n, -lr);
        break;
      case 'momentum':
        k.momentum_update(this.params, this.grads, s0, n, -lr, o.momentum, o.nesterov ? 1 : 0);
        break;
      case 'adam': {
        const c = this.counters;
        k.adam_update(this.params, this.grads, s0, s1, n, -lr, o.beta1, 1 - o.beta1, o.beta2, 1 - o.beta2, o.epsilon, f(1 - c.accBeta1), f(1 - c.accBeta2));
        c.accBeta1 = f(c.accBeta1 * f(o.beta1));
        c.accBeta2 = f(c.accBeta2 * f(o.beta2));
        break;
      }
      case 'rmsprop':
        k.rmsprop_update(this.params, this.grads, s0, s1, s2, n, lr, o.decay, 1 - o.decay, o.momentum, o.epsilon, o.centered ? 1 : 0);
        break;
    }
    this.counters.iterations++;
  }

  /** One training step on the n samples in the input buffer. */
  trainStep(n: number, y: ArrayLike<number>, lr: number): StepResult {
    const r = this.computeGradients(n, y);
    this.applyGradients(lr);
    return r;
  }

  // ---- weights and optimizer state, in tfjs's layout ------------------------------------------------

  /** Copies the model's trainable weights and its optimizer's state into wasm memory. */
  async loadFromModel(model: tfTypes.LayersModel): Promise<void> {
    const all = this.paramView();
    model.trainableWeights.forEach((w, i) => all.set(w.read().dataSync() as Float32Array, this.offsets[i]));
    model.nonTrainableWeights.forEach((w, i) => this.states[i].set(w.read().dataSync() as Float32Array));
    const opt = model.optimizer as unknown as TfjsOptimizerInternals;
    const o = this.plan.optimizer;
    this.counters = {
      iterations: opt.iterations_ ?? 0,
      accBeta1: o.kind === 'adam' ? (opt.accBeta1!.dataSync()[0] as number) : 0,
      accBeta2: o.kind === 'adam' ? (opt.accBeta2!.dataSync()[0] as number) : 0,
    };
    const state = await model.optimizer.getWeights();
    // getWeights makes the 'iter' scalar afresh; the rest are the optimizer's own variables.
    state[0]?.tensor.dispose();
    const tensors = state.slice(1);
    for (const s of this.slots) this.engine.view(s, this.paramCount).fill(0);
    if (tensors.length === 0) return;
    const nw = this.plan.weights.length;
    if (tensors.length !== nw * this.stateSlots)
      throw new Error(`the optimizer holds ${tensors.length} state tensors for ${nw} weights (expected ${nw * this.stateSlots})`);
    tensors.forEach((t, j) => {
      const slot = Math.floor(j / nw);
      this.engine.view(this.slots[slot], this.paramCount).set(t.tensor.dataSync() as Float32Array, this.offsets[j % nw]);
    });
  }

  /**
   * Gives the model's optimizer its state variables (zeros, or what loadFromModel read) if it has none
   * yet, so that storeToModel can assign into them synchronously from then on.
   */
  async ensureOptimizerState(tf: TF, model: tfTypes.LayersModel): Promise<void> {
    if (this.optimizerSlots(model)) return;
    const suffixes = { sgd: [], momentum: ['momentum'], adam: ['m', 'v'], rmsprop: ['rms', 'momentum', 'mg'] }[this.plan.optimizer.kind];
    const named: { name: string; tensor: tfTypes.Tensor }[] = [{ name: 'iter', tensor: tf.scalar(this.counters.iterations) }];
    for (let s = 0; s < this.stateSlots; s++) this.plan.weights.forEach((w, i) => named.push({ name: `${w.name}/${suffixes[s]}`, tensor: this.slotTensor(tf, s, i) }));
    await model.optimizer.setWeights(named);
    tf.dispose(named.map((x) => x.tensor));
    this.storeCounters(tf, model);
    if (!this.optimizerSlots(model)) throw new Error(`could not give the ${model.optimizer.getClassName()} optimizer its state`);
  }

  /** Writes the weights and optimizer state back into the model, so saving, checkpoints and evaluation see them. */
  storeToModel(tf: TF, model: tfTypes.LayersModel): void {
    const all = this.paramView();
    model.trainableWeights.forEach((w, i) => {
      const t = tf.tensor(all.slice(this.offsets[i], this.offsets[i] + this.plan.weights[i].size), this.plan.weights[i].shape);
      w.write(t);
      t.dispose();
    });
    model.nonTrainableWeights.forEach((w, i) => {
      const t = tf.tensor(this.states[i].slice(), w.shape as number[]);
      w.write(t);
      t.dispose();
    });
    const slots = this.optimizerSlots(model);
    if (!slots) throw new Error('the optimizer has no state variables (ensureOptimizerState was not called)');
    for (let s = 0; s < this.stateSlots; s++)
      slots[s].forEach((v, i) => {
        const t = this.slotTensor(tf, s, i);
        v.variable.assign(t);
        t.dispose();
      });
    this.storeCounters(tf, model);
  }

  private slotTensor(tf: TF, slot: number, i: number): tfTypes.Tensor {
    const from = this.offsets[i];
    return tf.tensor(this.engine.view(this.slots[slot], this.paramCount).slice(from, from + this.plan.weights[i].size), this.plan.weights[i].shape);
  }

  private storeCounters(tf: TF, model: tfTypes.LayersModel): void {
    const opt = model.optimizer as unknown as TfjsOptimizerInternals;
    opt.iterations_ = this.counters.iterations;
    if (this.plan.optimizer.kind === 'adam') {
      const b = [tf.scalar(this.counters.accBeta1), tf.scalar(this.counters.accBeta2)];
      opt.accBeta1!.assign(b[0]);
      opt.accBeta2!.assign(b[1]);
      tf.dispose(b);
    }
  }

  /** The optimizer's state variables per slot and weight, when it has all of them. */
  private optimizerSlots(model: tfTypes.LayersModel): { variable: tfTypes.Variable }[][] | undefined {
    const arrays = slotArrays(model.optimizer as unknown as TfjsOptimizerInternals, this.plan.optimizer.kind);
    const nw = this.plan.weights.length;
    return arrays && arrays.slice(0, this.stateSlots).every((a) => a.length === nw && a.every((v) => v != null)) ? arrays : undefined;
  }
}

/** The fields of tfjs-core 4.22's optimizers the fused executor reads and writes (not public API; covered by tests). */
interface TfjsOptimizerInternals {
  iterations_?: number;
  accBeta1?: tfTypes.Variable;
  accBeta2?: tfTypes.Variable;
  accumulatedFirstMoment?: { variable: tfTypes.Variable }[];
  accumulatedSecondMoment?: { variable: tfTypes.Variable }[];
  accumulations?: { variable: tfTypes.Variable }[];
  accumulatedMeanSquares?: { variable: tfTypes.Variable }[];
  accumulatedMoments?: { variable: tfTypes.Variable }[];
  accumulatedMeanGrads?: { variable: tfTypes.Variable }[];
}

function slotArrays(opt: TfjsOptimizerInternals, kind: FusedPlan['optimizer']['kind']): { variable: tfTypes.Variable }[][] | undefined {
  switch (kind) {
    case 'sgd':
      return [];
    case 'momentum':
      return opt.accumulations ? [opt.accumulations] : undefined;
    case 'adam':
      return opt.accumulatedFirstMoment && opt.accumulatedSecondMoment ? [opt.accumulatedFirstMoment, opt.accumulatedSecondMoment] : undefined;
    case 'rmsprop':
      return opt.accumulatedMeanSquares && opt.accumulatedMoments ? [opt.accumulatedMeanSquares, opt.accumulatedMoments, opt.accumulatedMeanGrads ?? []] : undefined;
  }
}

export type { FusedLayer };
