/**
 * The host <-> trainer boundary: messages over the Node IPC channel of the forked trainer process.
 * Each message has one valibot schema that gives both its type and the receiving side's check.
 * Imports only src/protocol/ and valibot, so the extension host, the trainer child, the CLI and the
 * webview (types, shared records) all share it. The run folder's files are in runFolder.ts.
 *
 * Three kinds of message, kept apart as ../shared/STYLE.md says:
 * - commands, host -> trainer, fire and forget: start, stop, pause, resume, checkpoint;
 * - requests, host -> trainer, answered by exactly one `response` with the same `id`: summary,
 *   preview, evaluate;
 * - notifications, trainer -> host: ready, started, run, batches, epoch, paused, resumed,
 *   checkpoint, log, end.
 */
import * as v from 'valibot';
import type { DatasetSpec } from './datasetSpec';
import { DatasetPreviewSchema } from './datasetPreview';
import { EvalReportSchema } from './evalReport';
import { ModelSummarySchema } from './modelSummary';
import { RunOverridesSchema } from './runOverrides';

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/**
 * Threads for training (the fused executor's data-parallel workers): 'auto' = 2 when more than one
 * core is free (cores and load average), else 1; or a fixed count.
 */
export const MAX_THREADS = 16;
export const ThreadsChoiceSchema = v.union([v.literal('auto'), v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_THREADS))]);
export type ThreadsChoice = v.InferOutput<typeof ThreadsChoiceSchema>;

export const RUN_MODES = ['train', 'script'] as const;
export type RunMode = (typeof RUN_MODES)[number];

