/**
 * The host <-> webview boundary (training panel): the messages, their valibot schemas (checked on
 * the receiving side: the host checks the panel's commands, the panel checks every snapshot and
 * event field it draws) and the one pure reducer both sides use to fold run events into a view of
 * the run. The record schemas come from the trainer protocol; valibot tree-shakes into the webview.
 */
import * as v from 'valibot';
import { DatasetPreviewSchema, type DatasetPreview } from './datasetPreview';
import { EvalReportSchema, parseEvalReport, type EvalReport } from './evalReport';
import {
  BackendInfoSchema,
  MetricValueSchema,
  BatchPointSchema,
  CheckpointInfoSchema,
  describeIssues,
  END_STATUSES,
  EpochPointSchema,
  HistogramLineSchema,
  LayerSummarySchema,
  ResolvedConfigSchema,
  RUN_MODES,
  RUN_STATUSES,
  RunErrorSchema,
  type BackendInfo,
  type BatchPoint,
  type CheckpointInfo,
  type EpochPoint,
  type HistogramLine,
  type LayerSummary,
  type ResolvedConfig,
  type RunError,
  type RunMode,
  type RunStatus,
} from './trainer';

/** Everything the panel shows about one run. */
export interface RunView {
  runId: string;
  modelFile: string;
  runDir: string;
  backend?: BackendInfo;
  config?: ResolvedConfig;
  batchesPerEpoch: number;
  layers: LayerSummary[];
  totalParams: number;
  status: RunStatus;
  error?: RunError;
  startedAt: number;
  /** When the run ended (ms since the Unix epoch); unset while running, so elapsed time can stop. */
  endedAt?: number;
  batches: BatchPoint[];
  epochs: EpochPoint[];
  /** 'script' when an ordinary tfjs script runs (its own fit calls are recorded). */
  mode?: RunMode;
  /** True while the trainer holds between batches (after `paused`, until `resumed` or the end). */
  paused?: boolean;
  /** True after Stop until the end: the batch in progress is finishing, then the model is saved. */
  stopping?: boolean;
  /** The latest checkpoint of each kind, with its folder. */
  checkpoints?: { last?: CheckpointEntry; best?: CheckpointEntry };
  /** The run folder's eval.json, once the run has ended and the trainer wrote one. */
  evalReport?: EvalReport;
  /** Every weight's histogram at each epoch's end (histograms.jsonl), oldest first. */
  histograms?: HistogramLine[];
}

/** A checkpoint the trainer reported, with its folder (absolute). */
export type CheckpointEntry = CheckpointInfo & { dir: string };

/** A change to a run, folded into a RunView by `applyRunEvent`. */
export type RunEvent =
  | { type: 'batches'; points: BatchPoint[] }
  | { type: 'epoch'; point: EpochPoint }
  | { type: 'paused' }
  | { type: 'resumed' }
  /** Stop was asked: the batch in progress finishes, then the run saves and ends. */
  | { type: 'stopping' }
  | { type: 'checkpoint'; checkpoint: CheckpointEntry }
  | { type: 'eval'; report: EvalReport }
  | { type: 'histograms'; line: HistogramLine }
  | { type: 'end'; status: Exclude<RunStatus, 'running'>; error?: RunError; time?: number }
  /** The trainer said what runs the training steps (the fused executor or tfjs's fit, threads, why). */
  | { type: 'backend'; backend: BackendInfo };

/** Run-control commands the panel's buttons send; each names the run it shows (see `stop`). */
export const RUN_CONTROL_COMMANDS = ['stop', 'pause', 'resume', 'checkpoint', 'kill'] as const;
export type RunControlCommand = (typeof RUN_CONTROL_COMMANDS)[number];

