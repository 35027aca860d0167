/**
 * Compiles a compiled tfjs Sequential model into a FusedPlan: the list of layers the fused executor
 * (executor.ts) runs as wasm kernel calls, with their shapes, padding and activations, the loss, the
 * metrics and the optimizer. Anything it does not cover exactly gives a reason instead, and the run
 * trains on tfjs as before, saying that reason. Pure inspection: nothing is allocated here.
 */
import type * as tfTypes from '@tensorflow/tfjs';

/** Activation codes shared with native/fused/fused.c (act_fwd / act_bwd). */
export const ACTIVATIONS = { linear: 0, relu: 1, sigmoid: 2, tanh: 3, softmax: 4, elu: 5, selu: 6, relu6: 7 } as const;
export type ActivationName = keyof typeof ACTIVATIONS;

export interface Padding {
  top: number;
  left: number;
  /** Padded input height and width (= the input's when there is no padding). */
  hp: number;
  wp: number;
}

/** The convolution kinds: what the two-thread 'auto' counts as convolutions, and weighted layers for the backward pass. */
export const isConvolution = (l: FusedLayer): l is Extract<FusedLayer, ConvWindow> => l.kind === 'conv2d' || l.kind === 'depthwise' || l.kind === 'conv2dTranspose';

/** What the convolution kinds share: their sizes, window, padding, bias and activation. */
export interface ConvWindow {
  name: string;
  inShape: [number, number, number];
  outShape: [number, number, number];
  filter: [number, number];
  strides: [number, number];
  pad: Padding;
  useBias: boolean;
  activation: ActivationName;
}

export type FusedLayer =
  | ({ kind: 'conv2d' } & ConvWindow)
  | {
      kind: 'pool';
      name: string;
      op: 'max' | 'avg';
      inShape: [number, number, number];
      outShape: [number, number, number];
      filter: [number, number];
      strides: [number, number];
      top: number;
      left: number;
    }
  | { kind: 'dense'; name: string; units: number; inUnits: number; useBias: boolean; activation: ActivationName }
  | { kind: 'flatten'; name: string; size: number }
  | { kind: 'dropout'; name: string; rate: number; size: number }
  | { kind: 'activation'; name: string; activation: ActivationName; size: number; lastDim: number }
  | {
      kind: 'batchnorm';
      name: string;
      /** Floats per sample and channels (the last axis, the only one normalised here). */
      size: number;
      channels: number;
      epsilon: number;
      momentum: number;
      scale: boolean;
      center: boolean;
      /** Index in plan.states of this layer's moving mean (the moving variance follows). */
      state: number;
    }
  | ({
      /**
       * DepthwiseConv2D, or SeparableConv2D when `pointwise` is set: its 1x1 convolution to that many filters after
       * the depthwise step. outShape is [oh, ow, C·multiplier] (depthwise), [oh, ow, pointwise] (separable).
       */
      kind: 'depthwise';
      multiplier: number;
      pointwise?: number;
    } & ConvWindow)
  /** tf.layers.reshape: NHWC buffers are row-major, so like flatten it is the identity on the floats. */
  | { kind: 'reshape'; name: string; size: number }
  | ({
      /**
       * tf.layers.conv2dTranspose: conv2d's input gradient run forward. The conv2d it is the gradient of
       * has the transposed layer's output as its input (padded as `pad`), the kernel [FH,FW,F,C] as its
       * filter and the transposed layer's input as its output.
       */
      kind: 'conv2dTranspose';
    } & ConvWindow)
  | { kind: 'globalPool'; name: string; op: 'max' | 'avg'; inShape: [number, number, number] };

export type LossName = 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy' | 'binaryCrossentropy' | 'meanSquaredError';
export type AccuracyKind = 'categorical' | 'sparse' | 'binary';
/** Element-wise metrics besides accuracy, logged under the name the model compiled them with (as tfjs does). */
export type ValueMetricKind = 'mse' | 'mae';
export interface ValueMetric {
  /** The key in the logs: the metric's name as given to compile ('mse', 'MAE', …); validation's is val_ + it. */
  name: string;
  kind: ValueMetricKind;
}

export type OptimizerPlan =
  | { kind: 'sgd' }
  | { kind: 'momentum'; momentum: number; nesterov: boolean }
  | { kind: 'adam'; beta1: number; beta2: number; epsilon: number }
  | { kind: 'rmsprop'; decay: number; momentum: number; epsilon: number; centered: boolean };

