import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BatchPoint, TrainerToHost } from '../../src/protocol/trainer';
import { BatchThinner, MAX_VIEW_BATCHES, thinBatches } from '../../src/protocol/thinBatches';
import { runTraining, silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { runViewFromStore } from '../../src/training/runViewFromStore';
import { epochTable, initialState, shownRun, update } from '../../webview-ui/src/state';

const SPIKE_STEP = 123_457;
const NAN_STEP = 77_777;
const PER_EPOCH = 50_000;

/** A long run's batch: a slow loss curve with one spike and one NaN, acc rising. */
function point(step: number): BatchPoint {
  const epoch = Math.floor(step / PER_EPOCH);
  const loss = step === SPIKE_STEP ? 50 : step === NAN_STEP ? Number.NaN : 2 * Math.exp(-step / 60_000) + 0.01 * Math.sin(step);
  return { epoch, batch: step % PER_EPOCH, step, time: 1_000_000 + step * 10, metrics: { loss, acc: Math.min(1, step / 200_000) } };
}

describe('thinning a long run', () => {
  const points = Array.from({ length: 200_000 }, (_, i) => point(i));

  test('keeps at most the cap, in order, only real points, with the spike, the NaN and every epoch edge', () => {
    const kept = thinBatches(points);
    expect(kept.length).toBeLessThanOrEqual(MAX_VIEW_BATCHES);
    // At least one point per group of consecutive batches (2,048 groups at least).
    expect(kept.length).toBeGreaterThanOrEqual(2048);
    for (let i = 1; i < kept.length; i++) expect(kept[i].step).toBeGreaterThan(kept[i - 1].step);
    for (const p of kept) expect(p).toBe(points[p.step]);
    const steps = new Set(kept.map((p) => p.step));
    expect(steps.has(SPIKE_STEP)).toBe(true);
    expect(steps.has(NAN_STEP)).toBe(true);
    for (const edge of [0, PER_EPOCH - 1, PER_EPOCH, 2 * PER_EPOCH - 1, 2 * PER_EPOCH, 4 * PER_EPOCH - 1]) expect(steps.has(edge)).toBe(true);
    // Extremes survive: the lowest finite loss of the whole run and the highest acc are kept.
    const lowest = (ps: readonly BatchPoint[], k: string) => ps.reduce((m, p) => (Number.isFinite(p.metrics[k] as number) ? Math.min(m, p.metrics[k] as number) : m), Infinity);
    const highest = (ps: readonly BatchPoint[], k: string) => ps.reduce((m, p) => (Number.isFinite(p.metrics[k] as number) ? Math.max(m, p.metrics[k] as number) : m), -Infinity);
    expect(lowest(kept, 'loss')).toBe(lowest(points, 'loss'));
    expect(highest(kept, 'acc')).toBe(highest(points, 'acc'));
  });

  test('a short run is kept whole', () => {
    const short = points.slice(0, 5000);
    expect(thinBatches(short)).toBe(short);
  });

  test('a live run of a million batches stays bounded as it streams, and keeps its spike', () => {
    const thinner = new BatchThinner();
    let view: BatchPoint[] = [];
    let most = 0;
    for (let s = 0; s < 1_000_000; s += 50) {
      for (let i = s; i < s + 50; i++) view.push(point(i));
      view = thinner.apply(view);
      most = Math.max(most, view.length);
    }
    expect(most).toBeLessThanOrEqual(MAX_VIEW_BATCHES + 50);
    expect(view.some((p) => p.step === SPIKE_STEP)).toBe(true);
    expect(view.at(-1)!.step).toBe(999_999);
  });
});

describe('opening a 200,000-batch run folder', () => {
  let runsDir: string;
  let runDir: string;
  beforeAll(async () => {
    runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-thin-'));
    await tf.setBackend('cpu');
    silenceTfjsNodeBanner(tf);
    // A real run folder (run.json as the trainer writes it), its metrics replaced by a long run's:
    // three whole epochs of 50,000 batches and a fourth stopped after 30,000.
    const messages: TrainerToHost[] = [];
    const modelFile = path.resolve(__dirname, '../fixtures/trainer/tiny.model.ts');
    await runTraining(tf, { name: 'cpu', reason: 'unit test' }, { modelFile, runsDir, backend: 'cpu', overrides: { epochs: 1 } }, (m) => messages.push(m), { stopRequested: () => false });
    const end = messages.at(-1);
    if (end?.type !== 'end' || !end.runDir) throw new Error('no run');
    runDir = end.runDir;
    const record = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
    fs.writeFileSync(path.join(runDir, 'run.json'), JSON.stringify({ ...record, batchesPerEpoch: PER_EPOCH, status: 'stopped' }));
    const lines: string[] = [];
    const total = 3 * PER_EPOCH + 30_000;
    for (let s = 0; s < total; s++) {
      const p = point(s);
      lines.push(JSON.stringify({ type: 'batch', epoch: p.epoch, batch: p.batch, step: p.step, time: p.time, ...p.metrics }));
      if (p.batch === PER_EPOCH - 1 || s === total - 1) lines.push(JSON.stringify({ type: 'epoch', epoch: p.epoch, time: p.time, loss: p.metrics.loss, acc: p.metrics.acc }));
    }
    lines.push(JSON.stringify({ type: 'end', epoch: 3, time: point(total - 1).time, status: 'stopped' }));
    fs.writeFileSync(path.join(runDir, 'metrics.jsonl'), lines.join('\n') + '\n');
  }, 60_000);
  afterAll(() => fs.rmSync(runsDir, { recursive: true, force: true }));

  test('the snapshot is bounded, keeps the spike, and the panel marks only the stopped epoch partial', () => {
    const view = runViewFromStore(runDir);
    expect(view.batches.length).toBeLessThanOrEqual(MAX_VIEW_BATCHES);
    expect(view.batches.some((b) => b.step === SPIKE_STEP && b.metrics.loss === 50)).toBe(true);
    const json = JSON.stringify({ type: 'snapshot', seq: 0, run: view });
    expect(json.length).toBeLessThan(5_000_000);
    const state = initialState();
    const sent = update(state, { type: 'message', data: JSON.parse(json) }, 0);
    expect(sent).toEqual([]);
    const track = shownRun(state)!;
    expect(track.columns.count).toBe(view.batches.length);
    const rows = epochTable(track).rows;
    expect(rows.map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    expect(rows.slice(0, 3).map((r) => r.partial)).toEqual([undefined, undefined, undefined]);
    expect(rows[3].partial).toEqual({ batches: 30_000, of: PER_EPOCH });
  });
});
