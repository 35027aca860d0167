/**
 * Bad input the training engine must survive (issue 3, "Bad input"): each case ends the run with a
 * status and a one-line cause the user can act on. In-process through runTraining for the data
 * cases; through the real CLI and trainer child for a trainer that runs out of heap.
 * (A script that throws mid-epoch and one that never calls fit: test/unit/runScript.test.ts.)
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { EndStatus, TrainerToHost } from '../../src/protocol/trainer';
import { runTraining, silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { readRun } from '../../src/training/runStore';
import { DIST, ensureBuilt } from './builtTrainer';

const fixtures = path.resolve(__dirname, '../fixtures/badInput');
let runsDir: string;

beforeAll(async () => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-bad-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(runsDir, { recursive: true, force: true }));

async function train(file: string): Promise<{ status: EndStatus; message?: string; runDir: string }> {
  const messages: TrainerToHost[] = [];
  const status = await runTraining(
    tf,
    { name: 'cpu', reason: 'unit test' },
    { modelFile: path.join(fixtures, file), runsDir, backend: 'cpu' },
    (m) => messages.push(m),
    { stopRequested: () => false },
  );
  const end = messages[messages.length - 1];
  if (end.type !== 'end') throw new Error(`last message was ${end.type}`);
  // run.json says the same as the end message
  expect(readRun(end.runDir ?? '').record.status).toBe(status);
  return { status, message: end.error?.message, runDir: end.runDir ?? '' };
}

const oneLine = (s: string | undefined) => {
  expect(s).toBeTruthy();
  expect(s).not.toContain('\n');
  return s ?? '';
};

describe('bad input: every failure ends the run with a status and a one-line cause', () => {
  test('strings where the model needs numbers: failed, the cause says string', async () => {
    const r = await train('strings.model.ts');
    expect(r.status).toBe('failed');
    expect(oneLine(r.message)).toMatch(/^loadData\(\) xs is a string tensor; the model needs numbers/);
  });

  test('int32 images to a conv model: tfjs casts them to float32, so the run trains (the loss shows the unscaled 0–255 input)', async () => {
    const r = await train('int32Images.model.ts');
    expect(r.status).toBe('completed');
  });

  test('NaN in the data: failed at load, naming the tensor and the sample, before any batch', async () => {
    const r = await train('nanData.model.ts');
    expect(r.status).toBe('failed');
    // sample 20, feature 1 (a NaN in a loss is caught too, naming epoch and batch: test/unit/nonFinite.test.ts)
    expect(oneLine(r.message)).toBe('nanData.model.ts: loadData() xs[20, 1] is NaN (shape [64,3]): training data must be finite numbers; fix or drop that sample');
    expect(readRun(r.runDir).metrics.filter((m) => m.type === 'batch')).toHaveLength(0);
  });

  test('weights that cannot be allocated (dense 1e6 x 1e6): failed in createModel(), the cause names the size', async () => {
    const tensors = tf.memory().numTensors;
    const r = await train('outOfMemory.model.ts');
    expect(r.status).toBe('failed');
    expect(oneLine(r.message)).toMatch(/^createModel\(\) failed: Out of memory: a tensor of 1,000,000,000,000 values \(~3725\.3 GB as float32\)/);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});

describe('bad input through the real CLI: a trainer that runs out of heap', () => {
  const CLI = path.join(DIST, 'cli.js');
  const run = (): Promise<{ code: number | null; stdout: string; stderr: string; runsDir: string }> =>
    new Promise((resolve, reject) => {
      const dir = fs.mkdtempSync(path.join(runsDir, 'heap-'));
      // A small heap so the trainer dies in a second; the CLI itself needs far less.
      const child = spawn(process.execPath, [CLI, 'train', path.join(fixtures, 'heapExhausted.model.ts'), '--backend', 'cpu', '--runs-dir', dir], {
        env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=96' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
      child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr, runsDir: dir }));
    });

  beforeAll(async () => {
    await ensureBuilt(['cli.js', 'trainer.js']);
  });

  test('the run ends crashed, the CLI exits 1 with one "trainer crashed" line (the CLI itself does not crash)', async () => {
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n').pop()).toMatch(/^Trainer crashed\./);
    const last = r.stderr.trim().split('\n').pop() ?? '';
    expect(last).toMatch(/^model-lab: trainer crashed: Trainer was killed by SIGABRT/);
  });

  test('the cause line names the heap ("out of memory"), not a native stack frame', async () => {
    const r = await run();
    expect(r.stderr.trim().split('\n').pop()).toMatch(/out of memory/i);
  });
  test('run.json is marked crashed even when the trainer dies before its `run` message', async () => {
    const r = await run();
    const [id] = fs.readdirSync(r.runsDir);
    expect(readRun(path.join(r.runsDir, id)).record.status).toBe('crashed');
  });
});
