// Depthwise and separable convolutions on the fused executor (issue 13): Model Lab's real trainer (`node dist/cli.js
// train`, a fresh process per measurement, wasm backend, one thread) training two small MobileNet-style CNNs on MNIST,
// fused against tfjs's fit with Model Lab's wasm kernels (MODEL_LAB_EXECUTOR=tfjs) and PyTorch 1.13 CPU (bench/torchModels.py,
// the same layers in NCHW) in the same script, rounds rotating the order, medians and their ratios, with the load
// average. Speed as bench/fusedTrainer.ts reads it (the run's own metrics.jsonl, windows of 8 batches from batch 5).
// Usage: node bench/run.mjs fusedSeparable [rounds=3]   (needs `npm run build`: dist/cli.js, and /usr/bin/python3 with torch)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median, torchOnce, trainOnce } from './fusedTrainer';

const head = `import * as tf from '@tensorflow/tfjs';
export const config = { dataset: 'mnist', limit: 3200, epochs: 1, batchSize: 64, validationSplit: 0 };
export function createModel() {
  const model = tf.sequential();
`;
const tail = `  model.add(tf.layers.globalAveragePooling2d({}));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
`;

const MODELS: Record<string, string> = {
  // conv 16 stride 2 → separable 32 → separable 64 stride 2 → separable 64 → global average pooling → dense 10.
  separableCnn: `${head}  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
  model.add(tf.layers.separableConv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }));
  model.add(tf.layers.separableConv2d({ filters: 64, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
  model.add(tf.layers.separableConv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }));
${tail}`,
  // MobileNet v1 blocks: depthwise 3x3, batch norm, relu6, pointwise 1x1 conv, batch norm, relu6.
  mobilenetBlocks: `${head}  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, strides: 2, padding: 'same', useBias: false }));
  model.add(tf.layers.batchNormalization({}));
  model.add(tf.layers.activation({ activation: 'relu6' }));
  for (const [filters, strides] of [[32, 1], [64, 2]]) {
    model.add(tf.layers.depthwiseConv2d({ kernelSize: 3, strides, padding: 'same', useBias: false }));
    model.add(tf.layers.batchNormalization({}));
    model.add(tf.layers.activation({ activation: 'relu6' }));
    model.add(tf.layers.conv2d({ filters, kernelSize: 1, useBias: false }));
    model.add(tf.layers.batchNormalization({}));
    model.add(tf.layers.activation({ activation: 'relu6' }));
  }
${tail}`,
};

async function main(): Promise<void> {
  const rounds = +(process.argv[2] ?? '3');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lab-bench-separable-'));
  for (const [m, text] of Object.entries(MODELS)) fs.writeFileSync(path.join(dir, `${m}.model.ts`), text);
  const sides = ['fused', 'tfjs', 'torch'] as const;
  const sps: Record<string, Record<string, number[]>> = {};
  const executors: Record<string, string> = {};
  const loads = [os.loadavg()[0]];
  const started = new Date().toISOString();
  for (let r = 0; r < rounds; r++)
    for (const m of Object.keys(MODELS)) {
      sps[m] ??= { fused: [], tfjs: [], torch: [] };
      const turn = (r + Object.keys(MODELS).indexOf(m)) % sides.length;
      for (const side of [...sides.slice(turn), ...sides.slice(0, turn)]) {
        if (side === 'torch') {
          sps[m].torch.push(torchOnce(m));
          continue;
        }
        const t = await trainOnce(path.join(dir, `${m}.model.ts`), side, path.join(dir, `runs-${side}`), 1);
        if (side === 'fused' && t.executor !== 'fused') throw new Error(`${m} did not train fused (${t.executor})`);
        sps[m][side].push(t.samplesPerS);
        if (side === 'fused') executors[m] = `${t.executor}${t.simd ? ` (${t.simd})` : ''}`;
      }
      loads.push(os.loadavg()[0]);
      console.error(`round ${r + 1} ${m}: fused ${sps[m].fused.at(-1)!.toFixed(0)} | tfjs ${sps[m].tfjs.at(-1)!.toFixed(0)} | PyTorch ${sps[m].torch.at(-1)!.toFixed(0)} samples/s; load ${os.loadavg()[0].toFixed(2)}`);
    }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`${started} → ${new Date().toISOString()}; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}; load average (1 min) ${loads[0].toFixed(2)} at start, median ${median(loads).toFixed(2)}, max ${Math.max(...loads).toFixed(2)}; ${rounds} rounds, medians, one thread`);
  console.log('| model | fused executor | fused samples/s | tfjs fit samples/s | PyTorch 1 thread | fused ÷ tfjs | fused ÷ PyTorch |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const m of Object.keys(MODELS)) {
    const f = median(sps[m].fused);
    const t = median(sps[m].tfjs);
    const p = median(sps[m].torch);
    console.log(`| ${m} | ${executors[m]} | ${f.toFixed(0)} | ${t.toFixed(0)} | ${p.toFixed(0)} | ${(f / t).toFixed(2)} | ${(f / p).toFixed(2)} |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
