import { describe, expect, it } from 'vitest';
import type { BatchPoint, EpochPoint } from '../../src/protocol/trainer';
import {
  applyRunEvent,
  parseHostToWebview,
  parseWebviewToHost,
  type HostToWebview,
  type RunEvent,
  type RunView,
} from '../../src/protocol/webview';

const T0 = Date.UTC(2026, 10, 28, 19, 5, 1);

function newRun(): RunView {
  return {
    runId: '20261128-190501-mnist-cnn',
    modelFile: '/ws/examples/mnist-cnn.model.ts',
    runDir: '/ws/.modellab/runs/20261128-190501-mnist-cnn',
    backend: { name: 'wasm', reason: '@tensorflow/tfjs-node did not load: no prebuilt binary for this Node' },
    config: { epochs: 2, batchSize: 64, validationSplit: 0.15, shuffle: true, dataset: 'mnist' },
    batchesPerEpoch: 3,
    layers: [
      { name: 'conv2d_1', className: 'Conv2D', outputShape: [null, 26, 26, 8], params: 80 },
      { name: 'flatten_1', className: 'Flatten', outputShape: [null, 5408], params: 0 },
      { name: 'dense_1', className: 'Dense', outputShape: [null, 10], params: 54090 },
    ],
    totalParams: 54170,
    status: 'running',
    startedAt: T0,
    batches: [],
    epochs: [],
  };
}

const batch = (epoch: number, b: number, loss: number, acc: number): BatchPoint => ({
  epoch,
  batch: b,
  step: epoch * 3 + b,
  time: T0 + 1000 * (epoch * 3 + b + 1),
  metrics: { loss, acc },
});
const epochPoint = (epoch: number, m: Record<string, number>): EpochPoint => ({ epoch, time: T0 + 3000 * (epoch + 1) + 500, metrics: m });

describe('parseWebviewToHost', () => {
  it('accepts ready and stop', () => {
    expect(parseWebviewToHost({ type: 'ready' })).toEqual({ type: 'ready' });
    expect(parseWebviewToHost({ type: 'stop', runId: 'r1' })).toEqual({ type: 'stop', runId: 'r1' });
    // The pending run, before the trainer names it, can be stopped too.
    expect(parseWebviewToHost({ type: 'stop', runId: '' })).toEqual({ type: 'stop', runId: '' });
  });

  it('keeps only the known fields', () => {
    expect(parseWebviewToHost({ type: 'stop', runId: 'r1', extra: { evil: true } })).toEqual({ type: 'stop', runId: 'r1' });
  });

  it('rejects malformed messages', () => {
    for (const bad of [
      null,
      undefined,
      'ready',
      42,
      [],
      [{ type: 'ready' }],
      {},
      { type: 'READY' },
      { type: 'train' },
      { type: 'stop' },
      { type: 'stop', runId: 7 },
      { type: 'stop', runId: 'x'.repeat(500) },
    ])
      expect(parseWebviewToHost(bad), JSON.stringify(bad)).toBeUndefined();
  });
});

