/**
 * Model Lab's side of a `model.fit`: one tfjs callback set that streams and records batch and epoch
 * metrics, obeys stop/pause/"checkpoint now" between batches, writes checkpoints, and applies the
 * Keras-style callbacks of callbacks.ts to the model. Anything that calls fit (the trainer, or a
 * hooked user script) passes `callbacks.tfCallbacks()` and calls `finish()` after fit returns.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type {
  BatchPoint,
  CallbacksConfig,
  CheckpointConfig,
  CheckpointInfo,
  Metrics,
  RunError,
  TrainerToHost,
} from '../protocol/trainer';
import type { MetricLine } from '../protocol/runFolder';
import type { RunWriter } from './runWriter';

/** What the callbacks need of a run folder: where it is, and a synchronous metrics.jsonl append. */
export type MetricsSink = Pick<RunWriter, 'dir' | 'appendMetric' | 'appendHistograms'> & Partial<Pick<RunWriter, 'sync'>>;
import { BestTracker, EarlyStopping, monitorValue, ReduceLROnPlateau, scheduledLr, type EpochLogs } from './callbacks';
import { getLearningRate, saveCheckpoint, setLearningRate } from './checkpoints';
import { weightHistograms } from './weightHistograms';
import type { TrainingControl } from './control';
import { describeNonFinite, nonFiniteWeight } from './nonFinite';
import { msg } from './messages';

type TF = typeof tfTypes;

/** Batch points are sent at most this often; the rest wait in a buffer (nothing is dropped). */
export const BATCH_FLUSH_MS = 50;
/** For yieldMode 'throttled': the event loop gets a turn at most this often. */
export const YIELD_EVERY_MS = 50;

/**
 * How fit lets IPC messages in between batches (bench/yieldStrategy.ts measures them):
 * - every: after each batch our onBatchEnd awaits setImmediate, then reads the control
 * - throttled: the same, but at most every YIELD_EVERY_MS
 * - tfjs: yieldEvery 'batch' (tfjs awaits setImmediate next to our callback, so a message that
 *   arrives during that yield is read only after the following batch)
 */
export type YieldMode = 'every' | 'throttled' | 'tfjs';
export const DEFAULT_YIELD_MODE: YieldMode = 'every';

export interface TrainingCallbacksOptions {
  tf: TF;
  model: tfTypes.LayersModel;
  writer: MetricsSink;
  emit: (m: TrainerToHost) => void;
  control: TrainingControl;
  /** The epoch count fit runs to (tfjs `epochs`: the index after the last epoch). */
  epochs: number;
  /** The first epoch fit runs (tfjs `initialEpoch`; >0 when resuming). */
  initialEpoch: number;
  /** Batches in one epoch; 0 = not known before the first epoch ends (a dataset of unknown size), then learnt from it. */
  batchesPerEpoch: number;
  /**
   * Added to tfjs's epoch numbers in everything recorded and sent: a script's second fit call
   * starts at tfjs epoch 0 but continues the run's numbering. Default 0.
   */
  epochOffset?: number;
  /** The global step of this fit's first batch (a script's later fit continues the run's steps); default initialEpoch × batchesPerEpoch. */
  firstStep?: number;
  callbacks: CallbacksConfig;
  checkpoint: CheckpointConfig;
  /** The learning rate the model file configured, which an lrSchedule starts from. */
  baseLr?: number;
  /** Called for a callback's option that turns out unusable mid-run (a monitor the logs lack). */
  configError: (key: string, message: string) => RunError;
  /** How fit lets the event loop in; see YieldMode. */
  yieldMode?: YieldMode;
}

export interface FitOutcome {
  /** The host asked to stop. */
  stopped: boolean;
  /** Early stopping ended the run before `epochs`. */
  earlyStopped: boolean;
  /** The run must end `failed` (NaN loss, unusable monitor). */
  failure?: RunError;
}

const nowMs = () => performance.now();
/**
 * Two turns of setImmediate: one alone can run in the check phase of the loop iteration the batch
 * ran in, before any poll phase reads the IPC pipe, so a stop sent during a long batch was seen
 * only after the next one. The second runs after a poll phase.
 */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** How often a paused run re-reads a control that cannot wake it (no whenResumed). */
const PAUSE_POLL_MS = 50;

