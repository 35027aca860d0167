// A folder of JPEG photos, one subfolder per class, at mixed sizes: examples/data/digits-jpeg holds
// 150 real MNIST digits saved as RGB JPEG at 20, 28 and 36 pixels square. `size` resizes every
// image (bilinear) to one shape (without it, to the first image's size) and `channels: 1` reads them
// as grayscale. JPEG and PNG decode in pure JavaScript, without tfjs-node.
import * as tf from '@tensorflow/tfjs';

export const config = {
  dataset: { type: 'images', path: './data/digits-jpeg', size: [28, 28], channels: 1 },
  epochs: 15,
  batchSize: 16,
  validationSplit: 0.2,
};

export function createModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 32, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