export interface FusedPlan {
  inputShape: number[];
  inputSize: number;
  outputSize: number;
  layers: FusedLayer[];
  /** Trainable weights in model.trainableWeights order (the optimizer's order), with their sizes. */
  weights: { name: string; shape: number[]; size: number }[];
  /** Non-trainable weights (batch normalisation's moving mean and variance) in model.nonTrainableWeights order. */
  states: { name: string; size: number }[];
  loss: LossName;
  /** The accuracy metric tfjs would log as `acc`, if the model asked for one. */
  accuracy?: AccuracyKind;
  /** The model's output per sample ([units], or [h, w, c] for an image output); outputSize is its product. */
  outputShape?: number[];
  /** mse / mae metrics the model asked for, in compile order. */
  valueMetrics?: ValueMetric[];
  /** The metrics' log keys in compile order ('acc' for accuracy), the order tfjs's logs list them after the loss. */
  metricOrder?: string[];
  optimizer: OptimizerPlan;
}

export type PlanResult = { plan: FusedPlan; reason?: undefined } | { plan?: undefined; reason: string };

/** The element-wise metrics the fused loop computes, by the names tfjs-layers' metrics.get knows them (it has no 'meanSquaredError' metric string). */
const VALUE_METRICS: Record<string, ValueMetricKind> = { mse: 'mse', MSE: 'mse', mae: 'mae', MAE: 'mae' };

const LOSSES: readonly LossName[] = ['categoricalCrossentropy', 'sparseCategoricalCrossentropy', 'binaryCrossentropy', 'meanSquaredError'];

class Unfusable extends Error {}
const no = (why: string): never => {
  throw new Unfusable(why);
};

type Cfg = Record<string, unknown>;

function pair(v: unknown, what: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0] as number, v[1] as number];
  return no(`${what} ${JSON.stringify(v)} is not a pair of numbers`);
}

function activationOf(cfg: Cfg, layer: string): ActivationName {
  const a = cfg.activation ?? 'linear';
  if (typeof a === 'string' && a in ACTIVATIONS) return a as ActivationName;
  return no(`layer ${layer}: activation ${JSON.stringify(a)} is not fused (fused: ${Object.keys(ACTIVATIONS).join(', ')})`);
}

/** tfjs's output size and padding for one spatial axis (backend_util.computeConv2DInfo / computePool2DInfo). */
export function axisPadding(size: number, filter: number, stride: number, padding: 'same' | 'valid'): { out: number; before: number; total: number } {
  if (padding === 'valid') return { out: Math.ceil((size - filter + 1) / stride), before: 0, total: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + filter - size);
  return { out, before: Math.floor(total / 2), total };
}

/** tfjs-layers' deconvLength: a transposed convolution's output size on one axis. */
export function transposedLength(size: number, stride: number, filter: number, padding: 'same' | 'valid'): number {
  return padding === 'valid' ? size * stride + Math.max(filter - stride, 0) : size * stride;
}

/**
 * Whether a weight's full name is the layer's `kind` weight: tfjs appends _1, _2, … when a variable of that name
 * already exists in the process (a model built twice with a layer named 'code': code/kernel_2).
 */
const isWeight = (full: string, kind: string) => full.endsWith(`/${kind}`) || new RegExp(`/${kind}_\\d+$`).test(full);

