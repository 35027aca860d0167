import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TrainerToHost } from '../../src/protocol/trainer';
import { applyRunEvent, isDrawableEvalReport, type RunView } from '../../src/protocol/webview';
import { runTraining, silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { markCrashed } from '../../src/training/runStore';
import { readCheckpoints, readEvalReport, runViewFromStore } from '../../src/training/runViewFromStore';

let runsDir: string;
beforeAll(async () => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-view-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(runsDir, { recursive: true, force: true }));

/** The view the panel builds live from the trainer's messages. */
function liveView(messages: TrainerToHost[]): RunView {
  const run = messages.find((m) => m.type === 'run');
  if (run?.type !== 'run') throw new Error('no run message');
  const view: RunView = {
    runId: run.runId, modelFile: run.modelFile, runDir: run.runDir, config: run.config, batchesPerEpoch: run.batchesPerEpoch,
    layers: run.layers, totalParams: run.totalParams, status: 'running', startedAt: 0, batches: [], epochs: [],
  };
  for (const m of messages) {
    if (m.type === 'batches') applyRunEvent(view, { type: 'batches', points: m.points });
    if (m.type === 'epoch') applyRunEvent(view, { type: 'epoch', point: m.point });
    if (m.type === 'end') applyRunEvent(view, { type: 'end', status: m.status, error: m.error });
  }
  return view;
}

test('a saved run reopens with the same points, layers and status the panel showed live', async () => {
  const messages: TrainerToHost[] = [];
  const modelFile = path.resolve(__dirname, '../fixtures/trainer/tiny.model.ts');
  await runTraining(tf, { name: 'cpu', reason: 'unit test' }, { modelFile, runsDir, backend: 'cpu', overrides: { epochs: 2 } },
    (m) => messages.push(JSON.parse(JSON.stringify(m))), { stopRequested: () => false });
  const live = liveView(messages);
  const saved = runViewFromStore(live.runDir);

  expect(saved.status).toBe('completed');
  expect(saved.batches).toEqual(live.batches);
  expect(saved.epochs).toEqual(live.epochs);
  expect(saved.epochs.map((e) => e.epoch)).toEqual([0, 1]);
  // model metrics plus the trainer's run stats (lr, tfjs memory), live and saved alike
  expect(Object.keys(saved.epochs[1].metrics).sort()).toEqual(['acc', 'bytes', 'loss', 'lr', 'tensors', 'val_acc', 'val_loss']);
  expect(saved.layers).toEqual(live.layers);
  expect(saved.totalParams).toBe(live.totalParams);
  expect(saved.batchesPerEpoch).toBe(live.batchesPerEpoch);
  expect(saved.backend).toEqual({ name: 'cpu', reason: 'unit test', executor: 'tfjs', executorReason: expect.stringContaining('wasm backend'), threads: 1, threadsReason: expect.stringContaining('one thread') });
});

test('a run whose process died shows as crashed with the reason, keeping its batches', async () => {
  const messages: TrainerToHost[] = [];
  const modelFile = path.resolve(__dirname, '../fixtures/trainer/tiny.model.ts');
  await runTraining(tf, { name: 'cpu', reason: 'unit test' }, { modelFile, runsDir, backend: 'cpu' },
    (m) => messages.push(JSON.parse(JSON.stringify(m))), { stopRequested: () => false });
  const runDir = liveView(messages).runDir;
  // Cut the run back to its first three batch lines, as if the process had been killed there.
  const metricsFile = path.join(runDir, 'metrics.jsonl');
  const lines = fs.readFileSync(metricsFile, 'utf8').split('\n').filter((l) => l.includes('"type":"batch"')).slice(0, 3);
  fs.writeFileSync(metricsFile, lines.join('\n') + '\n{"type":"batch","epo');
  const runJson = path.join(runDir, 'run.json');
  fs.writeFileSync(runJson, JSON.stringify({ ...JSON.parse(fs.readFileSync(runJson, 'utf8')), status: 'running' }));

  expect(runViewFromStore(runDir).status).toBe('crashed');
  markCrashed(runDir, 'Trainer was killed by SIGKILL');
  const view = runViewFromStore(runDir);
  expect(view.status).toBe('crashed');
  expect(view.error?.message).toBe('Trainer was killed by SIGKILL');
  expect(view.batches.map((b) => b.step)).toEqual([0, 1, 2]);
});

test('a saved run reopens with the checkpoints and the evaluation the trainer wrote', async () => {
  const messages: TrainerToHost[] = [];
  const modelFile = path.resolve(__dirname, '../fixtures/trainer/tiny.model.ts');
  await runTraining(tf, { name: 'cpu', reason: 'unit test' }, { modelFile, runsDir, backend: 'cpu', overrides: { epochs: 1 } },
    (m) => messages.push(JSON.parse(JSON.stringify(m))), { stopRequested: () => false });
  const live = liveView(messages);
  const saved = runViewFromStore(live.runDir);
  const lastCheckpoint = messages.filter((m): m is Extract<TrainerToHost, { type: 'checkpoint' }> => m.type === 'checkpoint' && m.checkpoint.kind === 'last').pop();
  expect(lastCheckpoint).toBeDefined();
  expect(saved.checkpoints?.last).toMatchObject({ ...lastCheckpoint!.checkpoint, dir: lastCheckpoint!.dir });
  const onDisk = JSON.parse(fs.readFileSync(path.join(live.runDir, 'eval.json'), 'utf8'));
  expect(saved.evalReport).toEqual(onDisk);
  expect(isDrawableEvalReport(saved.evalReport)).toBe(true);
});

test('an eval.json that is not JSON or not a report is left out, and said so', () => {
  const dir = fs.mkdtempSync(path.join(runsDir, 'bad-eval-'));
  const why: string[] = [];
  expect(readEvalReport(dir, (w) => why.push(w))).toBeUndefined();
  expect(why).toEqual([]); // no report yet is not an error
  fs.writeFileSync(path.join(dir, 'eval.json'), '{"schema": 1, "outp');
  expect(readEvalReport(dir, (w) => why.push(w))).toBeUndefined();
  fs.writeFileSync(path.join(dir, 'eval.json'), JSON.stringify({ schema: 1, count: 3, data: 'x', outputs: [{ kind: 'classification', output: 'd' }] }));
  expect(readEvalReport(dir, (w) => why.push(w))).toBeUndefined();
  expect(why).toHaveLength(2);
  expect(why[0]).toMatch(/not JSON/);
  expect(readCheckpoints(dir)).toBeUndefined();
});
