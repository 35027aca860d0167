// CIFAR-10's binary format (data_batch_N.bin: a label byte, then 1024 red, 1024 green and 1024 blue
// bytes per 32x32 image), read from a folder laid out as the official archive unpacks. There is no
// CIFAR-10 data offline, so examples/data/cifar10-digits holds 200 real MNIST digits written in that
// exact record format: padded to 32x32x3, each class drawn in its own colour (see
// examples/README.md). Point `path` at your cifar-10-batches-bin folder (or cifar-10-binary.tar.gz),
// or use `url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz'` where the machine is
// online, to train on the real 50,000 photos with the same model.
import * as tf from '@tensorflow/tfjs';

export const config = {
  dataset: { type: 'cifar10', path: './data/cifar10-digits', split: 'train' },
  epochs: 10,
  batchSize: 16,
  validationSplit: 0.2,
};

export function createModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 8, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
