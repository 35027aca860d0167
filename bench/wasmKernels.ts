// Training speed of the reference CNN on the wasm backend with Model Lab's gradient kernels, as a
// ratio against tfjs's `cpu` backend measured in the same script.
//
//   npx esbuild bench/wasmKernels.ts --bundle --platform=node --external:@tensorflow/* --outfile=/tmp/x.js
//   node /tmp/x.js [wasmBatches=30] [cpuBatches=3]        (from the repository root)
//
// tfjs is resolved from the current directory, so the bundle may live anywhere (e.g. /tmp).
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { registerWasmGradKernels } from '../src/trainer/backends/wasmKernels';
import { referenceCnn } from './referenceCnn';

type TF = typeof import('@tensorflow/tfjs');
type Wasm = typeof import('@tensorflow/tfjs-backend-wasm');

const req = createRequire(path.join(process.cwd(), 'package.json'));
const tf = req('@tensorflow/tfjs') as TF;
const wasm = req('@tensorflow/tfjs-backend-wasm') as Wasm;

const BATCH = 64;


function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median ms per trainOnBatch (after warm-up batches) on the current backend. */
async function msPerBatch(batches: number, warmup: number): Promise<number> {
  const model = referenceCnn(tf);
  const x = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, 'float32', 1);
  const labels = tf.randomUniform([BATCH], 0, 10, 'int32', 2) as import('@tensorflow/tfjs').Tensor1D;
  const y = tf.oneHot(labels, 10);
  const times: number[] = [];
  for (let i = 0; i < warmup + batches; i++) {
    const t0 = process.hrtime.bigint();
    await model.trainOnBatch(x, y); // resolves with the loss value, so the step has really run
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i >= warmup) times.push(ms);
  }
  tf.dispose([x, labels, y]);
  model.dispose();
  return median(times);
}

async function main(): Promise<void> {
  const wasmBatches = Number(process.argv[2] ?? 30);
  const cpuBatches = Number(process.argv[3] ?? 3);
  wasm.setWasmPaths(path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
  await tf.ready();
  const registered = registerWasmGradKernels(tf);
  const wasmMs = await msPerBatch(wasmBatches, 3);

  if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend failed to initialise');
  const cpuMs = await msPerBatch(cpuBatches, 1);

  console.error(`registered for wasm: ${registered.join(', ')}`);
  console.log('| model | batch | wasm ms/batch | wasm samples/s | cpu ms/batch | cpu samples/s | wasm speed-up vs cpu |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(
    `| CNN conv8@5x5-pool-conv16@5x5-pool-d128-d10, Adam | ${BATCH} | ${wasmMs.toFixed(1)} | ${Math.round((BATCH * 1000) / wasmMs)} | ` +
      `${cpuMs.toFixed(0)} | ${Math.round((BATCH * 1000) / cpuMs)} | ${(cpuMs / wasmMs).toFixed(0)}x |`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
