// The autoencoder templates (dense and convolutional, as Model Lab renders them) through the real trainer
// (`node dist/cli.js train`, a fresh process per measurement, wasm backend, one thread): on the fused
// executor (Conv2DTranspose, Reshape and the [batch, 28, 28, 1] binary cross-entropy output fused), on
// tfjs's fit with Model Lab's wasm kernels (MODEL_LAB_EXECUTOR=tfjs: how these templates trained before)
// and on tfjs's fit with tfjs's own kernels. Rounds rotate the order of the sides; medians of the runs'
// own samples/s (bench/fusedTrainer.ts trainOnce: windows of 8 batches from metrics.jsonl), with the load
// average. Usage: node bench/run.mjs fusedAutoencoder [rounds=3] [limit=2400]   (needs npm run build)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderTemplate } from '../src/scaffold/renderTemplate';
import { median, trainOnce, type TrainerSide } from './fusedTrainer';

async function main(): Promise<void> {
  const [roundsArg = '3', limitArg = '2400'] = process.argv.slice(2);
  const rounds = +roundsArg;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lab-bench-ae-'));
  const models = ['autoencoder-dense', 'autoencoder-conv'];
  for (const m of models) {
    const text = renderTemplate(m).replace(/epochs: \d+,/, `epochs: 1, limit: ${+limitArg},`);
    if (!text.includes(`limit: ${+limitArg}`)) throw new Error(`the ${m} template no longer has an epochs line to adapt`);
    fs.writeFileSync(path.join(dir, `${m}.model.ts`), text);
  }
  const sides: TrainerSide[] = ['fused', 'tfjs', 'stock'];
  const sps: Record<string, Record<TrainerSide, number[]>> = {};
  const executors: Record<string, string> = {};
  const loads: number[] = [os.loadavg()[0]];
  const started = new Date().toISOString();
  for (let r = 0; r < rounds; r++)
    for (const m of models) {
      sps[m] ??= { fused: [], tfjs: [], stock: [] };
      const turn = (r + models.indexOf(m)) % sides.length;
      const line: string[] = [];
      for (const side of [...sides.slice(turn), ...sides.slice(0, turn)]) {
        const t = await trainOnce(path.join(dir, `${m}.model.ts`), side, path.join(dir, `runs-${side}`), 1);
        sps[m][side].push(t.samplesPerS);
        if (side === 'fused') executors[m] = `${t.executor}${t.simd ? ` (${t.simd})` : ''}`;
        line.push(`${side} ${t.samplesPerS.toFixed(0)}`);
      }
      loads.push(os.loadavg()[0]);
      console.error(`round ${r + 1} ${m}: ${line.join(' | ')} samples/s; load ${os.loadavg()[0].toFixed(2)}`);
    }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`${started} → ${new Date().toISOString()}; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}; load average (1 min) ${loads[0].toFixed(2)} at start, median ${median(loads).toFixed(2)}, max ${Math.max(...loads).toFixed(2)}; ${rounds} rounds, one thread, medians`);
  console.log('| template | Model Lab trains it with | samples/s | tfjs fit + Model Lab kernels (before) | tfjs fit, stock kernels | ÷ before | ÷ stock |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const m of models) {
    const [f, t, s] = sides.map((side) => median(sps[m][side]));
    console.log(`| ${m} | ${executors[m]} | ${f.toFixed(0)} | ${t.toFixed(0)} | ${s.toFixed(0)} | ${(f / t).toFixed(2)} | ${(f / s).toFixed(2)} |`);
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
