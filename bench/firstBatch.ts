// Issue 3: time from "Train" to the first batch metric, and its parts. Forks the real trainer
// (dist/trainer.js through TrainerProcess, as the extension and CLI do) on the example CNN and
// reads the timing marks it carries on `ready` and `run` (ms since its process started, plus its
// time origin), and the first batch point's time:
//   spawn            host calls fork → the child process exists (its performance.timeOrigin)
//   node + bundle    Node's bootstrap and loading dist/trainer.js (→ main.ts runs)
//   start message    main.ts running → the `start` message read
//   tf + backend     loadBackend: import tfjs, pick and initialise the backend (wasm: compile the .wasm)
//   file + data      bundle the model file with esbuild, import it, resolve config, load the data
//   model            createModel(), shape checks, compile, layer summary (→ `run` sent)
//   first batch      `run` sent → the first batch's onBatchEnd
// Alternating with two baselines each round:
//   floor            a bare fork that requires @tensorflow/tfjs and the wasm backend and says hello
//                    over IPC once the backend is ready: the least any tfjs trainer pays
//   split            a fork that loads the backend, then times Model Lab's own loadModelContract
//                    (esbuild bundle + import), loadDataset('mnist') and createModel separately,
//                    to split "file + data"
// The trainer is killed after its first batch. Medians of each part.
// Usage: node bench/run.mjs firstBatch [rounds=5] [backend=wasm]
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Timings } from '../src/protocol/trainer';
import { loadBackend } from '../src/trainer/backends/loadBackend';
import { loadDataset } from '../src/trainer/data/datasets';
import { loadModelContract } from '../src/trainer/modelContract';
import { TrainerProcess } from '../src/training/trainerProcess';

const root = path.resolve(__dirname, '..', '..');
const modelFile = path.join(root, 'examples', 'mnist-cnn.model.ts');
const now = () => performance.timeOrigin + performance.now();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const FLOOR = `const t = { timeOrigin: performance.timeOrigin, mainStart: performance.now() };
const tf = require('@tensorflow/tfjs'); t.tfImported = performance.now();
require('@tensorflow/tfjs-backend-wasm'); t.wasmImported = performance.now();
tf.setBackend(process.argv[2] || 'wasm').then(() => tf.ready()).then(() => { t.backendReady = performance.now(); process.send(t, () => process.exit(0)); });
`;

/** Split mode (a child): the parts of "file + data" timed one after another in a fresh process. */
async function splitChild(backend: string): Promise<void> {
  const { tf } = await loadBackend(backend as 'wasm');
  let t = performance.now();
  const contract = await loadModelContract(tf, modelFile);
  const bundleMs = performance.now() - t;
  t = performance.now();
  const ds = loadDataset(tf, 'mnist');
  const dataMs = performance.now() - t;
  t = performance.now();
  const model = await contract.createModel();
  const modelMs = performance.now() - t;
  void ds;
  void model;
  process.send!({ bundleMs, dataMs, modelMs }, undefined, {}, () => process.exit(0));
}

function forkFloor(file: string, backend: string): Promise<Record<string, number>> {
  const t0 = now();
  const child = fork(file, [backend], { cwd: root, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.on('message', (m: Timings) => {
      const seen = now();
      resolve({
        spawn: m.timeOrigin - t0,
        'node + bundle': m.mainStart,
        'tf import': m.tfImported - m.mainStart,
        'backend init': m.backendReady - m.wasmImported + (m.wasmImported - m.tfImported),
        total: seen - t0,
      });
    });
    child.on('error', reject);
  });
}

function forkSplit(backend: string): Promise<Record<string, number>> {
  const child = fork(__filename, ['--split', backend], { cwd: root, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve) => child.on('message', (m: Record<string, number>) => resolve(m)));
}

async function trainerRun(runsDir: string, backend: string): Promise<Record<string, number>> {
  const proc = new TrainerProcess({ trainerScript: path.join(root, 'dist', 'trainer.js') });
  let ready: Timings | undefined;
  let run: Timings | undefined;
  let parts: Record<string, number> | undefined;
  const t0 = now();
  proc.onMessage((m) => {
    if (m.type === 'ready') ready = m.timings;
    if (m.type === 'run') run = m.timings;
    if (m.type === 'batches' && !parts && ready && run) {
      const seen = now();
      const o = run.timeOrigin;
      parts = {
        spawn: o - t0,
        'node + bundle': run.mainStart,
        'start message': run.startReceived - run.mainStart,
        'tf + backend': run.backendReady - run.startReceived,
        'file + data': run.firstLog - run.backendReady,
        model: run.run - run.firstLog,
        'first batch': m.points[0].time - (o + run.run),
        total: seen - t0,
      };
      process.kill(proc.pid!, 'SIGKILL');
    }
  });
  proc.start({ modelFile, runsDir, backend: backend as 'wasm' });
  await proc.ended;
  proc.dispose();
  if (!parts) throw new Error('the trainer sent no first batch with timings (rebuild dist/trainer.js: node esbuild.mjs)');
  return parts;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--split') return splitChild(process.argv[3]);
  const [roundsArg = '5', backend = 'wasm'] = process.argv.slice(2);
  const rounds = +roundsArg;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-first-'));
  const floorFile = path.join(__dirname, 'firstBatchFloor.js');
  fs.writeFileSync(floorFile, FLOOR);
  const lab: Record<string, number>[] = [];
  const floor: Record<string, number>[] = [];
  const split: Record<string, number>[] = [];
  const load = os.loadavg()[0];
  try {
    for (let i = 0; i < rounds; i++) {
      const steps = [
        async () => lab.push(await trainerRun(path.join(dir, 'runs'), backend)),
        async () => floor.push(await forkFloor(floorFile, backend)),
        async () => split.push(await forkSplit(backend)),
      ];
      for (const s of [...steps.slice(i % 3), ...steps.slice(0, i % 3)]) await s();
      console.error(`round ${i + 1}: Model Lab ${lab[i].total.toFixed(0)} ms to the first batch, floor ${floor[i].total.toFixed(0)} ms; load ${os.loadavg()[0].toFixed(2)}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const med = (rows: Record<string, number>[], k: string) => median(rows.map((r) => r[k]));
  console.log(`${os.cpus().length} cores, Node ${process.version}, load average ${load.toFixed(2)} → ${os.loadavg()[0].toFixed(2)}; backend ${backend}; example CNN (MNIST, batch 64); ${rounds} rotating rounds, medians (ms)`);
  console.log('| part | Model Lab trainer | floor: bare tfjs + wasm fork |');
  console.log('|---|---:|---:|');
  const floorOf: Record<string, string> = { spawn: 'spawn', 'node + bundle': 'node + bundle', 'tf + backend': '', total: 'total' };
  for (const k of Object.keys(lab[0])) {
    const f = k === 'tf + backend' ? `${med(floor, 'tf import').toFixed(0)} import + ${med(floor, 'backend init').toFixed(0)} init` : floorOf[k] ? med(floor, floorOf[k]).toFixed(0) : '';
    console.log(`| ${k} | ${med(lab, k).toFixed(0)} | ${f} |`);
  }
  console.log(`\n"file + data" split in a separate fresh process: esbuild bundle + import of the model file ${med(split, 'bundleMs').toFixed(0)} ms, loadDataset('mnist') ${med(split, 'dataMs').toFixed(0)} ms, createModel() ${med(split, 'modelMs').toFixed(0)} ms`);
  console.log(`Model Lab total ÷ floor total: ${(med(lab, 'total') / med(floor, 'total')).toFixed(2)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
