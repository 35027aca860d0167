// NaN and ±Infinity: found in data at load (file and row/column or item named), in a model's loss or
// weights during training (the run fails naming epoch and batch, even when the loss stays finite),
// and never reported on by an evaluation. Real loaders on real files, real runs (in process on the
// cpu backend, and the built CLI as a process on wasm with the fused executor).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TrainerToHost } from '../../src/protocol/trainer';
import { csvDataset, loadCsv } from '../../src/trainer/data/csv';
import { parseIdx } from '../../src/trainer/data/idx';
import { DEFAULT_SEED, hashUniform } from '../../src/trainer/data/split';
import { loadNpy } from '../../src/trainer/data/npy';
import { RunFailure } from '../../src/trainer/errors';
import { evaluateModel } from '../../src/trainer/evaluate';
import { firstNonFinite, indexIn } from '../../src/trainer/nonFinite';
import { runTraining, silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { readRun } from '../../src/training/runStore';
import { DIST, ensureBuilt } from './builtTrainer';
import { catchDataError } from './catchDataError';

let dir = '';
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-nonfinite-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, content: string | Buffer) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
};

describe('finding non-finite values', () => {
  test('first index and its multi-index', () => {
    expect(firstNonFinite([1, 2, 3])).toBe(-1);
    expect(firstNonFinite(new Float32Array([0, -0, 1e38, -Infinity, NaN]))).toBe(3);
    expect(firstNonFinite([NaN])).toBe(0);
    expect(indexIn([4, 3], 7)).toEqual([2, 1]);
    expect(indexIn([2, 2, 2], 7)).toEqual([1, 1, 1]);
  });
});

describe('CSV: a NaN/Infinity cell names the row and the column', () => {
  const table = (cell: string) => `a,b,label\n1,2,x\n3,4,y\n5,${cell},x\n7,8,y\n`;
  test.each(['inf', '-Infinity', '+inf', '#NUM!', '1e39', '-3.5e38'])('in memory: %s', (cell) => {
    const file = write(`cell-${cell}.csv`, table(cell));
    const e = catchDataError(() => loadCsv(file));
    expect(e.message).toBe(`${file}, row 4: column "b" holds "${cell}", which is not a finite number; replace it, or list it in missingValues to impute it`);
    expect(e.row).toBe(4);
  });

  test('streamed: refused in the first pass, before training', async () => {
    const file = write('stream.csv', table('Infinity'));
    await expect(csvDataset(tf, file, {})).rejects.toThrow(`${file}, row 4: column "b" holds "Infinity"`);
  });

  test('streamed: a validation row (left out of the statistics) is refused when it is read', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `${i},${i % 7},${i % 2 ? 'x' : 'y'}`);
    // csvDataset holds out the data rows whose seeded hash falls under `validation`.
    const held = rows.findIndex((_, i) => hashUniform(DEFAULT_SEED, i) < 0.5);
    rows[held] = `${held},inf,x`;
    const file = write('val.csv', `a,b,label\n${rows.join('\n')}\n`);
    const s = await csvDataset(tf, file, { validation: 0.5 });
    await expect(s.dataset.toArray()).resolves.toHaveLength(s.trainRows);
    await expect(s.validationDataset!.toArray()).rejects.toThrow(`${file}, row ${held + 2}: column "b" holds "inf", which is not a finite number`);
  });

  test('a regression label of NaN (with NaN not counted as missing) names the label column', () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${i},${i * 0.37}`);
    rows[11] = '11,NaN';
    const file = write('reg.csv', `x,y\n${rows.join('\n')}\n`);
    const e = catchDataError(() => loadCsv(file, { missingValues: [''], task: 'regression' }));
    expect(e.message).toBe(`${file}, row 13: column "y" holds "NaN", which is not a finite number; replace it, or list it in missingValues to impute it`);
  });

  test('"Inf" in a text column is a category like any other word, and nan/NaN are still missing values by default', () => {
    const file = write('text.csv', 'word,n,label\nInf,1,x\nbread,2,y\nnan,NaN,x\ninf,4,y\n');
    const d = loadCsv(file);
    expect(d.schema.featureNames).toEqual(['word=Inf', 'word=bread', 'word=inf', 'n']);
    expect(d.schema.missing).toEqual({ word: 1, n: 1 });
    expect(firstNonFinite(d.x)).toBe(-1);
  });
});

/** A .npy v1 file as numpy.lib.format writes it. */
function npy(descr: string, shape: number[], data: Buffer): Buffer {
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  dict += ' '.repeat((64 - ((10 + dict.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
  head.writeUInt16LE(dict.length, 8);
  return Buffer.concat([head, Buffer.from(dict, 'latin1'), data]);
}
const f32le = (v: number[]) => Buffer.from(new Float32Array(v).buffer);
const f64le = (v: number[]) => Buffer.from(new Float64Array(v).buffer);

describe('npy and IDX: the first bad element names the item', () => {
  test('float32 NaN in a [4, 3] array', () => {
    const v = Array.from({ length: 12 }, (_, i) => i / 10);
    v[7] = NaN;
    const file = write('x.npy', npy('<f4', [4, 3], f32le(v)));
    const e = catchDataError(() => loadNpy(file));
    expect(e.message).toBe(`${file}, item 2: element [2, 1] is NaN: training data must be finite; replace NaN/Infinity in NumPy first (e.g. np.nan_to_num)`);
    expect(e.item).toBe(2);
  });

  test('a float64 beyond float32 becomes Infinity and is refused, saying why', () => {
    const file = write('big.npy', npy('<f8', [3], f64le([1, 1e300, 2])));
    expect(catchDataError(() => loadNpy(file)).message).toBe(
      `${file}, item 1: element [1] is Infinity (or a float64 beyond float32's ±3.4e38): training data must be finite; replace NaN/Infinity in NumPy first (e.g. np.nan_to_num)`,
    );
  });

  test('finite float and integer arrays load as before', () => {
    expect(loadNpy(write('ok.npy', npy('<f4', [2, 2], f32le([0, -1, 3.4e38, 1e-45])))).shape).toEqual([2, 2]);
  });

  test('IDX float32 with -Infinity, big-endian', () => {
    const header = Buffer.from([0, 0, 0x0d, 2, 0, 0, 0, 3, 0, 0, 0, 2]);
    const data = Buffer.alloc(24);
    [1, 2, 3, 4, -Infinity, 6].forEach((x, i) => data.writeFloatBE(x, 4 * i));
    const e = catchDataError(() => parseIdx(Buffer.concat([header, data]), 'feat.idx'));
    expect(e.message).toBe('feat.idx, item 2, byte offset 28: element [2, 0] is -Infinity: training data must be finite');
  });
});

