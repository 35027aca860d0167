// An image folder: examples/data/digits has one subfolder per class (0 … 9) with 30 real MNIST
// digits each as 28x28 PNG files. The folder names become the class names in eval.json's
// confusion matrix. Your own photos work the same way: a folder per class, PNG or JPEG, resized to
// `size` and read as grayscale (channels: 1) or RGB (channels: 3).
import * as tf from '@tensorflow/tfjs';

export const config = {
  dataset: { type: 'images', path: './data/digits', size: [28, 28], channels: 1 },
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
