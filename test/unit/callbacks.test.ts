// The Keras-style callback rules as pure logic: sequences of epoch values in, decisions out.
import { describe, expect, test } from 'vitest';
import type { EarlyStoppingConfig, ReduceLROnPlateauConfig } from '../../src/protocol/trainer';
import {
  BestTracker,
  ConfigError,
  EarlyStopping,
  monitorDirection,
  monitorValue,
  parseCallbacksConfig,
  parseCheckpointConfig,
  ReduceLROnPlateau,
  scheduledLr,
} from '../../src/trainer/callbacks';

const es = (o: Partial<EarlyStoppingConfig>) =>
  new EarlyStopping({ monitor: 'val_loss', patience: 0, minDelta: 0, mode: 'auto', restoreBestWeights: false, ...o });

/** Feeds values epoch by epoch; returns the epoch at which it said stop (or -1). */
function stopEpoch(cb: EarlyStopping, values: number[]): number {
  for (let e = 0; e < values.length; e++) if (cb.onEpochEnd(e, values[e]).stop) return e;
  return -1;
}

describe('monitor direction (mode auto, as Keras)', () => {
  test.each([
    ['val_loss', 'min'],
    ['loss', 'min'],
    ['val_mae', 'min'],
    ['acc', 'max'],
    ['val_acc', 'max'],
    ['val_accuracy', 'max'],
    ['categoricalAccuracy', 'max'],
    ['val_auc', 'max'],
    ['precision', 'max'],
  ] as const)('%s -> %s', (monitor, dir) => {
    expect(monitorDirection(monitor, 'auto')).toBe(dir);
  });

  test('an explicit mode wins', () => {
    expect(monitorDirection('val_acc', 'min')).toBe('min');
    expect(monitorDirection('val_loss', 'max')).toBe('max');
  });

  test('accuracy names find their tfjs twin in the logs', () => {
    expect(monitorValue({ val_acc: 0.9 }, 'val_accuracy')).toBe(0.9);
    expect(monitorValue({ accuracy: 0.8 }, 'acc')).toBe(0.8);
    expect(monitorValue({ loss: 1 }, 'val_loss')).toBeUndefined();
    expect(monitorValue({ val_loss: Number.NaN }, 'val_loss')).toBeNaN();
  });
});

describe('EarlyStopping', () => {
  test('patience counts epochs without improvement; the count restarts on an improvement', () => {
    const cb = es({ patience: 2 });
    expect(stopEpoch(cb, [1.0, 0.9, 0.95, 0.85, 0.9, 0.91, 0.5])).toBe(5);
    expect(cb.best).toBe(0.85);
    expect(cb.bestEpoch).toBe(3);
    expect(cb.wait).toBe(2);
  });

  test('patience 0 stops at the first epoch that does not improve, but never at epoch 0', () => {
    expect(stopEpoch(es({ patience: 0 }), [1, 0.5, 0.6])).toBe(2);
    expect(stopEpoch(es({ patience: 0 }), [Number.NaN, 1])).toBe(-1); // epoch 1 improves on nothing-yet
  });

  test('minDelta: smaller gains than minDelta do not count', () => {
    expect(stopEpoch(es({ patience: 1, minDelta: 0.1 }), [1.0, 0.95, 0.92])).toBe(1);
    expect(stopEpoch(es({ patience: 1, minDelta: 0.1 }), [1.0, 0.85, 0.7, 0.65])).toBe(3);
    // exactly minDelta is not more than minDelta
    expect(stopEpoch(es({ patience: 1, minDelta: 0.25 }), [1.0, 0.75])).toBe(1);
  });

  test('mode auto maximizes accuracy', () => {
    const cb = es({ monitor: 'val_acc', patience: 1 });
    expect(stopEpoch(cb, [0.5, 0.6, 0.7, 0.65])).toBe(3);
    expect(cb.best).toBe(0.7);
    expect(cb.direction).toBe('max');
  });

  test('a NaN value is never an improvement', () => {
    expect(stopEpoch(es({ patience: 1 }), [1, Number.NaN])).toBe(1);
  });

  test('baseline: improvements that miss the baseline keep counting', () => {
    expect(stopEpoch(es({ patience: 2, baseline: 0.5 }), [0.8, 0.7, 0.75])).toBe(2);
    expect(stopEpoch(es({ patience: 2 }), [0.8, 0.7, 0.75])).toBe(-1);
  });

  test('restoreBest is asked for when stopping with restoreBestWeights', () => {
    const cb = es({ patience: 1, restoreBestWeights: true });
    expect(cb.onEpochEnd(0, 1)).toEqual({ improved: true, stop: false, restoreBest: false });
    expect(cb.onEpochEnd(1, 2)).toEqual({ improved: false, stop: true, restoreBest: true });
    const noRestore = es({ patience: 0 });
    noRestore.onEpochEnd(0, 1);
    expect(noRestore.onEpochEnd(1, 2)).toEqual({ improved: false, stop: true, restoreBest: false });
  });
});

