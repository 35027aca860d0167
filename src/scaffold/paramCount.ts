/**
 * The number of weights a template's model has, from the parameters alone, with the textbook
 * formulas — deliberately not by building the model or reusing the templates' layer plans, so a test
 * comparing it with model.countParams() catches a template that builds something other than it says.
 * Counts include non-trainable weights (batch norm's moving mean and variance), as countParams does.
 */
import type { Params } from './params';
import { NAME_VOCAB_SIZE } from './templates/datasets';
import { resolveParams } from './renderTemplate';
import { TABULAR_CLASSIFICATION, TABULAR_REGRESSION } from './templates/datasets';

const dense = (inputs: number, units: number) => inputs * units + units;
const conv = (k: number, cin: number, cout: number, bias = true) => k * k * cin * cout + (bias ? cout : 0);
/** gamma, beta, moving mean, moving variance. */
const batchNorm = (channels: number) => 4 * channels;

/** Weights of one recurrent layer: kernel (input x gates·units), recurrent kernel (units x gates·units), bias. */
function recurrent(cell: string, inputs: number, units: number): number {
  const gates = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
  return gates * (inputs * units + units * units + units);
}

function rnnStack(p: Params, inputs: number): { params: number; width: number } {
  const bi = p.bidirectional as boolean;
  const units = p.units as number;
  let total = 0;
  let width = inputs;
  for (let i = 0; i < (p.layers as number); i++) {
    total += (bi ? 2 : 1) * recurrent(p.cell as string, width, units);
    width = bi ? 2 * units : units;
  }
  return { params: total, width };
}

function mlp(p: Params, features: number, outputs: number): number {
  let total = 0;
  let width = features;
  for (let i = 0; i < (p.hiddenLayers as number); i++) {
    total += dense(width, p.units as number);
    width = p.units as number;
  }
  return total + dense(width, outputs);
}

function denseAutoencoder(p: Params): number {
  const h = p.hiddenUnits as number;
  const z = p.latentSize as number;
  return dense(784, h) + dense(h, z) + dense(z, h) + dense(h, 784);
}

function convAutoencoder(p: Params): number {
  const f = p.filters as number;
  const k = p.kernelSize as number;
  const z = p.latentSize as number;
  const flat = 7 * 7 * 2 * f;
  // A transposed convolution has the same kernel size as a convolution: k·k·in·out + out.
  return conv(k, 1, f) + conv(k, f, 2 * f) + dense(flat, z) + dense(z, flat) + conv(k, 2 * f, f) + conv(k, f, 1);
}

export function expectedParamCount(templateId: string, params: Params = {}): number {
  const p = resolveParams(templateId, params);
  switch (templateId) {
    case 'cnn-classifier': {
      const [h0, w0, c0] = p.inputShape as number[];
      const k = p.kernelSize as number;
      const bn = p.batchNorm as boolean;
      let h = h0;
      let w = w0;
      let c = c0;
      let total = 0;
      for (let i = 0; i < (p.depth as number); i++) {
        const f = (p.filters as number) * 2 ** i;
        total += conv(k, c, f, !bn) + (bn ? batchNorm(f) : 0);
        h = Math.floor((h - k + 1) / 2);
        w = Math.floor((w - k + 1) / 2);
        c = f;
      }
      return total + dense(h * w * c, p.denseUnits as number) + dense(p.denseUnits as number, p.classes as number);
    }
    case 'residual-cnn': {
      const c0 = (p.inputShape as number[])[2];
      const k = p.kernelSize as number;
      const f0 = p.filters as number;
      let total = conv(k, c0, f0);
      let c = f0;
      for (let s = 0; s < (p.stages as number); s++) {
        const f = f0 * 2 ** s;
        for (let b = 0; b < (p.blocksPerStage as number); b++) {
          total += conv(k, c, f, false) + batchNorm(f) + conv(k, f, f, false) + batchNorm(f);
          if (c !== f) total += conv(1, c, f); // projection shortcut
          c = f;
        }
      }
      return total + dense(c, p.classes as number);
    }
    case 'mlp-classifier': {
      const ds = TABULAR_CLASSIFICATION[p.dataset as string];
      return mlp(p, ds.features, ds.classes);
    }
    case 'mlp-regressor':
      return mlp(p, TABULAR_REGRESSION[p.dataset as string].features, 1);
    case 'rnn-text-classifier': {
      const e = p.embeddingSize as number;
      const stack = rnnStack(p, e);
      return NAME_VOCAB_SIZE * e + stack.params + dense(stack.width, 1);
    }
    case 'char-generator': {
      const e = p.embeddingSize as number;
      const stack = rnnStack(p, e);
      return NAME_VOCAB_SIZE * e + stack.params + dense(stack.width, NAME_VOCAB_SIZE);
    }
    case 'time-series-forecaster': {
      const stack = rnnStack(p, 1);
      return stack.params + dense(stack.width, 1);
    }
    case 'autoencoder-dense':
      return denseAutoencoder(p);
    case 'autoencoder-conv':
      return convAutoencoder(p);
    case 'autoencoder-denoising':
      return p.architecture === 'conv' ? convAutoencoder(p) : denseAutoencoder(p);
    default:
      throw new Error(`expectedParamCount: unknown template "${templateId}"`);
  }
}