export const RUN_STATUSES = ['running', 'completed', 'stopped', 'failed', 'crashed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const END_STATUSES = ['completed', 'stopped', 'failed', 'crashed'] as const;
export type EndStatus = (typeof END_STATUSES)[number];

/** Metric values under their tfjs names: loss, acc, val_loss, val_acc, … */
/**
 * A metric value. A diverging loss is NaN or ±Infinity: the structured clone carries it as it is,
 * JSON (Node's IPC, VS Code's postMessage) as null. Both are kept, as NaN, so a non-finite batch is
 * recorded and drawn as a gap instead of the whole message being dropped.
 */
export const MetricValueSchema = v.pipe(
  v.union([v.custom<number>((x) => typeof x === 'number', 'a number'), v.null()]),
  v.transform((x): number => (x === null ? Number.NaN : x)),
);
export const MetricsSchema = v.record(v.string(), MetricValueSchema);
export type Metrics = v.InferOutput<typeof MetricsSchema>;

/** Where a failure points in the user's code, when it can be told. */
export const RunErrorSchema = v.object({
  /** One line a user can act on; names the file and line or both shapes where known. */
  message: v.string(),
  file: v.optional(v.string()),
  line: v.optional(v.number()),
  column: v.optional(v.number()),
  /** Longer detail (stack mapped to the user's sources). */
  details: v.optional(v.string()),
});
export type RunError = v.InferOutput<typeof RunErrorSchema>;

const nonEmpty = v.pipe(v.string(), v.minLength(1));

/** What the host (or CLI) asks the trainer to run. */
export const RunSpecSchema = v.object({
  /** Absolute path of the model file (.ts, .js, .mjs, .cjs). */
  modelFile: v.string(),
  /** Absolute path of the runs folder (`<workspace>/.modellab/runs`). */
  runsDir: v.string(),
  backend: v.picklist(BACKEND_CHOICES),
  /** Training threads (absent: 'auto'). */
  threads: v.optional(ThreadsChoiceSchema),
  /** The workspace folder: its node_modules are searched first for @tensorflow/tfjs-node. */
  workspaceDir: v.optional(v.string()),
  /** Values that override the model file's `config`. */
  overrides: v.optional(RunOverridesSchema),
  /** Optional fixed run id (tests); otherwise the trainer makes one from the time and file name. */
  runId: v.optional(v.string()),
  /**
   * Continue a saved run: its folder, or its run id under `runsDir`. Training starts from that run's
   * `checkpoints/last` (weights and optimizer state) at the next epoch, in a new run folder.
   */
  resumeFrom: v.optional(nonEmpty),
  /**
   * 'train' (default): modelFile follows the model file contract. 'script': modelFile is an ordinary
   * tfjs script run unmodified (`model-lab run`); its fit calls are recorded.
   */
  mode: v.optional(v.picklist(RUN_MODES)),
  /** 'script' only: the script's own arguments (`model-lab run SCRIPT -- ARG…`), its process.argv after the file. */
  scriptArgs: v.optional(v.array(v.string())),
});
export type RunSpec = v.InferOutput<typeof RunSpecSchema>;

/** How a monitored metric counts as better: `auto` = max for accuracy-like names, else min (as Keras). */
const MonitorModeSchema = v.picklist(['auto', 'min', 'max']);
export type MonitorMode = v.InferOutput<typeof MonitorModeSchema>;

/** `config.checkpoint`: which metric picks `checkpoints/best`. */
export const CheckpointConfigSchema = v.object({ monitor: v.string(), mode: MonitorModeSchema });
export type CheckpointConfig = v.InferOutput<typeof CheckpointConfigSchema>;

export const EarlyStoppingConfigSchema = v.object({
  monitor: v.string(),
  /** Epochs without improvement before stopping. */
  patience: v.number(),
  /** Smallest change that counts as an improvement. */
  minDelta: v.number(),
  mode: MonitorModeSchema,
  /** Copy the best epoch's weights back into the model when early stopping ends the run. */
  restoreBestWeights: v.boolean(),
  /** Training stops unless the monitor beats this within `patience` epochs. */
  baseline: v.optional(v.number()),
});
export type EarlyStoppingConfig = v.InferOutput<typeof EarlyStoppingConfigSchema>;

export const ReduceLROnPlateauConfigSchema = v.object({
  monitor: v.string(),
  /** New lr = lr * factor (0 < factor < 1). */
  factor: v.number(),
  patience: v.number(),
  minDelta: v.number(),
  mode: MonitorModeSchema,
  /** Epochs to wait after a reduction before counting again. */
  cooldown: v.number(),
  minLr: v.number(),
});
export type ReduceLROnPlateauConfig = v.InferOutput<typeof ReduceLROnPlateauConfigSchema>;

const scheduleBase = {
  /** Default: the optimizer's learning rate when training starts. */
  initialLr: v.optional(v.number()),
  /** Epochs of linear warm-up to initialLr before the schedule starts (default 0). */
  warmupEpochs: v.number(),
};
export const LrScheduleConfigSchema = v.variant('type', [
  /** stepSize: epochs between drops. */
  v.object({ ...scheduleBase, type: v.literal('step'), stepSize: v.number(), gamma: v.number() }),
  v.object({ ...scheduleBase, type: v.literal('exponential'), gamma: v.number() }),
  /** epochs: how long the cosine takes to reach minLr (default: the epochs after warm-up). */
  v.object({ ...scheduleBase, type: v.literal('cosine'), epochs: v.optional(v.number()), minLr: v.number() }),
]);
export type LrScheduleConfig = v.InferOutput<typeof LrScheduleConfigSchema>;

/** `config.callbacks` after validation and defaults. */
export const CallbacksConfigSchema = v.object({
  earlyStopping: v.optional(EarlyStoppingConfigSchema),
  reduceLROnPlateau: v.optional(ReduceLROnPlateauConfigSchema),
  lrSchedule: v.optional(LrScheduleConfigSchema),
  /** End the run `failed` at the first batch whose loss is NaN or ±Infinity (default true). */
  terminateOnNaN: v.boolean(),
});
export type CallbacksConfig = v.InferOutput<typeof CallbacksConfigSchema>;

/** checkpoints/<kind>/checkpoint.json, and what the `checkpoint` message reports. */
export const CheckpointInfoSchema = v.object({
  kind: v.picklist(['last', 'best']),
  /** epoch = an epoch ended; request = "checkpoint now"; stop = the run was stopped; improved = a new best. */
  reason: v.picklist(['epoch', 'request', 'stop', 'improved']),
  /** The epoch (from 0) whose training the weights include, finished or not. */
  epoch: v.pipe(v.number(), v.integer('must be a whole number'), v.minValue(0, 'must be 0 or more')),
  /** Global step of the last batch the weights include (-1: none). */
  step: v.pipe(v.number(), v.integer('must be a whole number'), v.minValue(-1, 'must be -1 or more')),
  /** Whole epochs the weights include: a resumed run starts at this epoch. */
  epochsCompleted: v.pipe(v.number(), v.integer('must be a whole number'), v.minValue(0, 'must be 0 or more')),
  /** The metric that chose a best checkpoint, and its value. */
  monitor: v.optional(v.string()),
  value: v.optional(v.number()),
  /** The learning rate at the time, so a resumed run continues with it. */
  lr: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0, 'must be 0 or more'))),
  /** ms since the Unix epoch. */
  time: v.pipe(v.number(), v.finite(), v.minValue(0, 'must be 0 or more')),
});
export type CheckpointInfo = v.InferOutput<typeof CheckpointInfoSchema>;

