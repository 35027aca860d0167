// What kind of day will it be in Seattle? A small network reads one day's weather measurements
// (NOAA, 2012–2015) and names the weather: drizzle, fog, rain, snow or sun.
// Data: examples/data/seattle-weather.csv, a real table — Model Lab detects the header, takes the
// last column as the label (5 classes, one-hot), z-scores the numbers and keeps their statistics
// in the run (run.json → dataset.stats) so new rows can be scaled the same way.
import * as tf from '@tensorflow/tfjs';

export const config = {
  dataset: { type: 'csv', path: './data/seattle-weather.csv', label: 'weather' },
  epochs: 20,
  batchSize: 32,
  validationSplit: 0.2,
  // The model below is not compiled: Model Lab compiles it with this optimizer and infers the loss
  // (categoricalCrossentropy, with accuracy) from the one-hot labels.
  optimizer: 'adam',
  learningRate: 0.01,
};

export function createModel(): tf.LayersModel {
  const model = tf.sequential();
  // month, precipitation, temp_max, temp_min, wind
  model.add(tf.layers.dense({ inputShape: [5], units: 32, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 16, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 5, activation: 'softmax' }));
  return model;
}
