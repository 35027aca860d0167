import type * as tfTypes from '@tensorflow/tfjs';

/**
 * The reference CNN of the speed measurements (issue 3): conv 8@5x5 → pool → conv 16@5x5 → pool →
 * dense 128 → dense 10 on 28x28x1, Adam. bench/torchReference.py builds the same in PyTorch.
 */
export function referenceCnn(tf: typeof tfTypes): tfTypes.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  return model;
}
