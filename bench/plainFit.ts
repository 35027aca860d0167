// Baseline for bench/trainerThroughput.ts: the example CNN trained with a plain `model.fit` on the
// same backend, data and settings as Model Lab's trainer uses (batch size, validation split,
// shuffle from the model file's config; the same loadBackend, so the same wasm kernels). Prints one
// JSON line with the wall time (ms since the Unix epoch) and the process CPU time (ms) at each epoch end.
import { loadBackend } from '../src/trainer/backends/loadBackend';
import { loadDataset } from '../src/trainer/data/datasets';
import { createModel, config } from '../examples/mnist-cnn.model';

async function main(): Promise<void> {
  const [backend = 'wasm', epochs = '3'] = process.argv.slice(2);
  const { tf, info } = await loadBackend(backend as 'wasm');
  const ds = loadDataset(tf, 'mnist');
  const model = createModel();
  const epochEnds: number[] = [];
  const epochCpu: number[] = [];
  await model.fit(ds.xs, ds.ys, {
    epochs: +epochs,
    batchSize: config.batchSize,
    validationSplit: config.validationSplit,
    shuffle: true,
    verbose: 0,
    callbacks: {
      onEpochEnd: async () => {
        epochEnds.push(Date.now());
        const c = process.cpuUsage();
        epochCpu.push((c.user + c.system) / 1000);
      },
    },
  });
  const n = ds.xs.shape[0];
  console.log(JSON.stringify({ backend: info.name, timeOrigin: performance.timeOrigin, trainSamples: Math.floor(n * (1 - config.validationSplit)), epochEnds, epochCpu }));
}
void main();