/** Webview -> host. Commands are fire and forget. */
export type WebviewToHost =
  /** Webview sends when its script has loaded; the host answers with a `snapshot`. */
  | { type: 'ready' }
  /**
   * Webview sends when the user presses Stop. `runId` is the run it shows; '' while the trainer has
   * not named the run yet (loading data), which still means "the run in progress".
   */
  | { type: 'stop'; runId: string }
  /** Webview sends when the user presses Pause: hold after the current batch. */
  | { type: 'pause'; runId: string }
  /** Webview sends when the user presses Resume on a paused run. */
  | { type: 'resume'; runId: string }
  /** Webview sends when the user presses "Checkpoint now": checkpoints/last after the current batch. */
  | { type: 'checkpoint'; runId: string }
  /** Webview sends when the user presses Stop again while the batch is finishing: kill the trainer now. */
  | { type: 'kill'; runId: string }
  /** Webview sends when the user presses Train Again on an ended run: a new run, same file, same overrides. */
  | { type: 'trainAgain'; runId: string }
  /** Webview sends when the user presses Train with Changes: the host asks for the changes, then starts a new run. */
  | { type: 'trainWithChanges'; runId: string }
  /** Webview sends when the user clicks an error's location: open that line (the host keeps it inside the workspace). */
  | { type: 'openLocation'; file: string; line?: number; column?: number }
  /**
   * Webview sends (a request, answered by a `seriesResponse` with the same `id`) when a comparison
   * chart needs the points of its viewport: `metric` of every compared run over [x0, x1] (null: the
   * whole run) at `pixels` columns, smoothed with `smoothing` on the host's full-resolution data.
   */
  | SeriesRequest
  /**
   * Webview sends (a request, answered by a `valuesResponse` with the same `id`) when the pointer
   * hovers a comparison chart: each compared run's exact `metric` at the batch nearest to `x`.
   */
  | ValuesRequest
  /** Webview sends when the user closes the comparison: the host drops the compared runs' series. */
  | { type: 'closeCompare' };

/** Host -> webview notifications. `seq` increases by one per message, so the webview can spot a gap. */
export type HostToWebview =
  /**
   * Host sends after `ready`, on becoming visible again, when a new run starts and when a dataset
   * preview arrives: the whole state. `preview` is the last "Preview Dataset" result, if any.
   */
  | { type: 'snapshot'; seq: number; run: RunView | null; preview?: DatasetPreview }
  /** Host sends as the run progresses: one change to the run in the last snapshot. */
  | { type: 'event'; seq: number; runId: string; event: RunEvent }
  /**
   * Host sends when the user compares runs, when a compared run grows (at most a few times a second)
   * and after each snapshot while a comparison is open: the runs' summaries, no batch points (those
   * stay in the host; the webview asks for its viewport with `seriesRequest`). `runs: []` closes it.
   * `version` increases with each, so the webview knows its charts are stale.
   */
  | { type: 'compare'; version: number; runs: CompareRun[] }
  /** Host sends in answer to a `seriesRequest` with its `id`: one slice per compared run that has the metric. */
  | { type: 'seriesResponse'; id: number; metric: string; runs: { runId: string; slice: SeriesSlice }[] }
  /** Host sends in answer to a `valuesRequest` with its `id`: the values at full resolution, one per run that has the metric. */
  | { type: 'valuesResponse'; id: number; metric: string; values: PointValue[] };

/** A hovered comparison chart's request for the exact values at `x`. */
export interface ValuesRequest {
  type: 'valuesRequest';
  id: number;
  metric: string;
  axis: CompareXAxis;
  x: number;
  smoothing: number;
}

/** One run's batch nearest to the hovered x, from the host's full-resolution store: x under the axis, its step, raw and smoothed values (null: NaN). */
export interface PointValue {
  runId: string;
  x: number;
  step: number;
  raw: number | null;
  smoothed: number | null;
}

export const COMPARE_X_AXES = ['step', 'epoch', 'time'] as const;
export type CompareXAxis = (typeof COMPARE_X_AXES)[number];