function noExtras(cfg: Cfg, layer: string): void {
  for (const k of ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint'])
    if (cfg[k] != null) no(`layer ${layer} has a ${k}`);
}

function shape3(s: unknown, layer: string): [number, number, number] {
  if (Array.isArray(s) && s.length === 4 && s.slice(1).every((x) => typeof x === 'number')) return [s[1], s[2], s[3]] as [number, number, number];
  return no(`layer ${layer}: input shape ${JSON.stringify(s)} is not [batch, height, width, channels]`);
}

function channelsLast(cfg: Cfg, layer: string): void {
  if (cfg.dataFormat !== undefined && cfg.dataFormat !== 'channelsLast') no(`layer ${layer}: dataFormat ${cfg.dataFormat}`);
}

function noDilation(cfg: Cfg, layer: string): void {
  const dil = pair(cfg.dilationRate ?? 1, `layer ${layer}: dilationRate`);
  if (dil[0] !== 1 || dil[1] !== 1) no(`layer ${layer}: dilation ${dil.join('x')} is not fused`);
}

/**
 * A windowed layer's input [h, w, c], window, strides and padding from its config (channels last
 * only; dilation 1 only where `dilation` is checked): a convolution's window is its kernelSize with
 * strides of 1 by default, a pooling layer's its poolSize (2) with strides of the window.
 */
function windowOf(cfg: Cfg, inShape: number[], layer: string, kind: 'conv' | 'convNoDilation' | 'pool') {
  channelsLast(cfg, layer);
  if (kind === 'convNoDilation') noDilation(cfg, layer);
  const size = kind === 'pool' ? 'poolSize' : 'kernelSize';
  const [h, w, c] = shape3(inShape, layer);
  const filter = pair(kind === 'pool' ? (cfg.poolSize ?? 2) : cfg.kernelSize, `layer ${layer}: ${size}`);
  const strides = pair(cfg.strides ?? (kind === 'pool' ? filter : 1), `layer ${layer}: strides`);
  const padding: 'same' | 'valid' = cfg.padding === 'same' ? 'same' : cfg.padding === 'valid' || cfg.padding === undefined ? 'valid' : no(`layer ${layer}: padding ${String(cfg.padding)}`);
  return { h, w, c, filter, strides, padding };
}

function compileLayer(layer: tfTypes.layers.Layer, inShape: number[], stateIndex: number): { fl: FusedLayer; outShape: number[]; weightNames: string[]; stateNames?: string[] } {
  const cls = layer.getClassName();
  const cfg = layer.getConfig() as Cfg;
  const name = layer.name;
  const size = inShape.slice(1).reduce((a, b) => a * (b as number), 1);
  if (cls !== 'Flatten' && cls !== 'Dropout' && !layer.trainable && layer.trainableWeights.length + layer.nonTrainableWeights.length > 0)
    no(`layer ${name} is frozen (trainable: false)`);
  switch (cls) {
    case 'Conv2D': {
      noExtras(cfg, name);
      const { h, w, c, filter, strides, padding } = windowOf(cfg, inShape, name, 'convNoDilation');
      const ph = axisPadding(h, filter[0], strides[0], padding);
      const pw = axisPadding(w, filter[1], strides[1], padding);
      const k = cfg.filters as number;
      const outShape: [number, number, number] = [ph.out, pw.out, k];
      const useBias = cfg.useBias !== false;
      return {
        fl: { kind: 'conv2d', name, inShape: [h, w, c], outShape, filter, strides, pad: { top: ph.before, left: pw.before, hp: h + ph.total, wp: w + pw.total }, useBias, activation: activationOf(cfg, name) },
        outShape: [null as unknown as number, ...outShape],
        weightNames: useBias ? ['kernel', 'bias'] : ['kernel'],
      };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const { h, w, c, filter, strides, padding } = windowOf(cfg, inShape, name, 'pool');
      const ph = axisPadding(h, filter[0], strides[0], padding);
      const pw = axisPadding(w, filter[1], strides[1], padding);
      const outShape: [number, number, number] = [ph.out, pw.out, c];
      return {
        fl: { kind: 'pool', name, op: cls === 'MaxPooling2D' ? 'max' : 'avg', inShape: [h, w, c], outShape, filter, strides, top: ph.before, left: pw.before },
        outShape: [null as unknown as number, ...outShape],
        weightNames: [],
      };
    }
    case 'Flatten':
      return { fl: { kind: 'flatten', name, size }, outShape: [null as unknown as number, size], weightNames: [] };
    case 'Dense': {
      noExtras(cfg, name);
      if (inShape.length !== 2) no(`layer ${name}: a dense layer on a rank-${inShape.length} input (only [batch, features] is fused)`);
      const units = cfg.units as number;
      const useBias = cfg.useBias !== false;
      return {
        fl: { kind: 'dense', name, units, inUnits: inShape[1], useBias, activation: activationOf(cfg, name) },
        outShape: [null as unknown as number, units],
        weightNames: useBias ? ['kernel', 'bias'] : ['kernel'],
      };
    }
    case 'Dropout': {
      if (cfg.noiseShape != null) no(`layer ${name}: dropout with a noiseShape`);
      const rate = cfg.rate as number;
      if (!(rate >= 0 && rate < 1)) no(`layer ${name}: dropout rate ${rate}`);
      return { fl: { kind: 'dropout', name, rate, size }, outShape: inShape, weightNames: [] };
    }
    case 'BatchNormalization': {
      const axis = cfg.axis ?? -1;
      if (axis !== -1 && axis !== inShape.length - 1) no(`layer ${name}: batch normalisation over axis ${JSON.stringify(axis)} (only the last axis is fused)`);
      for (const k of ['betaRegularizer', 'gammaRegularizer', 'betaConstraint', 'gammaConstraint']) if (cfg[k] != null) no(`layer ${name} has a ${k}`);
      const scale = cfg.scale !== false;
      const center = cfg.center !== false;
      // tfjs-layers 4.22 reads gamma and beta unconditionally when training (normalization.ts), so it cannot train these either.
      if (!scale || !center) no(`layer ${name}: batch normalisation with ${!scale ? 'scale' : 'center'}: false`);
      const channels = inShape[inShape.length - 1];
      return {
        fl: { kind: 'batchnorm', name, size, channels, epsilon: cfg.epsilon as number, momentum: cfg.momentum as number, scale, center, state: stateIndex },
        outShape: inShape,
        weightNames: [...(scale ? ['gamma'] : []), ...(center ? ['beta'] : [])],
        stateNames: ['moving_mean', 'moving_variance'],
      };
    }
    case 'Activation': {
      const activation = activationOf(cfg, name);
      return { fl: { kind: 'activation', name, activation, size, lastDim: inShape[inShape.length - 1] }, outShape: inShape, weightNames: [] };
    }
    case 'DepthwiseConv2D':
    case 'SeparableConv2D': {
      noExtras(cfg, name);
      for (const k of ['depthwiseRegularizer', 'depthwiseConstraint', 'pointwiseRegularizer', 'pointwiseConstraint']) if (cfg[k] != null) no(`layer ${name} has a ${k}`);
      const { h, w, c, filter, strides, padding } = windowOf(cfg, inShape, name, 'convNoDilation');
      // From the kernel [fh, fw, C, M] the kernels index by: SeparableConv2D's getConfig leaves depthMultiplier out.
      const kernelShape = layer.trainableWeights.find((v) => v.name.endsWith('/depthwise_kernel'))?.shape;
      const multiplier = kernelShape?.[3];
      if (!kernelShape || kernelShape.length !== 4 || kernelShape[2] !== c || !(typeof multiplier === 'number' && multiplier >= 1))
        no(`layer ${name}: depthwise kernel of shape ${JSON.stringify(kernelShape)} for ${c} input channels`);
      const separable = cls === 'SeparableConv2D';
      const ph = axisPadding(h, filter[0], strides[0], padding);
      const pw = axisPadding(w, filter[1], strides[1], padding);
      const outShape: [number, number, number] = [ph.out, pw.out, separable ? (cfg.filters as number) : c * (multiplier as number)];
      const useBias = cfg.useBias !== false;
      return {
        fl: {
          kind: 'depthwise',
          name,
          inShape: [h, w, c],
          outShape,
          filter,
          strides,
          pad: { top: ph.before, left: pw.before, hp: h + ph.total, wp: w + pw.total },
          multiplier: multiplier as number,
          ...(separable ? { pointwise: cfg.filters as number } : {}),
          useBias,
          activation: activationOf(cfg, name),
        },
        outShape: [null as unknown as number, ...outShape],
        weightNames: [...(separable ? ['depthwise_kernel', 'pointwise_kernel'] : ['depthwise_kernel']), ...(useBias ? ['bias'] : [])],
      };
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D': {
      channelsLast(cfg, name);
      const inShape3 = shape3(inShape, name);
      return {
        fl: { kind: 'globalPool', name, op: cls === 'GlobalMaxPooling2D' ? 'max' : 'avg', inShape: inShape3 },
        outShape: [null as unknown as number, inShape3[2]],
        weightNames: [],
      };
    }
    case 'Reshape': {
      // The layer's own shape inference, which resolves a -1 (and refuses a size that does not divide) only
      // when every input dimension is known: so with a batch of 1 in place of the unknown batch.
      const outShape = (layer.computeOutputShape([1, ...inShape.slice(1)]) as number[]).slice(1);
      if (outShape.some((d) => !(typeof d === 'number' && d > 0))) no(`layer ${name}: target shape ${JSON.stringify(cfg.targetShape)} on an input of ${JSON.stringify(inShape.slice(1))}`);
      return { fl: { kind: 'reshape', name, size }, outShape: [null as unknown as number, ...outShape], weightNames: [] };
    }
    case 'Conv2DTranspose': {
      noExtras(cfg, name);
      const { h, w, c, filter, strides, padding } = windowOf(cfg, inShape, name, 'conv');
      // tfjs-layers' deconvLength, then tfjs-core's conv2DBackpropInput pads as the conv2d of that output would.
      const oh = transposedLength(h, strides[0], filter[0], padding);
      const ow = transposedLength(w, strides[1], filter[1], padding);
      const ph = axisPadding(oh, filter[0], strides[0], padding);
      const pw = axisPadding(ow, filter[1], strides[1], padding);
      if (ph.out !== h || pw.out !== w) no(`layer ${name}: a transposed convolution whose conv2d would give ${ph.out}x${pw.out}, not its ${h}x${w} input`);
      const k = cfg.filters as number;
      const outShape: [number, number, number] = [oh, ow, k];
      const useBias = cfg.useBias !== false;
      return {
        fl: { kind: 'conv2dTranspose', name, inShape: [h, w, c], outShape, filter, strides, pad: { top: ph.before, left: pw.before, hp: oh + ph.total, wp: ow + pw.total }, useBias, activation: activationOf(cfg, name) },
        outShape: [null as unknown as number, ...outShape],
        weightNames: useBias ? ['kernel', 'bias'] : ['kernel'],
      };
    }
    default:
      return no(
        `layer ${name} (${cls}) is not a layer the fused executor covers (it covers Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, Flatten, Reshape, Dense, Dropout, Activation, BatchNormalization)`,
      );
  }
}

function optimizerPlan(optimizer: tfTypes.Optimizer | undefined): OptimizerPlan {
  if (!optimizer) return no('the model is not compiled');
  const o = optimizer as unknown as Record<string, unknown>;
  const cls = optimizer.getClassName();
  const num = (k: string) => (typeof o[k] === 'number' ? (o[k] as number) : no(`optimizer ${cls}: ${k} is not a number`));
  switch (cls) {
    case 'SGD':
      num('learningRate');
      return { kind: 'sgd' };
    case 'Momentum':
      num('learningRate');
      return { kind: 'momentum', momentum: num('momentum'), nesterov: o.useNesterov === true };
    case 'Adam':
      num('learningRate');
      return { kind: 'adam', beta1: num('beta1'), beta2: num('beta2'), epsilon: num('epsilon') };
    case 'RMSProp':
      num('learningRate');
      return { kind: 'rmsprop', decay: num('decay'), momentum: num('momentum'), epsilon: num('epsilon'), centered: o.centered === true };
    default:
      return no(`optimizer ${cls} is not fused (fused: SGD, Momentum, Adam, RMSProp)`);
  }
}

/** The accuracy tfjs would compute for metrics ['accuracy'] with this loss and output (training.ts compile). */
function accuracyKind(loss: LossName, outUnits: number): AccuracyKind {
  if (outUnits === 1 || loss === 'binaryCrossentropy') return 'binary';
  if (loss === 'sparseCategoricalCrossentropy') return 'sparse';
  return 'categorical';
}

/**
 * The fused plan of a compiled model, or why there is none. Only a Sequential model of covered
 * layers, a single string loss of the covered ones, metrics limited to accuracy, mse and mae, and an SGD,
 * Momentum, Adam or RMSProp optimizer are fused.
 */
export function planFusedModel(model: tfTypes.LayersModel): PlanResult {
  try {
    if (model.getClassName() !== 'Sequential') no(`the model is a ${model.getClassName()} (only Sequential models are fused)`);
    if (model.inputs.length !== 1 || model.outputs.length !== 1) no('the model has several inputs or outputs');
    const m = model as unknown as { loss?: unknown; metrics?: unknown };
    const lossName = typeof m.loss === 'string' ? m.loss : undefined;
    if (lossName === undefined) no(typeof m.loss === 'function' ? 'the loss is a function' : 'the loss is not one string');
    if (!LOSSES.includes(lossName as LossName)) no(`loss ${lossName} is not fused (fused: ${LOSSES.join(', ')})`);
    const loss = lossName as LossName;
    const metrics = m.metrics === undefined || m.metrics === null ? [] : Array.isArray(m.metrics) ? m.metrics : [m.metrics];
    let wantAccuracy = false;
    const valueMetrics: ValueMetric[] = [];
    const metricOrder: string[] = [];
    for (const metric of metrics) {
      if (metric === 'accuracy' || metric === 'acc') {
        wantAccuracy = true;
        metricOrder.push('acc');
      } else if (typeof metric === 'string' && metric in VALUE_METRICS) {
        valueMetrics.push({ name: metric, kind: VALUE_METRICS[metric] });
        metricOrder.push(metric);
      } else no(`metric ${typeof metric === 'string' ? metric : 'given as a function'} is not fused (fused: accuracy, ${Object.keys(VALUE_METRICS).join(', ')})`);
    }
    // Against class indices, tfjs broadcasts them over the output: not the element-wise metric computed here.
    if (valueMetrics.length > 0 && loss === 'sparseCategoricalCrossentropy') no(`metric ${valueMetrics[0].name} with ${loss} (class-index labels) is not fused`);
    const optimizer = optimizerPlan(model.optimizer);
    const inputShape = model.inputs[0].shape;
    if (inputShape.slice(1).some((d) => typeof d !== 'number')) no(`the input shape ${JSON.stringify(inputShape)} has an unknown dimension`);
    let shape: number[] = inputShape as number[];
    const layers: FusedLayer[] = [];
    const expectedWeights: string[] = [];
    const expectedStates: string[] = [];
    for (const layer of model.layers) {
      if (layer.getClassName() === 'InputLayer') continue;
      const { fl, outShape, weightNames, stateNames = [] } = compileLayer(layer, shape, expectedStates.length);
      const states = layer.nonTrainableWeights.map((w) => w.name);
      if (states.length !== stateNames.length || !stateNames.every((n, i) => isWeight(states[i], n)))
        no(states.length > 0 && stateNames.length === 0 ? `layer ${layer.name} has non-trainable weights` : `layer ${layer.name} has non-trainable weights ${states.join(', ')} (expected ${stateNames.join(', ')})`);
      expectedStates.push(...states);
      const names = layer.trainableWeights.map((w) => w.name);
      if (names.length !== weightNames.length || !weightNames.every((n, i) => isWeight(names[i], n)))
        no(`layer ${layer.name} has weights ${names.join(', ')} (expected ${weightNames.join(', ')})`);
      expectedWeights.push(...names);
      layers.push(fl);
      shape = outShape;
    }
    if (layers.length === 0) no('the model has no layers');
    const tw = model.trainableWeights;
    if (tw.length !== expectedWeights.length || tw.some((w, i) => w.name !== expectedWeights[i])) no('the model trains weights outside its layers');
    const ntw = model.nonTrainableWeights;
    if (ntw.length !== expectedStates.length || ntw.some((w, i) => w.name !== expectedStates[i])) no('the model keeps non-trainable weights outside its layers');
    const outputShape = shape.slice(1);
    // Binary cross-entropy and MSE are element-wise and then means (over the last axis, then the rest), so on
    // an image output they equal the loss of the flattened output; the categorical ones are per last-axis row.
    if (outputShape.length !== 1 && loss !== 'binaryCrossentropy' && loss !== 'meanSquaredError')
      no(`the output shape ${JSON.stringify(shape)} is not [batch, units], which ${loss} needs (fused on such outputs: binaryCrossentropy, meanSquaredError)`);
    const outputSize = outputShape.reduce((a, b) => a * b, 1);
    const lastDim = outputShape[outputShape.length - 1];
    const accuracy = wantAccuracy ? accuracyKind(loss, lastDim) : undefined;
    if (accuracy && accuracy !== 'binary' && outputShape.length !== 1) no(`${accuracy} accuracy on the output shape ${JSON.stringify(shape)} is not fused`);
    const inputSize = (inputShape.slice(1) as number[]).reduce((a, b) => a * b, 1);
    return {
      plan: {
        inputShape: inputShape.slice(1) as number[],
        inputSize,
        outputSize,
        layers,
        weights: tw.map((w) => ({ name: w.name, shape: w.shape as number[], size: (w.shape as number[]).reduce((a, b) => a * b, 1) })),
        states: ntw.map((w) => ({ name: w.name, size: (w.shape as number[]).reduce((a, b) => a * b, 1) })),
        loss,
        ...(accuracy ? { accuracy } : {}),
        outputShape,
        ...(valueMetrics.length > 0 ? { valueMetrics, metricOrder } : {}),
        optimizer,
      },
    };
  } catch (e) {
    if (e instanceof Unfusable) return { reason: e.message };
    throw e;
  }
}
