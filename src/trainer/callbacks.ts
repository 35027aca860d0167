/**
 * Training callbacks with Keras semantics as pure logic: each takes an epoch's logs (plain numbers)
 * and returns a decision; trainingCallbacks.ts applies the decisions to a tfjs model. No tfjs here,
 * so every rule is unit-tested on sequences of logs. Also validates `config.callbacks` and
 * `config.checkpoint` from the model file, naming the key of anything wrong.
 */
import type {
  CallbacksConfig,
  CheckpointConfig,
  EarlyStoppingConfig,
  LrScheduleConfig,
  MonitorMode,
  ReduceLROnPlateauConfig,
} from '../protocol/trainer';
import { msg } from './messages';

export type Direction = 'min' | 'max';
export type EpochLogs = Record<string, number>;

/**
 * `auto` as Keras resolves it: accuracy-like metrics (acc, accuracy, auc, precision, recall,
 * fmeasure) are maximized, everything else (losses, errors) minimized.
 */
export function monitorDirection(monitor: string, mode: MonitorMode): Direction {
  if (mode !== 'auto') return mode;
  const base = monitor.replace(/^val_/, '').toLowerCase();
  return /acc|auc|^precision|^recall|^fmeasure/.test(base) ? 'max' : 'min';
}

/** True when `current` beats `best` by more than `minDelta` in `direction`. */
export function isImprovement(current: number, best: number, direction: Direction, minDelta = 0): boolean {
  return direction === 'min' ? current < best - minDelta : current > best + minDelta;
}

/**
 * The monitored value in an epoch's logs. tfjs logs `acc` for metrics: ['accuracy'] (and Keras
 * users write `val_accuracy`), so each name also finds its twin.
 */
export function monitorValue(logs: EpochLogs, monitor: string): number | undefined {
  if (typeof logs[monitor] === 'number') return logs[monitor];
  const twin = monitor.endsWith('accuracy') ? monitor.replace(/accuracy$/, 'acc') : monitor.endsWith('acc') ? `${monitor}uracy` : undefined;
  return twin !== undefined && typeof logs[twin] === 'number' ? logs[twin] : undefined;
}

/** Tracks the best value of a monitor (checkpoints/best uses it directly). */
export class BestTracker {
  readonly direction: Direction;
  best: number;
  bestEpoch = -1;

  constructor(
    readonly monitor: string,
    mode: MonitorMode,
    private readonly minDelta = 0,
  ) {
    this.direction = monitorDirection(monitor, mode);
    this.best = this.direction === 'min' ? Infinity : -Infinity;
  }

  /** Records `value` for `epoch`; true when it is a new best. NaN is never an improvement. */
  update(epoch: number, value: number): boolean {
    if (!isImprovement(value, this.best, this.direction, this.minDelta)) return false;
    this.best = value;
    this.bestEpoch = epoch;
    return true;
  }
}

export interface EarlyStoppingDecision {
  /** This epoch is the best so far (keep its weights if restoring). */
  improved: boolean;
  /** End training after this epoch. */
  stop: boolean;
  /** When stopping: the best epoch's weights should replace the current ones. */
  restoreBest: boolean;
}

/** Keras EarlyStopping: stop once `patience` epochs in a row did not improve the monitor by more than `minDelta`. */
export class EarlyStopping {
  private readonly tracker: BestTracker;
  /** Epochs since the last improvement. */
  wait = 0;
  stoppedEpoch = -1;

  constructor(readonly options: EarlyStoppingConfig) {
    this.tracker = new BestTracker(options.monitor, options.mode, options.minDelta);
  }

  get direction(): Direction {
    return this.tracker.direction;
  }
  get best(): number {
    return this.tracker.best;
  }
  get bestEpoch(): number {
    return this.tracker.bestEpoch;
  }

  onEpochEnd(epoch: number, value: number): EarlyStoppingDecision {
    const { patience, baseline, restoreBestWeights, minDelta } = this.options;
    this.wait++;
    if (this.tracker.update(epoch, value)) {
      // An improvement that still misses the baseline keeps counting (Keras).
      if (baseline === undefined || isImprovement(value, baseline, this.tracker.direction, minDelta)) this.wait = 0;
      return { improved: true, stop: false, restoreBest: false };
    }
    if (this.wait >= patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      return { improved: false, stop: true, restoreBest: restoreBestWeights && this.tracker.bestEpoch >= 0 };
    }
    return { improved: false, stop: false, restoreBest: false };
  }
}

/** Keras ReduceLROnPlateau: multiply the learning rate by `factor` after `patience` epochs without improvement. */
export class ReduceLROnPlateau {
  private readonly tracker: BestTracker;
  wait = 0;
  cooldownCounter = 0;

  constructor(readonly options: ReduceLROnPlateauConfig) {
    this.tracker = new BestTracker(options.monitor, options.mode, options.minDelta);
  }

