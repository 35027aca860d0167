/**
 * The host <-> trainer boundary: messages over the Node IPC channel of the forked trainer process,
 * and the records the trainer writes to a run folder. Imports nothing from `vscode` or the DOM so the
 * extension host, the trainer child and the CLI all share it.
 */
import type { DatasetSpec } from '../trainer/data/datasetSpecTypes';

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export type RunMode = 'train' | 'script';
export const RUN_MODES: readonly RunMode[] = ['train', 'script'];

export type RunStatus = 'running' | 'completed' | 'stopped' | 'failed' | 'crashed';
export const END_STATUSES = ['completed', 'stopped', 'failed', 'crashed'] as const;
export type EndStatus = (typeof END_STATUSES)[number];

/** Metric values under their tfjs names: loss, acc, val_loss, val_acc, … */
export type Metrics = Record<string, number>;

/** Where a failure points in the user's code, when it can be told. */
export interface RunError {
  /** One line a user can act on; names the file and line or both shapes where known. */
  message: string;
  file?: string;
  line?: number;
  column?: number;
  /** Longer detail (stack mapped to the user's sources). */
  details?: string;
}

/** What the host (or CLI) asks the trainer to run. */
export interface RunSpec {
  /** Absolute path of the model file (.ts, .js, .mjs, .cjs). */
  modelFile: string;
  /** Absolute path of the runs folder (`<workspace>/.modellab/runs`). */
  runsDir: string;
  backend: BackendChoice;
  /** The workspace folder: its node_modules are searched first for @tensorflow/tfjs-node. */
  workspaceDir?: string;
  /** Values that override the model file's `config`. */
  overrides?: { epochs?: number; batchSize?: number; validationSplit?: number; limit?: number };
  /** Optional fixed run id (tests); otherwise the trainer makes one from the time and file name. */
  runId?: string;
  /**
   * Continue a saved run: its folder, or its run id under `runsDir`. Training starts from that run's
   * `checkpoints/last` (weights and optimizer state) at the next epoch, in a new run folder.
   */
  resumeFrom?: string;
  /**
   * 'train' (default): modelFile follows the model file contract. 'script': modelFile is an ordinary
   * tfjs script run unmodified (`model-lab run`); its fit calls are recorded.
   */
  mode?: RunMode;
}

/** How a monitored metric counts as better: `auto` = max for accuracy-like names, else min (as Keras). */
export type MonitorMode = 'auto' | 'min' | 'max';

/** `config.checkpoint`: which metric picks `checkpoints/best`. */
export interface CheckpointConfig {
  monitor: string;
  mode: MonitorMode;
}

export interface EarlyStoppingConfig {
  monitor: string;
  /** Epochs without improvement before stopping. */
  patience: number;
  /** Smallest change that counts as an improvement. */
  minDelta: number;
  mode: MonitorMode;
  /** Copy the best epoch's weights back into the model when early stopping ends the run. */
  restoreBestWeights: boolean;
  /** Training stops unless the monitor beats this within `patience` epochs. */
  baseline?: number;
}

export interface ReduceLROnPlateauConfig {
  monitor: string;
  /** New lr = lr * factor (0 < factor < 1). */
  factor: number;
  patience: number;
  minDelta: number;
  mode: MonitorMode;
  /** Epochs to wait after a reduction before counting again. */
  cooldown: number;
  minLr: number;
}

export type LrScheduleConfig = {
  /** Default: the optimizer's learning rate when training starts. */
  initialLr?: number;
  /** Epochs of linear warm-up to initialLr before the schedule starts (default 0). */
  warmupEpochs: number;
} & (
  | { type: 'step'; /** Epochs between drops. */ stepSize: number; gamma: number }
  | { type: 'exponential'; gamma: number }
  | { type: 'cosine'; /** Epochs the cosine takes to reach minLr (default: the epochs after warm-up). */ epochs?: number; minLr: number }
);

/** `config.callbacks` after validation and defaults. */
export interface CallbacksConfig {
  earlyStopping?: EarlyStoppingConfig;
  reduceLROnPlateau?: ReduceLROnPlateauConfig;
  lrSchedule?: LrScheduleConfig;
  /** End the run `failed` at the first batch whose loss is NaN or ±Infinity (default true). */
  terminateOnNaN: boolean;
}

