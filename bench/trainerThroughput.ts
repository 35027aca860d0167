// Samples per second of the example CNN (examples/mnist-cnn.model.ts, MNIST, batch 64) trained by
// Model Lab's trainer — the real child process, IPC, metrics.jsonl and per-epoch checkpoints
// included — and the ratio against a plain `model.fit` of the same model, data and backend
// (bench/plainFit.ts: same batch size, validation split and shuffle), in one script.
// Steady state: the spans between epoch ends after the first (the first epoch includes warm-up and
// kernel compilation); validation and, for Model Lab, its epoch-end checkpoints fall inside them.
// Two measures per run: wall time, and the child's CPU time (user+system; /proc for the trainer,
// process.cpuUsage for the baseline), which another job on the machine disturbs much less.
// Runs alternate and swap order each repeat (plain, lab | lab, plain | …) so noise hits both;
// medians of each side and the median of the per-pair ratios are reported.
// Usage: node bench/run.mjs trainerThroughput [backend=wasm] [epochs=3] [repeats=4]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EpochPoint } from '../src/protocol/trainer';
import { TrainerProcess } from '../src/training/trainerProcess';

const root = path.resolve(__dirname, '..', '..');
const [backend = 'wasm', epochsArg = '3', repeatsArg = '4'] = process.argv.slice(2);
const epochs = +epochsArg;
const repeats = +repeatsArg;
const modelFile = path.join(root, 'examples', 'mnist-cnn.model.ts');
const CLK_TCK = 100; // Linux USER_HZ

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

interface Rate {
  wall: number;
  cpu: number;
}

/** Samples/s over the epochs after the first, by wall time and by the process's CPU time. */
function steadyRate(epochEnds: number[], epochCpu: number[], trainSamples: number): Rate {
  const spans = (xs: number[]) => xs.slice(1).map((t, i) => t - xs[i]);
  return { wall: trainSamples / (median(spans(epochEnds)) / 1000), cpu: trainSamples / (median(spans(epochCpu)) / 1000) };
}

/** User+system CPU ms of a process, from /proc/<pid>/stat. */
function procCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((+f[11] + +f[12]) * 1000) / CLK_TCK; // fields 14 and 15 (utime, stime) counted from 1
}

function plainRun(): Rate {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'plainFit.js'), backend, String(epochs)], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { trainSamples: number; epochEnds: number[]; epochCpu: number[] };
  return steadyRate(r.epochEnds, r.epochCpu, r.trainSamples);
}

async function modelLabRun(runsDir: string): Promise<{ rate: Rate; backend: string }> {
  const proc = new TrainerProcess({ trainerScript: path.join(root, 'dist', 'trainer.js') });
  const epochPoints: EpochPoint[] = [];
  const epochCpu: number[] = [];
  let trainSamples = 0;
  let backendName = '';
  proc.onMessage((m) => {
    if (m.type === 'ready') backendName = `${m.backend.name} (${m.backend.reason})`;
    if (m.type === 'run') trainSamples = Math.floor(10000 * (1 - m.config.validationSplit));
    if (m.type === 'epoch') {
      epochCpu.push(procCpuMs(proc.pid!));
      epochPoints.push(m.point);
    }
  });
  proc.start({ modelFile, runsDir, backend: backend as 'wasm', overrides: { epochs } });
  const end = await proc.ended;
  proc.dispose();
  if (end.status !== 'completed') throw new Error(`Model Lab run ended ${end.status}: ${end.error?.message}`);
  return { rate: steadyRate(epochPoints.map((p) => p.time), epochCpu, trainSamples), backend: backendName };
}

async function main(): Promise<void> {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-bench-'));
  const plain: Rate[] = [];
  const lab: Rate[] = [];
  let backendName = '';
  const loadBefore = os.loadavg()[0];
  for (let i = 0; i < repeats; i++) {
    const runLab = async () => {
      const r = await modelLabRun(runsDir);
      lab.push(r.rate);
      backendName = r.backend;
    };
    if (i % 2 === 0) {
      plain.push(plainRun());
      await runLab();
    } else {
      await runLab();
      plain.push(plainRun());
    }
    console.error(
      `repeat ${i + 1}: plain ${plain[i].wall.toFixed(0)} samples/s (${plain[i].cpu.toFixed(0)} per CPU-s), ` +
        `Model Lab ${lab[i].wall.toFixed(0)} samples/s (${lab[i].cpu.toFixed(0)} per CPU-s); load ${os.loadavg()[0].toFixed(2)}`,
    );
  }
  fs.rmSync(runsDir, { recursive: true, force: true });
  const row = (what: string, k: keyof Rate) => {
    const p = median(plain.map((r) => r[k]));
    const l = median(lab.map((r) => r[k]));
    const pair = median(lab.map((r, i) => r[k] / plain[i][k]));
    return `| ${what} | ${p.toFixed(0)} | ${l.toFixed(0)} | ${(l / p).toFixed(3)} | ${pair.toFixed(3)} |`;
  };
  console.log(`backend: ${backendName}; ${os.cpus().length} cores, Node ${process.version}; load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after`);
  console.log(`example CNN, batch 64, validation split 0.15, shuffle; ${epochs} epochs (steady state = epochs 2..${epochs}), ${repeats} alternating repeats, medians`);
  console.log('| measure | plain model.fit (samples/s) | Model Lab trainer (samples/s) | ratio of medians | median of pair ratios |');
  console.log('|---|---|---|---|---|');
  console.log(row('wall clock', 'wall'));
  console.log(row('per CPU-second of the training process', 'cpu'));
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
