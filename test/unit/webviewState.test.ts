import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostToWebview } from '../../src/protocol/webview';
import { ChartModelBuilder } from '../../webview-ui/src/chartModel';
import {
  epochTable,
  headerModel,
  initialState,
  metricSpecs,
  savedState,
  shownRun,
  update,
  type PanelState,
} from '../../webview-ui/src/state';

/** A stream recorded from a real `model-lab train --json` run by test/browser/recordStreams.mjs. */
function recorded(name: string): { at: number; msg: HostToWebview }[] {
  return JSON.parse(readFileSync(join(__dirname, '../browser/streams', `${name}.json`), 'utf8')).messages;
}

/** Feeds messages as the host would (JSON round trip, as VS Code's postMessage does). */
function feed(state: PanelState, msgs: unknown[], now = 0): unknown[] {
  const sent: unknown[] = [];
  for (const m of msgs) sent.push(...update(state, { type: 'message', data: JSON.parse(JSON.stringify(m)) }, now));
  return sent;
}

const msgsOf = (name: string): HostToWebview[] => recorded(name).map((r) => r.msg);

describe('webview state: a recorded classifier run', () => {
  const msgs = msgsOf('classifier');
  const state = initialState();
  const sent = feed(state, msgs);
  const track = shownRun(state)!;

  it('folds the snapshot and every delta without asking for a snapshot again', () => {
    expect(sent).toEqual([]);
    expect(state.dropped).toBe(0);
    expect(track.view.status).toBe('completed');
    const batches = msgs.flatMap((m) => (m.type === 'event' && m.event.type === 'batches' ? m.event.points : []));
    expect(track.columns.count).toBe(batches.length);
    expect(Array.from(track.columns.column('loss')!)).toEqual(batches.map((b) => b.metrics.loss));
  });

  it('charts loss and acc, each with its validation series, and nothing else', () => {
    expect(metricSpecs(track).map((s) => [s.id, s.train, s.val])).toEqual([
      ['chart-loss', 'loss', 'val_loss'],
      ['chart-acc', 'acc', 'val_acc'],
    ]);
    expect(metricSpecs(track, true).map((s) => s.id)).toEqual(['chart-loss', 'chart-acc', 'chart-lr', 'chart-samples_per_sec']);
  });

  it('builds the epoch table from the metrics the epochs report', () => {
    const t = epochTable(track);
    expect(t.columns).toEqual(['loss', 'val_loss', 'acc', 'val_acc']);
    const epochs = msgs.flatMap((m) => (m.type === 'event' && m.event.type === 'epoch' ? [m.event.point] : []));
    expect(t.rows.map((r) => r.epoch)).toEqual(epochs.map((e) => e.epoch + 1));
    expect(t.rows[0].values).toEqual([epochs[0].metrics.loss, epochs[0].metrics.val_loss, epochs[0].metrics.acc, epochs[0].metrics.val_acc]);
    expect(t.rows.every((r) => r.partial === undefined)).toBe(true);
  });

  it('shows the finished run: progress full, elapsed frozen at the end', () => {
    const h = headerModel(state, Date.now())!;
    expect(h.status).toBe('completed');
    expect(h.progress).toBe(1);
    expect(h.stop.disabled).toBe(true);
    expect(h.pause.hidden).toBe(true);
    const end = msgs.at(-2)!;
    expect(end.type === 'event' && end.event.type === 'end').toBe(true);
    const endTime = end.type === 'event' && end.event.type === 'end' ? end.event.time! : 0;
    const snap = msgs[0].type === 'snapshot' ? msgs[0].run! : undefined;
    expect(h.elapsedMs).toBe(endTime - snap!.startedAt);
    expect(headerModel(state, Date.now() + 60_000)!.elapsedMs).toBe(h.elapsedMs);
  });
});

describe('webview state: a recorded regressor run', () => {
  const state = initialState();
  feed(state, msgsOf('regressor'));
  const track = shownRun(state)!;

  it('charts loss and mae, no accuracy chart', () => {
    expect(metricSpecs(track).map((s) => s.id)).toEqual(['chart-loss', 'chart-mae']);
    expect(epochTable(track).columns).toEqual(['loss', 'val_loss', 'mae', 'val_mae']);
  });
});

