// The fused executor inside the real trainer (dist/cli.js train, a real process on the wasm backend):
// a run of a covered model says `executor: 'fused'` in run.json and its losses match the same run on
// tfjs's fit (MODEL_LAB_EXECUTOR=tfjs) from the same seeded initial weights; a model the executor does
// not cover trains on tfjs with the reason in run.json and in the log; a fused run's checkpoint
// (weights and optimizer state) resumes.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSpec, TrainerToHost } from '../../src/protocol/trainer';
import { defaultFileName, renderTemplate } from '../../src/scaffold/renderTemplate';
import { loadBackend } from '../../src/trainer/backends/loadBackend';
import { runTraining, silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { DIST, ensureBuilt } from './builtTrainer';
import { mulberry32 } from '../../src/trainer/data/split';

const CLI = path.join(DIST, 'cli.js');
let dir = '';

/** Seeded initializers and no shuffle: both executors start from and see the very same numbers. */
const SEEDED_CNN = `import * as tf from '@tensorflow/tfjs';
export const config = { dataset: 'mnist', limit: 320, epochs: 2, batchSize: 32, validationSplit: 0.25, shuffle: false };
const init = (seed: number) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed }) });
export function createModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu', ...init(1) }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({ filters: 12, kernelSize: 3, padding: 'same', activation: 'relu', ...init(2) }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 32, activation: 'relu', ...init(3) }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', ...init(4) }));
  model.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
`;

const RECURRENT = `import * as tf from '@tensorflow/tfjs';
export const config = { dataset: 'mnist', limit: 64, epochs: 1, batchSize: 32, validationSplit: 0 };
export function createModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.reshape({ inputShape: [28, 28, 1], targetShape: [28, 28] }));
  model.add(tf.layers.lstm({ units: 8 }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  return model;
}
`;

/** A small MobileNet-style CNN: strided conv, depthwise + pointwise, a separable conv, global average pooling. Every
 *  initializer seeded (SeparableConv2D's pointwise kernel takes its depthwiseInitializer in tfjs-layers 4.22). */
const SEPARABLE_CNN = `import * as tf from '@tensorflow/tfjs';
export const config = { dataset: 'mnist', limit: 192, epochs: 1, batchSize: 32, validationSplit: 0.25, shuffle: false };
const glorot = (seed: number) => tf.initializers.glorotUniform({ seed });
export function createModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: glorot(1) }));
  model.add(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu6', depthwiseInitializer: glorot(2) }));
  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 1, activation: 'relu', kernelInitializer: glorot(3) }));
  model.add(tf.layers.separableConv2d({ filters: 24, kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2, activation: 'relu6', depthwiseInitializer: glorot(4) }));
  model.add(tf.layers.globalAveragePooling2d({}));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: glorot(5) }));
  model.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
`;

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

type Line = { type: string; epoch: number; step?: number; loss?: number; val_loss?: number; acc?: number };
const metrics = (runDir: string): Line[] =>
  fs
    .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Line);