export class TrainingCallbacks {
  readonly outcome: FitOutcome = { stopped: false, earlyStopped: false };
  private readonly o: TrainingCallbacksOptions;
  private readonly log: (level: 'info' | 'warn' | 'error', message: string) => void;
  private readonly earlyStopping?: EarlyStopping;
  private readonly reduceLr?: ReduceLROnPlateau;
  private readonly best: BestTracker;
  private readonly pending: BatchPoint[] = [];
  private lastFlush = 0;
  private lastYield = 0;
  private epoch = 0;
  private batchesThisEpoch = 0;
  private step: number;
  /** Global step of the last batch trained, for checkpoints. */
  private lastStep: number;
  private batchesDone = 0;
  private trainStart = 0;
  /** Time spent paused, which the ETA leaves out. */
  private pausedMs = 0;
  /** When the current batch started (as far as we can tell: when our previous callback returned). */
  private lastMark = 0;
  private bestWeights: tfTypes.Tensor[] | undefined;
  private restoreBestAtEnd = false;
  private warnedNonFinite = false;
  private warnedNonFiniteWeights = false;
  private lastCheckpoint: CheckpointInfo | undefined;
  private readonly epochOffset: number;
  /** opts.batchesPerEpoch, or what the first epoch showed when that was 0. */
  private batchesPerEpoch: number;

  constructor(opts: TrainingCallbacksOptions) {
    this.o = opts;
    this.log = (level, message) => opts.emit({ type: 'log', level, message });
    this.epochOffset = opts.epochOffset ?? 0;
    this.batchesPerEpoch = opts.batchesPerEpoch;
    this.epoch = opts.initialEpoch + this.epochOffset;
    this.step = opts.firstStep ?? opts.initialEpoch * opts.batchesPerEpoch;
    this.lastStep = this.step - 1;
    if (opts.callbacks.earlyStopping) this.earlyStopping = new EarlyStopping(opts.callbacks.earlyStopping);
    if (opts.callbacks.reduceLROnPlateau) this.reduceLr = new ReduceLROnPlateau(opts.callbacks.reduceLROnPlateau);
    this.best = new BestTracker(opts.checkpoint.monitor, opts.checkpoint.mode);
  }

  /** The best value of the checkpoint monitor so far (a resumed run starts from its source's). */
  seedBest(value: number | undefined, epoch: number): void {
    if (value !== undefined) this.best.update(epoch, value);
  }

  /** The epoch in progress (or last run), from 0. */
  get currentEpoch(): number {
    return this.epoch;
  }

  /** The global step the next batch gets. */
  get nextStep(): number {
    return this.step;
  }

  /** Batches per epoch as known now (learnt after the first epoch when it was given as 0). */
  get knownBatchesPerEpoch(): number {
    return this.batchesPerEpoch;
  }

  /** The best checkpoint-monitor value so far, to seed the next fit's tracker (a script's later fit). */
  get bestSoFar(): { monitor: string; value: number; epoch: number } | undefined {
    return this.best.bestEpoch < 0 ? undefined : { monitor: this.best.monitor, value: this.best.best, epoch: this.best.bestEpoch };
  }

  private get yieldMode(): YieldMode {
    return this.o.yieldMode ?? DEFAULT_YIELD_MODE;
  }

  get lr(): number | undefined {
    return getLearningRate(this.o.model.optimizer);
  }

  /** The callbacks to pass to model.fit, with `yieldEvery` to pass next to them. */
  fitArgs(): { callbacks: tfTypes.CustomCallbackArgs; yieldEvery: 'never' | 'batch' } {
    return {
      yieldEvery: this.yieldMode === 'tfjs' ? 'batch' : 'never',
      callbacks: {
        onTrainBegin: async () => {
          this.trainStart = this.lastYield = nowMs();
        },
        onEpochBegin: async (e: number) => this.onEpochBegin(e + this.epochOffset),
        onBatchEnd: async (b: number, logs?: tfTypes.Logs) => this.onBatchEnd(b, logs),
        onEpochEnd: async (e: number, logs?: tfTypes.Logs) => this.onEpochEnd(e + this.epochOffset, logs),
      },
    };
  }

  /** After fit: flushes, saves the stop checkpoint, restores the best weights if early stopping asked to. */
  async finish(): Promise<FitOutcome> {
    this.flush();
    if (this.outcome.stopped && !this.outcome.failure) await this.checkpointLast('stop');
    if (this.restoreBestAtEnd && this.bestWeights && !this.outcome.failure) {
      this.o.model.setWeights(this.bestWeights);
      this.log('info', msg('log.restoredBest', (this.earlyStopping?.bestEpoch ?? 0) + 1, String(this.earlyStopping?.options.monitor)));
    }
    this.dispose();
    return this.outcome;
  }