interface Result {
  status: string;
  end: Extract<TrainerToHost, { type: 'end' }>;
  messages: TrainerToHost[];
  runDir: string;
}

async function train(source: string, name: string): Promise<Result> {
  const modelFile = write(name, `import * as tf from '@tensorflow/tfjs';\n${source}\n`);
  const messages: TrainerToHost[] = [];
  const status = await runTraining(tf, { name: 'cpu', reason: 'unit test' }, { modelFile, runsDir: path.join(dir, 'runs'), backend: 'cpu' }, (m) => messages.push(JSON.parse(JSON.stringify(m))), {
    stopRequested: () => false,
  });
  const end = messages.at(-1) as Result['end'];
  return { status, end, messages, runDir: end.runDir ?? '' };
}

const MODEL = `export function createModel() {
  const m = tf.sequential();
  m.add(tf.layers.dense({ inputShape: [3], units: 8, activation: 'relu' }));
  m.add(tf.layers.dense({ units: 2, activation: 'softmax' }));
  m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}`;

describe('training on NaN', () => {
  test('loadData() tensors with a NaN fail the run at load, naming the tensor and the index', async () => {
    const r = await train(
      `export const config = { epochs: 2, batchSize: 8 };
export function loadData() {
  const x = Array.from({ length: 64 }, (_, i) => [i % 4, (i * 7) % 5, i === 10 ? NaN : 1]);
  return { xs: tf.tensor2d(x), ys: tf.oneHot(tf.tensor1d(x.map((_, i) => i % 2), 'int32'), 2) };
}
${MODEL}`,
      'nanTensors.model.ts',
    );
    expect(r.status).toBe('failed');
    expect(r.end.error?.message).toBe('nanTensors.model.ts: loadData() xs[10, 2] is NaN (shape [64,3]): training data must be finite numbers; fix or drop that sample');
    expect(r.messages.some((m) => m.type === 'batches')).toBe(false);
    expect(readRun(r.runDir).record.status).toBe('failed');
  });
});