/**
 * `config.dataset` as recorded: the trainer checks it in full (src/trainer/data/datasetSpec.ts) before
 * a run starts; readers check what they show (a name, or an object with a string `type` and, where
 * present, a string `path`/`url`).
 */
export const DatasetSpecSchema = v.custom<DatasetSpec>((x) => {
  if (typeof x === 'string') return true;
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const o = x as Record<string, unknown>;
  return typeof o.type === 'string' && (o.path === undefined || typeof o.path === 'string') && (o.url === undefined || typeof o.url === 'string');
}, 'not a dataset spec (a name, or an object with a string "type")');

/** The training config after defaults and overrides, as recorded in run.json. */
export const ResolvedConfigSchema = v.object({
  epochs: v.number(),
  batchSize: v.number(),
  validationSplit: v.number(),
  shuffle: v.boolean(),
  /** A built-in name or an object spec (paths made absolute); show it with describeDatasetSpec. */
  dataset: DatasetSpecSchema,
  /** Samples taken from the dataset (undefined = all). */
  limit: v.optional(v.number()),
  /** Present when the model file sets `config.checkpoint`. */
  checkpoint: v.optional(CheckpointConfigSchema),
  /** Present when the model file sets `config.callbacks`. */
  callbacks: v.optional(CallbacksConfigSchema),
});
export type ResolvedConfig = v.InferOutput<typeof ResolvedConfigSchema>;

export const BackendInfoSchema = v.object({
  /** The tfjs backend actually in use. */
  name: v.picklist(['tensorflow', 'wasm', 'cpu']),
  /** Why this backend was chosen, in a sentence. */
  reason: v.string(),
  /** What ran the training steps: Model Lab's fused wasm executor or tfjs's own fit (absent: tfjs, before it existed). */
  executor: v.optional(v.picklist(['fused', 'tfjs'])),
  /** Why that executor, in a sentence (for tfjs: what the fused executor does not cover). */
  executorReason: v.optional(v.string()),
  /** The fused executor's WebAssembly build: plain SIMD or relaxed SIMD (fused multiply-add). */
  simd: v.optional(v.picklist(['simd128', 'relaxed-simd'])),
  /** Threads that computed each batch's gradients (the fused executor's data-parallel workers + the trainer). */
  threads: v.optional(v.number()),
  /** Why that many, in a sentence (the setting, cores and load average, or what ruled threads out). */
  threadsReason: v.optional(v.string()),
});
export type BackendInfo = v.InferOutput<typeof BackendInfoSchema>;

export const VersionsSchema = v.object({ tfjs: v.string(), node: v.string(), modelLab: v.string() });
export type Versions = v.InferOutput<typeof VersionsSchema>;

const ShapeSchema = v.array(v.nullable(v.number()));
export const LayerSummarySchema = v.object({
  name: v.string(),
  className: v.string(),
  outputShape: v.union([ShapeSchema, v.array(ShapeSchema)]),
  params: v.number(),
});
export type LayerSummary = v.InferOutput<typeof LayerSummarySchema>;

/** One batch's metrics, as streamed and as stored in metrics.jsonl. */
export const BatchPointSchema = v.object({
  epoch: v.number(),
  /** Batch index within the epoch, from 0. */
  batch: v.number(),
  /** Global batch index across the run, from 0. */
  step: v.number(),
  /** ms since the Unix epoch. */
  time: v.number(),
  metrics: MetricsSchema,
});
export type BatchPoint = v.InferOutput<typeof BatchPointSchema>;

export const EpochPointSchema = v.object({ epoch: v.number(), time: v.number(), metrics: MetricsSchema });
export type EpochPoint = v.InferOutput<typeof EpochPointSchema>;

/** Bins of each weight histogram the trainer records at an epoch's end. */
export const WEIGHT_HISTOGRAM_BINS = 30;

/**
 * One weight's values at an epoch's end: `counts[i]` values fall in bin i of WEIGHT_HISTOGRAM_BINS
 * equal bins from `min` to `max` (the last bin includes `max`; all values in bin 0 when min = max).
 * Values that are NaN or ±Infinity are counted apart in `nonFinite`, outside min, max and the bins.
 */
