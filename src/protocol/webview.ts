/**
 * The host <-> webview boundary (training panel). Imports only types from the trainer protocol and
 * holds the one pure reducer both sides use to fold run events into a view of the run.
 */
import type { BackendInfo, BatchPoint, EpochPoint, LayerSummary, ResolvedConfig, RunError, RunStatus } from './trainer';

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
}

/** A change to a run, folded into a RunView by `applyRunEvent`. */
export type RunEvent =
  | { type: 'batches'; points: BatchPoint[] }
  | { type: 'epoch'; point: EpochPoint }
  | { type: 'end'; status: Exclude<RunStatus, 'running'>; error?: RunError; time?: number };

/** Webview -> host. Commands are fire and forget. */
export type WebviewToHost =
  /** Webview sends when its script has loaded; the host answers with a `snapshot`. */
  | { type: 'ready' }
  /**
   * Webview sends when the user presses Stop. `runId` is the run it shows; '' while the trainer has
   * not named the run yet (loading data), which still means "the run in progress".
   */
  | { type: 'stop'; runId: string };

/** Host -> webview notifications. `seq` increases by one per message, so the webview can spot a gap. */
export type HostToWebview =
  /** Host sends after `ready`, on becoming visible again, and when a new run starts: the whole state. */
  | { type: 'snapshot'; seq: number; run: RunView | null }
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
    case 'end':
      view.status = event.status;
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
    Array.isArray(r.epochs) && r.epochs.every(isEpochPoint)
  );
}

function isRunEvent(e: unknown): e is RunEvent {
  if (!isObj(e)) return false;
  switch (e.type) {
    case 'batches':
      return Array.isArray(e.points) && e.points.every(isBatchPoint);
    case 'epoch':
      return isEpochPoint(e.point);
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
  if (msg.type === 'stop' && typeof msg.runId === 'string' && msg.runId.length < 200)
    return { type: 'stop', runId: msg.runId };
  return undefined;
}

/** Validates a message received by the webview from the host. */
export function parseHostToWebview(msg: unknown): HostToWebview | undefined {
  if (!isObj(msg) || !Number.isSafeInteger(msg.seq)) return undefined;
  if (msg.type === 'snapshot') {
    return msg.run === null || isRunView(msg.run) ? (msg as unknown as HostToWebview) : undefined;
  }
  if (msg.type === 'event' && isStr(msg.runId) && isRunEvent(msg.event)) return msg as unknown as HostToWebview;
  return undefined;
}
