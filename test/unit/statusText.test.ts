// The status bar text of a run, built from a real recorded run folder's data shape: the epoch,
// loss and time left while training (from the pace of the last batches), the headline metric when
// done, and the tooltip's details.
import { describe, expect, it } from 'vitest';
import type { BatchPoint } from '../../src/protocol/trainer';
import type { RunView } from '../../src/protocol/webview';
import { formatShortDuration as formatDuration } from '../../src/protocol/format';
import { etaMs, headlineMetric, statusText } from '../../src/views/statusText';

function run(over: Partial<RunView> = {}): RunView {
  const batches: BatchPoint[] = [];
  // 10 batches per epoch, one every 200 ms, 1.5 epochs done.
  for (let step = 0; step < 15; step++)
    batches.push({ epoch: Math.floor(step / 10), batch: step % 10, step, time: 1_000_000 + step * 200, metrics: { loss: 2 - step * 0.1 } });
  return {
    runId: '20261201-0800-cnn',
    modelFile: '/w/models/cnn.model.ts',
    runDir: '/w/.modellab/runs/20261201-0800-cnn',
    batchesPerEpoch: 10,
    layers: [],
    totalParams: 0,
    status: 'running',
    startedAt: 1_000_000 - 500,
    batches,
    epochs: [{ epoch: 0, time: 1_002_000, metrics: { loss: 1.5, acc: 0.6, val_loss: 1.4, val_acc: 0.62 } }],
    config: { epochs: 3 } as RunView['config'],
    backend: { name: 'wasm' } as RunView['backend'],
    ...over,
  };
}

describe('statusText', () => {
  it('while training: epoch, loss and the time left at the current pace', () => {
    // 15 of 30 batches done at 200 ms each: 3 s left.
    expect(etaMs(run())).toBe(3000);
    expect(statusText(run(), 1_003_000).text).toBe('$(sync~spin) epoch 2/3 · loss 0.6000 · 3s left');
  });

  it('paused: says so and gives no time left', () => {
    expect(statusText(run({ paused: true }), 1_003_000).text).toBe('$(debug-pause) Paused · epoch 2/3 · loss 0.6000');
  });

  it('after Stop: says the batch in progress is finishing, no time left', () => {
    expect(statusText(run({ stopping: true }), 1_003_000).text).toBe('$(loading~spin) finishing batch… · epoch 2/3 · loss 0.6000');
  });

  it('done: the headline metric of the last epoch, validation accuracy first', () => {
    const done = run({ status: 'completed', endedAt: 1_010_000 });
    expect(headlineMetric(done)).toEqual({ name: 'val_acc', value: 0.62 });
    expect(statusText(done, 2_000_000).text).toBe('$(check) Model Lab: completed · val_acc 0.6200');
    const regressor = run({ status: 'stopped', epochs: [{ epoch: 0, time: 0, metrics: { loss: 0.25, mae: 0.4 } }] });
    expect(statusText(regressor, 0).text).toBe('$(debug-stop) Model Lab: stopped · loss 0.2500');
  });

  it('the tooltip lists file, run, backend, epoch, batch and the elapsed time (stopped at the end)', () => {
    const t = statusText(run({ status: 'completed', endedAt: 1_000_000 + 65_000 }), 9_999_999).tooltip;
    expect(t).toContain('| File | `cnn.model.ts` |');
    expect(t).toContain('| Run | `20261201-0800-cnn` |');
    expect(t).toContain('| Backend | `wasm` |');
    expect(t).toContain('| Epoch | `2/3` |');
    expect(t).toContain('| Batch | `5/10` |');
    expect(t).toContain('| Elapsed | `1m 06s` |');
    // Once the trainer said what trains the steps (its `executor` message folded into the run's backend).
    const fused = run({ backend: { name: 'wasm', reason: 'chosen', executor: 'fused', threads: 2 } });
    expect(statusText(fused, 1_003_000).tooltip).toContain('| Backend | `wasm · fused · 2 threads` |');
    expect(statusText(run({ backend: { name: 'wasm', reason: 'chosen', executor: 'tfjs', threads: 1 } }), 1_003_000).tooltip).toContain('| Backend | `wasm · tfjs fit` |');
  });

  it('no pace yet, or an unknown total: no time left', () => {
    expect(etaMs(run({ batches: run().batches.slice(0, 1) }))).toBeUndefined();
    expect(etaMs(run({ batchesPerEpoch: 0 }))).toBeUndefined();
  });

  it('formats durations', () => {
    expect([formatDuration(12_400), formatDuration(245_000), formatDuration(3_720_000)]).toEqual(['12s', '4m 05s', '1h 02m']);
    expect([formatDuration(12_400, 'zh-cn'), formatDuration(245_000, 'zh-cn'), formatDuration(3_720_000, 'zh-CN')]).toEqual(['12秒', '4分05秒', '1小时02分']);
  });
});
