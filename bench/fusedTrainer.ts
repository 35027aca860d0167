// Issue 13's measurement: Model Lab's real trainer (`node dist/cli.js train`, a fresh process per
// measurement, wasm backend) on the fused executor, on tfjs's fit with Model Lab's wasm kernels
// (MODEL_LAB_EXECUTOR=tfjs) and on tfjs's fit with tfjs's own kernels (+ MODEL_LAB_WASM_KERNELS=tfjs: before issue 13),
// against PyTorch 1.13 CPU (bench/torchModels.py, Debian python3-torch), one thread each, for the
// reference CNN, the CNN template (as rendered), a CIFAR-shaped CNN (3 conv layers, 32x32x3), an MLP
// and an LSTM. Rounds rotate the order of the sides; medians are reported with the load average.
// Model Lab's speed is read from the run's own metrics.jsonl: wall time between batch lines from batch 5
// to the last batch of the epoch but one (so start-up, warm-up and the epoch's validation are left
// out), every per-batch cost of the trainer (metrics, IPC yields, callbacks) included; the median over
// windows of 8 batches. Also: time from spawning
// the trainer to its first batch metric on stdout.
// Usage: node bench/run.mjs fusedTrainer [rounds=3] [models=referenceCnn,cnnTemplate,cifarCnn,mlp,lstm]
//   needs `npm run build` (dist/cli.js) and /usr/bin/python3 with torch
import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderTemplate } from '../src/scaffold/renderTemplate';

const root = path.resolve(__dirname, '..', '..');
const CLI = path.join(root, 'dist', 'cli.js');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const BATCH = 64;

const seqData = (n: number, shape: number[]) => `export async function loadData() {
  const xs = tf.randomUniform([${n}, ${shape.join(', ')}]);
  const ys = tf.oneHot(tf.randomUniform([${n}], 0, 10, 'int32'), 10).toFloat();
  return { xs, ys };
}`;

