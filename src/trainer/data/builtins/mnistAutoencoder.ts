/**
 * MNIST for autoencoders. The trainer fits xs → ys, so an autoencoder needs a dataset whose targets
 * are its inputs: 'mnist-autoencoder' gives ys = xs, 'mnist-denoising' gives noisy xs and clean ys
 * (the network learns to remove noise it never sees in its targets).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { loadMnist } from '../mnist';

type TF = typeof tfTypes;

/** Std of the Gaussian noise added for 'mnist-denoising', in pixel units (pixels are 0–1). */
export const MNIST_NOISE_STD = 0.3;
const NOISE_SEED = 7;

export interface MnistAutoencoderData {
  /** [N, 28, 28, 1] in 0–1 (noisy for denoising). */
  xs: tfTypes.Tensor4D;
  /** [N, 28, 28, 1] the clean images. */
  ys: tfTypes.Tensor4D;
  description: string;
  count: number;
}

export function loadMnistAutoencoder(tf: TF, opts: { limit?: number; noise?: number } = {}): MnistAutoencoderData {
  const d = loadMnist(tf, { limit: opts.limit });
  d.ys.dispose(); // the digit labels are not needed: the image is its own target
  const noise = opts.noise ?? 0;
  if (!(noise >= 0)) throw new RangeError(`mnist-denoising: noise must be ≥ 0 (got ${noise})`);
  if (noise === 0) {
    return {
      xs: d.xs,
      ys: d.xs.clone(),
      description: `MNIST autoencoder: ${d.count} real handwritten digits, 28x28x1 in 0–1; targets = inputs`,
      count: d.count,
    };
  }
  // Seeded so a run is reproducible; clipped so noisy pixels stay in the 0–1 range of real ones.
  const noisy = tf.tidy(() => tf.clipByValue(tf.add(d.xs, tf.randomNormal(d.xs.shape, 0, noise, 'float32', NOISE_SEED)), 0, 1)) as tfTypes.Tensor4D;
  return {
    xs: noisy,
    ys: d.xs,
    description: `MNIST denoising: ${d.count} real handwritten digits with Gaussian noise (std ${noise}) as inputs, the clean digits as targets`,
    count: d.count,
  };
}