describe('ReduceLROnPlateau', () => {
  const rl = (o: Partial<ReduceLROnPlateauConfig>) =>
    new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 2, minDelta: 0, mode: 'auto', cooldown: 0, minLr: 0, ...o });
  const lrs = (cb: ReduceLROnPlateau, values: number[], lr = 1) =>
    values.map((v, e) => {
      lr = cb.onEpochEnd(e, v, lr);
      return lr;
    });

  test('reduces after `patience` epochs without improvement, then counts again', () => {
    expect(lrs(rl({}), [1, 1, 1, 1, 1, 1])).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25]);
  });

  test('an improvement resets the count', () => {
    expect(lrs(rl({}), [1, 1, 0.9, 1, 1])).toEqual([1, 1, 1, 1, 0.5]);
  });

  test('cooldown: after a reduction, counting starts again only once the cooldown is over (Keras)', () => {
    // cooldown 2: reduce at epoch 2; epoch 3 is in cooldown; epochs 4, 5 count -> reduce at 5
    expect(lrs(rl({ cooldown: 2 }), [1, 1, 1, 1, 1, 1, 1])).toEqual([1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]);
  });

  test('minLr is a floor', () => {
    expect(lrs(rl({ factor: 0.1, patience: 1, minLr: 0.05 }), [1, 1, 1, 1], 1)).toEqual([1, 0.1, 0.05, 0.05]);
  });

  test('minDelta (default 1e-4 in Keras) ignores tiny gains', () => {
    expect(lrs(rl({ patience: 1, minDelta: 1e-4 }), [1, 0.99995])).toEqual([1, 0.5]);
    expect(lrs(rl({ patience: 1, minDelta: 1e-4 }), [1, 0.999])).toEqual([1, 1]);
  });

  test('mode max for accuracy', () => {
    expect(lrs(rl({ monitor: 'val_acc', patience: 1 }), [0.5, 0.6, 0.55])).toEqual([1, 1, 0.5]);
  });
});

describe('learning-rate schedules', () => {
  const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 10));

  test('step: multiply by gamma every stepSize epochs', () => {
    const s = { type: 'step', stepSize: 2, gamma: 0.5, warmupEpochs: 0 } as const;
    close([0, 1, 2, 3, 4].map((e) => scheduledLr(s, e, 0.1, 5)), [0.1, 0.1, 0.05, 0.05, 0.025]);
  });

  test('exponential: gamma^epoch', () => {
    const s = { type: 'exponential', gamma: 0.9, warmupEpochs: 0 } as const;
    close([0, 1, 3].map((e) => scheduledLr(s, e, 0.1, 5)), [0.1, 0.09, 0.0729]);
  });

  test('cosine: from initialLr down to minLr over `epochs`, then stays there', () => {
    const s = { type: 'cosine', epochs: 10, minLr: 0.001, warmupEpochs: 0 } as const;
    close([0, 5, 10, 12].map((e) => scheduledLr(s, e, 0.1, 20)), [0.1, 0.0505, 0.001, 0.001]);
    // without `epochs`, over the whole run
    close([0, 2, 4].map((e) => scheduledLr({ type: 'cosine', minLr: 0, warmupEpochs: 0 }, e, 0.1, 4)), [0.1, 0.05, 0]);
  });

  test('warm-up rises linearly to initialLr, then the schedule starts at its epoch 0', () => {
    const s = { type: 'cosine', minLr: 0, warmupEpochs: 2 } as const;
    // 12 epochs: 2 of warm-up, then a cosine over the remaining 10
    close([0, 1, 2, 7, 12].map((e) => scheduledLr(s, e, 0.1, 12)), [0.05, 0.1, 0.1, 0.05, 0]);
    close([0, 1, 2].map((e) => scheduledLr({ type: 'step', stepSize: 1, gamma: 0.5, warmupEpochs: 1 }, e, 0.1, 3)), [0.1, 0.1, 0.05]);
  });
});

describe('BestTracker', () => {
  test('keeps the best value and epoch by direction', () => {
    const t = new BestTracker('val_loss', 'auto');
    expect([0.5, 0.4, 0.45, Number.NaN, 0.3].map((v, e) => t.update(e, v))).toEqual([true, true, false, false, true]);
    expect([t.best, t.bestEpoch]).toEqual([0.3, 4]);
  });
});