/** A comparison chart's request for the points of its viewport. */
export interface SeriesRequest {
  type: 'seriesRequest';
  id: number;
  metric: string;
  axis: CompareXAxis;
  x0: number | null;
  x1: number | null;
  pixels: number;
  smoothing: number;
  /**
   * Runs whose slice the webview already holds for this same viewport, with their batch count then:
   * the host leaves out a run that has not grown since (a live run's neighbours stay put).
   */
  known?: Record<string, number>;
}

/**
 * Downsampled points of one run's metric: x ascending, `raw` and `smoothed` aligned with it (null is
 * a gap), `visible` = how many full-resolution points the range holds.
 */
export interface SeriesSlice {
  x: number[];
  raw: (number | null)[];
  smoothed: (number | null)[];
  visible: number;
  /** The run's batch count when sliced (for `known`). */
  count: number;
}

/** The final and best epoch value of one metric key (`loss`, `val_acc`, …); null when never finite. */
export interface MetricResult {
  final: number | null;
  best: number | null;
}

/** One compared run: what the runs table, the legend and the hyperparameter view show. */
export interface CompareRun {
  runId: string;
  /** The name the user gave it, or its id. */
  label: string;
  runDir: string;
  modelFile: string;
  status: RunStatus;
  /** ms since the Unix epoch. */
  startedAt: number;
  durationMs: number | null;
  dataset: string;
  epochs: number;
  batchSize: number;
  validationSplit: number;
  /** The optimizer's name when the run recorded it; null otherwise. */
  optimizer: string | null;
  /** The learning rate: recorded, or the first batch's `lr`; null when unknown. */
  learningRate: number | null;
  params: number | null;
  batchesPerEpoch: number;
  /** Batch points the host holds for it. */
  batches: number;
  /** Model metric keys its batches report (loss, acc, …; no run statistics). */
  batchMetrics: string[];
  /** Epoch lines: the epoch's end (step of its last batch, time) and its metric values. */
  epochLines: { epoch: number; step: number | null; time: number; metrics: Record<string, number | null> }[];
  /** Per metric key of the epoch lines: final and best. */
  results: Record<string, MetricResult>;
}

/** Folds one event into a run view (returns the same object, mutated, for cheap streaming). */
export function applyRunEvent(view: RunView, event: RunEvent): RunView {
  switch (event.type) {
    case 'batches':
      for (const p of event.points) view.batches.push(p);
      break;
    case 'epoch':
      view.epochs.push(event.point);
      break;
    case 'paused':
      view.paused = true;
      break;
    case 'resumed':
      view.paused = false;
      break;
    case 'stopping':
      view.stopping = true;
      break;
    case 'checkpoint':
      view.checkpoints = { ...view.checkpoints, [event.checkpoint.kind]: event.checkpoint };
      break;
    case 'eval':
      view.evalReport = event.report;
      break;
    case 'histograms':
      (view.histograms ??= []).push(event.line);
      break;
    case 'backend':
      view.backend = event.backend;
      break;
    case 'end':
      view.status = event.status;
      view.paused = false;
      view.stopping = false;
      if (event.error) view.error = event.error;
      if (event.time !== undefined) view.endedAt = event.time;
      break;
  }
  return view;
}

// ---- schemas (receiving side) ------------------------------------------------------------------

// A diverging loss is NaN, and VS Code's postMessage serializes as JSON, so NaN arrives as null:
// accept it (the charts draw a gap for null) rather than drop the whole batch and freeze the panel.
// Typed as a number like the trainer's metrics: the charts are the only readers and handle null.
const WireMetricSchema = MetricValueSchema;
const WireMetricsSchema = v.record(v.string(), WireMetricSchema);
const WireBatchPointSchema = v.object({ ...BatchPointSchema.entries, metrics: WireMetricsSchema });
const WireEpochPointSchema = v.object({ ...EpochPointSchema.entries, metrics: WireMetricsSchema });

const CheckpointEntrySchema = v.object({
  ...CheckpointInfoSchema.entries,
  // A best checkpoint's monitored value may be NaN, which JSON turns into null.
  value: v.optional(WireMetricSchema),
  dir: v.string(),
});

const EndStatusSchema = v.picklist(END_STATUSES);

