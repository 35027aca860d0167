/**
 * The run-control and evaluation parts of the host <-> webview protocol: Pause/Resume/Checkpoint
 * commands, the paused/resumed/checkpoint/eval events, and the check that an eval.json made by the
 * trainer's own evaluateModel (real MNIST, real model) is drawable while broken ones are refused.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDatasetPreview } from '../../src/protocol/datasetPreview';
import type { EvalReport } from '../../src/protocol/evalReport';
import {
  applyRunEvent,
  isDrawableEvalReport,
  parseHostToWebview,
  parseWebviewToHost,
  type CheckpointEntry,
  type RunView,
} from '../../src/protocol/webview';
import { loadDataset } from '../../src/trainer/data/datasets';
import { evaluateModel } from '../../src/trainer/evaluate';

const RUN = '20261128-190501-mnist-cnn';

function newRun(): RunView {
  return {
    runId: RUN,
    modelFile: '/ws/mnist-cnn.model.ts',
    runDir: `/ws/.modellab/runs/${RUN}`,
    batchesPerEpoch: 3,
    layers: [],
    totalParams: 0,
    status: 'running',
    startedAt: 1,
    batches: [],
    epochs: [],
  };
}

const checkpoint = (kind: 'last' | 'best', epoch: number, extra: Partial<CheckpointEntry> = {}): CheckpointEntry => ({
  kind,
  reason: kind === 'best' ? 'improved' : 'epoch',
  epoch,
  step: epoch * 3 + 2,
  epochsCompleted: epoch + 1,
  time: 1000 + epoch,
  dir: `/ws/.modellab/runs/${RUN}/checkpoints/${kind}`,
  ...extra,
});

let report: EvalReport;
let autoencoderReport: EvalReport;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const ds = loadDataset(tf, 'mnist', { limit: 64 });
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  report = await evaluateModel(tf, model, { xs: ds.xs, ys: ds.ys, description: '64 MNIST digits' });
  const ae = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 784, activation: 'sigmoid' }), tf.layers.reshape({ targetShape: [28, 28, 1] })] });
  autoencoderReport = await evaluateModel(tf, ae, { xs: ds.xs, ys: ds.xs, description: '64 MNIST digits as their own targets' });
  // Through JSON, as eval.json and postMessage carry it.
  report = JSON.parse(JSON.stringify(report));
  autoencoderReport = JSON.parse(JSON.stringify(autoencoderReport));
  tf.dispose([ds.xs, ds.ys]);
  model.dispose();
  ae.dispose();
}, 60_000);

describe('run-control commands from the webview', () => {
  it('accepts pause, resume and checkpoint naming a run (or the unnamed run in progress)', () => {
    for (const type of ['pause', 'resume', 'checkpoint'] as const) {
      expect(parseWebviewToHost({ type, runId: RUN })).toEqual({ type, runId: RUN });
      expect(parseWebviewToHost({ type, runId: '' })).toEqual({ type, runId: '' });
    }
  });

  it('refuses them without a run id, with a wrong one, or unknown commands', () => {
    expect(parseWebviewToHost({ type: 'pause' })).toBeUndefined();
    expect(parseWebviewToHost({ type: 'resume', runId: 7 })).toBeUndefined();
    expect(parseWebviewToHost({ type: 'checkpoint', runId: 'x'.repeat(500) })).toBeUndefined();
    expect(parseWebviewToHost({ type: 'explode', runId: RUN })).toBeUndefined();
    expect(parseWebviewToHost({ type: 'kill' })).toBeUndefined();
    // The second Stop while a batch finishes.
    expect(parseWebviewToHost({ type: 'kill', runId: RUN })).toEqual({ type: 'kill', runId: RUN });
  });
});

describe('paused, resumed and checkpoint events', () => {
  it('fold into the view: paused until resumed, latest checkpoint per kind, not paused after the end', () => {
    const v = newRun();
    applyRunEvent(v, { type: 'paused' });
    expect(v.paused).toBe(true);
    applyRunEvent(v, { type: 'checkpoint', checkpoint: checkpoint('last', 0) });
    applyRunEvent(v, { type: 'checkpoint', checkpoint: checkpoint('best', 0, { monitor: 'val_loss', value: 0.3 }) });
    applyRunEvent(v, { type: 'checkpoint', checkpoint: checkpoint('last', 1, { reason: 'request' }) });
    expect(v.checkpoints?.last?.epoch).toBe(1);
    expect(v.checkpoints?.last?.reason).toBe('request');
    expect(v.checkpoints?.best).toMatchObject({ epoch: 0, monitor: 'val_loss', value: 0.3 });
    applyRunEvent(v, { type: 'resumed' });
    expect(v.paused).toBe(false);
    applyRunEvent(v, { type: 'paused' });
    applyRunEvent(v, { type: 'end', status: 'stopped', time: 5 });
    expect(v.paused).toBe(false);
    expect(v.status).toBe('stopped');
  });

  it('pass the webview check, and malformed ones do not', () => {
    const ev = (event: unknown) => parseHostToWebview({ type: 'event', seq: 3, runId: RUN, event });
    expect(ev({ type: 'paused' })).toBeDefined();
    expect(ev({ type: 'resumed' })).toBeDefined();
    expect(ev({ type: 'checkpoint', checkpoint: checkpoint('best', 2, { monitor: 'val_acc', value: 0.9 }) })).toBeDefined();
    expect(ev({ type: 'checkpoint', checkpoint: { ...checkpoint('last', 2), dir: undefined } })).toBeUndefined();
    expect(ev({ type: 'checkpoint', checkpoint: { ...checkpoint('last', 2), kind: 'first' } })).toBeUndefined();
    expect(ev({ type: 'checkpoint', checkpoint: { ...checkpoint('last', 2), epoch: '2' } })).toBeUndefined();
  });

  it('a snapshot carries paused state and checkpoints', () => {
    const v = { ...newRun(), paused: true, checkpoints: { last: checkpoint('last', 0) } };
    expect(parseHostToWebview({ type: 'snapshot', seq: 1, run: v })).toBeDefined();
    expect(parseHostToWebview({ type: 'snapshot', seq: 1, run: { ...v, paused: 'yes' } })).toBeUndefined();
    expect(parseHostToWebview({ type: 'snapshot', seq: 1, run: { ...v, checkpoints: { last: { kind: 'last' } } } })).toBeUndefined();
  });
});

describe('evaluation reports in the view', () => {
  it("a report from the trainer's evaluateModel is drawable: classifier and autoencoder", () => {
    expect(report.outputs[0].kind).toBe('classification');
    expect(isDrawableEvalReport(report)).toBe(true);
    expect(autoencoderReport.outputs[0].kind).toBe('autoencoder');
    expect(isDrawableEvalReport(autoencoderReport)).toBe(true);
    const v = applyRunEvent(newRun(), { type: 'eval', report });
    expect(v.evalReport).toBe(report);
    expect(parseHostToWebview({ type: 'event', seq: 2, runId: RUN, event: { type: 'eval', report } })).toBeDefined();
    expect(parseHostToWebview({ type: 'snapshot', seq: 2, run: { ...newRun(), status: 'completed', evalReport: report } })).toBeDefined();
  });

  it('refuses reports the panel would half-draw', () => {
    const broken = (mutate: (o: Record<string, unknown>) => void): unknown => {
      const copy = JSON.parse(JSON.stringify(report));
      mutate(copy.outputs[0]);
      return copy;
    };
    expect(isDrawableEvalReport(broken((o) => (o.confusion as number[][]).pop()))).toBe(false);
    expect(isDrawableEvalReport(broken((o) => ((o.confusion as number[][])[0] = [1, 2])))).toBe(false);
    expect(isDrawableEvalReport(broken((o) => (o.classNames = ['a'])))).toBe(false);
    expect(isDrawableEvalReport(broken((o) => ((o.samples as { input: { pixels: number[] } }[])[0].input.pixels.length = 3)))).toBe(false);
    expect(isDrawableEvalReport(broken((o) => (o.kind = 'ranking')))).toBe(false);
    expect(isDrawableEvalReport({ ...report, schema: 2 })).toBe(false);
    const ae = JSON.parse(JSON.stringify(autoencoderReport));
    ae.outputs[0].errorHistogram.edges = [0];
    expect(isDrawableEvalReport(ae)).toBe(false);
    expect(parseHostToWebview({ type: 'event', seq: 2, runId: RUN, event: { type: 'eval', report: { schema: 1 } } })).toBeUndefined();
  });
});

describe('dataset previews in a snapshot', () => {
  const preview = {
    schema: 1,
    modelFile: '/ws/iris.model.ts',
    dataset: 'iris',
    description: 'Iris',
    kind: 'tabular',
    count: 2,
    xShape: [2, 1],
    yShape: [2, 3],
    classBalance: [{ name: 'setosa', count: 2 }],
    table: { columns: ['x0', 'label'], rows: [[5.1, 'setosa']], stats: [{ name: 'x0', type: 'numeric', min: 5.1, max: 5.1, mean: 5.1, std: 0 }], note: '' },
  };

  it('accepts a snapshot with a preview and refuses one with a malformed preview', () => {
    expect(parseDatasetPreview(preview)).toBeDefined();
    expect(parseHostToWebview({ type: 'snapshot', seq: 1, run: null, preview })).toBeDefined();
    expect(parseHostToWebview({ type: 'snapshot', seq: 1, run: null, preview: { ...preview, kind: 'audio' } })).toBeUndefined();
    expect(parseHostToWebview({ type: 'snapshot', seq: 1, run: null, preview: { ...preview, images: [{ label: '1', input: { kind: 'image', width: 2, height: 2, channels: 1, pixels: [0] } }] } })).toBeUndefined();
    expect(parseHostToWebview({ type: 'snapshot', seq: 1, run: null, preview: { ...preview, table: { ...preview.table, rows: [[{}]] } } })).toBeUndefined();
  });
});