  get best(): number {
    return this.tracker.best;
  }

  /** Returns the learning rate to use from the next epoch on (the same `lr` when nothing changes). */
  onEpochEnd(epoch: number, value: number, lr: number): number {
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.wait = 0;
    }
    if (this.tracker.update(epoch, value)) {
      this.wait = 0;
      return lr;
    }
    // As Keras: the cooldown is checked after this epoch's decrement.
    if (this.cooldownCounter > 0) return lr;
    this.wait++;
    if (this.wait < this.options.patience || !(lr > this.options.minLr)) return lr;
    this.wait = 0;
    this.cooldownCounter = this.options.cooldown;
    return Math.max(lr * this.options.factor, this.options.minLr);
  }
}

/**
 * The learning rate a schedule sets for `epoch` (from 0). Warm-up rises linearly to `initialLr`
 * over `warmupEpochs` (epoch 0 gets initialLr/warmupEpochs); the schedule then counts its epochs
 * from the end of the warm-up.
 */
export function scheduledLr(schedule: LrScheduleConfig, epoch: number, initialLr: number, totalEpochs: number): number {
  const warm = schedule.warmupEpochs;
  if (epoch < warm) return (initialLr * (epoch + 1)) / warm;
  const e = epoch - warm;
  switch (schedule.type) {
    case 'step':
      return initialLr * Math.pow(schedule.gamma, Math.floor(e / schedule.stepSize));
    case 'exponential':
      return initialLr * Math.pow(schedule.gamma, e);
    case 'cosine': {
      const span = schedule.epochs ?? Math.max(1, totalEpochs - warm);
      const t = Math.min(e, span) / span;
      return schedule.minLr + ((initialLr - schedule.minLr) * (1 + Math.cos(Math.PI * t))) / 2;
    }
  }
}

// ---- config validation ---------------------------------------------------------------------------

/** A model file option that cannot be used; the message names the key (`config.callbacks.earlyStopping.patience …`). */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v) ?? String(v));

/** Reads one options object, refusing keys it does not know. */
class Options {
  constructor(
    private readonly key: string,
    private readonly obj: Obj,
    known: readonly string[],
  ) {
    for (const k of Object.keys(obj))
      if (!known.includes(k)) throw new ConfigError(`${key}.${k}`, msg('config.notAnOption', `${key}.${k}`, known.join(', ')));
  }

  private bad(k: string, want: string): never {
    throw new ConfigError(`${this.key}.${k}`, msg('config.mustBe', `${this.key}.${k}`, want, show(this.obj[k])));
  }

  num(k: string, dflt: number, test: (v: number) => boolean, want: string): number {
    const v = this.obj[k];
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || !test(v)) this.bad(k, want);
    return v as number;
  }

  optNum(k: string, test: (v: number) => boolean, want: string): number | undefined {
    return this.obj[k] === undefined ? undefined : this.num(k, 0, test, want);
  }

  int(k: string, dflt: number, min: number): number {
    return this.num(k, dflt, (v) => Number.isInteger(v) && v >= min, `a whole number ≥ ${min}`);
  }

  bool(k: string, dflt: boolean): boolean {
    const v = this.obj[k];
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') this.bad(k, msg('want.bool'));
    return v as boolean;
  }

  str(k: string, dflt: string): string {
    const v = this.obj[k];
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || v === '') this.bad(k, 'a metric name such as "val_loss"');
    return v as string;
  }

  mode(k = 'mode'): MonitorMode {
    const v = this.obj[k];
    if (v === undefined) return 'auto';
    if (v !== 'auto' && v !== 'min' && v !== 'max') this.bad(k, '"auto", "min" or "max"');
    return v as MonitorMode;
  }
}

/** `true` means "on with defaults"; false/undefined means off; anything else must be an options object. */
function optionsObject(key: string, v: unknown): Obj | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return {};
  if (!isObj(v)) throw new ConfigError(key, msg('config.optionsOrBool', key, show(v)));
  return v;
}

export interface MonitorContext {
  /** The run holds out validation data, so val_* metrics exist. */
  hasValidation: boolean;
}

/** The default monitor: val_loss, or loss when there is no validation data. */
export const defaultMonitor = (ctx: MonitorContext) => (ctx.hasValidation ? 'val_loss' : 'loss');

function checkMonitor(key: string, monitor: string, ctx: MonitorContext): void {
  if (monitor.startsWith('val_') && !ctx.hasValidation)
    throw new ConfigError(key, msg('config.noValidation', key, monitor, monitor.slice(4)));
}

