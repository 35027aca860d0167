import { describe, expect, it } from 'vitest';
import {
  keyAction,
  keyActions,
  KEYS_HINT,
  formatEndLine,
  formatEpochSummary,
  formatFailureLine,
  formatProgressLine,
  isProgressCheckpoint,
  orderMetricNames,
  ProgressTracker,
  type ProgressState,
} from '../../src/cli/progress';
import { formatDuration, formatMetric } from '../../src/protocol/format';
import type { BatchPoint } from '../../src/protocol/trainer';

const full: ProgressState = {
  epoch: 1,
  epochs: 2,
  batch: 50,
  batchesPerEpoch: 133,
  loss: 0.43211,
  acc: 0.875,
  samplesPerSec: 812.4,
  etaMs: 12_400,
};

describe('formatDuration', () => {
  it('writes m:ss, h:mm:ss, and --:-- when unknown', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(12_400)).toBe('0:12');
    expect(formatDuration(62_000)).toBe('1:02');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(undefined)).toBe('--:--');
    expect(formatDuration(Infinity)).toBe('--:--');
    expect(formatDuration(-5)).toBe('--:--');
  });
});

describe('formatMetric', () => {
  it('keeps values short whatever their size', () => {
    expect(formatMetric(0.43211)).toBe('0.4321');
    expect(formatMetric(2.5)).toBe('2.5000');
    expect(formatMetric(123.456)).toBe('123.5');
    expect(formatMetric(123456)).toBe('1.23e+5');
    expect(formatMetric(0.00001234)).toBe('1.23e-5');
    expect(formatMetric(0)).toBe('0.0000');
    expect(formatMetric(NaN)).toBe('NaN');
  });
});

