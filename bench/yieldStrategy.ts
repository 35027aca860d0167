// How the trainer lets IPC messages (stop, pause) in during fit, measured three ways in one process:
//   tfjs       yieldEvery: 'batch': tfjs awaits nextFrame() after every batch (setImmediate in Node)
//              alongside our onBatchEnd
//   every      yieldEvery: 'never' + `await new Promise(setImmediate)` in onBatchEnd after every
//              batch, before reading the control
//   throttled  the same at most every 50 ms
// For each: training throughput (samples/s of the whole run, runTraining in-process with its real
// metrics.jsonl writes), CPU time per 1000 samples (process.cpuUsage: steadier than wall time on a
// busy machine) and stop latency (a stop set by a timer, as an IPC message would arrive:
// batches trained after it and ms until training ended). Runs alternate; medians are reported.
// Usage: node bench/run.mjs yieldStrategy [backend=cpu] [repeats=5]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TrainerToHost } from '../src/protocol/trainer';
import type { MetricLine } from '../src/protocol/runFolder';
import { loadBackend } from '../src/trainer/backends/loadBackend';
import { runTraining, silenceTfjsNodeBanner } from '../src/trainer/runTraining';
import { readRun } from '../src/training/runStore';

type Mode = 'tfjs' | 'every' | 'throttled';
const MODES: Mode[] = ['tfjs', 'every', 'throttled'];
const [backendArg = 'cpu', repeatsArg = '5'] = process.argv.slice(2);
const repeats = +repeatsArg;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Small batches of a small dense model: the most batches per second, where a per-batch yield costs most. */
const DENSE = `import * as tf from '@tensorflow/tfjs';
export const config = { dataset: 'mnist', limit: 6000, epochs: 2, batchSize: 16, validationSplit: 0 };
export function createModel() {
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
  m.add(tf.layers.dense({ units: 32, activation: 'relu' }));
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  return m;
}
`;

/** µs per `await` of one event-loop turn: what a yield costs by itself. */
async function costOfOneYield(kind: 'setImmediate' | 'setTimeout', n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await new Promise<void>((r) => (kind === 'setImmediate' ? setImmediate(r) : setTimeout(r, 0)));
  return ((performance.now() - t0) / n) * 1000;
}

async function main(): Promise<void> {
  console.log(
    `one yield: setImmediate ${(await costOfOneYield('setImmediate', 100_000)).toFixed(1)} µs, ` +
      `setTimeout(0) ${(await costOfOneYield('setTimeout', 5_000)).toFixed(0)} µs (tfjs's nextFrame is setImmediate in Node)`,
  );
  const { tf, info } = await loadBackend(backendArg as 'cpu');
  silenceTfjsNodeBanner(tf);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-yield-'));
  const modelFile = path.join(dir, 'dense.model.ts');
  fs.writeFileSync(modelFile, DENSE);
  const runsDir = path.join(dir, 'runs');
  const backend = { name: info.name, reason: 'bench' } as const;

  async function throughput(mode: Mode): Promise<{ rate: number; cpuMsPer1k: number }> {
    let samples = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const emit = (m: TrainerToHost) => {
      if (m.type === 'run') samples = Math.floor(6000 * (1 - m.config.validationSplit)) * m.config.epochs;
    };
    const status = await runTraining(tf, backend, { modelFile, runsDir, backend: info.name }, emit, { stopRequested: () => false }, { yieldMode: mode });
    if (status !== 'completed') throw new Error(`run ended ${status}`);
    const cpu = process.cpuUsage(cpu0);
    return { rate: samples / ((performance.now() - t0) / 1000), cpuMsPer1k: ((cpu.user + cpu.system) / 1000 / samples) * 1000 };
  }

  /**
   * Stops via a timer `afterMs` into training. Counts from the timer's due time (when the message
   * "arrived"), so waiting for the next yield is included: batches whose end came after it, and ms
   * until training ended.
   */
  async function stopLatency(mode: Mode, afterMs: number): Promise<{ batches: number; ms: number }> {
    let stop = false;
    let stopAt = 0;
    let runDir = '';
    const emit = (m: TrainerToHost) => {
      if (m.type === 'run') {
        runDir = m.runDir;
        stopAt = Date.now() + afterMs;
        setTimeout(() => (stop = true), afterMs);
      }
    };
    const status = await runTraining(tf, backend, { modelFile, runsDir, backend: info.name, overrides: { epochs: 50 } }, emit, { stopRequested: () => stop }, { yieldMode: mode });
    const endedAt = Date.now();
    if (status !== 'stopped') throw new Error(`run ended ${status}, not stopped`);
    const lines = readRun(runDir).metrics.filter((l): l is Extract<MetricLine, { type: 'batch' }> => l.type === 'batch');
    return { batches: lines.filter((l) => l.time >= stopAt).length, ms: endedAt - stopAt };
  }

  await throughput('tfjs'); // warm-up: bundling, MNIST decode, kernel first use
  const rate = Object.fromEntries(MODES.map((m) => [m, [] as number[]])) as Record<Mode, number[]>;
  const cpu = Object.fromEntries(MODES.map((m) => [m, [] as number[]])) as Record<Mode, number[]>;
  const lat = Object.fromEntries(MODES.map((m) => [m, { batches: [] as number[], ms: [] as number[] }])) as Record<Mode, { batches: number[]; ms: number[] }>;
  for (let i = 0; i < repeats; i++) {
    for (const mode of [...MODES.slice(i % MODES.length), ...MODES.slice(0, i % MODES.length)]) {
      const t = await throughput(mode);
      rate[mode].push(t.rate);
      cpu[mode].push(t.cpuMsPer1k);
      const l = await stopLatency(mode, 300 + 37 * i);
      lat[mode].batches.push(l.batches);
      lat[mode].ms.push(l.ms);
    }
    console.error(`repeat ${i + 1}: ${MODES.map((m) => `${m} ${rate[m][i].toFixed(0)} samples/s ${cpu[m][i].toFixed(0)} cpu-ms/1k, stop +${lat[m].batches[i]} batches ${lat[m].ms[i]} ms`).join('; ')}`);
  }
  console.log(`backend ${info.name}, dense 784-32-10, batch 16, 6000 MNIST digits, ${repeats} alternating repeats (medians):`);
  for (const m of MODES)
    console.log(`  ${m.padEnd(10)} ${median(rate[m]).toFixed(0)} samples/s, ${median(cpu[m]).toFixed(0)} CPU ms per 1000 samples; stop: ${median(lat[m].batches)} batches (max ${Math.max(...lat[m].batches)}) and ${median(lat[m].ms)} ms after the request`);
  for (const m of ['every', 'throttled'] as const)
    console.log(`  ${m} / tfjs: throughput ${(median(rate[m]) / median(rate.tfjs)).toFixed(3)}, CPU per sample ${(median(cpu[m]) / median(cpu.tfjs)).toFixed(3)}`);
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();
