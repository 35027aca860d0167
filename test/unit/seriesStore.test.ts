import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { formatRunRecord, type RunRecord } from '../../src/protocol/runFolder';
import { parseHostToWebview, parseWebviewToHost } from '../../src/protocol/webview';
import { CompareSet, higherIsBetter, optimizerOfModelJson } from '../../src/training/compareRuns';
import { SeriesColumns } from '../../src/training/seriesStore';

/** TensorBoard's smoothing written out independently (no constant-series special case needed here). */
function ema(ys: number[], w: number): number[] {
  let last = 0;
  let n = 0;
  return ys.map((v) => {
    last = last * w + (1 - w) * v;
    n++;
    return last / (1 - w ** n);
  });
}

function filled(n: number, f: (i: number) => number, bpe = 100): SeriesColumns {
  const c = new SeriesColumns(1_000_000, bpe);
  for (let i = 0; i < n; i++) c.push({ step: i, time: 1_000_000 + i * 10, epoch: Math.floor(i / bpe), batch: i % bpe, metrics: { loss: f(i) } });
  return c;
}

describe('SeriesColumns', () => {
  test('keeps a one-batch spike among 100,000 points when drawn 300 pixels wide', () => {
    const c = filled(100_000, (i) => (i === 61_234 ? 50 : 1 + Math.sin(i / 1000) * 0.1));
    const s = c.slice('loss', 'step', null, null, 300, 0);
    expect(s.visible).toBe(100_000);
    expect(s.x.length).toBeLessThanOrEqual(300 * 4 * 2 + 3);
    expect(s.x.length).toBeGreaterThan(300);
    const k = s.x.indexOf(61_234);
    expect(k).toBeGreaterThanOrEqual(0);
    expect(s.raw[k]).toBe(50);
    expect(Math.max(...(s.raw as number[]))).toBe(50);
    // The last value is always there, and x is ascending.
    expect(s.x[s.x.length - 1]).toBe(99_999);
    for (let i = 1; i < s.x.length; i++) expect(s.x[i]).toBeGreaterThan(s.x[i - 1]);
  });

  test('a zoomed range small enough to show every point ships every point, plus one on each side', () => {
    const c = filled(10_000, (i) => i);
    const s = c.slice('loss', 'step', 5000, 5100, 600, 0);
    expect(s.x[0]).toBe(4999);
    expect(s.x[s.x.length - 1]).toBe(5101);
    expect(s.x.length).toBe(103);
    expect(s.raw.slice(1, 4)).toEqual([5000, 5001, 5002]);
  });

  test('smooths on full-resolution data: the sampled smoothed values equal the EMA of every point', () => {
    const ys = Array.from({ length: 20_000 }, (_, i) => Math.fround(1 / (1 + i / 500) + ((i * 7919) % 13) / 100));
    const c = filled(ys.length, (i) => ys[i]);
    const want = ema(ys, 0.9);
    const s = c.slice('loss', 'step', null, null, 200, 0.9);
    expect(s.x.length).toBeLessThan(2000);
    for (let k = 0; k < s.x.length; k++) expect(s.smoothed[k]).toBeCloseTo(want[s.x[k]], 5);
    // The same weight extended by new points matches the EMA of the longer series.
    for (let i = ys.length; i < ys.length + 100; i++) c.push({ step: i, time: 2e6 + i, epoch: 0, batch: 0, metrics: { loss: 0.5 } });
    const longer = ema([...ys, ...Array(100).fill(0.5)], 0.9);
    const s2 = c.slice('loss', 'step', null, null, 200, 0.9);
    expect(s2.smoothed[s2.smoothed.length - 1]).toBeCloseTo(longer[longer.length - 1], 5);
  });

  test('a NaN stays a gap, a metric appearing mid-run has none before, duplicates are refused', () => {
    const c = new SeriesColumns(0, 10);
    c.push({ step: 0, time: 0, epoch: 0, batch: 0, metrics: { loss: 1 } });
    c.push({ step: 1, time: 1, epoch: 0, batch: 1, metrics: { loss: null, acc: 0.5 } });
    expect(c.push({ step: 1, time: 2, epoch: 0, batch: 1, metrics: { loss: 3 } })).toBe(false);
    c.push({ step: 2, time: 3, epoch: 0, batch: 2, metrics: { loss: 2, acc: 0.6 } });
    expect(c.refused).toBe(1);
    expect(c.slice('loss', 'step', null, null, 100, 0).raw).toEqual([1, null, 2]);
    expect(c.slice('acc', 'step', null, null, 100, 0).raw.map((v) => (v === null ? null : +v.toFixed(3)))).toEqual([null, 0.5, 0.6]);
  });

  test('grows by doubling and reports what it holds; the x axes are step, epoch position and seconds', () => {
    const c = filled(3000, () => 1, 1000);
    expect(c.bytes()).toBeGreaterThanOrEqual(4096 * (8 + 8 + 4 + 4));
    expect(c.bytes()).toBeLessThan(4096 * (8 + 8 + 4 + 4) + 1);
    expect(c.x('step', 1500)).toBe(1500);
    expect(c.x('epoch', 1499)).toBeCloseTo(1.5, 5);
    expect(c.x('time', 100)).toBe(1);
  });
});