describe('formatProgressLine', () => {
  it('shows epoch, bar, batch, loss, acc, samples/s and ETA on a wide terminal', () => {
    expect(formatProgressLine(full, 120)).toBe(
      'epoch 1/2 [###########...................]  50/133 loss 0.4321 acc 0.8750 812 samples/s ETA 0:12',
    );
  });

  it('never reaches the last column, so the \\r redraw never wraps', () => {
    for (let cols = 1; cols <= 160; cols++) expect(formatProgressLine(full, cols).length).toBeLessThan(Math.max(2, cols));
  });

  it('drops the bar first, then samples/s, acc and ETA, keeping epoch, batch and loss longest', () => {
    const at = (cols: number) => formatProgressLine(full, cols);
    expect(at(80)).toContain('[');
    expect(at(70)).toBe('epoch 1/2  50/133 loss 0.4321 acc 0.8750 812 samples/s ETA 0:12');
    expect(at(60)).toBe('epoch 1/2  50/133 loss 0.4321 acc 0.8750 ETA 0:12');
    expect(at(45)).toBe('epoch 1/2  50/133 loss 0.4321 ETA 0:12');
    expect(at(35)).toBe('epoch 1/2  50/133 loss 0.4321');
    expect(at(20)).toBe('epoch 1/2  50/133');
    expect(at(8)).toBe('epoch 1');
  });

  it('leaves out what is not known yet', () => {
    const line = formatProgressLine({ epoch: 1, epochs: 3, batch: 1, batchesPerEpoch: 10 }, 120);
    expect(line).toMatch(/^epoch 1\/3 \[#+\.+\]  1\/10 ETA --:--$/);
  });
});

describe('formatEpochSummary', () => {
  it('lists training metrics, then validation metrics, then the duration', () => {
    expect(formatEpochSummary(1, 2, { val_acc: 0.94, acc: 0.91, val_loss: 0.2011, loss: 0.30123 }, 12_345)).toBe(
      'epoch 1/2  loss 0.3012  acc 0.9100  val_loss 0.2011  val_acc 0.9400  (12.3 s)',
    );
    expect(orderMetricNames(['val_mse', 'mse', 'val_loss', 'loss', 'val_accuracy', 'accuracy'])).toEqual([
      'loss',
      'accuracy',
      'mse',
      'val_loss',
      'val_accuracy',
      'val_mse',
    ]);
  });
});

describe('end and failure lines', () => {
  it('says how the run ended and where it is', () => {
    expect(formatEndLine('completed', '.modellab/runs/r1')).toBe('Training completed. Run saved in .modellab/runs/r1');
    expect(formatEndLine('crashed', undefined)).toBe('Trainer crashed.');
  });

  it('keeps the trainer message on one line and adds the location when it is missing', () => {
    expect(formatFailureLine('failed', { message: 'bad.model.ts:4:10: Expected "}"', file: '/w/bad.model.ts', line: 4 })).toBe(
      'model-lab: training failed: /w/bad.model.ts:4:10: Expected "}"',
    );
    expect(formatFailureLine('failed', { message: 'createModel is\nnot exported', file: '/w/m.ts', line: 1, column: 2 }, (f) => f.slice(3))).toBe(
      'model-lab: training failed: m.ts:1:2: createModel is not exported',
    );
    expect(formatFailureLine('crashed', undefined)).toBe('model-lab: trainer crashed: the run ended crashed');
  });

  it('puts the location first even when the trainer wrote it at the end, shown as the caller shows paths', () => {
    const error = {
      message: 'createModel() failed: Negative dimension size caused by adding layer conv2d with input shape [,12,12,8] (kern.model.ts:7:9)',
      file: '/w/models/kern.model.ts',
      line: 7,
    };
    expect(formatFailureLine('failed', error, (f) => f.replace('/w/', ''))).toBe(
      'model-lab: training failed: models/kern.model.ts:7:9: createModel() failed: Negative dimension size caused by adding layer conv2d with input shape [,12,12,8]',
    );
    expect(formatFailureLine('failed', { message: 'kern.model.ts:7:9: boom', file: '/w/models/kern.model.ts', line: 7 }, (f) => f.replace('/w/', ''))).toBe(
      'model-lab: training failed: models/kern.model.ts:7:9: boom',
    );
  });
});

describe('ProgressTracker', () => {
  const point = (epoch: number, batch: number, time: number, loss = 1): BatchPoint => ({
    epoch,
    batch,
    step: epoch * 10 + batch,
    time,
    metrics: { loss, acc: 0.5 },
  });

  it('measures speed and ETA from the trainer’s batch timestamps', () => {
    const t = new ProgressTracker(20);
    t.onRun({ config: { epochs: 2, batchSize: 50 }, batchesPerEpoch: 10 }, 0);
    expect(t.state()).toBeUndefined();
    // A slow first batch (setup), then 100 ms per batch.
    t.onBatches([point(0, 0, 2000)]);
    expect(t.state()).toMatchObject({ epoch: 1, batch: 1, samplesPerSec: undefined, etaMs: undefined });
    t.onBatches([point(0, 1, 2100), point(0, 2, 2200), point(0, 3, 2300, 0.7)]);
    const s = t.state()!;
    expect(s).toMatchObject({ epoch: 1, epochs: 2, batch: 4, batchesPerEpoch: 10, loss: 0.7, acc: 0.5 });
    expect(s.samplesPerSec).toBeCloseTo(500);
    expect(s.etaMs).toBeCloseTo(16 * 100); // 20 batches in all, 4 done
  });

  it('forgets the previous epoch’s pace (validation time) and the oldest batches beyond its window', () => {
    const t = new ProgressTracker(2);
    t.onRun({ config: { epochs: 2, batchSize: 10 }, batchesPerEpoch: 10 }, 0);
    t.onBatches([point(0, 8, 1000), point(0, 9, 2000)]);
    expect(t.onEpoch({ epoch: 0, time: 5000, metrics: { loss: 1 } })).toBe(5000);
    t.onBatches([point(1, 0, 5100), point(1, 1, 5200), point(1, 2, 5300), point(1, 3, 5400)]);
    const s = t.state()!;
    expect(s.epoch).toBe(2);
    expect(s.samplesPerSec).toBeCloseTo(100);
    expect(s.etaMs).toBeCloseTo(6 * 100);
    expect(t.onEpoch({ epoch: 1, time: 6500, metrics: { loss: 1 } })).toBe(1500);
  });
});

describe('isProgressCheckpoint', () => {
  it('prints at most three lines per epoch without a TTY, whatever the batch count', () => {
    for (const total of [1, 2, 3, 7, 133, 1000]) {
      let shown = 0;
      for (let b = 1; b <= total; b++) if (isProgressCheckpoint(b - 1, b, total)) shown++;
      expect(shown).toBeLessThanOrEqual(3);
      if (total >= 4) expect(shown).toBe(3);
    }
  });

  it('prints once when several batches arrive together across a checkpoint', () => {
    expect(isProgressCheckpoint(20, 40, 100)).toBe(true);
    expect(isProgressCheckpoint(26, 40, 100)).toBe(false);
    expect(isProgressCheckpoint(90, 100, 100)).toBe(false);
  });
});

describe('run control keys', () => {
  it('maps p to pause/resume, c to checkpoint, s and q to stop, Ctrl-C to interrupt, and ignores the rest', () => {
    expect(keyAction('p')).toBe('pauseResume');
    expect(keyAction('P')).toBe('pauseResume');
    expect(keyAction('c')).toBe('checkpoint');
    expect(keyAction('s')).toBe('stop');
    expect(keyAction('q')).toBe('stop');
    expect(keyAction('Q')).toBe('stop');
    expect(keyAction('\x03')).toBe('interrupt');
    for (const k of ['x', ' ', '\r', '\n', '\x1b', '1']) expect(keyAction(k), JSON.stringify(k)).toBeUndefined();
  });
  it('reads every key of a chunk (raw mode may deliver several, a pipe delivers lines)', () => {
    expect(keyActions('pc\n')).toEqual(['pauseResume', 'checkpoint']);
    expect(keyActions('\x1b[A')).toEqual([]);
    expect(keyActions('')).toEqual([]);
  });
  it('the hint names each key', () => {
    for (const k of ['p pause/resume', 'c checkpoint now', 's or q stop', 'Ctrl-C']) expect(KEYS_HINT).toContain(k);
  });
});
