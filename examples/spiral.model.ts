// A generated set to try an idea in seconds: three interleaved spiral arms in the plane, which no
// straight line separates. Change `noise`, `turns` or the layer sizes and watch the accuracy.
// Also: { type: 'blobs' }, { type: 'xor' }, { type: 'sine' }.
import * as tf from '@tensorflow/tfjs';

export const config = {
  dataset: { type: 'spiral', size: 900, arms: 3, noise: 0.1, seed: 7 },
  epochs: 40,
  batchSize: 32,
  validationSplit: 0.2,
};

export function createModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [2], units: 32, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 32, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