  /** Frees the best-weights copy; also for a fit that threw. */
  dispose(): void {
    if (this.bestWeights) this.o.tf.dispose(this.bestWeights);
    this.bestWeights = undefined;
  }

  /** Sends buffered batch points now. */
  flush(): void {
    if (this.pending.length === 0) return;
    this.o.emit({ type: 'batches', points: this.pending.splice(0) });
    this.lastFlush = Date.now();
  }

  // ---- per epoch ---------------------------------------------------------------------------------

  private onEpochBegin(e: number): void {
    this.epoch = e;
    this.batchesThisEpoch = 0;
    this.lastMark = nowMs();
    const schedule = this.o.callbacks.lrSchedule;
    if (schedule) {
      const initial = schedule.initialLr ?? this.o.baseLr;
      if (initial !== undefined) setLearningRate(this.o.model.optimizer, scheduledLr(schedule, e - this.epochOffset, initial, this.o.epochs));
    }
  }

  private async onEpochEnd(e: number, rawLogs?: tfTypes.Logs): Promise<void> {
    const metrics = this.pick(rawLogs);
    // Monitors read the raw values: a NaN val_loss is logged (and never an improvement), not missing.
    const values = numericLogs(rawLogs);
    const lr = this.lr;
    const saved: { dir: string; info: CheckpointInfo }[] = [];
    if (!this.outcome.stopped && !this.outcome.failure) this.checkWeights(e);
    // A stopped or NaN-ended epoch is partial: no callbacks, no epoch checkpoint (finish() saves the stop one).
    if (this.batchesPerEpoch === 0 && !this.outcome.stopped && !this.outcome.failure) this.batchesPerEpoch = this.batchesThisEpoch;
    const complete = this.batchesThisEpoch === this.batchesPerEpoch && !this.outcome.stopped && !this.outcome.failure;
    if (complete) {
      const bestValue = this.monitored(values, this.o.checkpoint.monitor, 'config.checkpoint.monitor');
      this.applyEpochCallbacks(e, values, lr);
      if (!this.outcome.failure) {
        saved.push(await this.saveCheckpoint('last', 'epoch', e + 1));
        if (bestValue !== undefined && this.best.update(e, bestValue))
          saved.push(await this.saveCheckpoint('best', 'improved', e + 1, { monitor: this.o.checkpoint.monitor, value: bestValue }));
      }
    }
    // Measured after this epoch's copies and saves, so epoch 1 and epoch N compare like for like.
    const mem = this.o.tf.memory();
    const point = { epoch: e, time: Date.now(), metrics: { ...metrics, ...(lr !== undefined && { lr }), tensors: mem.numTensors, bytes: mem.numBytes } };
    // The line type says metrics sit beside `type`; TS cannot express that mix, hence the cast.
    this.o.writer.appendMetric({ type: 'epoch', epoch: e, time: point.time, ...point.metrics } as MetricLine);
    // Durable at each epoch end: a power cut loses at most the batches of the epoch in progress.
    this.o.writer.sync?.();
    this.flush();
    this.o.emit({ type: 'epoch', point });
    this.recordHistograms(e, point.time);
    for (const s of saved) this.o.emit({ type: 'checkpoint', dir: s.dir, checkpoint: s.info });
  }

  /**
   * A NaN input behind a relu or a clipped loss can make the weights NaN while every batch loss
   * stays finite, so the weights themselves are checked once per epoch, before anything saves them.
   */
  private checkWeights(e: number): void {
    const bad = nonFiniteWeight(this.o.tf, this.o.model);
    if (!bad) return;
    const message = msg('nan.weights', describeNonFinite(bad), e + 1, this.batchesThisEpoch, this.lastStep);
    if (this.o.callbacks.terminateOnNaN) {
      this.outcome.failure = { message };
      this.o.model.stopTraining = true;
      this.log('error', message);
    } else if (!this.warnedNonFiniteWeights) {
      this.warnedNonFiniteWeights = true;
      this.log('warn', message);
    }
  }

  private histogramsFailed = false;

