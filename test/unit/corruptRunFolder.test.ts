// Broken run folders and models give errors naming the file and what is wrong (never a bare
// "Unexpected end of JSON input"); checkpoint fields are checked; weight files named in model.json
// stay inside its folder; running out of wasm memory names the layer and the bytes. Real files
// written by the real writers, then damaged the way a kill, a full disk or a hostile folder would.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseCheckpointInfo, parseRunRecord } from '../../src/protocol/runFolder';
import { findResumeSource, readCheckpointInfo, saveCheckpoint } from '../../src/trainer/checkpoints';
import { loadModel, saveModel } from '../../src/trainer/fsModelIo';
import { explainOutOfMemory, isOutOfMemory, modelMemory } from '../../src/trainer/outOfMemory';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { readRun } from '../../src/training/runStore';
import { DIST, ensureBuilt } from './builtTrainer';

let dir = '';
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-corrupt-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const smallModel = () => {
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 4, name: 'hidden' }), tf.layers.dense({ units: 2, name: 'out' })] });
  m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  return m;
};
const checkpoint = { kind: 'last' as const, reason: 'epoch' as const, epoch: 1, step: 7, epochsCompleted: 2, lr: 0.001, time: 1_764_000_000_000 };

describe('run.json and checkpoint.json', () => {
  test('empty, cut short, not JSON: each says which', () => {
    expect(parseRunRecord('')).toEqual({ ok: false, reason: 'run.json is empty (0 bytes): its write was cut short, by a kill or a full disk' });
    const cut = parseRunRecord('{"id": "a", "modelFile": "/x/m.ts", "conf');
    expect(cut.ok).toBe(false);
    expect(!cut.ok && cut.reason).toMatch(/^run\.json is cut short \(41 characters, no closing brace\): its write was interrupted, by a kill or a full disk \(.+\)$/);
    const junk = parseCheckpointInfo('{"kind": last}');
    expect(!junk.ok && junk.reason).toMatch(/^checkpoint\.json is not valid JSON \(.+\)$/);
  });

  test.each([
    [{ epochsCompleted: -5 }, 'epochsCompleted: must be 0 or more'],
    [{ epochsCompleted: 1.5 }, 'epochsCompleted: must be a whole number'],
    [{ epoch: -1 }, 'epoch: must be 0 or more'],
    [{ step: -2 }, 'step: must be -1 or more'],
    [{ lr: -0.1 }, 'lr: must be 0 or more'],
    [{ kind: 'first' }, 'kind: '],
  ])('checkpoint field %j is refused, naming the field', (change, named) => {
    const r = parseCheckpointInfo(JSON.stringify({ ...checkpoint, ...change }));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(`checkpoint.json is not a record this version can read: ${named}`);
  });

  test('a checkpoint with epochsCompleted -5 cannot be resumed from, and the message names the file and the field', async () => {
    const runDir = path.join(dir, 'runs', 'neg');
    fs.mkdirSync(runDir, { recursive: true });
    const ckpt = await saveCheckpoint(tf, smallModel(), runDir, checkpoint);
    fs.writeFileSync(path.join(runDir, 'run.json'), '{}');
    const file = path.join(ckpt, 'checkpoint.json');
    fs.writeFileSync(file, JSON.stringify({ ...checkpoint, epochsCompleted: -5 }));
    expect(() => readCheckpointInfo(ckpt)).toThrow(`${file} is not a record this version can read: epochsCompleted: must be 0 or more`);
    expect(() => findResumeSource(runDir, dir)).toThrow(`Cannot resume neg: it has no readable checkpoint (${file} is not a record this version can read: epochsCompleted: must be 0 or more)`);
  });

  test('readRun names the full path of a cut-short run.json', () => {
    const runDir = path.join(dir, 'runs', 'cut');
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(path.join(runDir, 'run.json'), '{"formatVersion": 1, "id": "cut"');
    expect(() => readRun(runDir)).toThrow(new RegExp(`^${path.join(runDir, 'run.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is cut short \\(32 characters`));
  });
});