let runsDir: string;
beforeEach(() => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-compare-'));
});
afterEach(() => fs.rmSync(runsDir, { recursive: true, force: true }));

function writeRun(id: string, opts: { batchSize: number; lossAt: (i: number) => number; epochs: [number, number][]; truncated?: boolean; lr?: number }): string {
  const dir = path.join(runsDir, id);
  fs.mkdirSync(path.join(dir, 'model'), { recursive: true });
  const record: RunRecord = {
    id,
    modelFile: '/w/mnist.model.ts',
    config: { epochs: opts.epochs.length, batchSize: opts.batchSize, validationSplit: 0.1, shuffle: true, dataset: 'mnist' },
    backend: { name: 'wasm', reason: 'test' },
    versions: { tfjs: '4.22.0', node: 'v20', modelLab: '0.1.0' },
    startedAt: new Date(1_000_000).toISOString(),
    endedAt: new Date(1_000_000 + 60_000).toISOString(),
    status: 'completed',
    totalParams: 1234,
    batchesPerEpoch: 10,
  };
  fs.writeFileSync(path.join(dir, 'run.json'), formatRunRecord(record));
  const lines: string[] = [];
  for (let e = 0; e < opts.epochs.length; e++) {
    for (let b = 0; b < 10; b++) {
      const step = e * 10 + b;
      lines.push(JSON.stringify({ type: 'batch', epoch: e, batch: b, step, time: 1_000_000 + step * 100, loss: opts.lossAt(step), acc: 0.5 + step / 100 }));
    }
    lines.push(JSON.stringify({ type: 'epoch', epoch: e, time: 1_000_000 + (e + 1) * 1000, loss: opts.epochs[e][0], val_loss: opts.epochs[e][1], acc: 0.6 + e / 10 }));
  }
  lines.push(JSON.stringify({ type: 'end', epoch: opts.epochs.length - 1, time: 1_000_000 + 30_000, status: 'completed' }));
  let text = lines.join('\n') + '\n';
  if (opts.truncated) text += '{"type":"batch","epoch":9,"bat';
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), text);
  const trainingConfig = { loss: 'categoricalCrossentropy', optimizer_config: { class_name: 'Adam', config: { learningRate: opts.lr ?? 0.001 } } };
  fs.writeFileSync(path.join(dir, 'model', 'model.json'), JSON.stringify({ modelTopology: {}, trainingConfig }));
  return dir;
}

