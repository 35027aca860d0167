// IDX files, the format MNIST and Fashion-MNIST are published in, raw or gzipped: here 600 real
// MNIST digits in examples/data/mnist-small. Point `path` and `labels` at the full
// train-images-idx3-ubyte.gz / train-labels-idx1-ubyte.gz to train on all 60,000; Fashion-MNIST's
// files have the same names and format and load the same way. Where the machine is online,
// `dataset: 'mnist-full'` or `'fashion-mnist'` (or `url` / `labelsUrl` instead of `path` / `labels`)
// downloads the files once into ~/.cache/model-lab/datasets.
import * as tf from '@tensorflow/tfjs';

export const config = {
  dataset: {
    type: 'idx',
    path: './data/mnist-small/train-images-idx3-ubyte.gz',
    labels: './data/mnist-small/train-labels-idx1-ubyte.gz',
    classes: 10,
  },
  epochs: 10,
  batchSize: 32,
  validationSplit: 0.2,
};

export function createModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
  model.add(tf.layers.dense({ units: 64, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