export const WeightHistogramSchema = v.object({
  /** The weight's tfjs name: `dense_Dense1/kernel`. */
  name: v.string(),
  shape: v.array(v.number()),
  min: v.number(),
  max: v.number(),
  counts: v.array(v.number()),
  nonFinite: v.optional(v.number()),
});
export type WeightHistogram = v.InferOutput<typeof WeightHistogramSchema>;

/** Every weight's histogram at the end of one epoch (a line of histograms.jsonl, and the `histograms` message). */
export const HistogramLineSchema = v.object({ epoch: v.number(), time: v.number(), weights: v.array(WeightHistogramSchema) });
export type HistogramLine = v.InferOutput<typeof HistogramLineSchema>;

/**
 * Values the trainer adds next to the model's metrics, in batch points (samples_per_sec, eta_sec,
 * lr) and epoch points (lr, tensors, bytes), live and in metrics.jsonl. Views that list "the model's
 * metrics" skip these.
 */
export const RUN_STAT_KEYS: readonly string[] = ['samples_per_sec', 'eta_sec', 'lr', 'tensors', 'bytes'];

/**
 * Optional timing marks (bench/firstBatch.ts): ms since the trainer process started
 * (`performance.now()`), plus `timeOrigin` (ms since the Unix epoch of that start) so the host can
 * line them up with its own clock. Numbers only; absent marks were not taken.
 */
export const TimingsSchema = v.record(v.string(), v.number());
export type Timings = v.InferOutput<typeof TimingsSchema>;

// ---- requests (host -> trainer, answered by id) ------------------------------------------------

export const EVAL_CHECKPOINTS = ['final', 'best', 'last'] as const;
export type EvalCheckpoint = (typeof EVAL_CHECKPOINTS)[number];

/** What a request asks; the answer's `result.kind` is the same. */
export const TrainerRequestSchema = v.variant('kind', [
  /** The model file's layers, shapes and parameter counts, from createModel() only (layer hints). */
  v.object({ kind: v.literal('summary'), file: v.string() }),
  /** What the model file's data looks like, loaded as training loads it (Preview Dataset). */
  v.object({ kind: v.literal('preview'), file: v.string(), limit: v.optional(v.number()) }),
  /** A saved run's model judged again on its validation data; writes eval.json (Evaluate Run). */
  v.object({ kind: v.literal('evaluate'), runDir: v.string(), checkpoint: v.optional(v.picklist(EVAL_CHECKPOINTS)) }),
]);
export type TrainerRequest = v.InferOutput<typeof TrainerRequestSchema>;
export type TrainerRequestKind = TrainerRequest['kind'];

/** The answer to a request, by kind. */
export const TrainerResultSchema = v.variant('kind', [
  v.object({ kind: v.literal('summary'), summary: ModelSummarySchema }),
  v.object({ kind: v.literal('preview'), preview: DatasetPreviewSchema }),
  /** `file`: the eval file written (absolute). */
  v.object({ kind: v.literal('evaluate'), report: EvalReportSchema, file: v.string() }),
]);
export type TrainerResult = v.InferOutput<typeof TrainerResultSchema>;
export type TrainerResultOf<K extends TrainerRequestKind> = Extract<TrainerResult, { kind: K }>;

// ---- messages -----------------------------------------------------------------------------------

const requestId = v.pipe(v.number(), v.safeInteger());

/** Host -> trainer. */
export const HostToTrainerSchema = v.variant('type', [
  /** Command, host sends once, first, for a run: what to run. */
  v.object({ type: v.literal('start'), spec: RunSpecSchema }),
  /** Command: end the run after the current batch; a checkpoint and the model are saved and the run ends `stopped`. A serving trainer exits once its answers are sent. */
  v.object({ type: v.literal('stop') }),
  /** Command: hold training after the current batch until `resume` (or `stop`); the trainer answers `paused`. */
  v.object({ type: v.literal('pause') }),
  /** Command: continue a paused run; the trainer answers `resumed`. */
  v.object({ type: v.literal('resume') }),
  /** Command for "checkpoint now": checkpoints/last is saved after the current batch and reported by `checkpoint`. */
  v.object({ type: v.literal('checkpoint') }),
  /** Request, host sends instead of `start` to a serving trainer; answered by one `response` with this `id`. */
  v.object({ type: v.literal('request'), id: requestId, request: TrainerRequestSchema }),
]);
export type HostToTrainer = v.InferOutput<typeof HostToTrainerSchema>;