/** checkpoints/<kind>/checkpoint.json, and what the `checkpoint` message reports. */
export interface CheckpointInfo {
  kind: 'last' | 'best';
  /** epoch = an epoch ended; request = "checkpoint now"; stop = the run was stopped; improved = a new best. */
  reason: 'epoch' | 'request' | 'stop' | 'improved';
  /** The epoch (from 0) whose training the weights include, finished or not. */
  epoch: number;
  /** Global step of the last batch the weights include (-1: none). */
  step: number;
  /** Whole epochs the weights include: a resumed run starts at this epoch. */
  epochsCompleted: number;
  /** The metric that chose a best checkpoint, and its value. */
  monitor?: string;
  value?: number;
  /** The learning rate at the time, so a resumed run continues with it. */
  lr?: number;
  /** ms since the Unix epoch. */
  time: number;
}

/** The training config after defaults and overrides, as recorded in run.json. */
export interface ResolvedConfig {
  epochs: number;
  batchSize: number;
  validationSplit: number;
  shuffle: boolean;
  /** A built-in name or an object spec (paths made absolute); show it with describeDatasetSpec. */
  dataset: DatasetSpec;
  /** Samples taken from the dataset (undefined = all). */
  limit?: number;
  /** Present when the model file sets `config.checkpoint`. */
  checkpoint?: CheckpointConfig;
  /** Present when the model file sets `config.callbacks`. */
  callbacks?: CallbacksConfig;
}

export interface BackendInfo {
  /** The tfjs backend actually in use: 'tensorflow' | 'wasm' | 'cpu'. */
  name: 'tensorflow' | 'wasm' | 'cpu';
  /** Why this backend was chosen, in a sentence. */
  reason: string;
  /** What ran the training steps: Model Lab's fused wasm executor or tfjs's own fit (absent: tfjs, before it existed). */
  executor?: 'fused' | 'tfjs';
  /** Why that executor, in a sentence (for tfjs: what the fused executor does not cover). */
  executorReason?: string;
  /** The fused executor's WebAssembly build: plain SIMD or relaxed SIMD (fused multiply-add). */
  simd?: 'simd128' | 'relaxed-simd';
}

export interface Versions {
  tfjs: string;
  node: string;
  modelLab: string;
}

export interface LayerSummary {
  name: string;
  className: string;
  outputShape: (number | null)[] | (number | null)[][];
  params: number;
}

/** One batch's metrics, as streamed and as stored in metrics.jsonl. */
export interface BatchPoint {
  epoch: number;
  /** Batch index within the epoch, from 0. */
  batch: number;
  /** Global batch index across the run, from 0. */
  step: number;
  /** ms since the Unix epoch. */
  time: number;
  metrics: Metrics;
}

export interface EpochPoint {
  epoch: number;
  time: number;
  metrics: Metrics;
}

/**
 * Values the trainer adds next to the model's metrics, in batch points (samples_per_sec, eta_sec,
 * lr) and epoch points (lr, tensors, bytes), live and in metrics.jsonl. Views that list "the model's
 * metrics" skip these.
 */
export const RUN_STAT_KEYS: readonly string[] = ['samples_per_sec', 'eta_sec', 'lr', 'tensors', 'bytes'];

/** Host -> trainer. */
export type HostToTrainer =
  /** Host sends once, first: what to run. */
  | { type: 'start'; spec: RunSpec }
  /** Host sends to end the run after the current batch; a checkpoint and the model are saved and the run ends `stopped`. */
  | { type: 'stop' }
  /** Host sends to hold training after the current batch until `resume` (or `stop`); the trainer answers `paused`. */
  | { type: 'pause' }
  /** Host sends to continue a paused run; the trainer answers `resumed`. */
  | { type: 'resume' }
  /** Host sends for "checkpoint now": checkpoints/last is saved after the current batch and reported by `checkpoint`. */
  | { type: 'checkpoint' };

