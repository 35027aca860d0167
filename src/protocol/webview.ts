/**
 * The host <-> webview boundary (training panel). Imports only types from the trainer protocol and
 * holds the one pure reducer both sides use to fold run events into a view of the run.
 */
import { parseDatasetPreview, type DatasetPreview } from './datasetPreview';
import { parseEvalReport, type EvalReport } from './evalReport';
import type { BackendInfo, BatchPoint, CheckpointInfo, EpochPoint, LayerSummary, ResolvedConfig, RunError, RunMode, RunStatus } from './trainer';

// Duplicated from trainer.ts rather than imported as a value: the webview bundle should pull in only
// this module, and the list is part of the protocol's contract anyway.
const RUN_STATUSES: readonly RunStatus[] = ['running', 'completed', 'stopped', 'failed', 'crashed'];

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
  /** The latest checkpoint of each kind, with its folder. */
  checkpoints?: { last?: CheckpointEntry; best?: CheckpointEntry };
  /** The run folder's eval.json, once the run has ended and the trainer wrote one. */
  evalReport?: EvalReport;
}

/** A checkpoint the trainer reported, with its folder (absolute). */
export type CheckpointEntry = CheckpointInfo & { dir: string };

/** A change to a run, folded into a RunView by `applyRunEvent`. */
export type RunEvent =
  | { type: 'batches'; points: BatchPoint[] }
  | { type: 'epoch'; point: EpochPoint }
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'checkpoint'; checkpoint: CheckpointEntry }
  | { type: 'eval'; report: EvalReport }
  | { type: 'end'; status: Exclude<RunStatus, 'running'>; error?: RunError; time?: number };

/** Run-control commands the panel's buttons send; each names the run it shows (see `stop`). */
export const RUN_CONTROL_COMMANDS = ['stop', 'pause', 'resume', 'checkpoint'] as const;
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
  | { type: 'checkpoint'; runId: string };

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
    case 'checkpoint':
      view.checkpoints = { ...view.checkpoints, [event.checkpoint.kind]: event.checkpoint };
      break;
    case 'eval':
      view.evalReport = event.report;
      break;
    case 'end':
      view.status = event.status;
      view.paused = false;
      if (event.error) view.error = event.error;
      if (event.time !== undefined) view.endedAt = event.time;
      break;
  }
  return view;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number';
const isStr = (v: unknown): v is string => typeof v === 'string';
const isOptStr = (v: unknown): boolean => v === undefined || isStr(v);
const isOptNum = (v: unknown): boolean => v === undefined || isNum(v);
// A diverging loss is NaN, and VS Code's postMessage serializes as JSON, so NaN arrives as null: accept
// it (the charts draw a gap) rather than drop the whole batch and freeze the panel.
const isMetrics = (v: unknown): boolean => isObj(v) && Object.values(v).every((x) => x === null || isNum(x));
const isRunStatus = (v: unknown): v is RunStatus => (RUN_STATUSES as readonly unknown[]).includes(v);
const isEndStatus = (v: unknown): boolean => isRunStatus(v) && v !== 'running';
const isRunError = (v: unknown): boolean =>
  isObj(v) && isStr(v.message) && isOptStr(v.file) && isOptNum(v.line) && isOptNum(v.column) && isOptStr(v.details);
const isBatchPoint = (v: unknown): boolean =>
  isObj(v) && isNum(v.epoch) && isNum(v.batch) && isNum(v.step) && isNum(v.time) && isMetrics(v.metrics);
const isEpochPoint = (v: unknown): boolean => isObj(v) && isNum(v.epoch) && isNum(v.time) && isMetrics(v.metrics);
const isCheckpoint = (v: unknown): boolean =>
  isObj(v) && (v.kind === 'last' || v.kind === 'best') && isStr(v.dir) && isStr(v.reason) && isNum(v.epoch) && isNum(v.step) &&
  isNum(v.epochsCompleted) && isNum(v.time) && isOptStr(v.monitor) && (v.value === undefined || v.value === null || isNum(v.value));
const isNumArr = (v: unknown): v is number[] => Array.isArray(v) && v.every(isNum);
const isNumOrNull = (v: unknown): boolean => v === null || isNum(v);
const isSampleInput = (v: unknown): boolean =>
  isObj(v) &&
  ((v.kind === 'image' && Number.isInteger(v.width) && Number.isInteger(v.height) && (v.channels === 1 || v.channels === 3) &&
    isNumArr(v.pixels) && v.pixels.length === (v.width as number) * (v.height as number) * v.channels) ||
    (v.kind === 'vector' && isNumArr(v.values) && isNum(v.length)));
const isHistogram = (v: unknown): boolean =>
  isObj(v) && isNumArr(v.edges) && isNumArr(v.counts) && (v.counts.length === 0 || v.edges.length === v.counts.length + 1);

/**
 * An eval.json the panel can draw: parseEvalReport checks the frame, this checks every field the
 * panel reads (a square confusion matrix as wide as the class list, samples with drawable inputs).
 */
