/**
 * The built-in datasets a model file can name in `config.dataset`. Each returns tensors the caller
 * owns (and disposes).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { loadMnist } from './mnist';

type TF = typeof tfTypes;

export interface Dataset {
  xs: tfTypes.Tensor;
  ys: tfTypes.Tensor;
  /** One line for logs and the panel. */
  description: string;
}

type Loader = (tf: TF, opts: { limit?: number }) => Dataset;

const LOADERS: Record<string, Loader> = {
  mnist: (tf, opts) => {
    const d = loadMnist(tf, { limit: opts.limit });
    return { xs: d.xs, ys: d.ys, description: `MNIST: ${d.count} real handwritten digits, 28x28x1 in 0–1, 10 classes (one-hot)` };
  },
};

export const DATASET_NAMES: readonly string[] = Object.keys(LOADERS);

export function loadDataset(tf: TF, name: string, opts: { limit?: number } = {}): Dataset {
  const loader = Object.prototype.hasOwnProperty.call(LOADERS, name) ? LOADERS[name] : undefined;
  if (!loader) throw new Error(`Unknown dataset "${name}". Known datasets: ${DATASET_NAMES.join(', ')}`);
  return loader(tf, opts);
}
