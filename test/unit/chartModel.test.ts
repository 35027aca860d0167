import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchThinner } from '../../src/protocol/thinBatches';
import { ChartModelBuilder } from '../../webview-ui/src/chartModel';
import { DEFAULT_OPTIONS, initialState, metricSpecs, shownRun, update, type ChartOptions, type RunTrack } from '../../webview-ui/src/state';

function trackOf(stream: string): RunTrack {
  const state = initialState();
  const msgs = JSON.parse(readFileSync(join(__dirname, '../browser/streams', `${stream}.json`), 'utf8')).messages;
  for (const { msg } of msgs) update(state, { type: 'message', data: msg }, 0);
  return shownRun(state)!;
}

/** A synthetic run: `epochs` × `bpe` batches of a given loss function (for sizes no recording has). */
function synthetic(epochs: number, bpe: number, loss: (step: number) => number): RunTrack {
  const state = initialState();
  const run = {
    runId: 'r', modelFile: '/m.model.ts', runDir: '/r', batchesPerEpoch: bpe, layers: [], totalParams: 0, status: 'running', startedAt: 0,
    config: { epochs, batchSize: 32, validationSplit: 0.1, shuffle: true, dataset: 'mnist' }, epochs: [], batches: [],
  };
  update(state, { type: 'message', data: { type: 'snapshot', seq: 0, run } }, 0);
  // Every point kept: these tests are about drawing full-resolution columns (the panel's bound on a
  // live run's columns is tested in webviewState.test.ts).
  shownRun(state)!.thinner = new BatchThinner(Number.POSITIVE_INFINITY);
  let seq = 1;
  for (let e = 0; e < epochs; e++) {
    const points = Array.from({ length: bpe }, (_, b) => {
      const step = e * bpe + b;
      return { epoch: e, batch: b, step, time: 1000 + step * 10, metrics: { loss: loss(step) } };
    });
    update(state, { type: 'message', data: { type: 'event', seq: seq++, runId: 'r', event: { type: 'batches', points } } }, 0);
    const mean = points.reduce((a, p) => a + p.metrics.loss, 0) / bpe;
    update(state, { type: 'message', data: { type: 'event', seq: seq++, runId: 'r', event: { type: 'epoch', point: { epoch: e, time: 1000 + (e + 1) * bpe * 10, metrics: { loss: mean, val_loss: mean * 1.1 } } } } }, 0);
  }
  return shownRun(state)!;
}

const opts = (o: Partial<ChartOptions> = {}): ChartOptions => ({ ...DEFAULT_OPTIONS, smoothing: 0, ...o });
const defined = (col: (number | null | undefined)[]): number[] => col.filter((v): v is number => typeof v === 'number');

describe('chart model', () => {
  it('draws the epoch mean across its epoch span, not as a dot at its end', () => {
    const t = trackOf('classifier');
    const spec = metricSpecs(t)[0];
    const m = new ChartModelBuilder(spec).build(t, opts(), undefined, 600);
    const [xs, , , mean, val] = m.data;
    const epoch0 = t.view.epochs[0].metrics.loss;
    const span = t.spans.get(0)!;
    const at = (x: number): number => xs.indexOf(x);
    expect(mean[at(t.columns.step[span.first])]).toBe(epoch0);
    expect(mean[at(t.columns.step[span.last])]).toBe(epoch0);
    expect(val[at(t.columns.step[span.first])]).toBe(t.view.epochs[0].metrics.val_loss);
    expect(defined(mean)).toHaveLength(2 * t.view.epochs.length);
    expect(m.drawn).toBe(t.columns.count);
    expect(m.partial).toEqual([]);
  });

  it('marks the partial epoch of a stopped run by its span', () => {
    const t = trackOf('stopped');
    const m = new ChartModelBuilder(metricSpecs(t)[0]).build(t, opts(), undefined, 600);
    const span = t.spans.get(2)!;
    expect(m.partial).toEqual([{ x0: t.columns.step[span.first], x1: t.columns.step[span.last] }]);
  });

  it('puts x by step, by epoch position and by seconds since the start', () => {
    const t = synthetic(2, 4, (s) => 1 / (s + 1));
    const b = new ChartModelBuilder(metricSpecs(t)[0]);
    expect(b.build(t, opts({ xAxis: 'step' }), undefined, 600).data[0]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(b.build(t, opts({ xAxis: 'epoch' }), undefined, 600).data[0]).toEqual([0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]);
    expect(b.build(t, opts({ xAxis: 'time' }), undefined, 600).data[0]).toEqual([1, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 1.07]);
  });

  it('smooths on every point before downsampling: the drawn smoothed values are the full-resolution ones', () => {
    const t = synthetic(10, 10_000, (s) => 1 + Math.sin(s / 7) * 0.3 + (s % 97 === 0 ? 2 : 0));
    const b = new ChartModelBuilder(metricSpecs(t)[0]);
    const full = b.build(t, opts({ smoothing: 0.9 }), [0, 99_999], 1_000_000).data;
    const small = b.build(t, opts({ smoothing: 0.9 }), undefined, 300);
    expect(small.drawn).toBeLessThanOrEqual(4 * 300 * 2 + 2);
    const byX = new Map(full[0].map((x, i) => [x, full[2][i]]));
    small.data[0].forEach((x, i) => {
      const s = small.data[2][i];
      if (typeof s === 'number') expect(s).toBe(byX.get(x));
    });
    // And the tooltip reads exact values at any x.
    const p = b.pointAt(t, opts({ smoothing: 0.9 }), 97 * 3 + 0.2)!;
    expect(p.step).toBe(291);
    expect(p.raw).toBe(t.columns.column('loss')![291]);
  });

  it('keeps a spike visible after downsampling, zoomed out and zoomed in', () => {
    const t = synthetic(4, 50_000, () => 0.5);
    t.columns.column('loss')![123_456] = 40;
    const b = new ChartModelBuilder(metricSpecs(t)[0]);
    for (const view of [undefined, [100_000, 150_000] as [number, number]]) {
      const m = b.build(t, opts(), view, 400);
      expect(Math.max(...defined(m.data[1]))).toBe(40);
      expect(m.data[0].length).toBeLessThan(5000);
    }
  });

  it('leaves out values a log axis cannot draw, as gaps', () => {
    const t = synthetic(1, 4, (s) => [1, 0, -1, 2][s]);
    const m = new ChartModelBuilder(metricSpecs(t)[0]).build(t, opts({ logY: true }), undefined, 600);
    expect(m.data[1]).toEqual([1, null, null, 2]);
  });
});