beforeAll(async () => {
  await ensureBuilt(['cli.js', 'trainer.js']);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lab-fused-'));
  fs.writeFileSync(path.join(dir, 'seeded.model.ts'), SEEDED_CNN);
  fs.writeFileSync(path.join(dir, 'recurrent.model.ts'), RECURRENT);
  fs.writeFileSync(path.join(dir, 'separable.model.ts'), SEPARABLE_CNN);
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the fused executor in the real trainer', () => {
  it('trains a covered model fused, with the losses of the same run on tfjs', async () => {
    const [fused, tfjs] = await Promise.all([
      train(['seeded.model.ts', '--runs-dir', path.join(dir, 'fused')]),
      train(['seeded.model.ts', '--runs-dir', path.join(dir, 'tfjs')], { MODEL_LAB_EXECUTOR: 'tfjs' }),
    ]);
    expect(fused.code, fused.stderr).toBe(0);
    expect(tfjs.code, tfjs.stderr).toBe(0);
    const fusedDir = onlyRun(path.join(dir, 'fused'));
    const tfjsDir = onlyRun(path.join(dir, 'tfjs'));
    const a = JSON.parse(fs.readFileSync(path.join(fusedDir, 'run.json'), 'utf8'));
    const b = JSON.parse(fs.readFileSync(path.join(tfjsDir, 'run.json'), 'utf8'));
    expect(a.backend).toMatchObject({ name: 'wasm', executor: 'fused' });
    // Relaxed SIMD by default: Node 20 compiles it once the trainer sets --experimental-wasm-relaxed-simd.
    expect(a.backend.simd).toBe('relaxed-simd');
    expect(b.backend).toMatchObject({ name: 'wasm', executor: 'tfjs', executorReason: 'MODEL_LAB_EXECUTOR=tfjs' });
    expect(a.status).toBe('completed');

    const ma = metrics(fusedDir);
    const mb = metrics(tfjsDir);
    const batches = (m: Line[]) => m.filter((l) => l.type === 'batch');
    const epochs = (m: Line[]) => m.filter((l) => l.type === 'epoch');
    expect(batches(ma).length).toBe(16); // 2 epochs × ceil(240 / 32)
    expect(batches(ma).map((l) => l.step)).toEqual(batches(mb).map((l) => l.step));
    batches(ma).forEach((l, i) => {
      const want = batches(mb)[i].loss!;
      expect(Math.abs(l.loss! - want), `step ${l.step}: loss ${l.loss} fused, ${want} tfjs`).toBeLessThanOrEqual(2e-3 * want);
      expect(l.acc, `step ${l.step} accuracy`).toBeCloseTo(batches(mb)[i].acc!, 5);
    });
    expect(epochs(ma)).toHaveLength(2);
    epochs(ma).forEach((l, i) => {
      const want = epochs(mb)[i];
      expect(Math.abs(l.val_loss! - want.val_loss!), `epoch ${i + 1} val_loss`).toBeLessThanOrEqual(2e-3 * want.val_loss!);
      expect(Math.abs(l.loss! - want.loss!), `epoch ${i + 1} loss`).toBeLessThanOrEqual(2e-3 * want.loss!);
    });
    // The saved model and the checkpoint carry the fused weights and Adam's state.
    for (const d of ['model', 'checkpoints/last', 'checkpoints/best']) expect(fs.existsSync(path.join(fusedDir, d, 'weights.bin')), d).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(path.join(fusedDir, 'checkpoints/last/model.json'), 'utf8'));
    const optimizerWeights = (manifest.weightsManifest as { weights: { name: string; group?: string }[] }[]).flatMap((g) => g.weights).filter((w) => w.group === 'optimizer');
    expect(optimizerWeights.map((w) => w.name.split('/').pop())).toEqual(['iter', ...Array(8).fill('m'), ...Array(8).fill('v')]);

    // --resume from the fused run's checkpoint continues at step 16 with that optimizer state.
    const resumed = await train(['seeded.model.ts', '--runs-dir', path.join(dir, 'fused'), '--resume', path.basename(fusedDir), '--epochs', '3']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const others = fs.readdirSync(path.join(dir, 'fused')).filter((r) => r !== path.basename(fusedDir));
    expect(others).toHaveLength(1);
    const rDir = path.join(dir, 'fused', others[0]);
    const mr = batches(metrics(rDir));
    expect(mr[0].step).toBe(16);
    expect(mr).toHaveLength(8);
    expect(JSON.parse(fs.readFileSync(path.join(rDir, 'run.json'), 'utf8')).backend.executor).toBe('fused');
  });

  it('trains a model it does not cover on tfjs, saying why in run.json and the log', async () => {
    const r = await train(['recurrent.model.ts', '--runs-dir', path.join(dir, 'recurrent')]);
    expect(r.code, r.stderr).toBe(0);
    const runDir = onlyRun(path.join(dir, 'recurrent'));
    const run = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
    expect(run.backend.executor).toBe('tfjs');
    expect(run.backend.executorReason).toMatch(/\(LSTM\) is not a layer the fused executor covers/);
    expect(r.stdout + r.stderr).toContain(`Training with tfjs's fit: ${run.backend.executorReason}`);
  });

  it('trains a MobileNet-style separable CNN fused on two threads, with the losses of the same run on tfjs', async () => {
    const [fused, tfjs] = await Promise.all([
      train(['separable.model.ts', '--threads', '2', '--runs-dir', path.join(dir, 'separable-fused')]),
      train(['separable.model.ts', '--runs-dir', path.join(dir, 'separable-tfjs')], { MODEL_LAB_EXECUTOR: 'tfjs' }),
    ]);
    expect(fused.code, fused.stderr).toBe(0);
    expect(tfjs.code, tfjs.stderr).toBe(0);
    const a = JSON.parse(fs.readFileSync(path.join(onlyRun(path.join(dir, 'separable-fused')), 'run.json'), 'utf8'));
    expect(a.backend).toMatchObject({ name: 'wasm', executor: 'fused', threads: 2 });
    expect(a.backend.executorReason).toMatch(/^6 layers fused/);
    const ma = metrics(onlyRun(path.join(dir, 'separable-fused')));
    const mb = metrics(onlyRun(path.join(dir, 'separable-tfjs')));
    const batches = (m: Line[]) => m.filter((l) => l.type === 'batch');
    expect(batches(ma).length).toBe(5); // ceil(144 / 32)
    batches(ma).forEach((l, i) => {
      const want = batches(mb)[i].loss!;
      expect(Math.abs(l.loss! - want), `step ${l.step}: loss ${l.loss} fused, ${want} tfjs`).toBeLessThanOrEqual(2e-3 * want);
    });
    const epochA = ma.find((l) => l.type === 'epoch')!;
    const epochB = mb.find((l) => l.type === 'epoch')!;
    expect(Math.abs(epochA.val_loss! - epochB.val_loss!), 'val_loss').toBeLessThanOrEqual(2e-3 * epochB.val_loss!);
  });
});