  /** Every weight's histogram at this epoch's end; a failure only warns (once), the run goes on. */
  private recordHistograms(e: number, time: number): void {
    if (this.histogramsFailed) return;
    try {
      const line = weightHistograms(this.o.model, e, time);
      this.o.writer.appendHistograms(line);
      this.o.emit({ type: 'histograms', line });
    } catch (err) {
      this.histogramsFailed = true;
      this.log('warn', msg('log.noHistograms', err instanceof Error ? err.message : String(err)));
    }
  }

  private applyEpochCallbacks(e: number, metrics: EpochLogs, lr: number | undefined): void {
    const es = this.earlyStopping;
    if (es) {
      const value = this.monitored(metrics, es.options.monitor, 'config.callbacks.earlyStopping.monitor');
      if (value !== undefined) {
        const d = es.onEpochEnd(e, value);
        if (d.improved && es.options.restoreBestWeights) {
          if (this.bestWeights) this.o.tf.dispose(this.bestWeights);
          // model.getWeights() hands out the variables themselves: clone to keep this epoch's values.
          this.bestWeights = this.o.model.getWeights().map((w) => w.clone());
        }
        if (d.stop) {
          this.outcome.earlyStopped = true;
          this.restoreBestAtEnd = d.restoreBest;
          this.o.model.stopTraining = true;
          this.log(
            'info',
            msg(es.wait === 1 ? 'log.earlyStopOne' : 'log.earlyStop', e + 1, es.options.monitor, es.wait, fmt(es.best), es.bestEpoch + 1),
          );
        }
      }
    }
    const rl = this.reduceLr;
    if (rl && lr !== undefined) {
      const value = this.monitored(metrics, rl.options.monitor, 'config.callbacks.reduceLROnPlateau.monitor');
      if (value !== undefined) {
        const next = rl.onEpochEnd(e, value, lr);
        if (next !== lr) {
          setLearningRate(this.o.model.optimizer, next);
          this.log('info', msg('log.reduceLr', rl.options.monitor, fmt(lr), fmt(next)));
        }
      }
    }
  }

  /** The monitor's value in the epoch metrics; a monitor the run never logs fails the run, naming the option. */
  private monitored(metrics: EpochLogs, monitor: string, key: string): number | undefined {
    const v = monitorValue(metrics, monitor);
    if (v === undefined && !this.outcome.failure) {
      const have = Object.keys(metrics).join(', ') || 'none';
      this.outcome.failure = this.o.configError(key, `${key} is "${monitor}", which this run does not log (epoch metrics: ${have})`);
      this.o.model.stopTraining = true;
    }
    return v;
  }

  // ---- per batch ---------------------------------------------------------------------------------

  private async onBatchEnd(batch: number, logs?: tfTypes.Logs): Promise<void> {
    const t = nowMs();
    // Includes tfjs's own per-batch work (and validation, on an epoch's last batch).
    const took = t - this.lastMark;
    this.batchesDone++;
    this.batchesThisEpoch++;
    const step = this.step++;
    this.lastStep = step;
    const epoch = this.epoch;

    const loss = logs?.loss;
    if (this.o.callbacks.terminateOnNaN && typeof loss === 'number' && !Number.isFinite(loss) && !this.outcome.failure) {
      this.outcome.failure = {
        message: msg('nan.loss', loss, epoch + 1, batch + 1, step),
      };
      this.o.model.stopTraining = true;
      this.log('error', this.outcome.failure.message);
    }

    const metrics = this.pick(logs);
    const size = typeof logs?.size === 'number' ? logs.size : undefined;
    if (size !== undefined && took > 0) metrics.samples_per_sec = (size * 1000) / took;
    // Average time per batch so far, epoch ends and checkpoints included, pauses not; unknown until the batch count is.
    if (this.batchesPerEpoch > 0) {
      const remaining = (this.o.epochs + this.epochOffset - 1 - epoch) * this.batchesPerEpoch + (this.batchesPerEpoch - 1 - batch);
      const activeMs = t - this.trainStart - this.pausedMs;
      metrics.eta_sec = ((activeMs / this.batchesDone) * Math.max(0, remaining)) / 1000;
    }
    const lr = this.lr;
    if (lr !== undefined) metrics.lr = lr;
    const point: BatchPoint = { epoch, batch, step, time: Date.now(), metrics };
    this.o.writer.appendMetric({ type: 'batch', epoch, batch, step, time: point.time, ...metrics } as MetricLine);
    this.pending.push(point);
    if (point.time - this.lastFlush >= BATCH_FLUSH_MS) this.flush();

    // Let IPC messages in (stop, pause, checkpoint) before reading the control, at most every YIELD_EVERY_MS.
    if (this.yieldMode === 'every' || (this.yieldMode === 'throttled' && t - this.lastYield >= YIELD_EVERY_MS)) {
      await yieldToEventLoop();
      this.lastYield = nowMs();
    }
    await this.obeyControl(batch);
    this.lastMark = nowMs();
  }