describe('config.callbacks and config.checkpoint', () => {
  const withVal = { hasValidation: true };
  const noVal = { hasValidation: false };
  const message = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('did not throw');
  };

  test('defaults: terminateOnNaN on, nothing else', () => {
    expect(parseCallbacksConfig(undefined, withVal)).toEqual({ terminateOnNaN: true });
    expect(parseCheckpointConfig(undefined, withVal)).toEqual({ monitor: 'val_loss', mode: 'auto' });
    expect(parseCheckpointConfig(undefined, noVal)).toEqual({ monitor: 'loss', mode: 'auto' });
  });

  test('`true` turns a callback on with Keras defaults; the monitor falls back to loss without validation', () => {
    expect(parseCallbacksConfig({ earlyStopping: true, reduceLROnPlateau: true }, noVal)).toEqual({
      terminateOnNaN: true,
      earlyStopping: { monitor: 'loss', patience: 0, minDelta: 0, mode: 'auto', restoreBestWeights: false },
      reduceLROnPlateau: { monitor: 'loss', factor: 0.1, patience: 10, minDelta: 1e-4, mode: 'auto', cooldown: 0, minLr: 0 },
    });
  });

  test('full options are kept', () => {
    const c = parseCallbacksConfig(
      {
        earlyStopping: { monitor: 'val_acc', patience: 3, minDelta: -0.01, mode: 'max', restoreBestWeights: true, baseline: 0.5 },
        lrSchedule: { type: 'cosine', initialLr: 0.01, warmupEpochs: 2, epochs: 20, minLr: 1e-5 },
        terminateOnNaN: false,
      },
      withVal,
    );
    expect(c).toEqual({
      terminateOnNaN: false,
      earlyStopping: { monitor: 'val_acc', patience: 3, minDelta: 0.01, mode: 'max', restoreBestWeights: true, baseline: 0.5 },
      lrSchedule: { type: 'cosine', initialLr: 0.01, warmupEpochs: 2, epochs: 20, minLr: 1e-5 },
    });
  });

  test.each([
    [{ earlyStopping: { patience: -1 } }, 'config.callbacks.earlyStopping.patience must be a whole number ≥ 0 (got -1)'],
    [{ earlyStopping: { patiance: 2 } }, 'config.callbacks.earlyStopping.patiance is not an option (options: monitor, patience, minDelta, mode, restoreBestWeights, baseline)'],
    [{ earlyStopping: { mode: 'up' } }, 'config.callbacks.earlyStopping.mode must be "auto", "min" or "max" (got "up")'],
    [{ earlyStopping: 3 }, 'config.callbacks.earlyStopping must be an options object, true or false (got 3)'],
    [{ reduceLROnPlateau: { factor: 1 } }, 'config.callbacks.reduceLROnPlateau.factor must be a number between 0 and 1 (exclusive) (got 1)'],
    [{ reduceLROnPlateau: { minLr: -1 } }, 'config.callbacks.reduceLROnPlateau.minLr must be a number ≥ 0 (got -1)'],
    [{ lrSchedule: { type: 'linear' } }, 'config.callbacks.lrSchedule.type must be "step", "exponential" or "cosine" (got "linear")'],
    [{ lrSchedule: { type: 'step', stepSize: 0 } }, 'config.callbacks.lrSchedule.stepSize must be a whole number ≥ 1 (got 0)'],
    [{ lrSchedule: { type: 'exponential', minLr: 0 } }, 'config.callbacks.lrSchedule.minLr is not an option (options: type, initialLr, warmupEpochs, gamma)'],
    [{ lrSchedule: { type: 'cosine', initialLr: Number.NaN } }, 'config.callbacks.lrSchedule.initialLr must be a number > 0 (got NaN)'],
    [{ terminateOnNaN: 'yes' }, 'config.callbacks.terminateOnNaN must be true or false (got "yes")'],
    [{ earlyStop: true }, 'config.callbacks.earlyStop is not an option (options: earlyStopping, reduceLROnPlateau, lrSchedule, terminateOnNaN)'],
    [
      { lrSchedule: { type: 'step' }, reduceLROnPlateau: true },
      'config.callbacks.lrSchedule and config.callbacks.reduceLROnPlateau both set the learning rate each epoch: use one of them',
    ],
  ])('%j is refused naming the key', (raw, msg) => {
    expect(message(() => parseCallbacksConfig(raw, withVal))).toBe(msg);
  });

  test('a val_ monitor without validation data is refused, naming the key', () => {
    expect(message(() => parseCallbacksConfig({ earlyStopping: { monitor: 'val_loss' } }, noVal))).toBe(
      'config.callbacks.earlyStopping.monitor is "val_loss", but the run has no validation data (validationSplit is 0): monitor "loss" or set validationSplit',
    );
    expect(message(() => parseCheckpointConfig({ monitor: 'val_acc' }, noVal))).toMatch(/^config\.checkpoint\.monitor is "val_acc", but/);
    expect(message(() => parseCheckpointConfig({ monitor: 'loss', every: 2 }, noVal))).toBe('config.checkpoint.every is not an option (options: monitor, mode)');
  });
});