describe('parseHostToWebview', () => {
  const run = (): RunView => {
    const v = newRun();
    v.batches.push(batch(0, 0, 2.3, 0.1));
    return v;
  };

  it('accepts snapshots of a run, of no run, and the three kinds of event', () => {
    const good: HostToWebview[] = [
      { type: 'snapshot', seq: 1, run: null },
      { type: 'snapshot', seq: 1, run: run() },
      { type: 'event', seq: 2, runId: 'r', event: { type: 'batches', points: [batch(0, 1, 2.1, 0.2)] } },
      { type: 'event', seq: 3, runId: 'r', event: { type: 'epoch', point: epochPoint(0, { loss: 1, val_loss: 1.1 }) } },
      { type: 'event', seq: 4, runId: 'r', event: { type: 'end', status: 'completed', time: T0 + 9000 } },
      {
        type: 'event',
        seq: 5,
        runId: 'r',
        event: { type: 'end', status: 'failed', error: { message: 'Shapes [null,10] and [null,3] differ', file: '/ws/a.ts', line: 3 } },
      },
    ];
    for (const msg of good) expect(parseHostToWebview(msg), JSON.stringify(msg)).toEqual(msg);
  });

  it('accepts a NaN loss that JSON turned into null', () => {
    const msg = JSON.parse(
      JSON.stringify({ type: 'event', seq: 2, runId: 'r', event: { type: 'batches', points: [batch(0, 1, Number.NaN, 0.1)] } }),
    );
    expect(msg.event.points[0].metrics.loss).toBeNull();
    const parsed = parseHostToWebview(msg) as { event: { points: { metrics: Record<string, number> }[] } };
    expect(parsed.event.points[0].metrics.loss).toBeNaN();
    expect(parsed.event.points[0].metrics.acc).toBe(0.1);
  });

  it('accepts NaN and Infinity straight from a structured clone', () => {
    const msg = { type: 'event', seq: 2, runId: 'r', event: { type: 'batches', points: [batch(0, 1, Number.POSITIVE_INFINITY, Number.NaN)] } };
    const parsed = parseHostToWebview(msg) as { event: { points: { metrics: Record<string, number> }[] } };
    expect(parsed.event.points[0].metrics.loss).toBe(Number.POSITIVE_INFINITY);
    expect(parsed.event.points[0].metrics.acc).toBeNaN();
  });

  it('rejects wrong types, missing fields and unknown types', () => {
    const withRun = (patch: Record<string, unknown>): unknown => ({ type: 'snapshot', seq: 1, run: { ...run(), ...patch } });
    const withoutRunField = (field: keyof RunView): unknown => {
      const r: Record<string, unknown> = { ...run() };
      delete r[field];
      return { type: 'snapshot', seq: 1, run: r };
    };
    const event = (e: unknown, extra: Record<string, unknown> = {}): unknown => ({ type: 'event', seq: 2, runId: 'r', event: e, ...extra });
    const bad: unknown[] = [
      null,
      'snapshot',
      { type: 'snapshot', run: null }, // no seq
      { type: 'snapshot', seq: '1', run: null },
      { type: 'snapshot', seq: 1.5, run: null },
      { type: 'snapshot', seq: 1 }, // no run
      { type: 'snapshot', seq: 1, run: 'run' },
      withoutRunField('runId'),
      withoutRunField('batches'),
      withoutRunField('layers'),
      withoutRunField('startedAt'),
      withRun({ status: 'exploded' }),
      withRun({ batchesPerEpoch: '3' }),
      withRun({ batches: [{ epoch: 0, batch: 0, step: 0, time: 1, metrics: { loss: 'low' } }] }),
      withRun({ batches: [{ epoch: 0, batch: 0, time: 1, metrics: {} }] }),
      withRun({ epochs: [{ epoch: 0, metrics: {} }] }),
      withRun({ layers: [{ name: 'd', className: 'Dense', outputShape: 'x', params: 1 }] }),
      withRun({ backend: { name: 'wasm' } }),
      withRun({ error: { file: 'a.ts' } }),
      event({ type: 'batches' }),
      event({ type: 'batches', points: [{ epoch: 0 }] }),
      event({ type: 'epoch', point: { epoch: 0, time: 1 } }),
      event({ type: 'end', status: 'running' }),
      event({ type: 'end', status: 'finished' }),
      event({ type: 'end', status: 'failed', error: 'boom' }),
      event({ type: 'end', status: 'failed', error: { message: 'x', line: '3' } }),
      event({ type: 'explode' }),
      event({ type: 'epoch', point: epochPoint(0, {}) }, { runId: 3 }),
      { type: 'event', seq: 2, event: { type: 'end', status: 'completed' } },
      { type: 'progress', seq: 2, runId: 'r' },
    ];
    for (const msg of bad) expect(parseHostToWebview(msg), JSON.stringify(msg)).toBeUndefined();
  });
});

describe('applyRunEvent', () => {
  it('folds a run from its first batch to a failure', () => {
    const view = newRun();
    const events: RunEvent[] = [
      { type: 'batches', points: [batch(0, 0, 2.31, 0.09), batch(0, 1, 1.92, 0.35)] },
      { type: 'batches', points: [batch(0, 2, 1.41, 0.58)] },
      { type: 'epoch', point: epochPoint(0, { loss: 1.88, acc: 0.34, val_loss: 1.2, val_acc: 0.66 }) },
      { type: 'batches', points: [batch(1, 0, 0.95, 0.71)] },
      {
        type: 'end',
        status: 'failed',
        time: T0 + 4200,
        error: { message: 'mnist-cnn.model.ts:12: Error when checking target', file: '/ws/examples/mnist-cnn.model.ts', line: 12 },
      },
    ];
    let out = view;
    for (const e of events) out = applyRunEvent(out, e);
    expect(out).toBe(view); // mutated in place, cheap while streaming
    expect(view.batches.map((b) => b.step)).toEqual([0, 1, 2, 3]);
    expect(view.batches.map((b) => b.metrics.loss)).toEqual([2.31, 1.92, 1.41, 0.95]);
    expect(view.epochs).toHaveLength(1);
    expect(view.epochs[0].metrics.val_acc).toBe(0.66);
    expect(view.status).toBe('failed');
    expect(view.endedAt).toBe(T0 + 4200);
    expect(view.error?.line).toBe(12);
  });

  it('ends a stopped run without an error and keeps what it had', () => {
    const view = applyRunEvent(newRun(), { type: 'batches', points: [batch(0, 0, 2.3, 0.1)] });
    applyRunEvent(view, { type: 'end', status: 'stopped' });
    expect(view.status).toBe('stopped');
    expect(view.error).toBeUndefined();
    expect(view.endedAt).toBeUndefined();
    expect(view.batches).toHaveLength(1);
  });
});

describe('parseTrainerToHost', () => {
  it('keeps a batch whose loss went NaN over Node IPC (JSON: null) instead of dropping the message', async () => {
    const { parseTrainerToHost } = await import('../../src/protocol/trainer');
    const msg = JSON.parse(JSON.stringify({ type: 'batches', points: [batch(0, 3, Number.NaN, 0.2)] }));
    const parsed = parseTrainerToHost(msg) as { points: { metrics: Record<string, number> }[] } | undefined;
    expect(parsed?.points[0].metrics.loss).toBeNaN();
    expect(parsed?.points[0].metrics.acc).toBe(0.2);
  });
});
