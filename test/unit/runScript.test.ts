import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { EndStatus, TrainerToHost } from '../../src/protocol/trainer';
import type { MetricLine } from '../../src/protocol/runFolder';
import { RunControl } from '../../src/trainer/control';
import { loadModel } from '../../src/trainer/fsModelIo';
import { runScript } from '../../src/trainer/runScript';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { readRun } from '../../src/training/runStore';

const scripts = path.resolve(__dirname, '../fixtures/scripts');
let runsDir: string;
const g = globalThis as Record<string, unknown>;

beforeAll(async () => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-script-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(runsDir, { recursive: true, force: true }));

async function run(file: string, stopAfterBatches?: number) {
  const messages: TrainerToHost[] = [];
  let batches = 0;
  const status: EndStatus = await runScript(
    tf,
    { name: 'cpu', reason: 'unit test' },
    { modelFile: path.join(scripts, file), runsDir },
    (m) => messages.push(JSON.parse(JSON.stringify(m))),
    { stopRequested: () => stopAfterBatches !== undefined && ++batches >= stopAfterBatches },
  );
  const end = messages[messages.length - 1] as Extract<TrainerToHost, { type: 'end' }>;
  expect(end.type).toBe('end');
  const lines = end.runDir ? readRun(end.runDir).metrics : [];
  return { status, messages, end, lines, runDir: end.runDir ?? '' };
}

const ofType = <T extends MetricLine['type']>(lines: MetricLine[], type: T) => lines.filter((l) => l.type === type) as Extract<MetricLine, { type: T }>[];

describe('runScript: an unmodified tfjs script', () => {
  test('two fit calls with the script\'s own callbacks: both theirs and ours run, epochs continue, the model is saved', async () => {
    const fitBefore = tf.LayersModel.prototype.fit;
    const seqFitBefore = tf.Sequential.prototype.fit;
    const r = await run('twoFits.script.ts');
    expect(r.end.error).toBeUndefined();
    expect(r.status).toBe('completed');

    // Theirs: tfjs numbers each fit's epochs from 0; their batch callback saw the second fit's 2 batches.
    const seen = g.__twoFits as { epochs: number[]; batches: number; histories: number[] };
    expect(seen.epochs).toEqual([0, 1]);
    expect(seen.batches).toBe(2);
    expect(seen.histories).toEqual([2, 1]); // fit still returns the script's History

    // Ours: 3 epochs numbered across both calls, 2 batches each, steps continuous.
    expect(ofType(r.lines, 'epoch').map((e) => e.epoch)).toEqual([0, 1, 2]);
    const batches = ofType(r.lines, 'batch');
    expect(batches.map((b) => [b.epoch, b.batch, b.step])).toEqual([[0, 0, 0], [0, 1, 1], [1, 0, 2], [1, 1, 3], [2, 0, 4], [2, 1, 5]]);
    for (const b of batches) expect(Number.isFinite(b.loss)).toBe(true);
    const streamed = r.messages.flatMap((m) => (m.type === 'batches' ? m.points.map((p) => p.step) : []));
    expect(streamed).toEqual([0, 1, 2, 3, 4, 5]);

    const runMsg = r.messages.filter((m) => m.type === 'run');
    expect(runMsg).toHaveLength(1);
    expect(runMsg[0]).toMatchObject({ batchesPerEpoch: 2, totalParams: 3, config: { epochs: 2, batchSize: 4 } });
    const logs = r.messages.filter((m) => m.type === 'log').map((m) => (m as { message: string }).message);
    expect(logs.some((l) => l.includes('model.fit call 2') && l.includes('epochs 3–3'))).toBe(true);

    const model = await loadModel(tf, path.join(r.runDir, 'model'));
    expect(model.countParams()).toBe(3);
    model.dispose();
    expect(readRun(r.runDir).record.status).toBe('completed');
    // The patches are gone after the run.
    expect(tf.LayersModel.prototype.fit).toBe(fitBefore);
    expect(tf.Sequential.prototype.fit).toBe(seqFitBefore);
  });

  test('an ESM script using fitDataset after a timer is waited for and recorded', async () => {
    const r = await run('fitDataset.script.mjs');
    expect(r.status).toBe('completed');
    expect(ofType(r.lines, 'epoch').map((e) => e.epoch)).toEqual([0, 1, 2]);
    const [first] = ofType(r.lines, 'epoch');
    for (const k of ['loss', 'mae', 'val_loss', 'val_mae']) expect(typeof first[k]).toBe('number');
    expect(ofType(r.lines, 'batch')).toHaveLength(6);
    expect((g.__fitDataset as { loss: number[] }).loss).toHaveLength(3);
    expect(fs.existsSync(path.join(r.runDir, 'model', 'model.json'))).toBe(true);
  });

  test('a script that never calls fit fails saying so', async () => {
    const r = await run('noFit.script.js');
    expect(r.status).toBe('failed');
    expect(r.end.error?.message).toBe('noFit.script.js finished without calling model.fit or model.fitDataset');
    expect(ofType(r.lines, 'end')[0]).toMatchObject({ status: 'failed' });
  });

  test('a script that throws mid-epoch fails with its own file:line and keeps the metrics so far', async () => {
    const file = path.join(scripts, 'throwsMidEpoch.script.ts');
    const r = await run('throwsMidEpoch.script.ts');
    expect(r.status).toBe('failed');
    expect(r.end.error).toMatchObject({ file, line: 11 });
    expect(r.end.error?.message).toMatch(/^the script gave up at epoch 2 \(throwsMidEpoch\.script\.ts:11:\d+\)$/);
    // Epoch 0 completed; epoch 1's batches ran before its end threw.
    expect(ofType(r.lines, 'epoch').map((e) => e.epoch)).toEqual([0]);
    expect(ofType(r.lines, 'batch').map((b) => b.epoch)).toEqual([0, 0, 1, 1]);
    expect(readRun(r.runDir).record).toMatchObject({ status: 'failed', error: { line: 11 } });
  });

  test('stop ends the run "stopped" after the current batch', async () => {
    const r = await run('twoFits.script.ts', 3);
    expect(r.status).toBe('stopped');
    // Batch 3 stops the first fit; the second fit ends after its first batch.
    expect(ofType(r.lines, 'batch').map((b) => b.step)).toEqual([0, 1, 2, 3]);
  });

  test("pause holds the script's fit between batches until resume; nothing is lost", async () => {
    const control = new RunControl();
    const messages: TrainerToHost[] = [];
    let batches = 0;
    const status = await runScript(tf, { name: 'cpu', reason: 'unit test' }, { modelFile: path.join(scripts, 'twoFits.script.ts'), runsDir }, (m) => {
      messages.push(m);
      if (m.type === 'batches') {
        batches += m.points.length;
        if (batches >= 2 && !control.pauseRequested() && !messages.some((x) => x.type === 'log' && x.message.startsWith('Paused'))) {
          control.pause();
          setTimeout(() => control.resume(), 30);
        }
      }
    }, control);
    expect(status).toBe('completed');
    const logs = messages.filter((m) => m.type === 'log').map((m) => (m as { message: string }).message);
    expect(logs.filter((l) => l.startsWith('Paused'))).toHaveLength(1);
    expect(logs).toContain('Resumed.');
    const end = messages[messages.length - 1] as Extract<TrainerToHost, { type: 'end' }>;
    expect(ofType(readRun(end.runDir ?? '').metrics, 'batch')).toHaveLength(6);
  });
});
