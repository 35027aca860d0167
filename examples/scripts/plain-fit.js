// An ordinary TensorFlow.js script, nothing Model Lab-specific: it builds a model and calls
// model.fit itself. Run it as it is with
//   npx model-lab run examples/scripts/plain-fit.js
// and its metrics stream and are recorded as a run, next to its own console output.
const tf = require('@tensorflow/tfjs');

async function main() {
  // XOR: the smallest problem a single straight line cannot solve.
  const xs = tf.tensor2d([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const ys = tf.tensor2d([[0], [1], [1], [0]]);
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [2], units: 8, activation: 'tanh' }));
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
  model.compile({ optimizer: tf.train.adam(0.1), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const epochs = 100;
  const history = await model.fit(xs, ys, { epochs, batchSize: 4, verbose: 0 });
  const loss = history.history.loss;
  console.log(`loss ${Number(loss[0]).toFixed(3)} -> ${Number(loss[loss.length - 1]).toFixed(3)} after ${epochs} epochs`);
  const predictions = model.predict(xs);
  console.log('predictions', Array.from(predictions.dataSync(), (p) => p.toFixed(2)).join(' '));
  tf.dispose([xs, ys, predictions]);
}

main();