const RunViewSchema = v.object({
  runId: v.string(),
  modelFile: v.string(),
  runDir: v.string(),
  backend: v.optional(BackendInfoSchema),
  config: v.optional(ResolvedConfigSchema),
  batchesPerEpoch: v.number(),
  layers: v.array(LayerSummarySchema),
  totalParams: v.number(),
  status: v.picklist(RUN_STATUSES),
  error: v.optional(RunErrorSchema),
  startedAt: v.number(),
  endedAt: v.optional(v.number()),
  batches: v.array(WireBatchPointSchema),
  epochs: v.array(WireEpochPointSchema),
  mode: v.optional(v.picklist(RUN_MODES)),
  paused: v.optional(v.boolean()),
  stopping: v.optional(v.boolean()),
  checkpoints: v.optional(v.object({ last: v.optional(CheckpointEntrySchema), best: v.optional(CheckpointEntrySchema) })),
  evalReport: v.optional(EvalReportSchema),
  histograms: v.optional(v.array(HistogramLineSchema)),
});

const RunEventSchema = v.variant('type', [
  v.object({ type: v.literal('batches'), points: v.array(WireBatchPointSchema) }),
  v.object({ type: v.literal('epoch'), point: WireEpochPointSchema }),
  v.object({ type: v.literal('paused') }),
  v.object({ type: v.literal('resumed') }),
  v.object({ type: v.literal('stopping') }),
  v.object({ type: v.literal('checkpoint'), checkpoint: CheckpointEntrySchema }),
  v.object({ type: v.literal('eval'), report: EvalReportSchema }),
  v.object({ type: v.literal('histograms'), line: HistogramLineSchema }),
  v.object({ type: v.literal('end'), status: EndStatusSchema, error: v.optional(RunErrorSchema), time: v.optional(v.number()) }),
  v.object({ type: v.literal('backend'), backend: BackendInfoSchema }),
]);

const seq = v.pipe(v.number(), v.safeInteger());
const runIdOfPanel = v.pipe(v.string(), v.maxLength(199));

/** Commands about an ended run the panel shows. */
export const RUN_AGAIN_COMMANDS = ['trainAgain', 'trainWithChanges'] as const;
const lineNumber = v.pipe(v.number(), v.safeInteger(), v.minValue(1));
const finiteOrNull = v.nullable(v.pipe(v.number(), v.finite()));
const SeriesRequestSchema = v.object({
  type: v.literal('seriesRequest'),
  id: seq,
  metric: v.pipe(v.string(), v.maxLength(200)),
  axis: v.picklist(COMPARE_X_AXES),
  x0: finiteOrNull,
  x1: finiteOrNull,
  // A chart a few thousand pixels wide at most: a bigger ask would make the host ship every point.
  pixels: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(8192)),
  smoothing: v.pipe(v.number(), v.minValue(0), v.maxValue(0.999)),
  known: v.optional(v.record(v.pipe(v.string(), v.maxLength(200)), v.number())),
});

const ValuesRequestSchema = v.object({
  type: v.literal('valuesRequest'),
  id: seq,
  metric: v.pipe(v.string(), v.maxLength(200)),
  axis: v.picklist(COMPARE_X_AXES),
  x: v.pipe(v.number(), v.finite()),
  smoothing: v.pipe(v.number(), v.minValue(0), v.maxValue(0.999)),
});

const WebviewToHostSchema = v.variant('type', [
  v.object({ type: v.literal('ready') }),
  ...RUN_CONTROL_COMMANDS.map((type) => v.object({ type: v.literal(type), runId: runIdOfPanel })),
  ...RUN_AGAIN_COMMANDS.map((type) => v.object({ type: v.literal(type), runId: v.pipe(runIdOfPanel, v.minLength(1)) })),
  v.object({ type: v.literal('openLocation'), file: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)), line: v.optional(lineNumber), column: v.optional(lineNumber) }),
  SeriesRequestSchema,
  ValuesRequestSchema,
  v.object({ type: v.literal('closeCompare') }),
]);

