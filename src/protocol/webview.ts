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
  | { type: 'end'; status: Exclude<RunStatus, 'running'>; error?: RunError; time?: number };

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
  | { type: 'openLocation'; file: string; line?: number; column?: number };

/** Host -> webview notifications. `seq` increases by one per message, so the webview can spot a gap. */
export type HostToWebview =
  /**
   * Host sends after `ready`, on becoming visible again, when a new run starts and when a dataset
   * preview arrives: the whole state. `preview` is the last "Preview Dataset" result, if any.
   */
  | { type: 'snapshot'; seq: number; run: RunView | null; preview?: DatasetPreview }
  /** Host sends as the run progresses: one change to the run in the last snapshot. */
  | { type: 'event'; seq: number; runId: string; event: RunEvent };

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
]);

const seq = v.pipe(v.number(), v.safeInteger());
const runIdOfPanel = v.pipe(v.string(), v.maxLength(199));

/** Commands about an ended run the panel shows. */
export const RUN_AGAIN_COMMANDS = ['trainAgain', 'trainWithChanges'] as const;
const lineNumber = v.pipe(v.number(), v.safeInteger(), v.minValue(1));

const WebviewToHostSchema = v.variant('type', [
  v.object({ type: v.literal('ready') }),
  ...RUN_CONTROL_COMMANDS.map((type) => v.object({ type: v.literal(type), runId: runIdOfPanel })),
  ...RUN_AGAIN_COMMANDS.map((type) => v.object({ type: v.literal(type), runId: v.pipe(runIdOfPanel, v.minLength(1)) })),
  v.object({ type: v.literal('openLocation'), file: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)), line: v.optional(lineNumber), column: v.optional(lineNumber) }),
]);

const HostToWebviewSchema = v.variant('type', [
  v.object({ type: v.literal('snapshot'), seq, run: v.nullable(RunViewSchema), preview: v.optional(DatasetPreviewSchema) }),
  v.object({ type: v.literal('event'), seq, runId: v.string(), event: RunEventSchema }),
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
