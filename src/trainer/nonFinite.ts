/**
 * Finding NaN and ±Infinity: in loaded data (so a loader can name the file and item), in the
 * tensors loadData() returns, in a model's weights (checked at each epoch end, because a NaN input
 * behind a relu can poison the weights while the clipped loss stays finite) and in predictions
 * (so an evaluation never reports scores computed from NaN).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { msg } from './messages';

type TF = typeof tfTypes;

/** Index of the first NaN or ±Infinity in `a`, or -1. */
export function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    // v - v is 0 for every finite number and NaN for NaN and ±Infinity: one test instead of two.
    if (v - v !== 0) return i;
  }
  return -1;
}

/** The multi-index of flat (row-major) index `flat` in `shape`, e.g. [3, 1]. */
export function indexIn(shape: readonly number[], flat: number): number[] {
  const out = new Array<number>(shape.length).fill(0);
  for (let k = shape.length - 1; k >= 0; k--) {
    const d = shape[k] || 1;
    out[k] = flat % d;
    flat = Math.floor(flat / d);
  }
  return out;
}

/** "NaN", "Infinity" or "-Infinity". */
export const nonFiniteName = (v: number): string => String(v);

export interface NonFiniteValue {
  /** The tensor's (or weight's) name as the message shows it. */
  name: string;
  /** Multi-index of the first bad element. */
  index: number[];
  value: number;
}

export const describeNonFinite = (f: NonFiniteValue): string => msg('data.nonFinite', f.name, f.index.join(', '), nonFiniteName(f.value));

/** The first non-finite element of a float tensor (integer and bool tensors cannot hold one). */
export function nonFiniteInTensor(t: tfTypes.Tensor, name: string): NonFiniteValue | undefined {
  if (t.dtype !== 'float32') return undefined;
  const data = t.dataSync() as Float32Array;
  const i = firstNonFinite(data);
  return i < 0 ? undefined : { name, index: indexIn(t.shape, i), value: data[i] };
}

/**
 * The first non-finite weight of `model`, named by its variable (e.g. `dense_Dense1/kernel`).
 * One reduction screens all weights (x·0 is NaN exactly when x is not finite), so a healthy model
 * costs one scalar read; only a sick one is searched weight by weight.
 */
export function nonFiniteWeight(tf: TF, model: tfTypes.LayersModel): NonFiniteValue | undefined {
  const vars = model.weights;
  if (vars.length === 0) return undefined;
  const values = vars.map((w) => w.read());
  const floats = values.filter((v) => v.dtype === 'float32');
  if (floats.length === 0) return undefined;
  const screen = tf.tidy(() => tf.addN(floats.map((v) => tf.sum(tf.mul(v, 0)))));
  let ok: boolean;
  try {
    ok = Number.isFinite(screen.dataSync()[0]);
  } finally {
    screen.dispose();
  }
  if (ok) return undefined;
  for (let i = 0; i < vars.length; i++) {
    const found = nonFiniteInTensor(values[i], vars[i].originalName ?? vars[i].name);
    if (found) return found;
  }
  return undefined;
}
