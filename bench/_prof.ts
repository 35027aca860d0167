import * as tf from '@tensorflow/tfjs';
import { FusedExecutor } from '../src/trainer/backends/fused/executor';
import { planFusedModel } from '../src/trainer/backends/fused/plan';
import { FusedEngine } from '../src/trainer/backends/fused/wasmEngine';
import { benchModels } from './fusedModels';
async function main() {
  await tf.setBackend('cpu');
  const name = process.argv[2] ?? 'cifarCnn';
  const model = benchModels()[name]!();
  const plan = planFusedModel(model).plan!;
  const eng = new FusedEngine(process.argv[3] as any ?? 'relaxed-simd');
  const raw = eng.k as any;
  const times = new Map<string, number>();
  const wrap: any = { memory: raw.memory, __heap_base: raw.__heap_base };
  for (const key of Object.keys(raw)) if (typeof raw[key] === 'function') wrap[key] = (...a: number[]) => {
    const t = performance.now(); const r = raw[key](...a); const tag = key.startsWith('conv') ? `${key} C${a[5]} K${a[8]} OH${a[6]}` : key;
    times.set(tag, (times.get(tag) ?? 0) + performance.now() - t); return r; };
  Object.defineProperty(eng, 'k', { value: wrap });
  const B = 64; const exec = new FusedExecutor(plan, B, eng); await exec.loadFromModel(model);
  exec.inputView(B).set(Float32Array.from({ length: B * plan.inputSize }, () => Math.random()));
  const y = new Float32Array(B * 10); for (let i = 0; i < B; i++) y[i * 10 + (i % 10)] = 1;
  for (let i = 0; i < 3; i++) exec.trainStep(B, y, 1e-3);
  times.clear(); const S = 10; const c0 = process.cpuUsage();
  for (let i = 0; i < S; i++) exec.trainStep(B, y, 1e-3);
  const c = process.cpuUsage(c0); const tot = [...times.values()].reduce((a, b) => a + b, 0);
  console.log(`cpu ms/step ${((c.user + c.system) / 1000 / S).toFixed(2)}, kernels ${(tot / S).toFixed(2)}`);
  for (const [k, v] of [...times].sort((a, b) => b[1] - a[1])) console.log(`${(v / S).toFixed(2)} ms ${((100 * v) / tot).toFixed(1)}% ${k}`);
}
main();