describe('evaluation never reports on NaN', () => {
  const model = () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 2, activation: 'softmax', name: 'out' })] });
    m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    return m;
  };
  const data = () => ({ xs: tf.tensor2d([[1, 2], [3, 4], [5, 6]]), ys: tf.tensor2d([[1, 0], [0, 1], [1, 0]]), description: 'three samples' });

  test('non-finite weights: refused with the weight named', async () => {
    const m = model();
    const [k, b] = m.getWeights();
    m.setWeights([tf.tensor2d([[0.1, NaN], [0.3, 0.4]]), b]);
    void k;
    const err = await evaluateModel(tf, m, data()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunFailure);
    expect((err as Error).message).toBe("Cannot evaluate: the model's weights are not finite (out/kernel[0, 1] is NaN); its training diverged or its data held NaN");
  });

  test('finite weights whose predictions overflow: refused with the sample named', async () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1, name: 'reg' })] });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    m.setWeights([tf.tensor2d([[3e38], [3e38]]), tf.tensor1d([0])]);
    const d = { xs: tf.tensor2d([[0, 0], [1, 1], [0, 0]]), ys: tf.tensor2d([[0], [1], [0]]), description: 'three samples' };
    await expect(evaluateModel(tf, m, d)).rejects.toThrow('Cannot evaluate: the model predicts Infinity for sample 1 of output "reg"; scores computed from it would mean nothing');
  });

  test('NaN in the evaluation data: refused with the tensor named', async () => {
    const d = { ...data(), xs: tf.tensor2d([[1, 2], [3, Infinity], [5, 6]]) };
    await expect(evaluateModel(tf, model(), d)).rejects.toThrow('Cannot evaluate: the evaluation data is not finite (input[1, 1] is Infinity)');
  });
});

/** `model-lab train FILE --backend wasm` as a real process. */
async function cliTrain(modelFile: string, runsDir: string): Promise<{ code: number | null; out: string; runDir: string }> {
  await ensureBuilt(['cli.js', 'trainer.js']);
  const r = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(DIST, 'cli.js'), 'train', modelFile, '--backend', 'wasm', '--runs-dir', runsDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
  const runs = fs.readdirSync(runsDir);
  expect(runs).toHaveLength(1);
  return { ...r, runDir: path.join(runsDir, runs[0]) };
}

describe('the built CLI on wasm', () => {
  test('tfjs fit: a NaN in a tf.data.Dataset behind a relu keeps the loss finite (wasm clips) but poisons the weights: failed at that epoch end, exit 1, nothing NaN saved', async () => {
    const modelFile = write(
      'nanDataset.model.ts',
      `import * as tf from '@tensorflow/tfjs';
export const config = { epochs: 3, batchSize: 8 };
export function loadData() {
  return tf.data.array(Array.from({ length: 64 }, (_, i) => ({ xs: [i % 4, (i * 7) % 5, i === 10 ? NaN : 1], ys: [i % 2, 1 - (i % 2)] })));
}
${MODEL}`,
    );
    const r = await cliTrain(modelFile, path.join(dir, 'cli-nan'));
    expect(r.code).toBe(1);
    const { record, metrics } = readRun(r.runDir);
    expect(record.status).toBe('failed');
    expect(record.error?.message).toMatch(/^Weight dense_Dense\d+\/(kernel|bias)\[[\d, ]+\] is NaN after epoch 1, batch 8 \(step 7\): the weights are no longer finite/);
    expect(r.out).toContain(record.error?.message);
    // Every batch line before the failure is kept, and the loss in them was finite all along.
    const batches = metrics.filter((l) => l.type === 'batch') as { loss?: number }[];
    expect(batches).toHaveLength(8);
    expect(batches.every((b) => Number.isFinite(b.loss))).toBe(true);
    expect(fs.existsSync(path.join(r.runDir, 'checkpoints', 'last'))).toBe(false);
    expect(fs.existsSync(path.join(r.runDir, 'model'))).toBe(false);
  }, 120_000);

  test('fused executor: a loss that becomes non-finite ends the run failed with a non-zero exit code, naming epoch and batch', async () => {
    const modelFile = write(
      'diverge.model.ts',
      `import * as tf from '@tensorflow/tfjs';
export const config = { epochs: 2, batchSize: 8, validationSplit: 0 };
export function loadData() {
  const x = Array.from({ length: 64 }, (_, i) => [i % 4, (i * 7) % 5, 1]);
  return { xs: tf.tensor2d(x), ys: tf.tensor2d(x.map((r) => [r[0] * 3 + r[1]])) };
}
export function createModel() {
  const m = tf.sequential();
  m.add(tf.layers.dense({ inputShape: [3], units: 8, activation: 'relu' }));
  m.add(tf.layers.dense({ units: 1 }));
  m.compile({ optimizer: tf.train.sgd(1e6), loss: 'meanSquaredError' });
  return m;
}`,
    );
    const r = await cliTrain(modelFile, path.join(dir, 'cli-diverge'));
    expect(r.out).toContain('Training with the fused executor');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/Loss became (NaN|Infinity) at epoch 1, batch \d+ \(step \d+\)/);
    expect(readRun(r.runDir).record.status).toBe('failed');
  }, 120_000);
});
