// Baseline for bench/trainerThroughput.ts: the example CNN trained with a plain `model.fit` on the
// same backend, data and settings as Model Lab's trainer uses. Prints one JSON line of epoch end times.
import { loadBackend } from '../src/trainer/backends/loadBackend';
import { loadDataset } from '../src/trainer/data/datasets';
import { createModel, config } from '../examples/mnist-cnn.model';

async function main(): Promise<void> {
  const [backend = 'wasm', epochs = '3'] = process.argv.slice(2);
  const { tf, info } = await loadBackend(backend as 'wasm');
  const ds = loadDataset(tf, 'mnist');
  const model = createModel();
  const epochEnds: number[] = [];
  await model.fit(ds.xs, ds.ys, {
    epochs: +epochs,
    batchSize: config.batchSize,
    validationSplit: config.validationSplit,
    shuffle: true,
    verbose: 0,
    callbacks: { onEpochEnd: async () => void epochEnds.push(Date.now()) },
  });
  const n = ds.xs.shape[0];
  console.log(JSON.stringify({ backend: info.name, trainSamples: Math.floor(n * (1 - config.validationSplit)), epochEnds }));
}
void main();
