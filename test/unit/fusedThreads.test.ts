// Data-parallel training through the real trainer (dist/cli.js train, real processes, wasm backend):
// --threads 2 gives the batch and epoch losses of --threads 1 within float tolerance and run.json
// records the threads and why; a worker that dies mid-run fails the run with a message naming it,
// keeping every metric and the checkpoint already written.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST, ensureBuilt } from './builtTrainer';

const CLI = path.join(DIST, 'cli.js');
let dir = '';

/** Seeded initializers, no shuffle and no dropout: one thread and two see the very same numbers. */
const SEEDED_CNN = `import * as tf from '@tensorflow/tfjs';
export const config = { dataset: 'mnist', limit: 400, epochs: 2, batchSize: 50, validationSplit: 0.2, shuffle: false };
const init = (seed: number) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed }) });
export function createModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, activation: 'relu', ...init(1) }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', ...init(2) }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 24, activation: 'relu', ...init(3) }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', ...init(4) }));
  model.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
`;

/** The seeded CNN with batch normalisation after each conv (no conv bias: the normalisation shifts). */
const SEEDED_BN = SEEDED_CNN.replace(
  /model\.add\(tf\.layers\.conv2d\(\{ (.*?), activation: 'relu', \.\.\.init\((\d)\) \}\)\);/g,
  "model.add(tf.layers.conv2d({ $1, useBias: false, ...init($2) }));\n  model.add(tf.layers.batchNormalization());\n  model.add(tf.layers.activation({ activation: 'relu' }));",
);

function train(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'train', ...args, '--backend', 'wasm'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function onlyRun(runsDir: string): string {
  const runs = fs.readdirSync(runsDir);
  expect(runs).toHaveLength(1);
  return path.join(runsDir, runs[0]);
}

type Line = { type: string; epoch: number; step?: number; loss?: number; val_loss?: number };
const metrics = (runDir: string): Line[] =>
  fs
    .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Line);
const record = (runDir: string) => JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));

beforeAll(async () => {
  await ensureBuilt(['cli.js', 'trainer.js', 'fusedWorker.js']);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lab-threads-'));
  fs.writeFileSync(path.join(dir, 'seeded.model.ts'), SEEDED_CNN);
  fs.writeFileSync(path.join(dir, 'bn.model.ts'), SEEDED_BN);
}, 180_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('training on two threads through the CLI', () => {
  it('gives the losses of one thread and records the threads in run.json', async () => {
    const one = await train(['seeded.model.ts', '--threads', '1', '--runs-dir', path.join(dir, 't1')]);
    const two = await train(['seeded.model.ts', '--threads', '2', '--runs-dir', path.join(dir, 't2')]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    const d1 = onlyRun(path.join(dir, 't1'));
    const d2 = onlyRun(path.join(dir, 't2'));
    expect(record(d1).backend).toMatchObject({ executor: 'fused', threads: 1, threadsReason: 'threads set to 1' });
    expect(record(d2).backend).toMatchObject({ executor: 'fused', threads: 2 });
    expect(record(d2).backend.threadsReason).toMatch(/^threads set to 2/);
    expect(two.stdout).toMatch(/Training on 2 threads: threads set to 2/);

    const m1 = metrics(d1).filter((l) => l.type === 'batch' || l.type === 'epoch');
    const m2 = metrics(d2).filter((l) => l.type === 'batch' || l.type === 'epoch');
    expect(m1.length).toBe(2 * 7 + 2); // 320 samples in batches of 50: 7 batches (the last one short) an epoch, 2 epochs, + 2 epoch lines
    expect(m2.map((l) => [l.type, l.epoch, l.step])).toEqual(m1.map((l) => [l.type, l.epoch, l.step]));
    for (let i = 0; i < m1.length; i++) {
      expect(Math.abs(m2[i].loss! - m1[i].loss!), `line ${i}`).toBeLessThan(1e-4 * Math.abs(m1[i].loss!));
      if (m1[i].val_loss !== undefined) expect(Math.abs(m2[i].val_loss! - m1[i].val_loss!)).toBeLessThan(1e-4 * m1[i].val_loss!);
    }
    // Training moved: the last loss is not the first.
    expect(m1[m1.length - 1].loss).toBeLessThan(m1[0].loss!);
  }, 180_000);

  it('trains batch normalisation fused on one thread, saying why, with the losses of tfjs', async () => {
    expect(SEEDED_BN.match(/batchNormalization/g)).toHaveLength(2);
    const fused = await train(['bn.model.ts', '--threads', '2', '--runs-dir', path.join(dir, 'bn-fused')]);
    const tfjs = await train(['bn.model.ts', '--runs-dir', path.join(dir, 'bn-tfjs')], { MODEL_LAB_EXECUTOR: 'tfjs' });
    expect(fused.code, fused.stderr).toBe(0);
    expect(tfjs.code, tfjs.stderr).toBe(0);
    const df = onlyRun(path.join(dir, 'bn-fused'));
    const dt = onlyRun(path.join(dir, 'bn-tfjs'));
    expect(record(df).backend).toMatchObject({ executor: 'fused', threads: 1 });
    expect(record(df).backend.threadsReason).toMatch(/^threads set to 2.*but layer \S+ \(batch normalisation\) needs each whole batch's statistics, so one thread trains it$/);
    const ef = metrics(df).filter((l) => l.type === 'epoch');
    const et = metrics(dt).filter((l) => l.type === 'epoch');
    expect(ef).toHaveLength(2);
    for (let i = 0; i < 2; i++) {
      expect(Math.abs(ef[i].loss! - et[i].loss!), `epoch ${i + 1} loss`).toBeLessThan(2e-3 * et[i].loss!);
      expect(Math.abs(ef[i].val_loss! - et[i].val_loss!), `epoch ${i + 1} val_loss (moving statistics)`).toBeLessThan(2e-3 * et[i].val_loss!);
    }
  }, 180_000);

  it('fails the run naming the worker that died, keeping the metrics and checkpoint before it', async () => {
    // Worker 1 exits when handed its 10th shard: step 10, in the second epoch.
    const r = await train(['seeded.model.ts', '--threads', '2', '--runs-dir', path.join(dir, 'dies')], { MODEL_LAB_WORKER_FAULT: 'exit@10' });
    expect(r.code).toBe(1);
    const d = onlyRun(path.join(dir, 'dies'));
    const rec = record(d);
    expect(rec.status).toBe('failed');
    expect(rec.error.message).toMatch(/training worker 1 of 1 exited \(code 7\) during training step 10/);
    expect(r.stdout + r.stderr).toMatch(/training worker 1 of 1 exited/);
    const m = metrics(d);
    expect(m.filter((l) => l.type === 'batch')).toHaveLength(9);
    expect(m.filter((l) => l.type === 'epoch')).toHaveLength(1);
    expect(fs.existsSync(path.join(d, 'checkpoints', 'last'))).toBe(true);
  }, 180_000);
});
