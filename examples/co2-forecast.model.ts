// A time series: monthly CO2 at Mauna Loa (data/builtin/co2-concentration.csv, Scripps, CC BY 4.0).
// The last 24 months predict the next one. Values are standardised (the mean and deviation are kept
// in run.json → dataset.stats.series to turn predictions back into ppm), and the model is validated
// on the most recent 20% of the windows, in time order — never on months it trained after.
import * as tf from '@tensorflow/tfjs';

const WINDOW = 24;

export const config = {
  dataset: { type: 'timeseries', path: '../data/builtin/co2-concentration.csv', column: 'CO2', window: WINDOW, horizon: 1, validation: 0.2 },
  epochs: 30,
  batchSize: 32,
  validationSplit: 0.2,
};

export function createModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [WINDOW, 1] }));
  model.add(tf.layers.dense({ units: 32, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 1 }));
  model.compile({ optimizer: tf.train.adam(0.003), loss: 'meanSquaredError', metrics: ['mae'] });
  return model;
}
