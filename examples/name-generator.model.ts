// Character-level text generation: examples/data/names.txt lists 600 English first names, one per
// line. Model Lab slides a window of 8 characters over the text and asks for the next character;
// the vocabulary (<pad>, <unk>, then characters by frequency) is stored in run.json → dataset.stats
// so generated ids can be turned back into letters.
import * as tf from '@tensorflow/tfjs';

/** The vocabulary is capped at this many tokens, so the model's sizes are known before the data is read. */
const VOCAB = 32;
const WINDOW = 8;

export const config = {
  // targets: 'index' gives each window's next character as a class id (sparse labels).
  dataset: { type: 'text', path: './data/names.txt', level: 'char', window: WINDOW, maxVocab: VOCAB, targets: 'index' },
  epochs: 10,
  batchSize: 64,
  validationSplit: 0.1,
};

export function createModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.embedding({ inputDim: VOCAB, outputDim: 16, inputLength: WINDOW }));
  model.add(tf.layers.lstm({ units: 48 }));
  model.add(tf.layers.dense({ units: VOCAB, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
