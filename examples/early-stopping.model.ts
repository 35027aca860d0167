// Keras-style callbacks: training stops once the validation loss has not improved for 8 epochs and
// the saved model gets the best epoch's weights back; the learning rate is cut when progress
// stalls; checkpoints/best keeps the epoch with the highest validation accuracy.
import * as tf from '@tensorflow/tfjs';

export const config = {
  dataset: 'iris', // 150 real flowers, 4 measurements, 3 species
  epochs: 300, // an upper bound: early stopping ends the run well before
  batchSize: 16,
  validationSplit: 0.2,
  checkpoint: { monitor: 'val_acc', mode: 'max' },
  callbacks: {
    earlyStopping: { monitor: 'val_loss', patience: 8, minDelta: 0.001, restoreBestWeights: true },
    reduceLROnPlateau: { monitor: 'val_loss', factor: 0.5, patience: 4, minLr: 0.0005 },
    terminateOnNaN: true,
  },
};

export function createModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [4], units: 16, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(0.02), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