/**
 * Optional timing marks (bench/firstBatch.ts): ms since the trainer process started
 * (`performance.now()`), plus `timeOrigin` (ms since the Unix epoch of that start) so the host can
 * line them up with its own clock. Numbers only; absent marks were not taken.
 */
export type Timings = Record<string, number>;

/** Trainer -> host. */
export type TrainerToHost =
  /** Trainer sends once the backend is up, before anything else about the run. */
  | { type: 'ready'; backend: BackendInfo; versions: Versions; timings?: Timings }
  /** Trainer sends as soon as the run folder exists, before the model file loads, so a crash from here on is recorded in it. */
  | { type: 'started'; runId: string; runDir: string }
  /** Trainer sends when the run folder exists and training is about to begin. */
  | {
      type: 'run';
      runId: string;
      runDir: string;
      modelFile: string;
      config: ResolvedConfig;
      batchesPerEpoch: number;
      layers: LayerSummary[];
      totalParams: number;
      timings?: Timings;
    }
  /** Trainer sends batch metrics, several coalesced in one message. */
  | { type: 'batches'; points: BatchPoint[] }
  /** Trainer sends at the end of each epoch with train and validation metrics. */
  | { type: 'epoch'; point: EpochPoint }
  /** Trainer sends when training has halted after a batch (answer to `pause`). */
  | { type: 'paused'; epoch: number; batch: number; step: number }
  /** Trainer sends when a paused run continues; `pausedMs` is how long it was held. */
  | { type: 'resumed'; epoch: number; batch: number; step: number; pausedMs: number }
  /** Trainer sends after writing a checkpoint folder (`dir`, absolute) atomically. */
  | { type: 'checkpoint'; dir: string; checkpoint: CheckpointInfo }
  /** Trainer sends free text for the output channel. */
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  /** Trainer sends last; then exits. `error` is set for `failed`. */
  | { type: 'end'; status: EndStatus; error?: RunError; runDir?: string };

/** run.json */
export interface RunRecord {
  id: string;
  modelFile: string;
  config: ResolvedConfig;
  backend: BackendInfo;
  versions: Versions;
  startedAt: string;
  endedAt?: string;
  status: RunStatus;
  error?: RunError;
  totalParams?: number;
  layers?: LayerSummary[];
  batchesPerEpoch?: number;
  /** Set when this run continues another run from its checkpoint. */
  resumedFrom?: { runId: string; runDir: string; epochsCompleted: number; step: number };
  /**
   * What the run trained on: the loader's one-line description, its kind, class names by index and
   * what is needed to feed new data the same way (CSV schema and scaling, series scaling, vocabulary).
   */
  dataset?: { description: string; kind?: string; classNames?: string[]; stats?: unknown };
}

/** One line of metrics.jsonl: metric values sit at the top level under their tfjs names. */
export type MetricLine =
  | { type: 'batch'; epoch: number; batch: number; step: number; time: number; [metric: string]: number | string }
  | { type: 'epoch'; epoch: number; time: number; [metric: string]: number | string }
  | { type: 'end'; epoch: number; time: number; status: EndStatus; error?: RunError };

// ---- validators (receiving side) -------------------------------------------------------------

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number';
const isStr = (v: unknown): v is string => typeof v === 'string';
const isMetrics = (v: unknown): v is Metrics => isObj(v) && Object.values(v).every(isNum);
const isRunError = (v: unknown): v is RunError =>
  isObj(v) && isStr(v.message) && (v.file === undefined || isStr(v.file)) && (v.line === undefined || isNum(v.line));
const isBatchPoint = (v: unknown): v is BatchPoint =>
  isObj(v) && isNum(v.epoch) && isNum(v.batch) && isNum(v.step) && isNum(v.time) && isMetrics(v.metrics);
const isCheckpointInfo = (v: unknown): v is CheckpointInfo =>
  isObj(v) && (v.kind === 'last' || v.kind === 'best') && ['epoch', 'request', 'stop', 'improved'].includes(v.reason as string) &&
  isNum(v.epoch) && isNum(v.step) && isNum(v.epochsCompleted) && isNum(v.time) &&
  (v.monitor === undefined || isStr(v.monitor)) && (v.value === undefined || isNum(v.value)) && (v.lr === undefined || isNum(v.lr));