/** Trainer -> host. */
export const TrainerToHostSchema = v.variant('type', [
  /** Trainer sends once the backend is up, before anything else about the run (or before its first answer). */
  v.object({ type: v.literal('ready'), backend: BackendInfoSchema, versions: VersionsSchema, timings: v.optional(TimingsSchema) }),
  /** Trainer sends as soon as the run folder exists, before the model file loads, so a crash from here on is recorded in it. */
  v.object({ type: v.literal('started'), runId: v.string(), runDir: v.string() }),
  /** Trainer sends when the run folder exists and training is about to begin. */
  v.object({
    type: v.literal('run'),
    runId: v.string(),
    runDir: v.string(),
    modelFile: v.string(),
    config: ResolvedConfigSchema,
    batchesPerEpoch: v.number(),
    layers: v.array(LayerSummarySchema),
    totalParams: v.number(),
    timings: v.optional(TimingsSchema),
  }),
  /**
   * Trainer sends once it knows what runs the training steps (after `run`, before the first batch):
   * the backend of `ready` with the executor, its WebAssembly build, the threads and why (as run.json).
   */
  v.object({ type: v.literal('executor'), backend: BackendInfoSchema }),
  /**
   * Trainer sends when a script run's `fit` / `fitDataset` call (number `fit`, from 1) starts: it trains
   * the run's epochs firstEpoch … firstEpoch+epochs-1 (from 0), so totals grow with each call.
   * `batchesPerEpoch` 0 = not known until its first epoch ends (a dataset of unknown size).
   */
  v.object({ type: v.literal('fit'), fit: v.number(), firstEpoch: v.number(), epochs: v.number(), batchesPerEpoch: v.number() }),
  /** Trainer sends batch metrics, several coalesced in one message. */
  v.object({ type: v.literal('batches'), points: v.array(BatchPointSchema) }),
  /** Trainer sends at the end of each epoch with train and validation metrics. */
  v.object({ type: v.literal('epoch'), point: EpochPointSchema }),
  /** Trainer sends after each `epoch`: a histogram of every weight (also appended to histograms.jsonl). */
  v.object({ type: v.literal('histograms'), line: HistogramLineSchema }),
  /** Trainer sends when training has halted after a batch (answer to `pause`). */
  v.object({ type: v.literal('paused'), epoch: v.number(), batch: v.number(), step: v.number() }),
  /** Trainer sends when a paused run continues; `pausedMs` is how long it was held. */
  v.object({ type: v.literal('resumed'), epoch: v.number(), batch: v.number(), step: v.number(), pausedMs: v.number() }),
  /** Trainer sends after writing a checkpoint folder (`dir`, absolute) atomically. */
  v.object({ type: v.literal('checkpoint'), dir: v.string(), checkpoint: CheckpointInfoSchema }),
  /** Trainer sends free text for the output channel. */
  v.object({ type: v.literal('log'), level: v.picklist(['info', 'warn', 'error']), message: v.string() }),
  /** Trainer sends last; then exits. `error` is set for `failed`. */
  v.object({ type: v.literal('end'), status: v.picklist(END_STATUSES), error: v.optional(RunErrorSchema), runDir: v.optional(v.string()) }),
  /** Trainer sends once per `request`, with its `id`: the result, or why there is none. */
  v.variant('ok', [
    v.object({ type: v.literal('response'), id: requestId, ok: v.literal(true), result: TrainerResultSchema }),
    v.object({ type: v.literal('response'), id: requestId, ok: v.literal(false), error: RunErrorSchema }),
  ]),
]);
export type TrainerToHost = v.InferOutput<typeof TrainerToHostSchema>;

/** What a schema check found wrong, in one line: the first issue and where. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const first = issues[0];
  if (!first) return 'invalid';
  const where = v.getDotPath(first);
  return `${where ? `${where}: ` : ''}${first.message}`;
}

/** Validates a message received by the trainer; undefined for anything malformed (`onInvalid` hears why). */
export function parseHostToTrainer(msg: unknown, onInvalid?: (why: string) => void): HostToTrainer | undefined {
  const r = v.safeParse(HostToTrainerSchema, msg);
  if (r.success) return r.output;
  onInvalid?.(describeIssues(r.issues));
  return undefined;
}

/** Validates a message received by the host from the trainer; undefined for anything malformed (`onInvalid` hears why). */
export function parseTrainerToHost(msg: unknown, onInvalid?: (why: string) => void): TrainerToHost | undefined {
  const r = v.safeParse(TrainerToHostSchema, msg);
  if (r.success) return r.output;
  onInvalid?.(describeIssues(r.issues));
  return undefined;
}
