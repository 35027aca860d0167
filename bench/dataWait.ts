// Issue 4: the share of a training epoch spent waiting for data, for the example CNN
// (examples/mnist-cnn.model.ts, batch 64) on Model Lab's backend:
//   in memory   MNIST tensors (loadDataset('mnist')) through model.fit, as the trainer runs them.
//               Measured two ways: (a) the gaps between one batch's onBatchEnd and the next
//               onBatchBegin (tfjs's loop between batches), (b) the batch's own data step, which
//               fit does inside the batch: gathering 64 shuffled rows of xs and ys (timed alone,
//               200 times, median) over the median batch time.
//   streamed    the same digits written to a CSV (784 pixel columns + label) and streamed with
//               Model Lab's csvDataset (the `stream: true` path of a CSV spec), reshaped to
//               28x28x1, through model.fitDataset: fitDataset reads the next batch between
//               onBatchEnd and the next onBatchBegin, so (a) is the data wait.
// Steady state: epochs after the first; the epoch span runs from onEpochBegin to the last
// onBatchEnd (validation left out). Only trivial callbacks are installed.
// Usage: node bench/run.mjs dataWait [epochs=3] [backend=wasm]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { createModel } from '../examples/mnist-cnn.model';
import { loadBackend } from '../src/trainer/backends/loadBackend';
import { csvDataset } from '../src/trainer/data/csv';
import { loadDataset } from '../src/trainer/data/datasets';

const [epochsArg = '3', backend = 'wasm'] = process.argv.slice(2);
const epochs = +epochsArg;
const BATCH = 64;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Callbacks that record, per epoch, the span and the time outside batches (between end and next begin). */
function gapRecorder() {
  const perEpoch: { span: number; gap: number; batches: number[] }[] = [];
  let epochStart = 0;
  let lastEnd = 0;
  let begin = 0;
  let cur = { span: 0, gap: 0, batches: [] as number[] };
  const callbacks: tfTypes.CustomCallbackArgs = {
    onEpochBegin: async () => {
      epochStart = lastEnd = performance.now();
      cur = { span: 0, gap: 0, batches: [] };
    },
    onBatchBegin: async () => {
      begin = performance.now();
      cur.gap += begin - lastEnd;
    },
    onBatchEnd: async () => {
      lastEnd = performance.now();
      cur.batches.push(lastEnd - begin);
    },
    onEpochEnd: async () => {
      cur.span = lastEnd - epochStart;
      perEpoch.push(cur);
    },
  };
  const summary = () => {
    const steady = perEpoch.slice(1);
    return {
      gapShare: median(steady.map((e) => e.gap / e.span)),
      gapMsPerBatch: median(steady.map((e) => e.gap / e.batches.length)),
      batchMs: median(steady.flatMap((e) => e.batches)),
      samplesPerSec: median(steady.map((e) => (e.batches.length * BATCH) / (e.span / 1000))),
    };
  };
  return { callbacks, summary };
}

async function main(): Promise<void> {
  const { tf, info } = await loadBackend(backend as 'wasm');
  const load = os.loadavg()[0];
  const ds = loadDataset(tf, 'mnist');
  const n = ds.xs.shape[0];
  const nTrain = Math.floor(n * 0.85);

  // ---- in memory ----
  let model = createModel();
  const mem = gapRecorder();
  await model.fit(ds.xs, ds.ys, { epochs, batchSize: BATCH, validationSplit: 0.15, shuffle: true, verbose: 0, yieldEvery: 'never', callbacks: mem.callbacks });
  const memSum = mem.summary();
  // (b) the data step fit does inside each batch: gather 64 shuffled rows of xs and ys.
  const gatherMs: number[] = [];
  for (let i = 0; i < 200; i++) {
    const idx = tf.tensor1d(Array.from({ length: BATCH }, () => Math.floor(Math.random() * nTrain)), 'int32');
    const t = performance.now();
    const out = tf.tidy(() => [tf.gather(ds.xs, idx), tf.gather(ds.ys, idx)]);
    out[0].dataSync();
    gatherMs.push(performance.now() - t);
    tf.dispose([...out, idx]);
  }
  const gather = median(gatherMs);
  model.dispose();

  // ---- streamed CSV ----
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-datawait-'));
  const file = path.join(dir, 'mnist.csv');
  const x = ds.xs.slice(0, nTrain).reshape([nTrain, 784]).arraySync() as number[][];
  const y = (ds.ys.slice(0, nTrain).argMax(-1).arraySync() as number[]);
  const lines = [[...Array.from({ length: 784 }, (_, i) => `p${i}`), 'label'].join(',')];
  for (let i = 0; i < nTrain; i++) lines.push(`${x[i].map((v) => (v === 0 ? '0' : v.toFixed(3))).join(',')},${y[i]}`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const mb = fs.statSync(file).size / 1e6;
  const stream = await csvDataset(tf, file, { batchSize: BATCH, label: 'label', normalize: 'none', task: 'classification' });
  const reshaped = stream.dataset.map((b) => {
    const { xs, ys } = b as { xs: tfTypes.Tensor; ys: tfTypes.Tensor };
    return { xs: xs.reshape([-1, 28, 28, 1]), ys };
  });
  model = createModel();
  const str = gapRecorder();
  await model.fitDataset(reshaped, { epochs, verbose: 0, yieldEvery: 'never', callbacks: str.callbacks });
  const strSum = str.summary();
  model.dispose();
  fs.rmSync(dir, { recursive: true, force: true });

  console.log(`${os.cpus().length} cores, Node ${process.version}, load average ${load.toFixed(2)} → ${os.loadavg()[0].toFixed(2)}; backend ${info.name}; example CNN, batch ${BATCH}; ${epochs} epochs, steady state = epochs 2..${epochs}, medians`);
  console.log('| data path | samples/s | batch (ms) | between batches (ms/batch) | share of epoch between batches | data step inside the batch | share of epoch waiting for data |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  const memData = memSum.gapShare + gather / (memSum.batchMs + memSum.gapMsPerBatch);
  console.log(`| in-memory MNIST tensors, model.fit (${nTrain} samples) | ${memSum.samplesPerSec.toFixed(0)} | ${memSum.batchMs.toFixed(1)} | ${memSum.gapMsPerBatch.toFixed(2)} | ${pct(memSum.gapShare)} | gather 64 rows: ${gather.toFixed(2)} ms | ${pct(memData)} |`);
  console.log(`| streamed CSV (${mb.toFixed(0)} MB, csvDataset), model.fitDataset | ${strSum.samplesPerSec.toFixed(0)} | ${strSum.batchMs.toFixed(1)} | ${strSum.gapMsPerBatch.toFixed(2)} | ${pct(strSum.gapShare)} | (in the gap) | ${pct(strSum.gapShare)} |`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
