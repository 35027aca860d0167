// Issue 3's peer measurement: the reference CNN (conv 8@5x5 → pool → conv 16@5x5 → pool → dense 128
// → dense 10, 28x28x1, batch 64, Adam) trained on Model Lab's best available backend (loadBackend:
// tfjs-node when it loads, else wasm with Model Lab's gradient kernels) vs PyTorch on the CPU
// (bench/torchReference.py, Debian python3-torch) with 1 and with 2 threads, in one script.
// Each measurement is a fresh process: warm-up batches, then timed batches on random data, each
// step reading its loss (tfjs trainOnBatch; torch loss.item()). Rounds alternate and rotate the
// order (tfjs, torch-1, torch-2 | torch-1, torch-2, tfjs | …); medians are reported.
// wasm in Node is single-threaded, so torch with 1 thread is the same-thread-count comparison.
// Usage: node bench/run.mjs peerTorch [rounds=5] [batches=40] [backend=auto]
//   needs /usr/bin/python3 with torch: apt-get install -y python3-torch python3-numpy libopenblas0-pthread
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadBackend } from '../src/trainer/backends/loadBackend';
import { referenceCnn } from './referenceCnn';

const root = path.resolve(__dirname, '..', '..');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const BATCH = 64;
const WARMUP = 5;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Child mode: train the reference CNN with tfjs and print one JSON line. */
async function tfjsChild(batches: number, backendChoice: string): Promise<void> {
  const { tf, info } = await loadBackend(backendChoice as 'auto');
  const model = referenceCnn(tf);
  const x = tf.randomUniform([BATCH, 28, 28, 1]);
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32'), 10).toFloat();
  for (let i = 0; i < WARMUP; i++) await model.trainOnBatch(x, y);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let loss = 0;
  for (let i = 0; i < batches; i++) loss = (await model.trainOnBatch(x, y)) as number;
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  console.log(JSON.stringify({ backend: info.name, tfjs: tf.version.tfjs, seconds: s, samples_per_s: (batches * BATCH) / s, samples_per_cpu_s: (batches * BATCH) / cpu, loss }));
}

type Side = 'tfjs' | 'torch1' | 'torch2';

function runSide(side: Side, batches: number, backendChoice: string): { sps: number; cpu: number; label: string } {
  if (side === 'tfjs') {
    const out = execFileSync(process.execPath, [__filename, '--child', String(batches), backendChoice], { encoding: 'utf8', cwd: root });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { backend: string; tfjs: string; samples_per_s: number; samples_per_cpu_s: number };
    return { sps: r.samples_per_s, cpu: r.samples_per_cpu_s, label: `tfjs ${r.tfjs} ${r.backend}` };
  }
  const threads = side === 'torch1' ? 1 : 2;
  // torch steps are ~10x faster: more of them so its timed span is not shorter than tfjs's.
  // OpenBLAS and OpenMP keep their own thread pools (spinning ones): pin them to the same count.
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const out = execFileSync(PYTHON, [path.join(root, 'bench', 'torchReference.py'), String(batches * 5), String(WARMUP), String(threads)], { encoding: 'utf8', env });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { torch: string; threads: number; samples_per_s: number; samples_per_cpu_s: number };
  return { sps: r.samples_per_s, cpu: r.samples_per_cpu_s, label: `PyTorch ${r.torch}, ${r.threads} thread${r.threads === 1 ? '' : 's'}` };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return tfjsChild(+process.argv[3], process.argv[4] ?? 'auto');
  const [roundsArg = '5', batchesArg = '40', backendChoice = 'auto'] = process.argv.slice(2);
  const rounds = +roundsArg;
  const batches = +batchesArg;
  const sides: Side[] = ['tfjs', 'torch1', 'torch2'];
  const sps: Record<Side, number[]> = { tfjs: [], torch1: [], torch2: [] };
  const cpu: Record<Side, number[]> = { tfjs: [], torch1: [], torch2: [] };
  const labels: Partial<Record<Side, string>> = {};
  const loadBefore = os.loadavg()[0];
  for (let i = 0; i < rounds; i++) {
    for (const side of [...sides.slice(i % 3), ...sides.slice(0, i % 3)]) {
      const r = runSide(side, batches, backendChoice);
      sps[side].push(r.sps);
      cpu[side].push(r.cpu);
      labels[side] = r.label;
    }
    console.error(`round ${i + 1}: ${sides.map((s) => `${labels[s]} ${sps[s][i].toFixed(0)}`).join('; ')} samples/s; load ${os.loadavg()[0].toFixed(2)}`);
  }
  const t = median(sps.tfjs);
  console.log(`${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}; load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after`);
  console.log(`reference CNN, batch ${BATCH}, Adam; ${batches} timed batches for tfjs (${batches * 5} for torch) after ${WARMUP} warm-up, ${rounds} rotating rounds, medians`);
  console.log('| trainer | threads | samples/s (median) | min–max | Model Lab ÷ this (medians) | Model Lab ÷ this (best of each) |');
  console.log('|---|---|---|---|---|---|');
  const best = Math.max(...sps.tfjs);
  for (const s of sides) {
    const m = median(sps[s]);
    const threads = s === 'tfjs' ? '1 (wasm in Node has no threads)' : s === 'torch1' ? '1' : '2';
    console.log(`| ${labels[s]} | ${threads} | ${m.toFixed(0)} | ${Math.min(...sps[s]).toFixed(0)}–${Math.max(...sps[s]).toFixed(0)} | ${(t / m).toFixed(3)} | ${(best / Math.max(...sps[s])).toFixed(3)} |`);
  }
  // One thread each: samples per CPU-second hardly depends on how often the process was descheduled.
  const tc = median(cpu.tfjs);
  const pc = median(cpu.torch1);
  console.log(`\nper CPU-second (1 thread each, medians): tfjs ${tc.toFixed(0)}, PyTorch ${pc.toFixed(0)} samples; Model Lab ÷ PyTorch = ${(tc / pc).toFixed(3)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