describe('metrics.jsonl', () => {
  test('damaged lines are skipped, each named with its file and line; a last line cut by a kill is skipped quietly', () => {
    const runDir = path.join(dir, 'runs', 'damaged-metrics');
    fs.mkdirSync(runDir, { recursive: true });
    const run = { id: 'damaged-metrics', modelFile: '/m.ts', config: { epochs: 1, batchSize: 8, validationSplit: 0, shuffle: false, dataset: 'x' }, backend: { name: 'cpu', reason: 'test' }, versions: { tfjs: '4', node: 'v20', modelLab: '0' }, startedAt: '2026-12-01T00:00:00.000Z', status: 'completed' };
    fs.writeFileSync(path.join(runDir, 'run.json'), JSON.stringify(run));
    const batch = (i: number) => JSON.stringify({ type: 'batch', epoch: 0, batch: i, step: i, time: i, loss: 1 / (i + 1) });
    fs.writeFileSync(path.join(runDir, 'metrics.jsonl'), [batch(0), '\u0000\u0001garbage', batch(1), '{"type":"batch","epoch":"zero"}', batch(2), '{"type":"epo'].join('\n'));
    const warnings: string[] = [];
    const { metrics } = readRun(runDir, (w) => warnings.push(w));
    expect(metrics.map((m) => (m as { batch: number }).batch)).toEqual([0, 1, 2]);
    const file = path.join(runDir, 'metrics.jsonl');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} line 2: not JSON \\(.+\\); skipped$`));
    expect(warnings[1]).toBe(`${file} line 4: not a metric line this version can read (epoch: Invalid type: Expected number but received "zero"); skipped`);
  });
});

describe('model.json and its weight files', () => {
  let modelDir = '';
  beforeAll(async () => {
    modelDir = path.join(dir, 'model');
    await saveModel(tf, smallModel(), modelDir);
  });
  const copy = (name: string) => {
    const d = path.join(dir, name);
    fs.cpSync(modelDir, d, { recursive: true });
    return d;
  };
  const editManifest = (d: string, paths: unknown[]) => {
    const file = path.join(d, 'model.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    json.weightsManifest[0].paths = paths;
    fs.writeFileSync(file, JSON.stringify(json));
    return file;
  };

  test('an intact model loads', async () => {
    const m = await loadModel(tf, modelDir);
    expect(m.layers.map((l) => l.name)).toEqual(['hidden', 'out']);
    m.dispose();
  });

  test.each(['../../../../../../../../etc/hostname', '/etc/hostname', '../model/weights.bin', 'sub/../../x.bin'])('weightsManifest path %s is refused, naming the path', async (p) => {
    const d = copy(`escape-${Buffer.from(p).toString('hex').slice(0, 16)}`);
    const file = editManifest(d, [p]);
    await expect(loadModel(tf, d)).rejects.toThrow(`${file}: weightsManifest path "${p}" points outside the model's folder ${d}; weight files must sit next to model.json`);
  });

  test('a weight file in a subfolder of the model folder is fine', async () => {
    const d = copy('subfolder');
    fs.mkdirSync(path.join(d, 'shards'));
    fs.renameSync(path.join(d, 'weights.bin'), path.join(d, 'shards', 'w.bin'));
    editManifest(d, ['./shards/w.bin']);
    (await loadModel(tf, d)).dispose();
  });

  test('a cut-short weights.bin names the file and both sizes', async () => {
    const d = copy('short-weights');
    const bin = path.join(d, 'weights.bin');
    fs.truncateSync(bin, 10);
    // hidden 3x4+4, out 4x2+2 = 26 float32 = 104 bytes
    await expect(loadModel(tf, d)).rejects.toThrow(`${bin}: 10 bytes, but model.json's weightsManifest needs 104: the weights file is cut short`);
  });

  test('a cut-short model.json names the file', async () => {
    const d = copy('short-json');
    const file = path.join(d, 'model.json');
    fs.truncateSync(file, 50);
    await expect(loadModel(tf, d)).rejects.toThrow(`${file}: model.json is cut short (50 characters, no closing brace)`);
  });
});

describe('out of memory', () => {
  test('the wasm ways of saying it are recognised; other errors are not', () => {
    for (const m of ['Aborted()', 'Aborted(OOM)', 'memory access out of bounds', 'Array buffer allocation failed', 'Invalid typed array length: 1000000000000'])
      expect(isOutOfMemory(new Error(m)), m).toBe(true);
    expect(isOutOfMemory(new Error('Input 0 is incompatible with layer dense'))).toBe(false);
  });

  test('the message names the largest layer and its bytes', () => {
    const m = smallModel();
    expect(modelMemory(m)).toEqual({ layer: 'hidden', layerBytes: 64, totalBytes: 104 });
    expect(explainOutOfMemory({ message: 'memory access out of bounds' }, 'wasm', m).message).toBe(
      'Out of memory in the WebAssembly backend (at most 4 GiB of memory): layer "hidden" holds 64 bytes (0.00 GiB) of float32 weights (the model 104 bytes (0.00 GiB)), and training needs as much again for gradients plus the optimizer\'s state; make the largest layer or the batch smaller, or use the tensorflow backend (memory access out of bounds)',
    );
  });

  test('a real run on wasm that outgrows its memory fails naming the layer and the bytes (built CLI)', async () => {
    await ensureBuilt(['cli.js', 'trainer.js']);
    const file = path.join(dir, 'oom.model.ts');
    fs.writeFileSync(
      file,
      `import * as tf from '@tensorflow/tfjs';
export const config = { epochs: 1, batchSize: 8, validationSplit: 0 };
export function loadData() { return { xs: tf.ones([16, 20000]), ys: tf.ones([16, 1]) }; }
export function createModel() {
  const m = tf.sequential();
  m.add(tf.layers.dense({ inputShape: [20000], units: 30000, name: 'huge' }));
  m.add(tf.layers.dense({ units: 1 }));
  m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  return m;
}`,
    );
    const runsDir = path.join(dir, 'oom-runs');
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(DIST, 'cli.js'), 'train', file, '--backend', 'wasm', '--runs-dir', runsDir], {
        stdio: 'ignore',
        // Filling 600M random weights takes most of the 60 s model-load timeout on a loaded 2-core machine;
        // this test is about running out of memory, so the timeout is moved out of its way.
        env: { ...process.env, MODEL_LAB_LOAD_TIMEOUT_S: '600' },
      });
      child.on('error', reject);
      child.on('close', resolve);
    });
    expect(code).toBe(1);
    const [id] = fs.readdirSync(runsDir);
    const { record } = readRun(path.join(runsDir, id));
    expect(record.status).toBe('failed');
    expect(record.error?.message).toMatch(/^Out of memory in the WebAssembly backend \(at most 4 GiB of memory\): layer "huge" holds 2,400,120,000 bytes \(2\.24 GiB\) of float32 weights/);
  }, 180_000);
});
