// loadData(): your own code prepares the data. Here it reads the Seattle weather table and pairs
// each day's measurements with the NEXT day's maximum temperature — a regression a config.dataset
// spec cannot express. It returns tensors with an explicit validation set (the last 20% of days, so
// the model is judged on days after the ones it learned from). With loadData(), config.dataset is
// not loaded at all.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

export const config = {
  epochs: 30,
  batchSize: 32,
};

export function loadData() {
  const file = path.join(__dirname, 'data', 'seattle-weather.csv');
  const rows = fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').slice(0, 5).map(Number)); // month, precipitation, temp_max, temp_min, wind
  // Today's month (as a point on a circle, so December is next to January) and measurements → tomorrow's temp_max.
  const features = rows.slice(0, -1).map(([month, precipitation, tMax, tMin, wind]) => [
    Math.sin((2 * Math.PI * month) / 12),
    Math.cos((2 * Math.PI * month) / 12),
    precipitation / 10,
    tMax / 10,
    tMin / 10,
    wind / 10,
  ]);
  const target = rows.slice(1).map((r) => [r[2] / 10]);
  const split = Math.floor(features.length * 0.8);
  return {
    xs: tf.tensor2d(features.slice(0, split)),
    ys: tf.tensor2d(target.slice(0, split)),
    validation: { xs: tf.tensor2d(features.slice(split)), ys: tf.tensor2d(target.slice(split)) },
  };
}

export function createModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [6], units: 16, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 1 }));
  // Tens of °C in and out: mean absolute error 0.2 is 2 °C.
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError', metrics: ['mae'] });
  return model;
}