describe('CompareSet', () => {
  test('reads two run folders into summaries with hyperparameters, final and best, and answers viewports', () => {
    const set = new CompareSet();
    const a = writeRun('run-a', { batchSize: 32, lossAt: (i) => 2 - i / 20, epochs: [[1.5, 1.6], [0.9, 1.2], [1.0, 1.1]] });
    const b = writeRun('run-b', { batchSize: 64, lossAt: (i) => 3 - i / 30, epochs: [[2.5, 2.4], [2.0, 2.1]], truncated: true, lr: 0.01 });
    set.addFolder(a);
    set.addFolder(b);
    const [ra, rb] = set.summaries();
    expect(ra).toMatchObject({ runId: 'run-a', batchSize: 32, epochs: 3, optimizer: 'Adam', learningRate: 0.001, params: 1234, dataset: 'mnist', batches: 30, status: 'completed', durationMs: 30_000 });
    expect(ra.results.loss).toEqual({ final: 1.0, best: 0.9 });
    expect(ra.results.val_loss).toEqual({ final: 1.1, best: 1.1 });
    expect(ra.results.acc.best).toBeCloseTo(0.8);
    expect(ra.batchMetrics).toEqual(['loss', 'acc']);
    expect(ra.epochLines.map((e) => e.step)).toEqual([9, 19, 29]);
    // The cut last line of run-b is skipped; every complete line is kept.
    expect(rb).toMatchObject({ batches: 20, batchSize: 64, learningRate: 0.01 });
    const answer = set.query({ type: 'seriesRequest', id: 1, metric: 'loss', axis: 'step', x0: null, x1: null, pixels: 400, smoothing: 0 });
    expect(answer.map((r) => r.runId)).toEqual(['run-a', 'run-b']);
    expect(answer[0].slice.raw[29]).toBeCloseTo(2 - 29 / 20, 5);
    expect(answer[1].slice.x.length).toBe(20);
    // What the host sends passes the webview's own validation, and the request passes the host's.
    expect(parseHostToWebview({ type: 'compare', version: set.version, runs: set.summaries() })).toBeDefined();
    expect(parseHostToWebview({ type: 'seriesResponse', id: 1, metric: 'loss', runs: answer })).toBeDefined();
    expect(parseWebviewToHost({ type: 'seriesRequest', id: 1, metric: 'loss', axis: 'step', x0: null, x1: 5, pixels: 400, smoothing: 0.6 })).toBeDefined();
    expect(parseWebviewToHost({ type: 'seriesRequest', id: 1, metric: 'loss', axis: 'step', x0: null, x1: 5, pixels: 1e9, smoothing: 0.6 })).toBeUndefined();
  });

  test('live batches of a compared run extend its series; other runs are not touched', () => {
    const set = new CompareSet();
    set.addFolder(writeRun('run-a', { batchSize: 32, lossAt: () => 1, epochs: [[1, 1]] }));
    const v = set.version;
    expect(set.appendBatches('run-a', [{ epoch: 1, batch: 0, step: 10, time: 2e6, metrics: { loss: 0.25 } }])).toBe(true);
    expect(set.appendBatches('other', [{ epoch: 0, batch: 0, step: 0, time: 0, metrics: { loss: 1 } }])).toBe(false);
    expect(set.version).toBeGreaterThan(v);
    const [r] = set.query({ type: 'seriesRequest', id: 2, metric: 'loss', axis: 'step', x0: null, x1: null, pixels: 100, smoothing: 0 });
    expect(r.slice.raw[r.slice.raw.length - 1]).toBe(0.25);
    expect(set.summaries()[0].batches).toBe(11);
  });

  test('a folder without a readable run.json is refused with the file named', () => {
    const dir = path.join(runsDir, 'broken');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'run.json'), '{"id":');
    expect(() => new CompareSet().addFolder(dir)).toThrow(/run\.json/);
  });

  test('knows which metrics are better higher and reads optimizers from model.json', () => {
    expect(higherIsBetter('val_acc')).toBe(true);
    expect(higherIsBetter('categorical_accuracy')).toBe(true);
    expect(higherIsBetter('val_loss')).toBe(false);
    expect(higherIsBetter('mae')).toBe(false);
    expect(optimizerOfModelJson('{"trainingConfig":{"optimizer_config":{"class_name":"SGD","config":{"learning_rate":0.1}}}}')).toEqual({ optimizer: 'SGD', learningRate: 0.1 });
    expect(optimizerOfModelJson('not json')).toEqual({ optimizer: null, learningRate: null });
  });
});