export function isDrawableEvalReport(v: unknown): v is EvalReport {
  const r = parseEvalReport(v);
  if (!r) return false;
  return r.outputs.every((o: unknown) => {
    if (!isObj(o)) return false;
    switch (o.kind) {
      case 'classification': {
        const names = o.classNames;
        if (!Array.isArray(names) || !names.every(isStr) || !isNum(o.accuracy)) return false;
        const k = names.length;
        if (!Array.isArray(o.confusion) || o.confusion.length !== k || !o.confusion.every((row) => isNumArr(row) && row.length === k)) return false;
        if (!Array.isArray(o.perClass) || o.perClass.length !== k) return false;
        if (!o.perClass.every((c) => isObj(c) && isNumOrNull(c.precision) && isNumOrNull(c.recall) && isNumOrNull(c.f1) && isNum(c.support))) return false;
        return Array.isArray(o.samples) && o.samples.every((s) => isObj(s) && isNum(s.label) && isNum(s.predicted) && isSampleInput(s.input) &&
          Array.isArray(s.top) && s.top.every((t) => isObj(t) && isNum(t.class) && isNum(t.probability)));
      }
      case 'regression':
        return isNumOrNull(o.mae) && isNumOrNull(o.rmse) && isNumOrNull(o.r2) && isHistogram(o.errorHistogram) && Array.isArray(o.samples) &&
          o.samples.every((s) => isObj(s) && isSampleInput(s.input) && isNumArr(s.target) && isNumArr(s.predicted));
      case 'autoencoder':
        return isNumOrNull(o.meanError) && isHistogram(o.errorHistogram) && Array.isArray(o.samples) &&
          o.samples.every((s) => isObj(s) && isSampleInput(s.input) && isSampleInput(s.reconstruction) && isNumOrNull(s.error));
      default:
        return false;
    }
  });
}

const isLayer = (v: unknown): boolean =>
  isObj(v) && isStr(v.name) && isStr(v.className) && Array.isArray(v.outputShape) && isNum(v.params);

// The webview renders every field it reads, so a snapshot is checked field by field: a bad one is
// dropped whole instead of half-drawing a run.
function isRunView(r: unknown): r is RunView {
  return (
    isObj(r) && isStr(r.runId) && isStr(r.modelFile) && isStr(r.runDir) && isNum(r.batchesPerEpoch) &&
    isNum(r.totalParams) && isRunStatus(r.status) && isNum(r.startedAt) && isOptNum(r.endedAt) &&
    (r.error === undefined || isRunError(r.error)) &&
    (r.backend === undefined || (isObj(r.backend) && isStr(r.backend.name) && isStr(r.backend.reason))) &&
    (r.config === undefined || (isObj(r.config) && isNum(r.config.epochs) && isNum(r.config.batchSize))) &&
    Array.isArray(r.layers) && r.layers.every(isLayer) &&
    Array.isArray(r.batches) && r.batches.every(isBatchPoint) &&
    Array.isArray(r.epochs) && r.epochs.every(isEpochPoint) &&
    (r.mode === undefined || r.mode === 'train' || r.mode === 'script') &&
    (r.paused === undefined || typeof r.paused === 'boolean') &&
    (r.checkpoints === undefined ||
      (isObj(r.checkpoints) && (r.checkpoints.last === undefined || isCheckpoint(r.checkpoints.last)) &&
        (r.checkpoints.best === undefined || isCheckpoint(r.checkpoints.best)))) &&
    (r.evalReport === undefined || isDrawableEvalReport(r.evalReport))
  );
}

function isRunEvent(e: unknown): e is RunEvent {
  if (!isObj(e)) return false;
  switch (e.type) {
    case 'batches':
      return Array.isArray(e.points) && e.points.every(isBatchPoint);
    case 'epoch':
      return isEpochPoint(e.point);
    case 'paused':
    case 'resumed':
      return true;
    case 'checkpoint':
      return isCheckpoint(e.checkpoint);
    case 'eval':
      return isDrawableEvalReport(e.report);
    case 'end':
      return isEndStatus(e.status) && (e.error === undefined || isRunError(e.error)) && isOptNum(e.time);
    default:
      return false;
  }
}

/** Validates a message received by the host from the webview. */
export function parseWebviewToHost(msg: unknown): WebviewToHost | undefined {
  if (!isObj(msg)) return undefined;
  if (msg.type === 'ready') return { type: 'ready' };
  if ((RUN_CONTROL_COMMANDS as readonly unknown[]).includes(msg.type) && typeof msg.runId === 'string' && msg.runId.length < 200)
    return { type: msg.type as RunControlCommand, runId: msg.runId };
  return undefined;
}

/** Validates a message received by the webview from the host. */
export function parseHostToWebview(msg: unknown): HostToWebview | undefined {
  if (!isObj(msg) || !Number.isSafeInteger(msg.seq)) return undefined;
  if (msg.type === 'snapshot') {
    if (msg.preview !== undefined && !parseDatasetPreview(msg.preview)) return undefined;
    return msg.run === null || isRunView(msg.run) ? (msg as unknown as HostToWebview) : undefined;
  }
  if (msg.type === 'event' && isStr(msg.runId) && isRunEvent(msg.event)) return msg as unknown as HostToWebview;
  return undefined;
}
