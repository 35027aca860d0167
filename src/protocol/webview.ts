/**
 * The host <-> webview boundary (training panel). Imports only types from the trainer protocol and
 * holds the one pure reducer both sides use to fold run events into a view of the run.
 */
import type { BackendInfo, BatchPoint, EpochPoint, LayerSummary, ResolvedConfig, RunError, RunStatus } from './trainer';

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
  batches: BatchPoint[];
  epochs: EpochPoint[];
}

/** A change to a run, folded into a RunView by `applyRunEvent`. */
export type RunEvent =
  | { type: 'batches'; points: BatchPoint[] }
  | { type: 'epoch'; point: EpochPoint }
  | { type: 'end'; status: Exclude<RunStatus, 'running'>; error?: RunError };

/** Webview -> host. Commands are fire and forget. */
export type WebviewToHost =
  /** Webview sends when its script has loaded; the host answers with a `snapshot`. */
  | { type: 'ready' }
  /** Webview sends when the user presses Stop. */
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
      break;
  }
  return view;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates a message received by the host from the webview. */
export function parseWebviewToHost(msg: unknown): WebviewToHost | undefined {
  if (!isObj(msg)) return undefined;
  if (msg.type === 'ready') return { type: 'ready' };
  if (msg.type === 'stop' && typeof msg.runId === 'string' && msg.runId.length > 0 && msg.runId.length < 200)
    return { type: 'stop', runId: msg.runId };
  return undefined;
}

/** Validates a message received by the webview from the host. */
export function parseHostToWebview(msg: unknown): HostToWebview | undefined {
  if (!isObj(msg) || typeof msg.seq !== 'number') return undefined;
  if (msg.type === 'snapshot') {
    if (msg.run === null) return msg as unknown as HostToWebview;
    const r = msg.run;
    return isObj(r) && typeof r.runId === 'string' && Array.isArray(r.batches) && Array.isArray(r.epochs) &&
      typeof r.status === 'string'
      ? (msg as unknown as HostToWebview)
      : undefined;
  }
  if (msg.type === 'event' && typeof msg.runId === 'string' && isObj(msg.event)) {
    const e = msg.event;
    if (e.type === 'batches' && Array.isArray(e.points)) return msg as unknown as HostToWebview;
    if (e.type === 'epoch' && isObj(e.point)) return msg as unknown as HostToWebview;
    if (e.type === 'end' && typeof e.status === 'string') return msg as unknown as HostToWebview;
  }
  return undefined;
}
