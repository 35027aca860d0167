// What the second thread costs, measured so that a busy machine does not hide it: the fused
// executor's training step on one thread (FusedExecutor.trainStep) and on two (GradientWorkerPool:
// the trainer's thread + one worker, averaged gradients, one update), in one process, alternating
// blocks of steps, for the reference CNN and the CIFAR-shaped CNN at batch 64 (the build a run picks: relaxed SIMD where it compiles). Reports CPU time per
// step of the whole process (process.cpuUsage counts every thread) and wall time per step, medians
// over blocks. CPU(2) ÷ CPU(1) is the split's overhead (sharding, averaging, waiting): on two free
// cores the speed-up is at most 2 ÷ that; wall time only means something when two cores are free.
// Usage: npm run bench -- fusedThreadsCpu [blocks=7] [steps=10]   (needs `npm run build`: dist/fusedWorker.js)
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { FusedExecutor } from '../src/trainer/backends/fused/executor';
import { planFusedModel } from '../src/trainer/backends/fused/plan';
import { FusedEngine } from '../src/trainer/backends/fused/wasmEngine';
import { GradientWorkerPool } from '../src/trainer/backends/fused/workerPool';
import { benchModels } from './fusedModels';

const B = 64;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main(): Promise<void> {
  const [blocksArg = '7', stepsArg = '10'] = process.argv.slice(2);
  const blocks = +blocksArg;
  const steps = +stepsArg;
  await tf.setBackend('cpu');
  const load0 = os.loadavg()[0];
  console.log(`# ${new Date().toISOString()}; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}; load average (1 min) ${load0.toFixed(2)}; ${blocks} blocks of ${steps} steps, batch ${B}, medians`);
  for (const [name, build] of Object.entries(benchModels())) {
    const model = build();
    const plan = planFusedModel(model).plan!;
    const one = new FusedExecutor(plan, B, new FusedEngine());
    const two = new FusedExecutor(plan, B, new FusedEngine());
    await one.loadFromModel(model);
    await two.loadFromModel(model);
    const pool = await GradientWorkerPool.start(two, { threads: 2, maxBatch: B, yRow: 10 });
    const x = Float32Array.from({ length: B * plan.inputSize }, () => Math.random());
    const y = new Float32Array(B * 10);
    for (let i = 0; i < B; i++) y[i * 10 + (i % 10)] = 1;
    one.inputView(B).set(x);
    two.inputView(B).set(x);
    const half = y.subarray(0, (B / 2) * 10);
    const sides = {
      1: async () => void one.trainStep(B, y, 1e-3),
      /** One thread, the batch as two half batches one after the other: what smaller shards cost the kernels alone. */
      3: async () => {
        one.computeGradients(B / 2, half);
        one.computeGradients(B / 2, half);
        one.applyGradients(1e-3);
      },
      2: async () => {
        await pool.computeGradients(two, B, y);
        two.applyGradients(1e-3);
      },
    };
    const cpu: Record<1 | 2 | 3, number[]> = { 1: [], 2: [], 3: [] };
    const wall: Record<1 | 2 | 3, number[]> = { 1: [], 2: [], 3: [] };
    for (const t of [1, 2, 3] as const) for (let i = 0; i < 3; i++) await sides[t](); // warm-up
    for (let b = 0; b < blocks; b++)
      for (const t of (b % 2 ? [2, 3, 1] : [1, 3, 2]) as (1 | 2 | 3)[]) {
        const c0 = process.cpuUsage();
        const w0 = performance.now();
        for (let s = 0; s < steps; s++) await sides[t]();
        const c = process.cpuUsage(c0);
        wall[t].push((performance.now() - w0) / steps);
        cpu[t].push((c.user + c.system) / 1000 / steps);
      }
    await pool.close();
    const [c1, c2, w1, w2] = [median(cpu[1]), median(cpu[2]), median(wall[1]), median(wall[2])];
    console.log(`${name}: CPU ms per step, 1 thread: ${c1.toFixed(2)}`);
    console.log(`${name}: CPU ms per step, 2 threads (both together): ${c2.toFixed(2)}`);
    console.log(`${name}: CPU 2 threads ÷ 1 thread (the split's overhead): ${(c2 / c1).toFixed(3)}`);
    console.log(`${name}: CPU of two half batches on 1 thread ÷ one batch (the smaller shards' share of it): ${(median(cpu[3]) / c1).toFixed(3)}`);
    console.log(`${name}: best speed-up on two free cores (2 ÷ overhead): ${((2 * c1) / c2).toFixed(2)}`);
    console.log(`${name}: wall ms per step, 1 thread: ${w1.toFixed(2)}; 2 threads: ${w2.toFixed(2)}; 1 ÷ 2: ${(w1 / w2).toFixed(2)} (load average now ${os.loadavg()[0].toFixed(2)})`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