describe('webview state: a recorded run stopped inside its third epoch', () => {
  const state = initialState();
  feed(state, msgsOf('stopped'));
  const track = shownRun(state)!;

  it('marks the last epoch partial with its batch count, the full ones not', () => {
    const rows = epochTable(track).rows;
    expect(rows.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(rows[0].partial).toBeUndefined();
    expect(rows[1].partial).toBeUndefined();
    expect(rows[2].partial).toEqual({ batches: track.spans.get(2)!.count, of: track.view.batchesPerEpoch });
    expect(rows[2].partial!.batches).toBeLessThan(rows[2].partial!.of);
    expect(headerModel(state, 0)!.status).toBe('stopped');
  });
});

describe('webview state: bad and unusual input', () => {
  const msgs = msgsOf('classifier');
  const snapshot = msgs[0] as Extract<HostToWebview, { type: 'snapshot' }>;
  const runId = snapshot.run!.runId;
  const batch = (seq: number, step: number, metrics: Record<string, number | null>) => ({
    type: 'event',
    seq,
    runId,
    event: { type: 'batches', points: [{ epoch: 0, batch: step, step, time: snapshot.run!.startedAt + step, metrics }] },
  });

  it('ignores events before the first snapshot, then follows the snapshot', () => {
    const state = initialState();
    expect(feed(state, [batch(5, 0, { loss: 1 })])).toEqual([]);
    expect(shownRun(state)).toBeUndefined();
    feed(state, [snapshot]);
    expect(shownRun(state)!.columns.count).toBe(0);
  });

  it('drops malformed messages, counts them, and keeps what was valid', () => {
    const state = initialState();
    feed(state, [snapshot, batch(2, 0, { loss: 1 })]);
    feed(state, [null, 'x', { type: 'event', seq: 3, runId, event: { type: 'batches', points: [{ epoch: 'a' }] } }, { type: 'nope', seq: 3 }]);
    expect(state.dropped).toBe(4);
    expect(shownRun(state)!.columns.count).toBe(1);
    // The stream goes on: seq 3 was never applied.
    feed(state, [batch(3, 1, { loss: 0.5 })]);
    expect(Array.from(shownRun(state)!.columns.column('loss')!)).toEqual([1, 0.5]);
  });

  it('ignores a duplicate event and asks for one snapshot on a gap', () => {
    const state = initialState();
    feed(state, [snapshot, batch(2, 0, { loss: 1 })]);
    expect(feed(state, [batch(2, 0, { loss: 1 })])).toEqual([]);
    expect(state.duplicates).toBe(1);
    expect(shownRun(state)!.columns.count).toBe(1);
    // seq 4 after 2: a gap. A burst of further events asks only once.
    expect(feed(state, [batch(4, 2, { loss: 0.3 }), batch(5, 3, { loss: 0.2 })])).toEqual([{ type: 'ready' }]);
    expect(shownRun(state)!.columns.count).toBe(1);
    feed(state, [{ ...snapshot, seq: 10 }]);
    expect(state.awaitingSnapshot).toBe(false);
    feed(state, [batch(11, 0, { loss: 2 })]);
    expect(shownRun(state)!.columns.count).toBe(1);
  });

  it('refuses batch points whose step does not move forward', () => {
    const state = initialState();
    feed(state, [snapshot, batch(2, 5, { loss: 1 }), batch(3, 3, { loss: 9 }), batch(4, 6, { loss: 0.5 })]);
    const t = shownRun(state)!;
    expect(Array.from(t.columns.step.subarray(0, t.columns.count))).toEqual([5, 6]);
    expect(t.droppedBatches).toBe(1);
  });

  it('keeps NaN (null over JSON) and Infinity as gaps, counted, not as values', () => {
    const state = initialState();
    feed(state, [snapshot]);
    // Straight through the structured clone (no JSON): NaN and Infinity arrive as numbers.
    for (const [seq, loss] of [[2, 1], [3, Number.NaN], [4, Number.POSITIVE_INFINITY], [5, 0.5]] as const)
      update(state, { type: 'message', data: batch(seq, seq, { loss }) }, 0);
    feed(state, [batch(6, 6, { loss: null })]);
    const t = shownRun(state)!;
    expect(Array.from(t.columns.column('loss')!)).toEqual([1, Number.NaN, Number.NaN, 0.5, Number.NaN]);
    expect(t.columns.nonFinite.get('loss')).toBe(3);
    expect(state.dropped).toBe(0);
  });

  it('adds a chart for a metric that appears mid-run, earlier batches without a value', () => {
    const state = initialState();
    feed(state, [snapshot, batch(2, 0, { loss: 1 }), batch(3, 1, { loss: 0.8, mse: 0.7 })]);
    const t = shownRun(state)!;
    expect(metricSpecs(t).map((s) => s.id)).toEqual(['chart-loss', 'chart-mse']);
    expect(Array.from(t.columns.column('mse')!)).toEqual([Number.NaN, 0.7]);
  });

  it('shows a run that ended with zero batches as nothing recorded, with its error', () => {
    const state = initialState();
    feed(state, [
      snapshot,
      { type: 'event', seq: 2, runId, event: { type: 'end', status: 'failed', error: { message: 'bad model', file: '/m.ts', line: 3 }, time: snapshot.run!.startedAt + 10 } },
    ]);
    const h = headerModel(state, 0)!;
    expect(h.nothingRecorded).toBe(true);
    expect(h.error).toEqual({ title: 'failed', message: 'bad model', location: '/m.ts:3', details: '', openable: true });
    expect(metricSpecs(shownRun(state)!)).toEqual([]);
    expect(epochTable(shownRun(state)!).rows).toEqual([]);
  });

  it('sends run controls once, naming the run, and waits for their confirmation', () => {
    const state = initialState();
    feed(state, [snapshot]);
    expect(update(state, { type: 'control', command: 'pause' }, 0)).toEqual([{ type: 'pause', runId }]);
    expect(update(state, { type: 'control', command: 'pause' }, 0)).toEqual([]);
    expect(headerModel(state, 0)!.pause).toMatchObject({ disabled: true, label: 'pausing' });
    feed(state, [{ type: 'event', seq: 2, runId, event: { type: 'paused' } }], 1000);
    expect(headerModel(state, 1000)!.pause).toMatchObject({ disabled: false, label: 'resume' });
    expect(update(state, { type: 'control', command: 'pause' }, 0)).toEqual([{ type: 'resume', runId }]);
    expect(update(state, { type: 'control', command: 'checkpoint' }, 5000)).toEqual([{ type: 'checkpoint', runId }]);
    expect(headerModel(state, 5000)!.checkpoint.busy).toBe(true);
    update(state, { type: 'tick' }, 5000 + 14_999);
    expect(headerModel(state, 0)!.checkpoint.busy).toBe(true);
    update(state, { type: 'tick' }, 5000 + 15_000);
    expect(headerModel(state, 0)!.checkpoint.busy).toBe(false);
    expect(update(state, { type: 'control', command: 'stop' }, 0)).toEqual([{ type: 'stop', runId }]);
    expect(headerModel(state, 0)!.status).toBe('stopping');
    // While the batch finishes, the button stays live: pressing it again kills the trainer.
    expect(headerModel(state, 0)!.stop).toEqual({ disabled: false, busy: true });
    expect(update(state, { type: 'control', command: 'stop' }, 0)).toEqual([{ type: 'kill', runId }]);
  });

  it('a Stop from the command palette (host event `stopping`) shows "finishing" and makes the button the kill', () => {
    const state = initialState();
    feed(state, [snapshot, { type: 'event', seq: 2, runId, event: { type: 'stopping' } }]);
    expect(headerModel(state, 0)!.status).toBe('stopping');
    expect(update(state, { type: 'control', command: 'stop' }, 0)).toEqual([{ type: 'kill', runId }]);
  });

  it('the header names what trains the run once the trainer chose (host event `backend`), and a malformed one is dropped', () => {
    const state = initialState();
    feed(state, [snapshot]);
    const before = headerModel(state, 0)!.backend;
    const backend = { name: 'wasm', reason: 'chosen', executor: 'fused', executorReason: '7 layers fused into wasm kernels (relaxed-simd)', simd: 'relaxed-simd', threads: 2, threadsReason: 'threads set to 2' };
    feed(state, [{ type: 'event', seq: 2, runId, event: { type: 'backend', backend } }]);
    expect(headerModel(state, 0)!.backend).toEqual(backend);
    expect(before).not.toEqual(backend);
    feed(state, [{ type: 'event', seq: 3, runId, event: { type: 'backend', backend: { ...backend, executor: 'gpu' } } }]);
    expect(state.dropped).toBe(1);
    expect(headerModel(state, 0)!.backend).toEqual(backend);
  });

  it('stops the elapsed clock while paused', () => {
    const state = initialState();
    const t0 = snapshot.run!.startedAt;
    feed(state, [snapshot], t0);
    expect(headerModel(state, t0 + 10_000)!.elapsedMs).toBe(10_000);
    feed(state, [{ type: 'event', seq: 2, runId, event: { type: 'paused' } }], t0 + 10_000);
    expect(headerModel(state, t0 + 70_000)!.elapsedMs).toBe(10_000);
    expect(headerModel(state, t0 + 70_000)!.etaSec).toBeUndefined();
    feed(state, [{ type: 'event', seq: 3, runId, event: { type: 'resumed' } }], t0 + 70_000);
    expect(headerModel(state, t0 + 75_000)!.elapsedMs).toBe(15_000);
    expect(headerModel(state, t0 + 75_000)!.pausedMs).toBe(60_000);
    // A snapshot after a reload keeps the pauses this webview saw for the same run.
    feed(state, [{ ...snapshot, seq: 4 }], t0 + 80_000);
    expect(headerModel(state, t0 + 80_000)!.elapsedMs).toBe(20_000);
  });

  it('keeps the pauses across a page rebuilt from its saved state (panel hidden and shown)', () => {
    const t0 = snapshot.run!.startedAt;
    const first = initialState();
    feed(first, [snapshot], t0);
    feed(first, [{ type: 'event', seq: 2, runId, event: { type: 'paused' } }], t0 + 10_000);
    feed(first, [{ type: 'event', seq: 3, runId, event: { type: 'resumed' } }], t0 + 40_000);
    const saved = JSON.parse(JSON.stringify(savedState(first)));
    const second = initialState(saved.options, saved);
    feed(second, [{ ...snapshot, seq: 9 }], t0 + 50_000);
    expect(headerModel(second, t0 + 50_000)!.elapsedMs).toBe(20_000);
    // Saved state from elsewhere, or for another run, is ignored.
    const junk = initialState({}, { pauses: { runId, pauses: [{ start: 'x' }] } });
    feed(junk, [snapshot], t0);
    expect(headerModel(junk, t0 + 50_000)!.elapsedMs).toBe(50_000);
    const other = initialState({}, { pauses: { runId: 'another', pauses: [{ start: t0, end: t0 + 30_000 }] } });
    feed(other, [snapshot], t0);
    expect(headerModel(other, t0 + 50_000)!.elapsedMs).toBe(50_000);
  });

  it('starts the clock again from a snapshot taken while paused at the last batch', () => {
    const state = initialState();
    const t0 = snapshot.run!.startedAt;
    const run = { ...snapshot.run!, paused: true, batches: [{ epoch: 0, batch: 0, step: 0, time: t0 + 4000, metrics: { loss: 1 } }] };
    feed(state, [{ ...snapshot, run }], t0 + 9000);
    expect(headerModel(state, t0 + 9000)!.status).toBe('paused');
    expect(headerModel(state, t0 + 9000)!.elapsedMs).toBe(4000);
  });
});

describe('webview state: options', () => {
  it('keeps only valid chart options', () => {
    const state = initialState({ smoothing: 5, xAxis: 'nope' as never, logY: 'yes' as never });
    expect(state.options).toEqual({ smoothing: 0.99, logY: false, xAxis: 'step', normalise: false, extraCharts: false });
    update(state, { type: 'options', options: { smoothing: 0.3, xAxis: 'time', logY: true } }, 0);
    expect(state.options).toMatchObject({ smoothing: 0.3, xAxis: 'time', logY: true });
  });
});

describe('webview state: a live run streaming far more batches than the panel keeps', () => {
  it('keeps its columns bounded, with the spike, the NaN, every epoch’s edges and the last value still drawn', () => {
    const state = initialState();
    const bpe = 5000;
    const view = {
      runId: 'r-long', modelFile: '/w/m.model.ts', runDir: '/w/.modellab/runs/r-long', config: { epochs: 40, batchSize: 8, validationSplit: 0, shuffle: true, dataset: 'mnist' },
      batchesPerEpoch: bpe, layers: [], totalParams: 10, status: 'running', startedAt: 1_000, batches: [], epochs: [],
    };
    feed(state, [{ type: 'snapshot', seq: 1, run: view }]);
    const total = 200_000; // 10 × MAX_VIEW_BATCHES
    const spike = 123_457;
    const nan = 171_003;
    let seq = 1;
    let longest = 0;
    for (let from = 0; from < total; from += 500) {
      const points = [];
      for (let i = from; i < from + 500; i++)
        points.push({ epoch: Math.floor(i / bpe), batch: i % bpe, step: i, time: 2_000 + i, metrics: { loss: i === spike ? 90 : i === nan ? Number.NaN : 1 + Math.sin(i / 300) / 10, ...(i >= 100_000 ? { mae: 0.5 } : {}) } });
      // JSON, as VS Code's postMessage: the NaN arrives as null.
      const sent = feed(state, [{ type: 'event', seq: ++seq, runId: 'r-long', event: { type: 'batches', points } }]);
      expect(sent).toEqual([]);
      longest = Math.max(longest, shownRun(state)!.columns.count);
    }
    const track = shownRun(state)!;
    const c = track.columns;
    // Bounded: never past the threshold (twice what thinning leaves), far below the 200,000 streamed.
    expect(longest).toBeLessThanOrEqual(2 * 20_000);
    expect(c.count).toBeLessThan(total / 4);
    const step = Array.from(c.step.subarray(0, c.count));
    for (let i = 1; i < step.length; i++) expect(step[i]).toBeGreaterThan(step[i - 1]);
    const loss = c.column('loss')!;
    expect(loss[step.indexOf(spike)]).toBe(90);
    expect(Number.isNaN(loss[step.indexOf(nan)])).toBe(true);
    expect(step.at(-1)).toBe(total - 1);
    // The metric that appeared mid-run keeps its values; the counts still say what streamed.
    expect(c.column('mae')![step.indexOf(total - 1)]).toBe(0.5);
    expect(c.finite.get('loss')).toBe(total - 1);
    expect(c.nonFinite.get('loss')).toBe(1);
    // Every epoch keeps its first and last batch, so none reads as cut short.
    for (let e = 0; e < total / bpe; e++) {
      expect(step).toContain(e * bpe);
      expect(step).toContain((e + 1) * bpe - 1);
    }
    expect(headerModel(state, 0)!.batch).toBe(bpe);
    // The chart drawn from the thinned columns still shows the spike and the last point.
    const builder = new ChartModelBuilder(metricSpecs(track)[0]);
    const m = builder.build(track, { ...state.options, smoothing: 0 }, undefined, 400);
    const [xs, raw] = m.data;
    expect(Math.max(...(raw.filter((v) => typeof v === 'number') as number[]))).toBe(90);
    expect(xs.at(-1)).toBe(total - 1);
    expect(raw[xs.indexOf(nan)]).toBeNull();
  });
});
