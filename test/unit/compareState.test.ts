import { describe, expect, test } from 'vitest';
import type { CompareRun, SeriesSlice } from '../../src/protocol/webview';
import { applyCompare, applySeries, compareMetrics, emptyCompare, REQUEST_TIMEOUT_MS, runsTable, scatterPoints, seriesRequest, toggleSort, xRange } from '../../webview-ui/src/compareState';
import { initialState, update } from '../../webview-ui/src/state';

function run(runId: string, batchSize: number, finalLoss: number | null, extra: Partial<CompareRun> = {}): CompareRun {
  return {
    runId, label: runId, runDir: `/r/${runId}`, modelFile: '/w/m.model.ts', status: 'completed', startedAt: 1000, durationMs: 5000,
    dataset: 'mnist', epochs: 2, batchSize, validationSplit: 0.1, optimizer: 'Adam', learningRate: 0.001, params: 10, batchesPerEpoch: 5, batches: 10,
    batchMetrics: ['loss', 'acc'], epochLines: [{ epoch: 0, step: 4, time: 2000, metrics: { loss: 1, val_loss: 1.2 } }],
    results: { loss: { final: finalLoss, best: finalLoss }, val_loss: { final: 1.2, best: 1.1 } }, ...extra,
  };
}
const slice = (n: number, count = n): SeriesSlice => ({ x: Array.from({ length: n }, (_, i) => i), raw: Array(n).fill(1), smoothed: Array(n).fill(1), visible: n, count });

describe('runs table', () => {
  test('marks only the columns whose values differ, and sorts numbers with missing values last', () => {
    const cs = emptyCompare();
    applyCompare(cs, 1, [run('a', 64, 0.5), run('b', 32, 0.3), run('c', 128, null)]);
    const t = runsTable(cs);
    const col = (k: string) => t.columns.find((c) => c.key === k)!;
    expect(col('batchSize').differs).toBe(true);
    expect(col('final:loss').differs).toBe(true);
    expect(col('dataset').differs).toBe(false);
    expect(col('optimizer').differs).toBe(false);
    expect(col('label').differs).toBe(false);
    // The name, then every column that differs, then those all runs share; each row's cells follow.
    const keys = t.columns.map((c) => c.key);
    expect(keys[0]).toBe('label');
    const firstSame = t.columns.findIndex((c) => c.key !== 'label' && !c.differs);
    expect(t.columns.slice(1, firstSame).every((c) => c.differs)).toBe(true);
    expect(t.columns.slice(firstSame).some((c) => c.differs)).toBe(false);
    expect(keys.indexOf('batchSize')).toBeLessThan(keys.indexOf('dataset'));
    const a = t.rows.find((r) => r.runId === 'a')!;
    expect(a.values[keys.indexOf('batchSize')]).toBe(64);
    expect(a.values[keys.indexOf('final:loss')]).toBe(0.5);
    toggleSort(cs, 'final:loss');
    expect(runsTable(cs).rows.map((r) => r.runId)).toEqual(['b', 'a', 'c']);
    toggleSort(cs, 'final:loss');
    expect(runsTable(cs).rows.map((r) => r.runId)).toEqual(['a', 'b', 'c']);
    toggleSort(cs, 'batchSize');
    expect(runsTable(cs).rows.map((r) => [r.runId, r.colour])).toEqual([['b', 1], ['a', 0], ['c', 2]]);
  });

  test('charts loss first with its validation key; the scatter takes runs with both values', () => {
    const cs = emptyCompare();
    applyCompare(cs, 1, [run('a', 64, 0.5), run('b', 32, null, { batchMetrics: ['acc', 'loss', 'mae'] })]);
    expect(compareMetrics(cs)).toEqual([{ base: 'loss', train: 'loss', val: 'val_loss' }, { base: 'acc', train: 'acc' }, { base: 'mae', train: 'mae' }]);
    cs.scatterX = 'batchSize';
    cs.scatterY = 'final:loss';
    expect(scatterPoints(cs).map((p) => [p.runId, p.x, p.y])).toEqual([['a', 64, 0.5]]);
  });
});

describe('the scatter', () => {
  test('its x follows the first hyperparameter that differs until the user picks one', () => {
    const state = initialState();
    const { compare: cs } = state;
    applyCompare(cs, 1, [run('a', 64, 0.5), run('b', 32, 0.3)]);
    // Same learning rate, different batch sizes: learning rate would put both dots on one x.
    expect(cs.scatterX).toBe('batchSize');
    applyCompare(cs, 2, [run('a', 64, 0.5, { learningRate: 0.01 }), run('b', 64, 0.3)]);
    expect(cs.scatterX).toBe('learningRate');
    applyCompare(cs, 3, [run('a', 64, 0.5), run('b', 64, 0.3)]);
    expect(cs.scatterX).toBe('learningRate');
    update(state, { type: 'compareScatter', x: 'params' }, 0);
    applyCompare(state.compare, 4, [run('a', 64, 0.5), run('b', 32, 0.3)]);
    expect(state.compare.scatterX).toBe('params');
  });
});