  /** Reads the control once after each batch (re-reading only after a pause). */
  private async obeyControl(batch: number): Promise<void> {
    const c = this.o.control;
    if (this.outcome.failure) return;
    let stop = c.stopRequested();
    if (!stop && c.takeCheckpointRequest?.()) await this.checkpointLast('request');
    if (!stop && c.pauseRequested?.()) {
      this.flush();
      const at = { epoch: this.epoch, batch, step: this.lastStep };
      this.o.emit({ type: 'paused', ...at });
      const since = nowMs();
      // Woken by resume, stop or a checkpoint request (a checkpoint can be taken while paused).
      for (;;) {
        await (c.whenResumed ? c.whenResumed() : sleep(PAUSE_POLL_MS));
        stop = c.stopRequested();
        if (stop) break;
        if (c.takeCheckpointRequest?.()) await this.checkpointLast('request');
        if (!c.pauseRequested()) break;
      }
      const pausedMs = nowMs() - since;
      this.pausedMs += pausedMs;
      // A stop while paused ends the run; `end` tells the host the pause is over.
      if (!stop) this.o.emit({ type: 'resumed', ...at, pausedMs: Math.round(pausedMs) });
    }
    if (stop && !this.outcome.stopped) {
      this.outcome.stopped = true;
      this.o.model.stopTraining = true;
      this.log('info', msg('log.stopping', batch + 1, this.epoch + 1));
    }
  }

  // ---- checkpoints -------------------------------------------------------------------------------

  private async checkpointLast(reason: 'request' | 'stop'): Promise<void> {
    // A stop right after an epoch-end checkpoint would save the same weights again.
    if (reason === 'stop' && this.lastCheckpoint?.step === this.lastStep && this.lastCheckpoint.kind === 'last') return;
    const epochDone = this.batchesThisEpoch === this.batchesPerEpoch;
    const s = await this.saveCheckpoint('last', reason, this.epoch + (epochDone ? 1 : 0));
    this.o.emit({ type: 'checkpoint', dir: s.dir, checkpoint: s.info });
  }

  private async saveCheckpoint(
    kind: CheckpointInfo['kind'],
    reason: CheckpointInfo['reason'],
    epochsCompleted: number,
    monitor?: { monitor: string; value: number },
  ): Promise<{ dir: string; info: CheckpointInfo }> {
    const lr = this.lr;
    const info: CheckpointInfo = {
      kind,
      reason,
      epoch: this.epoch,
      step: this.lastStep,
      epochsCompleted,
      ...monitor,
      ...(lr !== undefined && { lr }),
      time: Date.now(),
    };
    const dir = await saveCheckpoint(this.o.tf, this.o.model, this.o.writer.dir, info);
    if (kind === 'last') this.lastCheckpoint = info;
    return { dir, info };
  }

  /** Numeric logs except tfjs's bookkeeping; JSON has no NaN/Infinity, so those are dropped (and said once). */
  private pick(logs: tfTypes.Logs | undefined): Metrics {
    const out: Metrics = {};
    for (const [k, v] of Object.entries(logs ?? {})) {
      if (k === 'batch' || k === 'size' || typeof v !== 'number') continue;
      if (!Number.isFinite(v)) {
        if (!this.warnedNonFinite && !this.outcome.failure)
          this.log('warn', msg('log.metricDiverged', k, String(v), this.epoch + 1));
        this.warnedNonFinite = true;
        continue;
      }
      out[k] = v;
    }
    return out;
  }
}

function numericLogs(logs: tfTypes.Logs | undefined): EpochLogs {
  const out: EpochLogs = {};
  for (const [k, v] of Object.entries(logs ?? {})) if (typeof v === 'number') out[k] = v;
  return out;
}

const fmt = (v: number) => (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? String(Number(v.toPrecision(4))) : v.toExponential(3));
