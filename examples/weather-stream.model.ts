// The same weather table, streamed: `stream: true` reads the CSV in two passes with tf.data (first
// statistics and row counts, then batches each epoch) instead of loading it into memory, so the
// same model file trains on a file of any size. 20% of the rows, chosen by a seeded hash, are held
// out for validation; the end-of-run evaluation reads them back for eval.json.
import * as tf from '@tensorflow/tfjs';

export const config = {
  dataset: { type: 'csv', path: './data/seattle-weather.csv', label: 'weather', stream: true, validation: 0.2 },
  epochs: 20,
  batchSize: 32,
};

export function createModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [5], units: 32, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 5, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