const isEndStatus = (v: unknown): v is EndStatus => (END_STATUSES as readonly unknown[]).includes(v);

/** Validates a message received by the trainer; returns undefined for anything malformed. */
export function parseHostToTrainer(msg: unknown): HostToTrainer | undefined {
  if (!isObj(msg)) return undefined;
  switch (msg.type) {
    case 'stop':
    case 'pause':
    case 'resume':
    case 'checkpoint':
      return { type: msg.type };
    case 'start': {
      const s = msg.spec;
      if (!isObj(s) || !isStr(s.modelFile) || !isStr(s.runsDir)) return undefined;
      if (!(BACKEND_CHOICES as readonly unknown[]).includes(s.backend)) return undefined;
      if (s.workspaceDir !== undefined && !isStr(s.workspaceDir)) return undefined;
      if (s.runId !== undefined && !isStr(s.runId)) return undefined;
      if (s.resumeFrom !== undefined && (!isStr(s.resumeFrom) || s.resumeFrom === '')) return undefined;
      if (s.mode !== undefined && !(RUN_MODES as readonly unknown[]).includes(s.mode)) return undefined;
      if (s.overrides !== undefined) {
        if (!isObj(s.overrides)) return undefined;
        for (const k of ['epochs', 'batchSize', 'validationSplit', 'limit'])
          if (s.overrides[k] !== undefined && !isNum(s.overrides[k])) return undefined;
      }
      return { type: 'start', spec: s as unknown as RunSpec };
    }
    default:
      return undefined;
  }
}

/** Validates a message received by the host from the trainer; returns undefined for anything malformed. */
export function parseTrainerToHost(msg: unknown): TrainerToHost | undefined {
  if (!isObj(msg)) return undefined;
  switch (msg.type) {
    case 'ready':
      return isObj(msg.backend) && isStr(msg.backend.name) && isStr(msg.backend.reason) && isObj(msg.versions) &&
        (msg.timings === undefined || isMetrics(msg.timings))
        ? (msg as unknown as TrainerToHost)
        : undefined;
    case 'started':
      return isStr(msg.runId) && isStr(msg.runDir) ? (msg as unknown as TrainerToHost) : undefined;
    case 'run':
      return isStr(msg.runId) && isStr(msg.runDir) && isStr(msg.modelFile) && isObj(msg.config) &&
        isNum(msg.batchesPerEpoch) && Array.isArray(msg.layers) && isNum(msg.totalParams) &&
        (msg.timings === undefined || isMetrics(msg.timings))
        ? (msg as unknown as TrainerToHost)
        : undefined;
    case 'batches':
      return Array.isArray(msg.points) && msg.points.every(isBatchPoint) ? (msg as unknown as TrainerToHost) : undefined;
    case 'epoch':
      return isObj(msg.point) && isNum(msg.point.epoch) && isNum(msg.point.time) && isMetrics(msg.point.metrics)
        ? (msg as unknown as TrainerToHost)
        : undefined;
    case 'paused':
      return isNum(msg.epoch) && isNum(msg.batch) && isNum(msg.step) ? (msg as unknown as TrainerToHost) : undefined;
    case 'resumed':
      return isNum(msg.epoch) && isNum(msg.batch) && isNum(msg.step) && isNum(msg.pausedMs) ? (msg as unknown as TrainerToHost) : undefined;
    case 'checkpoint':
      return isStr(msg.dir) && isCheckpointInfo(msg.checkpoint) ? (msg as unknown as TrainerToHost) : undefined;
    case 'log':
      return (msg.level === 'info' || msg.level === 'warn' || msg.level === 'error') && isStr(msg.message)
        ? (msg as unknown as TrainerToHost)
        : undefined;
    case 'end':
      return isEndStatus(msg.status) && (msg.error === undefined || isRunError(msg.error)) &&
        (msg.runDir === undefined || isStr(msg.runDir))
        ? (msg as unknown as TrainerToHost)
        : undefined;
    default:
      return undefined;
  }
}