export function parseCheckpointConfig(raw: unknown, ctx: MonitorContext): CheckpointConfig {
  const key = 'config.checkpoint';
  if (raw !== undefined && !isObj(raw)) throw new ConfigError(key, msg('config.optionsObject', key, show(raw)));
  const o = new Options(key, raw ?? {}, ['monitor', 'mode']);
  const monitor = o.str('monitor', defaultMonitor(ctx));
  checkMonitor(`${key}.monitor`, monitor, ctx);
  return { monitor, mode: o.mode() };
}

const CALLBACK_KEYS = ['earlyStopping', 'reduceLROnPlateau', 'lrSchedule', 'terminateOnNaN'] as const;
const SCHEDULE_KEYS: Record<LrScheduleConfig['type'], string[]> = {
  step: ['stepSize', 'gamma'],
  exponential: ['gamma'],
  cosine: ['epochs', 'minLr'],
};

export function parseCallbacksConfig(raw: unknown, ctx: MonitorContext): CallbacksConfig {
  const key = 'config.callbacks';
  if (raw !== undefined && !isObj(raw)) throw new ConfigError(key, msg('config.optionsObject', key, show(raw)));
  const top = new Options(key, raw ?? {}, CALLBACK_KEYS);
  const obj = (raw ?? {}) as Obj;
  const out: CallbacksConfig = { terminateOnNaN: top.bool('terminateOnNaN', true) };
  const positive = (v: number) => v > 0;
  const nonNegative = (v: number) => v >= 0;

  const es = optionsObject(`${key}.earlyStopping`, obj.earlyStopping);
  if (es) {
    const k = `${key}.earlyStopping`;
    const o = new Options(k, es, ['monitor', 'patience', 'minDelta', 'mode', 'restoreBestWeights', 'baseline']);
    const monitor = o.str('monitor', defaultMonitor(ctx));
    checkMonitor(`${k}.monitor`, monitor, ctx);
    const baseline = o.optNum('baseline', () => true, 'a number');
    out.earlyStopping = {
      monitor,
      patience: o.int('patience', 0, 0),
      minDelta: Math.abs(o.num('minDelta', 0, () => true, 'a number')), // Keras takes its absolute value too
      mode: o.mode(),
      restoreBestWeights: o.bool('restoreBestWeights', false),
      ...(baseline !== undefined && { baseline }),
    };
  }

  const rl = optionsObject(`${key}.reduceLROnPlateau`, obj.reduceLROnPlateau);
  if (rl) {
    const k = `${key}.reduceLROnPlateau`;
    const o = new Options(k, rl, ['monitor', 'factor', 'patience', 'minDelta', 'mode', 'cooldown', 'minLr']);
    const monitor = o.str('monitor', defaultMonitor(ctx));
    checkMonitor(`${k}.monitor`, monitor, ctx);
    out.reduceLROnPlateau = {
      monitor,
      factor: o.num('factor', 0.1, (v) => v > 0 && v < 1, 'a number between 0 and 1 (exclusive)'),
      patience: o.int('patience', 10, 0),
      minDelta: Math.abs(o.num('minDelta', 1e-4, () => true, 'a number')),
      mode: o.mode(),
      cooldown: o.int('cooldown', 0, 0),
      minLr: o.num('minLr', 0, nonNegative, 'a number ≥ 0'),
    };
  }

  if (obj.lrSchedule !== undefined) {
    const k = `${key}.lrSchedule`;
    if (!isObj(obj.lrSchedule)) throw new ConfigError(k, msg('config.lrScheduleObject', k, show(obj.lrSchedule)));
    const type = obj.lrSchedule.type;
    if (type !== 'step' && type !== 'exponential' && type !== 'cosine')
      throw new ConfigError(`${k}.type`, msg('config.lrScheduleType', `${k}.type`, show(type)));
    const o = new Options(k, obj.lrSchedule, ['type', 'initialLr', 'warmupEpochs', ...SCHEDULE_KEYS[type]]);
    const common = {
      warmupEpochs: o.int('warmupEpochs', 0, 0),
      ...(obj.lrSchedule.initialLr !== undefined && { initialLr: o.num('initialLr', 0, positive, 'a number > 0') }),
    };
    if (type === 'step') {
      out.lrSchedule = { ...common, type, stepSize: o.int('stepSize', 10, 1), gamma: o.num('gamma', 0.1, positive, 'a number > 0') };
    } else if (type === 'exponential') {
      out.lrSchedule = { ...common, type, gamma: o.num('gamma', 0.95, positive, 'a number > 0') };
    } else {
      const epochs = obj.lrSchedule.epochs === undefined ? undefined : o.int('epochs', 1, 1);
      out.lrSchedule = { ...common, type, minLr: o.num('minLr', 0, nonNegative, 'a number ≥ 0'), ...(epochs !== undefined && { epochs }) };
    }
    if (out.reduceLROnPlateau)
      throw new ConfigError(k, msg('config.twoSchedules', k, `${key}.reduceLROnPlateau`));
  }
  return out;
}