/** Model files as a learner would write them; the CNN template as Model Lab renders it. */
export function modelFiles(): Record<string, string> {
  const head = `import * as tf from '@tensorflow/tfjs';\n`;
  const template = renderTemplate('cnn-classifier').replace(/epochs: \d+,/, 'epochs: 1, limit: 7000,');
  if (!template.includes('limit: 7000')) throw new Error('the CNN template no longer has an epochs line to adapt');
  return {
    referenceCnn: `${head}export const config = { dataset: 'mnist', limit: 6400, epochs: 1, batchSize: ${BATCH}, validationSplit: 0 };
export function createModel() {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 128, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
`,
    cnnTemplate: template,
    cifarCnn: `${head}export const config = { epochs: 1, batchSize: ${BATCH}, validationSplit: 0 };
${seqData(2560, [32, 32, 3])}
export function createModel() {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 32, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 64, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
`,
    mlp: `${head}export const config = { dataset: 'mnist', limit: 9600, epochs: 1, batchSize: ${BATCH}, validationSplit: 0 };
export function createModel() {
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
  model.add(tf.layers.dense({ units: 256, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 128, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
`,
    lstm: `${head}export const config = { epochs: 1, batchSize: ${BATCH}, validationSplit: 0 };
${seqData(1280, [28, 28])}
export function createModel() {
  const model = tf.sequential();
  model.add(tf.layers.lstm({ inputShape: [28, 28], units: 64 }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
`,
  };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export interface TrainerResult {
  samplesPerS: number;
  firstBatchS: number;
  executor: string;
  simd?: string;
  threads?: number;
  threadsReason?: string;
}

/** One real trainer run; its speed from its own metrics.jsonl. */
/** fused: the default; tfjs: tfjs's fit with Model Lab's wasm kernels; stock: tfjs's fit on tfjs's own kernels (before issue 13). */
export type TrainerSide = 'fused' | 'tfjs' | 'stock';

/** A cache folder that cannot be created: the 'stock' side parses MNIST's JSON as before the decoded copy existed. */
const NO_CACHE = '/dev/null/model-lab-bench-no-cache'; // (a path under /proc would make Node's recursive mkdir spin)

/** `threads`: --threads for the run (default: the trainer's own choice). */
export function trainOnce(file: string, executor: TrainerSide, runsDir: string, threads?: number, extraEnv: Record<string, string> = {}): Promise<TrainerResult> {
  return new Promise((resolve, reject) => {
    fs.rmSync(runsDir, { recursive: true, force: true });
    const t0 = performance.now();
    let firstBatch = NaN;
    const env = { ...process.env, ...extraEnv, ...(executor !== 'fused' && { MODEL_LAB_EXECUTOR: 'tfjs' }), ...(executor === 'stock' && { MODEL_LAB_WASM_KERNELS: 'tfjs', MODEL_LAB_CACHE: NO_CACHE }) };
    const threadArgs = threads === undefined ? [] : ['--threads', String(threads)];
    const child = spawn(process.execPath, [CLI, 'train', file, '--backend', 'wasm', ...threadArgs, '--runs-dir', runsDir, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      buf += t;
      if (Number.isNaN(firstBatch) && buf.includes('"type":"batches"')) firstBatch = (performance.now() - t0) / 1000;
    });
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${path.basename(file)} (${executor}) exited ${code}: ${stderr.slice(-2000)}`));
      const run = path.join(runsDir, fs.readdirSync(runsDir)[0]);
      const record = JSON.parse(fs.readFileSync(path.join(run, 'run.json'), 'utf8'));
      const batches = fs
        .readFileSync(path.join(run, 'metrics.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('"type":"batch"'))
        .map((l) => JSON.parse(l) as { batch: number; time: number });
      resolve({ samplesPerS: windowedRate(batches.slice(4, -1)), firstBatchS: firstBatch, executor: record.backend.executor, simd: record.backend.simd, threads: record.backend.threads, threadsReason: record.backend.threadsReason });
    });
  });
}

/**
 * Samples/s as the median over windows of WINDOW consecutive batches (wall time between the batch
 * lines, so every per-batch cost counts): on a shared machine a descheduled burst spoils a window or
 * two, not the figure.
 */
const WINDOW = 8;
function windowedRate(batches: { batch: number; time: number }[]): number {
  const rates: number[] = [];
  for (let i = 0; i + WINDOW < batches.length; i += WINDOW) rates.push((WINDOW * BATCH * 1000) / Math.max(1, batches[i + WINDOW].time - batches[i].time));
  return median(rates);
}

export function torchOnce(model: string, threads = 1): number {
  const t = String(threads);
  const env = { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t };
  const out = execFileSync(PYTHON, [path.join(root, 'bench', 'torchModels.py'), model, model === 'lstm' || model === 'cifarCnn' ? '60' : '200', '5', t], { encoding: 'utf8', env });
  return (JSON.parse(out.trim().split('\n').pop()!) as { median_window_samples_per_s: number }).median_window_samples_per_s;
}

type Side = TrainerSide | 'torch';

async function main(): Promise<void> {
  const [roundsArg = '3', modelsArg = 'referenceCnn,cnnTemplate,cifarCnn,mlp,lstm'] = process.argv.slice(2);
  const rounds = +roundsArg;
  const models = modelsArg.split(',');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lab-bench-'));
  const files = modelFiles();
  for (const m of models) fs.writeFileSync(path.join(dir, `${m}.model.ts`), files[m]);
  const sides: Side[] = ['fused', 'tfjs', 'stock', 'torch'];
  const sps: Record<string, Record<Side, number[]>> = {};
  const first: Record<string, Record<TrainerSide, number[]>> = {};
  const executors: Record<string, string> = {};
  const loads: number[] = [os.loadavg()[0]];
  const started = new Date().toISOString();
  for (let r = 0; r < rounds; r++) {
    for (const m of models) {
      sps[m] ??= { fused: [], tfjs: [], stock: [], torch: [] };
      first[m] ??= { fused: [], tfjs: [], stock: [] };
      const turn = (r + models.indexOf(m)) % sides.length;
      const order = [...sides.slice(turn), ...sides.slice(0, turn)];
      const line: string[] = [];
      for (const side of order) {
        if (side === 'torch') {
          sps[m].torch.push(torchOnce(m));
        } else {
          const t = await trainOnce(path.join(dir, `${m}.model.ts`), side, path.join(dir, `runs-${side}`), 1);
          sps[m][side].push(t.samplesPerS);
          first[m][side].push(t.firstBatchS);
          if (side === 'fused') executors[m] = `${t.executor}${t.simd ? ` (${t.simd})` : ''}`;
        }
        line.push(`${side} ${sps[m][side][sps[m][side].length - 1].toFixed(0)}`);
      }
      loads.push(os.loadavg()[0]);
      console.error(`round ${r + 1} ${m}: ${line.join(' | ')} samples/s; load ${os.loadavg()[0].toFixed(2)}`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const cpu = os.cpus()[0]?.model ?? '?';
  console.log(`${started} → ${new Date().toISOString()}; ${os.cpus().length} cores (${cpu}), Node ${process.version}; load average (1 min) ${loads[0].toFixed(2)} at start, median ${median(loads).toFixed(2)}, max ${Math.max(...loads).toFixed(2)}; ${rounds} rounds, medians`);
  console.log('| model | Model Lab trains it with | Model Lab samples/s | tfjs fit + new kernels | tfjs fit, stock kernels (before) | PyTorch 1 thread | Model Lab ÷ before | Model Lab ÷ PyTorch | before ÷ PyTorch |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const m of models) {
    const f = median(sps[m].fused);
    const t = median(sps[m].tfjs);
    const b = median(sps[m].stock);
    const p = median(sps[m].torch);
    console.log(`| ${m} | ${executors[m]} | ${f.toFixed(0)} | ${t.toFixed(0)} | ${b.toFixed(0)} | ${p.toFixed(0)} | ${(f / b).toFixed(2)} | ${(f / p).toFixed(2)} | ${(b / p).toFixed(2)} |`);
  }
  console.log('\n| model | spawn → first batch metric, Model Lab (s) | tfjs fit, stock kernels (s) |');
  console.log('|---|---:|---:|');
  for (const m of models) console.log(`| ${m} | ${median(first[m].fused).toFixed(2)} | ${median(first[m].stock).toFixed(2)} |`);
}

// bench/fusedThreads.ts imports the helpers above: run only as this benchmark's own bundle.
if (path.basename(process.argv[1] ?? '') === 'fusedTrainer.js')
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
