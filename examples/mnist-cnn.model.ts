// A small convolutional network that learns to read handwritten digits (MNIST).
// Train it with "Model Lab: Train Model" (or the ▶ button above), or from a terminal:
//   npx model-lab train examples/mnist-cnn.model.ts --epochs 2
import * as tf from '@tensorflow/tfjs';

/** How Model Lab trains this model. Anything here can be overridden from the CLI. */
export const config = {
  dataset: 'mnist', // 10,000 real handwritten digits, 28x28 grayscale, shipped offline
  epochs: 3,
  batchSize: 64,
  validationSplit: 0.15,
};

export function createModel(): tf.LayersModel {
  const model = tf.sequential();
  // [batch, 28, 28, 1] -> [batch, 24, 24, 8]: eight 5x5 filters look for strokes and edges
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu' }));
  // -> [batch, 12, 12, 8]: keep the strongest response in each 2x2 patch
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  // -> [batch, 8, 8, 16]: combine strokes into parts of digits
  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }));
  // -> [batch, 4, 4, 16]
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  // -> [batch, 256]
  model.add(tf.layers.flatten());
  // -> [batch, 128]
  model.add(tf.layers.dense({ units: 128, activation: 'relu' }));
  model.add(tf.layers.dropout({ rate: 0.2 }));
  // -> [batch, 10]: one probability per digit
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
