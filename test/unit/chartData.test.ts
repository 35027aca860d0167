import { describe, expect, it } from 'vitest';
import type { BatchPoint } from '../../src/protocol/trainer';
import type { RunView } from '../../src/protocol/webview';
import { ACC_CHART, buildChartData, LOSS_CHART } from '../../webview-ui/src/chartData';

function run(epochs: number, batchesPerEpoch: number): RunView {
  const batches: BatchPoint[] = [];
  for (let e = 0; e < epochs; e++)
    for (let b = 0; b < batchesPerEpoch; b++) {
      const step = e * batchesPerEpoch + b;
      batches.push({ epoch: e, batch: b, step, time: 1000 + step, metrics: { loss: 2 / (1 + step), acc: step / (epochs * batchesPerEpoch) } });
    }
  return {
    runId: 'r',
    modelFile: '/m.model.ts',
    runDir: '/runs/r',
    batchesPerEpoch,
    layers: [],
    totalParams: 0,
    status: 'running',
    startedAt: 1000,
    batches,
    epochs: Array.from({ length: epochs }, (_, e) => ({
      epoch: e,
      time: 2000 + e,
      metrics: { loss: 1 / (e + 1), acc: 0.5 + e / 10, val_loss: 1.2 / (e + 1), val_accuracy: 0.45 + e / 10 },
    })),
  };
}

describe('buildChartData', () => {
  it('puts each epoch marker at the last step of its epoch, on the shared x axis', () => {
    const { data, batchPoints, hasData } = buildChartData(run(2, 4), LOSS_CHART);
    const [xs, batch, train, val] = data;
    expect(xs).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(batch).toEqual([2, 1, 2 / 3, 0.5, 0.4, 2 / 6, 2 / 7, 0.25]);
    expect(train).toEqual([null, null, null, 1, null, null, null, 0.5]);
    expect(val).toEqual([null, null, null, 1.2, null, null, null, 0.6]);
    expect(batchPoints).toBe(8);
    expect(hasData).toBe(true);
  });

  it('reads acc/accuracy under either tfjs name', () => {
    const [, batch, train, val] = buildChartData(run(1, 2), ACC_CHART).data;
    expect(batch).toEqual([0, 0.5]);
    expect(train).toEqual([null, 0.5]);
    expect(val).toEqual([null, 0.45]);
  });

  it('places an epoch without batch points at its nominal end, merged in order', () => {
    const v = run(1, 3);
    v.epochs.push({ epoch: 1, time: 3000, metrics: { loss: 0.2 } });
    const [xs, batch, train] = buildChartData(v, LOSS_CHART).data;
    expect(xs).toEqual([0, 1, 2, 5]);
    expect(batch[3]).toBeNull();
    expect(train).toEqual([null, null, 1, 0.2]);
  });

  it('downsamples a long run for drawing but keeps every epoch marker', () => {
    const v = run(10, 2000);
    const { data, batchPoints } = buildChartData(v, LOSS_CHART, 5000);
    expect(batchPoints).toBeLessThanOrEqual(5000);
    expect(batchPoints).toBeGreaterThan(4000);
    expect(data[2].filter((y) => y !== null)).toHaveLength(10);
    for (let i = 1; i < data[0].length; i++) expect(data[0][i]).toBeGreaterThan(data[0][i - 1]);
  });

  it('draws NaN losses as gaps and counts only real points', () => {
    const v = run(1, 3);
    (v.batches[1].metrics as Record<string, number | null>).loss = null;
    v.batches[2].metrics.loss = Number.NaN;
    const { data, batchPoints } = buildChartData(v, LOSS_CHART);
    expect(data[1]).toEqual([2, null, null]);
    expect(batchPoints).toBe(1);
  });

  it('reports no data for a model without the metric', () => {
    const v = run(1, 3);
    for (const b of v.batches) delete b.metrics.acc;
    v.epochs = [];
    const { batchPoints, hasData } = buildChartData(v, ACC_CHART);
    expect(batchPoints).toBe(0);
    expect(hasData).toBe(false);
  });
});