describe('viewport requests', () => {
  test('one in flight per chart; a stale answer is dropped; held runs are named so only grown ones come back', () => {
    const cs = emptyCompare();
    applyCompare(cs, 1, [run('a', 64, 0.5), run('b', 32, 0.3)]);
    const first = seriesRequest(cs, 'loss', 'step', null, null, 500, 0.6, 0)!;
    expect(first).toMatchObject({ type: 'seriesRequest', metric: 'loss', pixels: 500 });
    expect(first.known).toBeUndefined();
    // Same viewport, or a new one while the first is in flight: nothing sent.
    expect(seriesRequest(cs, 'loss', 'step', null, null, 500, 0.6, 10)).toBeUndefined();
    expect(seriesRequest(cs, 'loss', 'step', 0, 10, 500, 0.6, 10)).toBeUndefined();
    expect(applySeries(cs, first.id + 99, 'loss', [])).toBe(false);
    expect(applySeries(cs, first.id, 'loss', [{ runId: 'a', slice: slice(10) }, { runId: 'b', slice: slice(8) }])).toBe(true);
    // A run grew (a new compare version): ask again, naming what is held.
    applyCompare(cs, 2, [run('a', 64, 0.5, { batches: 11 }), run('b', 32, 0.3)]);
    const second = seriesRequest(cs, 'loss', 'step', null, null, 500, 0.6, 20)!;
    expect(second.known).toEqual({ a: 10, b: 8 });
    applySeries(cs, second.id, 'loss', [{ runId: 'a', slice: slice(11) }]);
    expect([...cs.slices.get('loss')!.runs].map(([id, s]) => [id, s.count])).toEqual([['a', 11], ['b', 8]]);
    // A lost answer does not block the chart for good.
    applyCompare(cs, 3, cs.runs);
    const lost = seriesRequest(cs, 'loss', 'step', 5, 9, 500, 0.6, 30)!;
    expect(seriesRequest(cs, 'loss', 'step', 5, 9, 400, 0.6, 31)).toBeUndefined();
    expect(seriesRequest(cs, 'loss', 'step', 5, 9, 400, 0.6, 31 + REQUEST_TIMEOUT_MS)?.id).toBeGreaterThan(lost.id);
  });
});

describe('live updates', () => {
  test('a compare message asks at once for each chart’s viewport, naming the held runs; an answer that landed stale asks again', () => {
    const s = initialState();
    update(s, { type: 'message', data: { type: 'snapshot', seq: 1, run: null } }, 0);
    update(s, { type: 'message', data: { type: 'compare', version: 1, runs: [run('a', 64, 0.5), run('b', 32, 0.3)] } }, 0);
    const [first] = update(s, { type: 'compareRequest', metric: 'loss', axis: 'step', x0: null, x1: null, pixels: 400, smoothing: 0.6 }, 0);
    expect(first).toMatchObject({ type: 'seriesRequest', metric: 'loss', pixels: 400 });
    const id = (first as { id: number }).id;
    update(s, { type: 'message', data: { type: 'seriesResponse', id, metric: 'loss', runs: [{ runId: 'a', slice: slice(10) }, { runId: 'b', slice: slice(8) }] } }, 0);
    // Run a grew: the compare message itself sends the request (same viewport, both runs named as held).
    const sent = update(s, { type: 'message', data: { type: 'compare', version: 2, runs: [run('a', 64, 0.5, { batches: 11 }), run('b', 32, 0.3)] } }, 1);
    expect(sent).toEqual([{ type: 'seriesRequest', id: id + 1, metric: 'loss', axis: 'step', x0: null, x1: null, pixels: 400, smoothing: 0.6, known: { a: 10, b: 8 } }]);
    // It grows again while that request is in flight: nothing more until the answer, which then asks again.
    expect(update(s, { type: 'message', data: { type: 'compare', version: 3, runs: [run('a', 64, 0.5, { batches: 12 }), run('b', 32, 0.3)] } }, 2)).toEqual([]);
    const again = update(s, { type: 'message', data: { type: 'seriesResponse', id: id + 1, metric: 'loss', runs: [{ runId: 'a', slice: slice(11) }] } }, 3);
    expect(again).toEqual([{ type: 'seriesRequest', id: id + 2, metric: 'loss', axis: 'step', x0: null, x1: null, pixels: 400, smoothing: 0.6, known: { a: 11, b: 8 } }]);
    expect(s.compare.slices.get('loss')!.runs.get('a')!.count).toBe(11);
  });

  test('the x range of a training comparison ends at a round step past the last point, and stays there while it grows', () => {
    expect(xRange(0, 99_999, false)).toEqual([0, 99_999]);
    const [lo, hi] = xRange(0, 100_017, true);
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThan(100_017);
    expect(hi - 100_017).toBeLessThanOrEqual(0.05 * 100_017);
    for (let last = 100_017; last < hi; last += 37) expect(xRange(0, last, true)).toEqual([lo, hi]);
    expect(xRange(0, hi, true)[1]).toBeGreaterThan(hi);
    expect(xRange(5, 5, true)).toEqual([4, 6]);
    expect(xRange(Infinity, -Infinity, false)).toEqual([0, 1]);
  });
});

