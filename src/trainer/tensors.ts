/**
 * Small tensor helpers the trainer's modules share (model contract, evaluation, preview, training):
 * one place for "is this a tensor", the three forms a model takes tensors in, and reading the first
 * rows of a tensor without leaking it.
 */
import type * as tfTypes from '@tensorflow/tfjs';

type TF = typeof tfTypes;
export type Tensor = tfTypes.Tensor;

/** Tensors as a model takes them: one, one per input in order, or by input name. */
export type TensorArg = Tensor | Tensor[] | Record<string, Tensor>;

/** A tfjs tensor, told by its shape, dtype and dataSync (works across two copies of tfjs). */
export function isTensor(v: unknown): v is Tensor {
  const t = v as Partial<Tensor> | null;
  return typeof t === 'object' && t !== null && Array.isArray(t.shape) && typeof t.dataSync === 'function' && typeof t.dtype === 'string';
}

/** The tensors of a TensorArg, in its order. */
export function tensorsOf(arg: TensorArg): Tensor[] {
  return isTensor(arg) ? [arg] : Array.isArray(arg) ? arg : Object.values(arg);
}

/** Values per sample: the product of the shape without its first (batch) axis. */
export const perSample = (shape: readonly number[]): number => shape.slice(1).reduce((a, b) => a * b, 1);

/** The first `rows` samples of `t`, flat; the slice made to read them is disposed. */
export function headValues(tf: TF, t: Tensor, rows: number): Float32Array | Int32Array | Uint8Array {
  const part = tf.tidy(() => t.slice(0, Math.min(rows, t.shape[0])));
  try {
    return part.dataSync() as Float32Array | Int32Array | Uint8Array;
  } finally {
    part.dispose();
  }
}
