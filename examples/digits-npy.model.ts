// NumPy arrays saved with np.save: examples/data/digits14-x.npy holds 400 real MNIST digits averaged
// down to 14x14 (float32, shape [400, 14, 14, 1]) and digits14-y.npy their labels (int32, [400]).
// Integer labels become one-hot over `classes`; float targets would be used as they are (regression).
import * as tf from '@tensorflow/tfjs';

export const config = {
  dataset: { type: 'npy', path: './data/digits14-x.npy', labels: './data/digits14-y.npy', classes: 10 },
  epochs: 15,
  batchSize: 32,
  validationSplit: 0.2,
};

export function createModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [14, 14, 1], filters: 8, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(0.005), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