describe('panel state', () => {
  test('a compare message opens the Compare tab; Close sends closeCompare and goes back to the run', () => {
    const s = initialState();
    update(s, { type: 'message', data: { type: 'snapshot', seq: 1, run: null } }, 0);
    update(s, { type: 'message', data: { type: 'compare', version: 5, runs: [run('a', 64, 0.5), run('b', 32, 0.3)] } }, 0);
    expect(s.tab).toBe('compare');
    expect(s.compare.runs.map((r) => r.runId)).toEqual(['a', 'b']);
    // A malformed slice is dropped and counted, never drawn.
    update(s, { type: 'message', data: { type: 'seriesResponse', id: 1, metric: 'loss', runs: [{ runId: 'a', slice: { x: [1, 2], raw: [1], smoothed: [1, 2], visible: 2, count: 2 } }] } }, 0);
    expect(s.dropped).toBe(1);
    // The same runs grown do not pull the user back; a new set of runs does.
    update(s, { type: 'tab', tab: 'run' }, 0);
    update(s, { type: 'message', data: { type: 'compare', version: 6, runs: [run('a', 64, 0.4), run('b', 32, 0.3)] } }, 0);
    expect(s.tab).toBe('run');
    update(s, { type: 'message', data: { type: 'compare', version: 7, runs: [run('a', 64, 0.4), run('b', 32, 0.3), run('c', 16, 0.2)] } }, 0);
    expect(s.tab).toBe('compare');
    update(s, { type: 'compareToggle', runId: 'b' }, 0);
    expect([...s.compare.hidden]).toEqual(['b']);
    expect(update(s, { type: 'compareClose' }, 0)).toEqual([{ type: 'closeCompare' }]);
    expect(s.tab).toBe('run');
    expect(s.compare.runs).toEqual([]);
  });
});

describe('hover values', () => {
  test('one request in flight; the newest pointer position is asked when the answer lands; stale answers are dropped', () => {
    const s = initialState();
    update(s, { type: 'message', data: { type: 'compare', version: 1, runs: [run('a', 64, 0.5)] } }, 0);
    const hover = (x: number, now = 0) => update(s, { type: 'compareHover', metric: 'loss', axis: 'step', x, smoothing: 0.6 }, now);
    const [first] = hover(10.2) as { id: number }[];
    expect(first).toMatchObject({ type: 'valuesRequest', metric: 'loss', x: 10.2 });
    expect(hover(11.7)).toEqual([]);
    expect(hover(12.9)).toEqual([]);
    const values = [{ runId: 'a', x: 10, step: 10, raw: 0.5, smoothed: 0.45 }];
    expect(update(s, { type: 'message', data: { type: 'valuesResponse', id: first.id + 5, metric: 'loss', values } }, 0)).toEqual([]);
    expect(s.compare.hover.answered).toBeUndefined();
    const next = update(s, { type: 'message', data: { type: 'valuesResponse', id: first.id, metric: 'loss', values } }, 0);
    expect(s.compare.hover.answered).toMatchObject({ x: 10.2, values });
    expect(next).toEqual([{ type: 'valuesRequest', id: first.id + 1, metric: 'loss', axis: 'step', x: 12.9, smoothing: 0.6 }]);
    // A lost answer does not block the tooltip for good.
    expect(hover(20, 1)).toEqual([]);
    expect(hover(21, 1 + REQUEST_TIMEOUT_MS)).toMatchObject([{ type: 'valuesRequest', x: 21 }]);
  });
});