/** The seeded stand-in for Math.random (a boundary this file does not own), so both runs draw the same numbers. */
const seeded = mulberry32;

type MetricLine = Line & { mse?: number; val_mse?: number };

describe('the autoencoder templates, as renderTemplate writes them, train fused', () => {
  // The templates' own unseeded initializers and per-epoch shuffles draw from Math.random: seeded the same for both
  // runs, the two executors start from the same weights and see the same batches.
  const cases = [
    { id: 'autoencoder-dense', limit: 256 },
    { id: 'autoencoder-conv', limit: 128 },
  ];
  for (const c of cases)
    it(`${c.id}: run.json says fused, and loss, mse, val_loss and val_mse match the same run on tfjs`, async () => {
      const { tf } = await loadBackend('wasm');
      silenceTfjsNodeBanner(tf);
      const file = path.join(dir, defaultFileName(c.id, 'ts'));
      fs.writeFileSync(file, renderTemplate(c.id, {}, { language: 'ts' }));
      const runOnce = async (executor: 'auto' | 'tfjs') => {
        const runsDir = path.join(dir, `${c.id}-${executor}`);
        const messages: TrainerToHost[] = [];
        const random = Math.random;
        Math.random = seeded(42);
        if (executor === 'tfjs') process.env.MODEL_LAB_EXECUTOR = 'tfjs';
        try {
          const spec: RunSpec = { modelFile: file, runsDir, backend: 'wasm', threads: 1, overrides: { epochs: 2, limit: c.limit, batchSize: 32 } };
          const status = await runTraining(tf, { name: 'wasm', reason: 'unit test' }, spec, (m) => messages.push(m), { stopRequested: () => false });
          const end = messages[messages.length - 1];
          expect(end.type === 'end' && end.error?.message, 'error').toBe(undefined);
          expect(status).toBe('completed');
        } finally {
          Math.random = random;
          delete process.env.MODEL_LAB_EXECUTOR;
        }
        const runDir = onlyRun(runsDir);
        return { run: JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')), lines: metrics(runDir) as MetricLine[] };
      };
      const fused = await runOnce('auto');
      const ref = await runOnce('tfjs');
      expect(fused.run.backend, fused.run.backend.executorReason).toMatchObject({ name: 'wasm', executor: 'fused' });
      expect(ref.run.backend).toMatchObject({ name: 'wasm', executor: 'tfjs', executorReason: 'MODEL_LAB_EXECUTOR=tfjs' });
      const close = (got: number | undefined, want: number | undefined, what: string) => {
        expect(typeof got, `${what}: fused ${got}`).toBe('number');
        expect(Math.abs(got! - want!), `${what}: ${got} fused, ${want} tfjs`).toBeLessThanOrEqual(2e-3 * Math.abs(want!));
      };
      const batches = (m: MetricLine[]) => m.filter((l) => l.type === 'batch');
      const epochs = (m: MetricLine[]) => m.filter((l) => l.type === 'epoch');
      const perEpoch = Math.ceil(Math.floor(c.limit * 0.9) / 32);
      expect(batches(fused.lines)).toHaveLength(2 * perEpoch);
      expect(batches(fused.lines).map((l) => l.step)).toEqual(batches(ref.lines).map((l) => l.step));
      batches(fused.lines).forEach((l, i) => {
        close(l.loss, batches(ref.lines)[i].loss, `step ${l.step} loss`);
        close(l.mse, batches(ref.lines)[i].mse, `step ${l.step} mse`);
      });
      expect(epochs(fused.lines)).toHaveLength(2);
      epochs(fused.lines).forEach((l, i) => {
        const want = epochs(ref.lines)[i];
        for (const k of ['loss', 'mse', 'val_loss', 'val_mse'] as const) close(l[k], want[k], `epoch ${i + 1} ${k}`);
      });
    }, 240_000);
});

describe('the autoencoder templates through the CLI (dist/cli.js train, the bundled trainer and its wasm files)', () => {
  it('trains both fused for an epoch of MNIST, logging mse per batch and val_mse per epoch', async () => {
    const ids = ['autoencoder-dense', 'autoencoder-conv'];
    for (const id of ids) fs.writeFileSync(path.join(dir, `cli-${defaultFileName(id, 'ts')}`), renderTemplate(id, {}, { language: 'ts' }));
    const results = await Promise.all(ids.map((id) => train([`cli-${defaultFileName(id, 'ts')}`, '--epochs', '1', '--threads', '1', '--runs-dir', path.join(dir, `cli-${id}`)])));
    ids.forEach((id, i) => {
      const r = results[i];
      expect(r.code, `${id}: ${r.stderr}`).toBe(0);
      const runDir = onlyRun(path.join(dir, `cli-${id}`));
      const run = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
      expect(run.backend, `${id}: ${run.backend.executorReason}`).toMatchObject({ name: 'wasm', executor: 'fused' });
      expect(run.status).toBe('completed');
      expect(r.stdout + r.stderr).toContain('Training with the fused executor');
      const lines = metrics(runDir) as MetricLine[];
      const batches = lines.filter((l) => l.type === 'batch');
      const epoch = lines.find((l) => l.type === 'epoch')!;
      expect(batches.length, id).toBeGreaterThan(10);
      expect(batches.every((l) => Number.isFinite(l.mse) && l.mse! > 0 && l.mse! < 1), `${id}: mse on every batch`).toBe(true);
      // It learns: the last batches reconstruct better than the first.
      expect(batches[batches.length - 1].mse!, id).toBeLessThan(batches[0].mse!);
      expect(Number.isFinite(epoch.val_mse) && Number.isFinite(epoch.val_loss), `${id}: ${JSON.stringify(epoch)}`).toBe(true);
    });
  }, 240_000);
});
