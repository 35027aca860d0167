// Relaxed SIMD (fused-relaxed.wasm: fused multiply-add) vs plain SIMD (fused.wasm) on the fused
// executor's training step, batch 64, for the reference CNN and the CIFAR-shaped CNN. Each
// measurement is a fresh process (the relaxed one started with Node 20's
// --experimental-wasm-relaxed-simd), the two builds alternate within each round and the order flips
// every round. Reported: CPU time per sample (process.cpuUsage; steady on a shared machine) and wall
// time per sample, medians over rounds, and relaxed ÷ plain for both, with the load average.
// Usage: npm run bench -- fusedRelaxed [rounds=5] [steps=30] [models=referenceCnn,cifarCnn]
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { FusedExecutor } from '../src/trainer/backends/fused/executor';
import { planFusedModel } from '../src/trainer/backends/fused/plan';
import { FusedEngine, type SimdVariant } from '../src/trainer/backends/fused/wasmEngine';
import { benchModels } from './fusedModels';

const B = 64;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** One side in this process: `steps` training steps after 3 warm-up steps; prints JSON. */
async function child(name: string, variant: SimdVariant, steps: number): Promise<void> {
  await tf.setBackend('cpu');
  const model = benchModels()[name]!();
  const plan = planFusedModel(model).plan!;
  const exec = new FusedExecutor(plan, B, new FusedEngine(variant));
  await exec.loadFromModel(model);
  exec.inputView(B).set(Float32Array.from({ length: B * plan.inputSize }, () => Math.random()));
  const y = new Float32Array(B * 10);
  for (let i = 0; i < B; i++) y[i * 10 + (i % 10)] = 1;
  for (let i = 0; i < 3; i++) exec.trainStep(B, y, 1e-3);
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  for (let s = 0; s < steps; s++) exec.trainStep(B, y, 1e-3);
  const c = process.cpuUsage(c0);
  const wall = performance.now() - w0;
  process.stdout.write(JSON.stringify({ cpuUsPerSample: (c.user + c.system) / (steps * B), wallUsPerSample: (wall * 1000) / (steps * B), variant: exec.engine.variant }));
}

function parent(rounds: number, steps: number, names: string[]): void {
  console.log(`# ${new Date().toISOString()}; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}; load average (1 min) ${os.loadavg()[0].toFixed(2)}; ${rounds} rounds × ${steps} steps, batch ${B}, fresh process per side, medians`);
  const loads: number[] = [];
  for (const name of names) {
    const cpu: Record<SimdVariant, number[]> = { simd128: [], 'relaxed-simd': [] };
    const wall: Record<SimdVariant, number[]> = { simd128: [], 'relaxed-simd': [] };
    const perRound: string[] = [];
    for (let r = 0; r < rounds; r++) {
      const order: SimdVariant[] = r % 2 ? ['relaxed-simd', 'simd128'] : ['simd128', 'relaxed-simd'];
      const got: Partial<Record<SimdVariant, number>> = {};
      for (const v of order) {
        loads.push(os.loadavg()[0]);
        const flags = v === 'relaxed-simd' ? ['--experimental-wasm-relaxed-simd'] : [];
        const out = execFileSync(process.execPath, [...flags, __filename, 'child', name, v, String(steps)], { encoding: 'utf8', timeout: 600_000, stdio: ['ignore', 'pipe', 'pipe'] });
        const m = JSON.parse(out) as { cpuUsPerSample: number; wallUsPerSample: number; variant: string };
        if (m.variant !== v) throw new Error(`asked for ${v}, the engine ran ${m.variant}`);
        cpu[v].push(m.cpuUsPerSample);
        wall[v].push(m.wallUsPerSample);
        got[v] = m.cpuUsPerSample;
      }
      perRound.push((got['relaxed-simd']! / got.simd128!).toFixed(3));
    }
    const [cp, cr, wp, wr] = [median(cpu.simd128), median(cpu['relaxed-simd']), median(wall.simd128), median(wall['relaxed-simd'])];
    console.log(`${name}: CPU µs per sample, plain ${cp.toFixed(1)}, relaxed ${cr.toFixed(1)}, relaxed ÷ plain ${(cr / cp).toFixed(3)} (per round: ${perRound.join(', ')})`);
    console.log(`${name}: wall µs per sample, plain ${wp.toFixed(1)}, relaxed ${wr.toFixed(1)}, relaxed ÷ plain ${(wr / wp).toFixed(3)}`);
  }
  console.log(`# load average (1 min) during the run: median ${median(loads).toFixed(2)}, max ${Math.max(...loads).toFixed(2)}; now ${os.loadavg()[0].toFixed(2)}`);
}

const [a0, a1, a2, a3] = process.argv.slice(2);
if (a0 === 'child') {
  child(a1!, a2 as SimdVariant, +a3!).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else parent(+(a0 ?? 5), +(a1 ?? 30), (a2 ?? 'referenceCnn,cifarCnn').split(','));
