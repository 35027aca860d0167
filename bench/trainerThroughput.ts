// Samples per second of the example CNN (examples/mnist-cnn.model.ts, MNIST, batch 64) trained by
// Model Lab's trainer — the real child process, IPC and run store included — and the ratio against
// a plain `model.fit` of the same model, data and backend (bench/plainFit.ts), in one script.
// Runs alternate (plain, Model Lab, plain, …) so machine noise hits both; medians are reported.
// Usage: npm run bench -- [backend=wasm] [epochs=3] [repeats=3]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EpochPoint } from '../src/protocol/trainer';
import { TrainerProcess } from '../src/training/trainerProcess';

const root = path.resolve(__dirname, '..', '..');
const [backend = 'wasm', epochsArg = '3', repeatsArg = '3'] = process.argv.slice(2);
const epochs = +epochsArg;
const repeats = +repeatsArg;
const modelFile = path.join(root, 'examples', 'mnist-cnn.model.ts');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Samples/s over the epochs after the first (the first includes warm-up and kernel compilation). */
function steadyRate(epochEnds: number[], trainSamples: number): number {
  const spans = epochEnds.slice(1).map((t, i) => t - epochEnds[i]);
  return trainSamples / (median(spans) / 1000);
}

function plainRun(): number {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'plainFit.js'), backend, String(epochs)], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { trainSamples: number; epochEnds: number[] };
  return steadyRate(r.epochEnds, r.trainSamples);
}

async function modelLabRun(runsDir: string): Promise<{ rate: number; backend: string }> {
  const proc = new TrainerProcess({ trainerScript: path.join(root, 'dist', 'trainer.js') });
  const epochPoints: EpochPoint[] = [];
  let trainSamples = 0;
  let backendName = '';
  proc.onMessage((m) => {
    if (m.type === 'ready') backendName = `${m.backend.name} (${m.backend.reason})`;
    if (m.type === 'run') trainSamples = Math.floor(10000 * (1 - m.config.validationSplit));
    if (m.type === 'epoch') epochPoints.push(m.point);
  });
  proc.start({ modelFile, runsDir, backend: backend as 'wasm', overrides: { epochs } });
  const end = await proc.ended;
  proc.dispose();
  if (end.status !== 'completed') throw new Error(`Model Lab run ended ${end.status}: ${end.error?.message}`);
  return { rate: steadyRate(epochPoints.map((p) => p.time), trainSamples), backend: backendName };
}

async function main(): Promise<void> {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-bench-'));
  const plain: number[] = [];
  const lab: number[] = [];
  let backendName = '';
  for (let i = 0; i < repeats; i++) {
    plain.push(plainRun());
    const r = await modelLabRun(runsDir);
    lab.push(r.rate);
    backendName = r.backend;
    console.error(`repeat ${i + 1}: plain ${plain[i].toFixed(0)} samples/s, Model Lab ${lab[i].toFixed(0)} samples/s`);
  }
  fs.rmSync(runsDir, { recursive: true, force: true });
  const p = median(plain);
  const l = median(lab);
  console.log(`backend: ${backendName}; ${os.cpus().length} cores, Node ${process.version}`);
  console.log('| model | backend | plain model.fit (samples/s) | Model Lab trainer (samples/s) | ratio |');
  console.log('|---|---|---|---|---|');
  console.log(`| example CNN, batch 64 | ${backend} | ${p.toFixed(0)} | ${l.toFixed(0)} | ${(l / p).toFixed(3)} |`);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