describe('exact values under the pointer', () => {
  test('the batch nearest to x on each axis, raw and smoothed at full resolution, NaN as null; the message checks', () => {
    const ys = Array.from({ length: 5000 }, (_, i) => Math.fround(1 + Math.sin(i / 37) / 3));
    const c = filled(ys.length, (i) => (i === 4321 ? Number.NaN : ys[i]));
    expect(c.valueAt('loss', 'step', 1234.4, 0)).toEqual({ x: 1234, step: 1234, raw: ys[1234], smoothed: ys[1234] });
    expect(c.valueAt('loss', 'step', 1234.6, 0)?.step).toBe(1235);
    expect(c.valueAt('loss', 'step', -50, 0)?.step).toBe(0);
    expect(c.valueAt('loss', 'step', 1e9, 0)?.step).toBe(4999);
    expect(c.valueAt('loss', 'step', 4321, 0)?.raw).toBeNull();
    // time axis: seconds since the start (10 ms per batch here); epoch axis: epoch + share done.
    expect(c.valueAt('loss', 'time', 12.34, 0)?.step).toBe(1234);
    expect(c.valueAt('loss', 'epoch', 12.35, 0)?.step).toBe(1234);
    const want = ema(ys.slice(0, 3001), 0.8)[3000];
    expect(c.valueAt('loss', 'step', 3000, 0.8)!.smoothed).toBeCloseTo(want, 5);
    expect(c.valueAt('acc', 'step', 3000, 0)).toBeUndefined();
    expect(parseWebviewToHost({ type: 'valuesRequest', id: 3, metric: 'loss', axis: 'step', x: 12.5, smoothing: 0.6 })).toBeDefined();
    expect(parseWebviewToHost({ type: 'valuesRequest', id: 3, metric: 'loss', axis: 'step', x: null, smoothing: 0.6 })).toBeUndefined();
    expect(parseHostToWebview({ type: 'valuesResponse', id: 3, metric: 'loss', values: [{ runId: 'a', x: 1, step: 1, raw: null, smoothed: 0.5 }] })).toBeDefined();
    expect(parseHostToWebview({ type: 'valuesResponse', id: 3, metric: 'loss', values: [{ runId: 'a', x: 1, step: 1, raw: '0.5', smoothed: 0.5 }] })).toBeUndefined();
  });
});

describe('host slices drawn by the panel’s rule (src/protocol/downsample.ts, block summaries)', () => {
  test('every pixel column’s min and max of 200,000 points are among the sliced points, and a NaN still breaks the line', () => {
    const f = (i: number): number => (i === 150_001 ? 70 : i === 9_999 ? -5 : Math.fround(1 + Math.sin(i / 77) * 0.2 + ((i * 7919) % 101) / 1000));
    const c = filled(200_000, (i) => (i === 123_456 ? Number.NaN : f(i)), 1000);
    const cols = 100; // 2,000 points per column: whole blocks are read from their summaries
    const s = c.slice('loss', 'step', null, null, cols, 0);
    const at = new Set(s.x);
    const raw = c.column('loss')!;
    const width = 199_999 / cols;
    for (let col = 0; col < cols; col++) {
      let lo = -1;
      let hi = -1;
      for (let i = 0; i < 200_000; i++) {
        if (Math.min(cols - 1, Math.floor((i / width))) !== col || Number.isNaN(raw[i])) continue;
        if (lo < 0 || raw[i] < raw[lo]) lo = i;
        if (hi < 0 || raw[i] > raw[hi]) hi = i;
      }
      expect(at.has(lo) && at.has(hi), `column ${col}: ${lo}, ${hi}`).toBe(true);
    }
    expect(s.raw[s.x.indexOf(150_001)]).toBe(70);
    expect(s.raw[s.x.indexOf(9_999)]).toBe(-5);
    expect(s.raw[s.x.indexOf(123_456)]).toBeNull();
    expect(s.x.length).toBeLessThanOrEqual(cols * 4 * 2 + 3);
    // Grown by a batch, sliced again: the summaries extend, the new last point is there.
    c.push({ step: 200_000, time: 1e7, epoch: 200, batch: 0, metrics: { loss: 0.25 } });
    const t = c.slice('loss', 'step', null, null, cols, 0.6);
    expect(t.x.at(-1)).toBe(200_000);
    expect(t.raw.at(-1)).toBe(0.25);
    expect(Math.max(...(t.raw.filter((v) => v !== null) as number[]))).toBe(70);
  });
});