const nullableNumber = v.nullable(v.number());
// Slices carry thousands of numbers per run and arrive several times a second: one plain loop per
// array instead of a schema per element (the check is the same: numbers, or null for a gap).
const NumberArraySchema = v.custom<number[]>((x) => {
  if (!Array.isArray(x)) return false;
  for (const n of x) if (typeof n !== 'number') return false;
  return true;
}, 'not an array of numbers');
const GappyArraySchema = v.custom<(number | null)[]>((x) => {
  if (!Array.isArray(x)) return false;
  for (const n of x) if (n !== null && typeof n !== 'number') return false;
  return true;
}, 'not an array of numbers and nulls');
const SeriesSliceSchema = v.pipe(
  v.object({ x: NumberArraySchema, raw: GappyArraySchema, smoothed: GappyArraySchema, visible: v.number(), count: v.number() }),
  v.check((s) => s.raw.length === s.x.length && s.smoothed.length === s.x.length, 'x, raw and smoothed differ in length'),
);
const CompareRunSchema = v.object({
  runId: v.string(),
  label: v.string(),
  runDir: v.string(),
  modelFile: v.string(),
  status: v.picklist(RUN_STATUSES),
  startedAt: v.number(),
  durationMs: nullableNumber,
  dataset: v.string(),
  epochs: v.number(),
  batchSize: v.number(),
  validationSplit: v.number(),
  optimizer: v.nullable(v.string()),
  learningRate: nullableNumber,
  params: nullableNumber,
  batchesPerEpoch: v.number(),
  batches: v.number(),
  batchMetrics: v.array(v.string()),
  epochLines: v.array(v.object({ epoch: v.number(), step: nullableNumber, time: v.number(), metrics: v.record(v.string(), nullableNumber) })),
  results: v.record(v.string(), v.object({ final: nullableNumber, best: nullableNumber })),
});

const HostToWebviewSchema = v.variant('type', [
  v.object({ type: v.literal('snapshot'), seq, run: v.nullable(RunViewSchema), preview: v.optional(DatasetPreviewSchema) }),
  v.object({ type: v.literal('event'), seq, runId: v.string(), event: RunEventSchema }),
  v.object({ type: v.literal('compare'), version: seq, runs: v.array(CompareRunSchema) }),
  v.object({ type: v.literal('seriesResponse'), id: seq, metric: v.string(), runs: v.array(v.object({ runId: v.string(), slice: SeriesSliceSchema })) }),
  v.object({
    type: v.literal('valuesResponse'),
    id: seq,
    metric: v.string(),
    values: v.array(v.object({ runId: v.string(), x: v.number(), step: v.number(), raw: nullableNumber, smoothed: nullableNumber })),
  }),
]);

/**
 * An eval.json the panel can draw: every field the panel reads is checked (a square confusion
 * matrix as wide as the class list, samples with drawable inputs).
 */
export function isDrawableEvalReport(value: unknown): value is EvalReport {
  return parseEvalReport(value) !== undefined;
}

/** Validates a message received by the host from the webview; undefined (`onInvalid` hears why) for anything else. */
export function parseWebviewToHost(msg: unknown, onInvalid?: (why: string) => void): WebviewToHost | undefined {
  const r = v.safeParse(WebviewToHostSchema, msg);
  if (r.success) return r.output satisfies WebviewToHost;
  onInvalid?.(describeIssues(r.issues));
  return undefined;
}

/**
 * Validates a message received by the webview from the host; undefined (`onInvalid` hears why) for
 * anything else. The webview renders every field it reads, so a snapshot is checked field by field:
 * a bad one is dropped whole instead of half-drawing a run.
 */
export function parseHostToWebview(msg: unknown, onInvalid?: (why: string) => void): HostToWebview | undefined {
  const r = v.safeParse(HostToWebviewSchema, msg);
  if (r.success) return r.output satisfies HostToWebview;
  onInvalid?.(describeIssues(r.issues));
  return undefined;
}
