/**
 * The host <-> trainer boundary: messages over the Node IPC channel of the forked trainer process,
 * and the records the trainer writes to a run folder. Imports nothing from `vscode` or the DOM so the
 * extension host, the trainer child and the CLI all share it.
 */

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

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
  overrides?: { epochs?: number; batchSize?: number; validationSplit?: number };
  /** Optional fixed run id (tests); otherwise the trainer makes one from the time and file name. */
  runId?: string;
}

/** The training config after defaults and overrides, as recorded in run.json. */
export interface ResolvedConfig {
  epochs: number;
  batchSize: number;
  validationSplit: number;
  shuffle: boolean;
  dataset: string;
  /** Samples taken from the dataset (undefined = all). */
  limit?: number;
}

export interface BackendInfo {
  /** The tfjs backend actually in use: 'tensorflow' | 'wasm' | 'cpu'. */
  name: 'tensorflow' | 'wasm' | 'cpu';
  /** Why this backend was chosen, in a sentence. */
  reason: string;
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

/** Host -> trainer. */
export type HostToTrainer =
  /** Host sends once, first: what to run. */
  | { type: 'start'; spec: RunSpec }
  /** Host sends to end the run after the current batch; the model is saved and the run ends `stopped`. */
  | { type: 'stop' };

/** Trainer -> host. */
export type TrainerToHost =
  /** Trainer sends once the backend is up, before anything else about the run. */
  | { type: 'ready'; backend: BackendInfo; versions: Versions }
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
    }
  /** Trainer sends batch metrics, several coalesced in one message. */
  | { type: 'batches'; points: BatchPoint[] }
  /** Trainer sends at the end of each epoch with train and validation metrics. */
  | { type: 'epoch'; point: EpochPoint }
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
const isEndStatus = (v: unknown): v is EndStatus => (END_STATUSES as readonly unknown[]).includes(v);

/** Validates a message received by the trainer; returns undefined for anything malformed. */
export function parseHostToTrainer(msg: unknown): HostToTrainer | undefined {
  if (!isObj(msg)) return undefined;
  switch (msg.type) {
    case 'stop':
      return { type: 'stop' };
    case 'start': {
      const s = msg.spec;
      if (!isObj(s) || !isStr(s.modelFile) || !isStr(s.runsDir)) return undefined;
      if (!(BACKEND_CHOICES as readonly unknown[]).includes(s.backend)) return undefined;
      if (s.workspaceDir !== undefined && !isStr(s.workspaceDir)) return undefined;
      if (s.runId !== undefined && !isStr(s.runId)) return undefined;
      if (s.overrides !== undefined) {
        if (!isObj(s.overrides)) return undefined;
        for (const k of ['epochs', 'batchSize', 'validationSplit'])
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
      return isObj(msg.backend) && isStr(msg.backend.name) && isStr(msg.backend.reason) && isObj(msg.versions)
        ? (msg as unknown as TrainerToHost)
        : undefined;
    case 'run':
      return isStr(msg.runId) && isStr(msg.runDir) && isStr(msg.modelFile) && isObj(msg.config) &&
        isNum(msg.batchesPerEpoch) && Array.isArray(msg.layers) && isNum(msg.totalParams)
        ? (msg as unknown as TrainerToHost)
        : undefined;
    case 'batches':
      return Array.isArray(msg.points) && msg.points.every(isBatchPoint) ? (msg as unknown as TrainerToHost) : undefined;
    case 'epoch':
      return isObj(msg.point) && isNum(msg.point.epoch) && isNum(msg.point.time) && isMetrics(msg.point.metrics)
        ? (msg as unknown as TrainerToHost)
        : undefined;
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
