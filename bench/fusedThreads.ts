// Issue 13's "both cores" measurement: Model Lab's real trainer (`node dist/cli.js train`, fresh
// processes, wasm backend, fused executor) with --threads 1 and --threads 2, against PyTorch 1.13 CPU
// (bench/torchModels.py) with 1 and 2 threads, for the reference CNN, the CNN template, the
// CIFAR-shaped CNN and the MLP (the LSTM does not fuse, so it trains on one thread either way).
// A fifth side, 2 threads with MODEL_LAB_WORKER_SPIN_MS=0 (the trainer and the worker sleep in
// Atomics.wait at once, as before they polled), is the baseline for the polling. Rounds rotate the
// order of the sides; medians. Speed as bench/fusedTrainer.ts reads it: from the
// run's own metrics.jsonl (every per-batch cost of the trainer included).
// Target: Model Lab 2 threads ÷ Model Lab 1 thread ≥ 1.8 for the reference CNN on two FREE cores; the
// load average is printed with every round, since on a shared machine the second worker waits for a
// core and the ratio says more about the load than about the code.
// Usage: npm run bench -- fusedThreads [rounds=3] [models=referenceCnn,cnnTemplate,cifarCnn,mlp]
//   prints one line per figure; needs `npm run build` (dist/cli.js, dist/fusedWorker.js) and python3-torch
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median, modelFiles, torchOnce, trainOnce } from './fusedTrainer';

type Side = 'ml1' | 'ml2' | 'ml2sleep' | 'torch1' | 'torch2';
const LABEL: Record<Side, string> = {
  ml1: 'Model Lab, 1 thread',
  ml2: 'Model Lab, 2 threads',
  ml2sleep: 'Model Lab, 2 threads, sleeping at once (MODEL_LAB_WORKER_SPIN_MS=0, as before the polling)',
  torch1: 'PyTorch, 1 thread',
  torch2: 'PyTorch, 2 threads',
};

async function main(): Promise<void> {
  const [roundsArg = '3', modelsArg = 'referenceCnn,cnnTemplate,cifarCnn,mlp'] = process.argv.slice(2);
  const rounds = +roundsArg;
  const models = modelsArg.split(',');
  const files = modelFiles();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lab-threads-bench-'));
  for (const m of models) {
    if (!files[m]) throw new Error(`unknown model ${m}; known: ${Object.keys(files).join(', ')}`);
    fs.writeFileSync(path.join(dir, `${m}.model.ts`), files[m]);
  }
  const sides: Side[] = ['ml1', 'ml2', 'ml2sleep', 'torch1', 'torch2'];
  const sps: Record<string, Record<Side, number[]>> = {};
  const threadsSeen: Record<string, string> = {};
  const loads: number[] = [os.loadavg()[0]];
  const started = new Date().toISOString();
  for (let r = 0; r < rounds; r++) {
    for (const m of models) {
      sps[m] ??= { ml1: [], ml2: [], ml2sleep: [], torch1: [], torch2: [] };
      const turn = (r + models.indexOf(m)) % sides.length;
      const line: string[] = [];
      for (const side of [...sides.slice(turn), ...sides.slice(0, turn)]) {
        if (side === 'torch1' || side === 'torch2') sps[m][side].push(torchOnce(m, side === 'torch1' ? 1 : 2));
        else {
          const t = await trainOnce(path.join(dir, `${m}.model.ts`), 'fused', path.join(dir, `runs-${side}`), side === 'ml1' ? 1 : 2, side === 'ml2sleep' ? { MODEL_LAB_WORKER_SPIN_MS: '0' } : {});
          if (t.executor !== 'fused') throw new Error(`${m} trained on ${t.executor}, not the fused executor`);
          sps[m][side].push(t.samplesPerS);
          if (side === 'ml2') threadsSeen[m] = `${t.threads} (${t.threadsReason})`;
        }
        line.push(`${side} ${sps[m][side][sps[m][side].length - 1].toFixed(0)}`);
      }
      loads.push(os.loadavg()[0]);
      console.error(`round ${r + 1} ${m}: ${line.join(' | ')} samples/s; load ${os.loadavg()[0].toFixed(2)}`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(
    `# ${started} → ${new Date().toISOString()}; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}; load average (1 min) ${loads[0].toFixed(2)} at start, median ${median(loads).toFixed(2)}, max ${Math.max(...loads).toFixed(2)}; ${rounds} rounds, medians`,
  );
  for (const m of models) {
    const med = Object.fromEntries(sides.map((s) => [s, median(sps[m][s])])) as Record<Side, number>;
    for (const s of sides) console.log(`${m}: ${LABEL[s]}: ${med[s].toFixed(0)} samples/s`);
    console.log(`${m}: Model Lab 2 threads ÷ 1 thread: ${(med.ml2 / med.ml1).toFixed(2)}`);
    console.log(`${m}: Model Lab 2 threads sleeping at once ÷ 1 thread: ${(med.ml2sleep / med.ml1).toFixed(2)}`);
    console.log(`${m}: Model Lab 2 threads polling ÷ sleeping at once: ${(med.ml2 / med.ml2sleep).toFixed(2)}`);
    console.log(`${m}: PyTorch 2 threads ÷ 1 thread: ${(med.torch2 / med.torch1).toFixed(2)}`);
    console.log(`${m}: Model Lab ÷ PyTorch, 1 vs 1 thread: ${(med.ml1 / med.torch1).toFixed(2)}`);
    console.log(`${m}: Model Lab ÷ PyTorch, 2 vs 2 threads: ${(med.ml2 / med.torch2).toFixed(2)}`);
    console.log(`${m}: run.json threads for --threads 2: ${threadsSeen[m]}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
