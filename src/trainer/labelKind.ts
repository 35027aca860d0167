/**
 * What one model output's labels are, told once for the whole trainer: the model contract picks a
 * loss from it when the model file names none (modelContract.ts inferLoss) and evaluation picks how
 * to judge the output (evaluate.ts), so the two can never disagree about the same data.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { headValues, perSample, type Tensor } from './tensors';

type TF = typeof tfTypes;

/** Rows read to decide what kind of labels an output has. */
export const PROBE_ROWS = 1000;

export type LabelEncoding = 'onehot' | 'sparse' | 'binary';

export type LabelKind =
  /** Class labels: one-hot rows as wide as the output, class indices below its width, or 0/1 for one sigmoid unit. */
  | { kind: 'classification'; labels: LabelEncoding; classes: number }
  /** Numbers, one per output value: a regression target. */
  | { kind: 'regression' }
  /** Labels that fit none of these (another size than the output, or not numbers). */
  | { kind: 'unclear'; units: number; ySize: number };

function isOneHot(v: ArrayLike<number>, width: number): boolean {
  for (let r = 0; r < v.length / width; r++) {
    let sum = 0;
    for (let c = 0; c < width; c++) {
      const x = v[r * width + c];
      if (x !== 0 && x !== 1) return false;
      sum += x;
    }
    if (sum !== 1) return false;
  }
  return true;
}

const allIntsIn = (v: ArrayLike<number>, lo: number, hi: number) => {
  for (let i = 0; i < v.length; i++) if (!Number.isInteger(v[i]) || v[i] < lo || v[i] > hi) return false;
  return true;
};

/** Decides what the labels `y` of output `outIndex` are, from the output's shape and activation and the first rows of `y`. */
export function inferLabelKind(tf: TF, model: tfTypes.LayersModel, outIndex: number, y: Tensor): LabelKind {
  const outShape = model.outputs[outIndex].shape;
  const units = outShape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
  const ySize = perSample(y.shape);
  if (y.dtype === 'string' || y.dtype === 'complex64') return { kind: 'unclear', units, ySize };
  const probe = headValues(tf, y, PROBE_ROWS);
  if (outShape.length === 2 && units > 1 && y.rank === 2 && ySize === units && isOneHot(probe, units))
    return { kind: 'classification', labels: 'onehot', classes: units };
  if (outShape.length === 2 && units > 1 && ySize === 1 && allIntsIn(probe, 0, units - 1))
    return { kind: 'classification', labels: 'sparse', classes: units };
  const activation = (model.outputs[outIndex].sourceLayer?.getConfig() as { activation?: string } | undefined)?.activation;
  if (units === 1 && ySize === 1 && activation === 'sigmoid' && allIntsIn(probe, 0, 1)) return { kind: 'classification', labels: 'binary', classes: 2 };
  return ySize === units ? { kind: 'regression' } : { kind: 'unclear', units, ySize };
}
