/**
 * The training panel's whole state, and the one function that changes it: raw messages from the host
 * and the user's actions go in, the view model comes out. No DOM, no timers, no clock of its own
 * (`now` is passed in), so every behaviour is unit-tested with real message sequences.
 * (Modelled on GitLens's `src/webviews/apps/*\/stateProvider.ts`.)
 *
 * Runs are kept by run id, so overlaying several runs later needs no new shape. A run's batch points
 * are held as columns (typed arrays, one per metric) rather than objects: memory is 8 bytes per value
 * and the charts read them without a copy.
 */
import type { DatasetPreview } from '../../src/protocol/datasetPreview';
import { BatchThinner } from '../../src/protocol/thinBatches';
import { RUN_STAT_KEYS, type BackendInfo, type EpochPoint, type Metrics } from '../../src/protocol/trainer';
import { applyCompare, applySeries, applyValues, emptyCompare, refreshRequests, seriesRequest, toggleSort, valuesRequest, type CompareState, type HyperKey } from './compareState';
import { applyRunEvent, parseHostToWebview, type HostToWebview, type RunView, type WebviewToHost } from '../../src/protocol/webview';
import { validCell, type CellChoice } from './evalModel';

/** How long "Checkpoint now" stays busy when its checkpoint report never comes. */
export const CHECKPOINT_TIMEOUT_MS = 15_000;

export type XAxis = 'step' | 'epoch' | 'time';

/** What the user set on the charts; kept across reloads by the DOM side (webview state). */
export interface ChartOptions {
  /** TensorBoard's smoothing weight, 0 (none) to 0.99. */
  smoothing: number;
  logY: boolean;
  xAxis: XAxis;
  /** Confusion matrix cells as row shares instead of counts. */
  normalise: boolean;
  /** Also chart the learning rate and samples/s. */
  extraCharts: boolean;
}

export const DEFAULT_OPTIONS: ChartOptions = { smoothing: 0.6, logY: false, xAxis: 'step', normalise: false, extraCharts: false };

/** One run's batch series, column by column, grown in place as batches stream in. */
export class RunColumns {
  count = 0;
  private capacity = 0;
  step: Float64Array<ArrayBuffer> = new Float64Array(0);
  time: Float64Array<ArrayBuffer> = new Float64Array(0);
  epoch: Float64Array<ArrayBuffer> = new Float64Array(0);
  batch: Float64Array<ArrayBuffer> = new Float64Array(0);
  /** Metric name → values; NaN where a batch has no finite value (missing, NaN, ±Infinity, null). */
  readonly values = new Map<string, Float64Array>();
  /** Metric name → how many batches reported it as NaN/±Infinity/null (shown, never hidden). */
  readonly nonFinite = new Map<string, number>();
  /** Metric name → how many batches have a finite value for it. */
  readonly finite = new Map<string, number>();

  private grow(min: number): void {
    if (min <= this.capacity) return;
    const size = Math.max(min, this.capacity * 2, 256);
    const g = (old: Float64Array): Float64Array<ArrayBuffer> => {
      const next = new Float64Array(size).fill(Number.NaN);
      next.set(old.subarray(0, this.count));
      return next;
    };
    this.step = g(this.step);
    this.time = g(this.time);
    this.epoch = g(this.epoch);
    this.batch = g(this.batch);
    for (const [k, v] of this.values) this.values.set(k, g(v));
    this.capacity = size;
  }

  /** Appends one batch; returns the metric names seen for the first time. */
  push(p: { step: number; time: number; epoch: number; batch: number; metrics: Metrics }): string[] {
    this.grow(this.count + 1);
    const i = this.count;
    this.step[i] = p.step;
    this.time[i] = p.time;
    this.epoch[i] = p.epoch;
    this.batch[i] = p.batch;
    const fresh: string[] = [];
    for (const [k, raw] of Object.entries(p.metrics)) {
      let col = this.values.get(k);
      if (!col) {
        // A metric that appears mid-run: earlier batches simply have no value for it.
        col = new Float64Array(this.capacity).fill(Number.NaN);
        this.values.set(k, col);
        fresh.push(k);
      }
      const v = raw as number | null;
      if (typeof v === 'number' && Number.isFinite(v)) {
        col[i] = v;
        this.finite.set(k, (this.finite.get(k) ?? 0) + 1);
      } else this.nonFinite.set(k, (this.nonFinite.get(k) ?? 0) + 1);
    }
    this.count = i + 1;
    return fresh;
  }

  /** The live prefix of a column (no copy); undefined when no batch reported the metric. */
  column(key: string): Float64Array | undefined {
    return this.values.get(key)?.subarray(0, this.count);
  }

  /**
   * Replaced by a new object whenever earlier points change (the columns were thinned), so what is
   * computed incrementally from them (smoothing, x values, block summaries) starts over.
   */
  layout: object = {};

  /** Keeps the batches marked in `keep` (in order) and drops the others. */
  compact(keep: Uint8Array): void {
    const n = this.count;
    const idx = new Int32Array(n);
    let m = 0;
    for (let i = 0; i < n; i++) if (keep[i]) idx[m++] = i;
    const squeeze = (col: Float64Array): void => {
      for (let j = 0; j < m; j++) col[j] = col[idx[j]];
      // Freed places read as "not reported" for the batches that come next.
      col.fill(Number.NaN, m, n);
    };
    for (const col of [this.step, this.time, this.epoch, this.batch]) squeeze(col);
    for (const col of this.values.values()) squeeze(col);
    this.count = m;
    this.layout = {};
  }
}

/** Where each epoch's batches sit in the columns. */
export interface EpochSpan {
  first: number;
  last: number;
  count: number;
}

/**
 * How many batches the epoch ran: its points, or its last batch's index + 1 when the host sent a
 * long run thinned (extremes and epoch edges kept), so a whole epoch never reads as cut short.
 */
export function batchesRun(track: RunTrack, span: EpochSpan): number {
  const last = track.columns.batch[span.last];
  return Math.max(span.count, Number.isFinite(last) ? last + 1 : 0);
}

/** Everything kept about one run. */
export interface RunTrack {
  /** The host's view, without `batches` (moved into `columns` to keep memory flat). */
  view: RunView;
  columns: RunColumns;
  /** Batch-index range per epoch number. */
  spans: Map<number, EpochSpan>;
  /** Model metric base names in the order to chart them: loss first, then as they first appeared. */
  metrics: string[];
  /** Pauses seen (local ms): `end` unset while paused. */
  pauses: { start: number; end?: number }[];
  /** Batch points refused because their step did not move forward (duplicates, out of order). */
  droppedBatches: number;
  /**
   * Bounds `columns` however long a live run streams, by the host's own rule for its view
   * (src/protocol/thinBatches.ts): per group of batches the first, last, each metric's min, max
   * and first NaN, every epoch's edges.
   */
  thinner: BatchThinner;
}

export interface PanelState {
  runs: Map<string, RunTrack>;
  /** The run shown; null for the empty state. */
  shown: string | null;
  lastSeq: number;
  /** True after asking for a snapshot, so a burst of out-of-order events asks only once. */
  awaitingSnapshot: boolean;
  /** Run for which Stop was pressed; the button stays disabled until that run ends. */
  stoppingRunId?: string;
  /** Pause or Resume pressed and not yet confirmed. */
  pausing?: 'pause' | 'resume';
  /** When "Checkpoint now" was pressed, until its checkpoint is reported or the timeout passes. */
  checkpointingSince?: number;
  preview?: DatasetPreview;
  /** Bumped when `preview` changes, so the DOM redraws it only then. */
  previewVersion: number;
  tab: 'run' | 'data' | 'compare';
  /** The confusion-matrix cell whose samples are shown (unset: the whole gallery). */
  cell?: CellChoice;
  /** The runs compared (empty when no comparison is open); their series stay in the host. */
  compare: CompareState;
  /** Messages from the host that failed validation. */
  dropped: number;
  /** Events already applied (same or older seq) and ignored. */
  duplicates: number;
  options: ChartOptions;
  /** Pauses of a run restored from the webview's saved state (the page is rebuilt when hidden). */
  restoredPauses?: SavedPauses;
  /** Tab and matrix cell restored from saved state, applied when the snapshot shows that run again. */
  restoredView?: NonNullable<SavedState['view']>;
  /** Bumped on every change to a run, so the DOM knows when to redraw. */
  version: number;
}

/** What the panel saves for itself (VS Code's webview state survives hide/show and reloads). */
export interface SavedState {
  options: ChartOptions;
  pauses?: SavedPauses;
  /** Which tab and which matrix cell were shown, for the run they belong to. */
  view?: { runId: string; runDir?: string; tab: 'run' | 'data'; cell?: CellChoice };
}

export interface SavedPauses {
  runId: string;
  pauses: { start: number; end?: number }[];
}

export type Action =
  /** A message from the host, unvalidated. */
  | { type: 'message'; data: unknown }
  /** The user pressed a run control. */
  | { type: 'control'; command: 'stop' | 'pause' | 'checkpoint' }
  /** The user pressed Train Again or Train with Changes on an ended run. */
  | { type: 'again'; command: 'trainAgain' | 'trainWithChanges' }
  /** The user clicked the error's file:line:col. */
  | { type: 'openError' }
  /** Time passed (drives the checkpoint timeout). */
  | { type: 'tick' }
  | { type: 'tab'; tab: 'run' | 'data' | 'compare' }
  /** The user picked a confusion-matrix cell (null: back to all samples). */
  | { type: 'cell'; cell: CellChoice | null }
  /** A comparison chart needs the points of its viewport (answered by the host). */
  | { type: 'compareRequest'; metric: string; axis: XAxis; x0: number | null; x1: number | null; pixels: number; smoothing: number }
  /** The pointer is over a comparison chart at `x`: its exact values are asked for (answered by the host). */
  | { type: 'compareHover'; metric: string; axis: XAxis; x: number; smoothing: number }
  /** The user toggled a run in the comparison's legend. */
  | { type: 'compareToggle'; runId: string }
  /** The user sorted the runs table by a column. */
  | { type: 'compareSort'; column: string }
  /** The user chose the hyperparameter view's axes. */
  | { type: 'compareScatter'; x?: HyperKey; y?: string }
  /** The user closed the comparison. */
  | { type: 'compareClose' }
  | { type: 'options'; options: Partial<ChartOptions> };

/** A fresh state, from what an earlier page of this panel saved (anything; checked here). */
export function initialState(options: Partial<ChartOptions> = {}, saved?: unknown): PanelState {
  return {
    restoredPauses: parseSavedPauses((saved as { pauses?: unknown } | undefined)?.pauses),
    restoredView: parseSavedView((saved as { view?: unknown } | undefined)?.view),
    runs: new Map(),
    shown: null,
    lastSeq: -1,
    awaitingSnapshot: true,
    previewVersion: 0,
    tab: 'run',
    compare: emptyCompare(),
    dropped: 0,
    duplicates: 0,
    options: sanitizeOptions({ ...DEFAULT_OPTIONS, ...options }),
    version: 0,
  };
}

function parseSavedPauses(v: unknown): SavedPauses | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { runId, pauses } = v as { runId?: unknown; pauses?: unknown };
  if (typeof runId !== 'string' || !Array.isArray(pauses)) return undefined;
  const ok = pauses.every(
    (p) => typeof p === 'object' && p !== null && Number.isFinite(p.start) && (p.end === undefined || (Number.isFinite(p.end) && p.end >= p.start)),
  );
  return ok ? { runId, pauses: pauses.map((p) => ({ start: p.start, ...(p.end !== undefined ? { end: p.end } : {}) })) } : undefined;
}

function parseSavedView(v: unknown): PanelState['restoredView'] {
  if (typeof v !== 'object' || v === null) return undefined;
  const { runId, tab, cell } = v as Record<string, unknown>;
  if (typeof runId !== 'string' || (tab !== 'run' && tab !== 'data')) return undefined;
  const c = validCell(cell, undefined);
  return { runId, tab, ...(c && { cell: c }) };
}

/** What to save so a rebuilt page shows the same: the chart options, the shown run's pauses, tab and matrix cell. */
export function savedState(state: PanelState): SavedState {
  const track = shownRun(state);
  return {
    options: state.options,
    ...(track && track.pauses.length ? { pauses: { runId: track.view.runId, pauses: track.pauses } } : {}),
    // runDir: after a reload the host reopens this run (its WebviewPanelSerializer reads it, checked).
    // A comparison's series live in the host and are not reopened after a reload: its page comes back on the run tab.
    ...(track ? { view: { runId: track.view.runId, ...(track.view.runDir && { runDir: track.view.runDir }), tab: state.tab === 'compare' ? 'run' : state.tab, ...(state.cell && { cell: state.cell }) } } : {}),
  };
}

/** Options restored from storage may be anything: keep only valid values. */
export function sanitizeOptions(o: Partial<Record<keyof ChartOptions, unknown>>): ChartOptions {
  const s = typeof o.smoothing === 'number' && Number.isFinite(o.smoothing) ? Math.min(0.99, Math.max(0, o.smoothing)) : DEFAULT_OPTIONS.smoothing;
  const x = o.xAxis === 'step' || o.xAxis === 'epoch' || o.xAxis === 'time' ? o.xAxis : DEFAULT_OPTIONS.xAxis;
  return {
    smoothing: s,
    logY: o.logY === true,
    xAxis: x,
    normalise: o.normalise === true,
    extraCharts: o.extraCharts === true,
  };
}

/** The run shown, if any. */
export function shownRun(state: PanelState): RunTrack | undefined {
  return state.shown === null ? undefined : state.runs.get(state.shown);
}

/** Base name of a metric key: `val_loss` → `loss`. */
export const baseMetric = (key: string): string => (key.startsWith('val_') ? key.slice(4) : key);

function noteMetric(track: RunTrack, key: string): void {
  if (RUN_STAT_KEYS.includes(key)) return;
  const base = baseMetric(key);
  if (track.metrics.includes(base)) return;
  if (base === 'loss') track.metrics.unshift(base);
  else track.metrics.push(base);
}

function pushBatches(track: RunTrack, points: RunView['batches']): void {
  const c = track.columns;
  for (const p of points) {
    const lastStep = c.count > 0 ? c.step[c.count - 1] : -Infinity;
    // uPlot and the smoothing need steps that move forward; a repeated or older point is a duplicate.
    if (!(p.step > lastStep) || !Number.isFinite(p.step) || !Number.isFinite(p.time)) {
      track.droppedBatches++;
      continue;
    }
    const i = c.count;
    for (const k of c.push(p)) noteMetric(track, k);
    const span = track.spans.get(p.epoch);
    if (span) {
      span.last = i;
      span.count++;
    } else track.spans.set(p.epoch, { first: i, last: i, count: 1 });
  }
  const keys = [...c.values.keys()];
  const cols = keys.map((k) => c.values.get(k)!);
  const keep = track.thinner.mask({ count: c.count, step: (i) => c.step[i], metrics: keys.length, epoch: (i) => c.epoch[i], value: (m, i) => cols[m][i] });
  if (!keep) return;
  c.compact(keep);
  track.spans.clear();
  for (let i = 0; i < c.count; i++) {
    const span = track.spans.get(c.epoch[i]);
    if (span) {
      span.last = i;
      span.count++;
    } else track.spans.set(c.epoch[i], { first: i, last: i, count: 1 });
  }
}

function trackFromView(view: RunView, now: number): RunTrack {
  const track: RunTrack = { view, columns: new RunColumns(), spans: new Map(), metrics: [], pauses: [], droppedBatches: 0, thinner: new BatchThinner() };
  pushBatches(track, view.batches);
  view.batches = [];
  for (const e of view.epochs) for (const k of Object.keys(e.metrics)) noteMetric(track, k);
  // A snapshot taken while paused: the trainer holds right after its last batch.
  if (view.paused && view.status === 'running') {
    const c = track.columns;
    track.pauses.push({ start: c.count > 0 ? Math.min(now, c.time[c.count - 1]) : now });
  }
  return track;
}

function closePause(track: RunTrack, now: number): void {
  const open = track.pauses[track.pauses.length - 1];
  if (open && open.end === undefined) open.end = now;
}

function onHostMessage(state: PanelState, msg: Extract<HostToWebview, { type: 'snapshot' | 'event' }>, now: number, out: WebviewToHost[]): void {
  if (msg.type === 'snapshot') {
    const run = msg.run;
    const nextId = run ? run.runId : null;
    if (nextId !== state.shown) {
      state.stoppingRunId = undefined;
      state.checkpointingSince = undefined;
      state.cell = undefined;
      // A different run arriving (a new run started, a saved run opened) is what the user wants to see.
      if (state.shown !== null || run !== null) state.tab = 'run';
    }
    state.pausing = undefined;
    if (msg.preview !== undefined && JSON.stringify(msg.preview) !== JSON.stringify(state.preview)) {
      state.preview = msg.preview;
      state.previewVersion++;
      state.tab = 'data';
    }
    // The host has one run; keep the pauses seen for it when it is the same run again (a new
    // snapshot, or a page rebuilt after the panel was hidden).
    const restored = state.restoredPauses?.runId === nextId ? state.restoredPauses : undefined;
    state.restoredPauses = undefined;
    const old = nextId === null ? undefined : (state.runs.get(nextId) ?? (restored ? ({ pauses: restored.pauses } as Pick<RunTrack, 'pauses'>) : undefined));
    state.runs.clear();
    if (run) {
      const track = trackFromView(run, now);
      if (old && track.pauses.length === 0) track.pauses = old.pauses.filter((p) => p.end !== undefined);
      else if (old) track.pauses = [...old.pauses.filter((p) => p.end !== undefined), ...track.pauses.slice(-1)];
      state.runs.set(run.runId, track);
    }
    state.shown = nextId;
    // A page rebuilt for the same run comes back on the tab and cell it showed.
    const rv = state.restoredView;
    state.restoredView = undefined;
    if (rv && run && rv.runId === run.runId) {
      state.tab = rv.tab === 'data' && state.preview ? 'data' : 'run';
      const c = validCell(rv.cell, run.evalReport?.outputs);
      if (c) state.cell = c;
    }
    state.lastSeq = msg.seq;
    state.awaitingSnapshot = false;
    state.version++;
    return;
  }
  const track = shownRun(state);
  // Events before the first snapshot belong to a state we never saw; the snapshot will include them.
  if (!track || state.awaitingSnapshot) return;
  if (msg.seq <= state.lastSeq && msg.runId === state.shown) {
    state.duplicates++;
    return;
  }
  if (msg.seq !== state.lastSeq + 1 || msg.runId !== state.shown) {
    // A gap or another run's event means our copy is stale: start again from a full snapshot.
    state.awaitingSnapshot = true;
    out.push({ type: 'ready' });
    return;
  }
  state.lastSeq = msg.seq;
  const e = msg.event;
  const view = track.view;
  switch (e.type) {
    case 'batches':
      pushBatches(track, e.points);
      break;
    case 'epoch':
      applyRunEvent(view, e);
      for (const k of Object.keys(e.point.metrics)) noteMetric(track, k);
      break;
    case 'paused':
      if (!view.paused) track.pauses.push({ start: now });
      applyRunEvent(view, e);
      state.pausing = undefined;
      break;
    case 'resumed':
      closePause(track, now);
      applyRunEvent(view, e);
      state.pausing = undefined;
      break;
    case 'checkpoint':
      applyRunEvent(view, e);
      if (e.checkpoint.reason === 'request') state.checkpointingSince = undefined;
      break;
    case 'eval':
    case 'stopping':
    case 'histograms':
    case 'backend':
      applyRunEvent(view, e);
      break;
    case 'end':
      closePause(track, now);
      applyRunEvent(view, e);
      state.stoppingRunId = undefined;
      state.pausing = undefined;
      state.checkpointingSince = undefined;
      // Without the host's end time, stop the elapsed clock when the news arrives rather than never.
      view.endedAt ??= now;
      break;
  }
  state.version++;
}

/**
 * Applies one action to the state (in place, for cheap streaming) and returns the messages to send to
 * the host. `now` is the current time in ms since the Unix epoch.
 */
export function update(state: PanelState, action: Action, now: number): WebviewToHost[] {
  const out: WebviewToHost[] = [];
  switch (action.type) {
    case 'message': {
      const msg = parseHostToWebview(action.data);
      if (!msg) {
        state.dropped++;
        state.version++;
        break;
      }
      if (msg.type === 'compare') {
        // A new set of runs (not the same runs grown) is what the user just asked to see.
        const ids = (runs: { runId: string }[]): string => runs.map((r) => r.runId).join('\u0000');
        const opening = msg.runs.length > 0 && msg.version > state.compare.version && ids(msg.runs) !== ids(state.compare.runs);
        applyCompare(state.compare, msg.version, msg.runs);
        out.push(...refreshRequests(state.compare, now));
        if (opening) state.tab = 'compare';
        if (msg.runs.length === 0 && state.tab === 'compare') state.tab = 'run';
        state.version++;
        break;
      }
      if (msg.type === 'seriesResponse') {
        if (applySeries(state.compare, msg.id, msg.metric, msg.runs)) state.version++;
        // The runs grew while this answer was on its way: ask for the fresh viewport now.
        out.push(...refreshRequests(state.compare, now));
        break;
      }
      if (msg.type === 'valuesResponse') {
        const r = applyValues(state.compare, msg.id, msg.metric, msg.values, now);
        if (r.applied) state.version++;
        if (r.next) out.push(r.next);
        break;
      }
      onHostMessage(state, msg, now, out);
      break;
    }
    case 'control': {
      const track = shownRun(state);
      const view = track?.view;
      if (!view || view.status !== 'running') break;
      if (action.command === 'stop') {
        // The second Stop, while the batch finishes, kills the trainer.
        if (state.stoppingRunId === view.runId || view.stopping) out.push({ type: 'kill', runId: view.runId });
        else out.push({ type: 'stop', runId: view.runId });
        state.stoppingRunId = view.runId;
      } else if (action.command === 'pause') {
        if (state.pausing || view.runId === '' || state.stoppingRunId === view.runId) break;
        state.pausing = view.paused ? 'resume' : 'pause';
        out.push({ type: state.pausing, runId: view.runId });
      } else {
        if (state.checkpointingSince !== undefined || view.runId === '' || state.stoppingRunId === view.runId) break;
        state.checkpointingSince = now;
        out.push({ type: 'checkpoint', runId: view.runId });
      }
      state.version++;
      break;
    }
    case 'again': {
      const view = shownRun(state)?.view;
      if (!view || view.status === 'running' || view.runId === '') break;
      if (action.command === 'trainWithChanges' && view.mode === 'script') break;
      out.push({ type: action.command, runId: view.runId });
      break;
    }
    case 'openError': {
      const err = shownRun(state)?.view.error;
      if (!err?.file) break;
      out.push({ type: 'openLocation', file: err.file, ...(validLine(err.line) && { line: err.line }), ...(validLine(err.column) && { column: err.column }) });
      break;
    }
    case 'tick':
      // The button comes back even if the report is lost (a save that failed is logged by the trainer).
      if (state.checkpointingSince !== undefined && now - state.checkpointingSince >= CHECKPOINT_TIMEOUT_MS) {
        state.checkpointingSince = undefined;
        state.version++;
      }
      break;
    case 'tab':
      state.tab = action.tab === 'data' && state.preview ? 'data' : action.tab === 'compare' && state.compare.runs.length > 0 ? 'compare' : 'run';
      state.version++;
      break;
    case 'compareRequest': {
      const req = seriesRequest(state.compare, action.metric, action.axis, action.x0, action.x1, action.pixels, action.smoothing, now);
      if (req) out.push(req);
      break;
    }
    case 'compareHover': {
      const req = valuesRequest(state.compare, action.metric, action.axis, action.x, action.smoothing, now);
      if (req) out.push(req);
      break;
    }
    case 'compareToggle': {
      const h = state.compare.hidden;
      if (h.has(action.runId)) h.delete(action.runId);
      else if (state.compare.runs.some((r) => r.runId === action.runId)) h.add(action.runId);
      state.version++;
      break;
    }
    case 'compareSort':
      toggleSort(state.compare, action.column);
      state.version++;
      break;
    case 'compareScatter':
      if (action.x) {
        state.compare.scatterX = action.x;
        state.compare.scatterXChosen = true;
      }
      if (action.y !== undefined) state.compare.scatterY = action.y;
      state.version++;
      break;
    case 'compareClose':
      state.compare = emptyCompare();
      if (state.tab === 'compare') state.tab = 'run';
      out.push({ type: 'closeCompare' });
      state.version++;
      break;
    case 'options':
      state.options = sanitizeOptions({ ...state.options, ...action.options });
      state.version++;
      break;
    case 'cell': {
      const outputs = shownRun(state)?.view.evalReport?.outputs;
      state.cell = action.cell ? validCell(action.cell, outputs) : undefined;
      state.version++;
      break;
    }
  }
  return out;
}

// ---- view model ---------------------------------------------------------------------------------

export type HeaderStatus = 'none' | 'running' | 'paused' | 'stopping' | 'completed' | 'stopped' | 'failed' | 'crashed';

export interface HeaderModel {
  status: HeaderStatus;
  modelFile: string;
  runId: string;
  runDir: string;
  backend?: BackendInfo;
  /** Current epoch (from 1) and the configured total. */
  epoch: number;
  epochs?: number;
  /** Batch within the epoch (from 1) and batches per epoch. */
  batch: number;
  batchesPerEpoch?: number;
  /** 0–1, undefined when the total is unknown. */
  progress?: number;
  samplesPerSec?: number;
  /** Seconds left, from the trainer's estimate at the last batch; unset when paused or ended. */
  etaSec?: number;
  /** Wall time since the start, minus time spent paused; frozen at the end. */
  elapsedMs: number;
  pausedMs: number;
  stop: { disabled: boolean; busy: boolean };
  pause: { hidden: boolean; disabled: boolean; label: 'pause' | 'resume' | 'pausing' | 'resuming' };
  checkpoint: { hidden: boolean; disabled: boolean; busy: boolean };
  /** Train Again (any ended run) and Train with Changes (ended model-file runs). */
  again: { hidden: boolean };
  withChanges: { hidden: boolean };
  /** A run that ended before its first batch: nothing to chart. */
  nothingRecorded: boolean;
  error?: { title: 'crashed' | 'failed'; message: string; location: string; details: string; openable: boolean };
}

const validLine = (n: number | undefined): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;

function lastFinite(col: Float64Array | undefined): number | undefined {
  if (!col) return undefined;
  for (let i = col.length - 1; i >= 0; i--) if (Number.isFinite(col[i])) return col[i];
  return undefined;
}

/** Milliseconds spent paused up to `until`. */
export function pausedMs(track: RunTrack, until: number): number {
  let ms = 0;
  for (const p of track.pauses) {
    const end = Math.min(until, p.end ?? until);
    if (end > p.start) ms += end - p.start;
  }
  return ms;
}

function lastTime(track: RunTrack): number | undefined {
  const c = track.columns;
  const b = c.count > 0 ? c.time[c.count - 1] : undefined;
  const e = track.view.epochs[track.view.epochs.length - 1]?.time;
  if (b === undefined) return e;
  return e === undefined ? b : Math.max(b, e);
}

export function headerModel(state: PanelState, now: number): HeaderModel | undefined {
  const track = shownRun(state);
  if (!track) return undefined;
  const v = track.view;
  const c = track.columns;
  const running = v.status === 'running';
  const paused = running && v.paused === true;
  const stopping = running && ((state.stoppingRunId !== undefined && state.stoppingRunId === v.runId) || v.stopping === true);
  const status: HeaderStatus = stopping ? 'stopping' : paused ? 'paused' : v.status;
  const n = c.count;
  const lastEpoch = n > 0 ? c.epoch[n - 1] : undefined;
  const epoch = Math.max(lastEpoch !== undefined ? lastEpoch + 1 : 0, v.epochs.length);
  const batch = n > 0 ? c.batch[n - 1] + 1 : 0;
  const epochs = v.config?.epochs;
  const bpe = v.batchesPerEpoch > 0 ? v.batchesPerEpoch : undefined;
  let progress: number | undefined;
  if (epochs && bpe) {
    const done = lastEpoch !== undefined ? lastEpoch * bpe + batch : v.epochs.length * bpe;
    progress = Math.min(1, Math.max(0, done / (epochs * bpe)));
  } else if (epochs) progress = Math.min(1, v.epochs.length / epochs);
  if (v.status === 'completed') progress = 1;
  const end = running ? now : (v.endedAt ?? lastTime(track) ?? now);
  const pMs = pausedMs(track, end);
  const lastBatchTime = n > 0 ? c.time[n - 1] : undefined;
  const eta = lastFinite(c.column('eta_sec'));
  const controllable = running && !stopping && v.runId !== '';
  const err = v.error;
  return {
    status,
    modelFile: v.modelFile,
    runId: v.runId,
    runDir: v.runDir,
    backend: v.backend,
    epoch,
    epochs,
    batch,
    batchesPerEpoch: bpe,
    progress,
    samplesPerSec: running ? lastFinite(c.column('samples_per_sec')) : undefined,
    etaSec:
      running && !paused && eta !== undefined && lastBatchTime !== undefined ? Math.max(0, eta - Math.max(0, now - lastBatchTime) / 1000) : undefined,
    elapsedMs: Math.max(0, end - v.startedAt - pMs),
    pausedMs: pMs,
    stop: { disabled: !running, busy: stopping },
    pause: {
      hidden: !running,
      disabled: !controllable || state.pausing !== undefined,
      label: state.pausing === 'pause' ? 'pausing' : state.pausing === 'resume' ? 'resuming' : paused ? 'resume' : 'pause',
    },
    checkpoint: { hidden: !running, disabled: !controllable || state.checkpointingSince !== undefined, busy: state.checkpointingSince !== undefined },
    again: { hidden: running || v.runId === '' },
    withChanges: { hidden: running || v.runId === '' || v.mode === 'script' },
    nothingRecorded: !running && n === 0 && v.epochs.length === 0,
    error:
      err && (v.status === 'failed' || v.status === 'crashed')
        ? {
            title: v.status,
            message: err.message,
            location: err.file ? [err.file, err.line, err.column].filter((p) => p !== undefined).join(':') : '',
            details: err.details ?? '',
            openable: !!err.file && /^([A-Za-z]:[\\/]|\/)/.test(err.file),
          }
        : undefined,
  };
}

/** One chart: a model metric with its train key and validation key where the run reports them. */
export interface MetricSpec {
  /** `loss`, `acc`, `mae`, … (or `lr`, `samples_per_sec` for the optional charts). */
  base: string;
  /** Stable element id: `chart-loss`, `chart-acc` (acc or accuracy), `chart-<name>`. */
  id: string;
  train?: string;
  val?: string;
  /** Accuracy-like metrics live in [0, 1]. */
  unitRange: boolean;
}

const ACCURACY_LIKE = /^(acc|accuracy|.*_acc|.*_accuracy|precision|recall|auc)$/i;

export function chartId(base: string): string {
  if (base === 'acc' || base === 'accuracy') return 'chart-acc';
  return `chart-${base.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** The charts a run needs: one per metric it reports, none for metrics it lacks. */
export function metricSpecs(track: RunTrack, extra = false): MetricSpec[] {
  const has = (k: string): boolean => track.columns.values.has(k) || track.view.epochs.some((e) => k in e.metrics);
  const specs: MetricSpec[] = track.metrics.map((base) => ({
    base,
    id: chartId(base),
    train: has(base) ? base : undefined,
    val: has(`val_${base}`) ? `val_${base}` : undefined,
    unitRange: ACCURACY_LIKE.test(base),
  }));
  if (extra)
    for (const k of ['lr', 'samples_per_sec'])
      if (track.columns.values.has(k)) specs.push({ base: k, id: chartId(k), train: k, unitRange: false });
  return specs;
}

export interface EpochRow {
  /** From 1. */
  epoch: number;
  /** One per `columns` key: a number, NaN for a reported non-finite value, null when absent. */
  values: (number | null)[];
  durationMs: number;
  /** Set when the epoch ran fewer batches than an epoch has (the run was stopped inside it). */
  partial?: { batches: number; of: number };
}

export interface EpochTable {
  columns: string[];
  rows: EpochRow[];
}

/** Epoch table: columns come from the metrics the epochs report (loss, val_loss, acc, val_acc, …). */
export function epochTable(track: RunTrack): EpochTable {
  const v = track.view;
  const present = new Set<string>();
  for (const e of v.epochs) for (const k of Object.keys(e.metrics)) if (!RUN_STAT_KEYS.includes(k)) present.add(k);
  const columns: string[] = [];
  for (const base of track.metrics) {
    if (present.has(base)) columns.push(base);
    if (present.has(`val_${base}`)) columns.push(`val_${base}`);
  }
  const bpe = v.batchesPerEpoch;
  const rows = v.epochs.map((e: EpochPoint, i: number): EpochRow => {
    const prev = i > 0 ? v.epochs[i - 1].time : v.startedAt;
    const span = track.spans.get(e.epoch);
    const row: EpochRow = {
      epoch: e.epoch + 1,
      values: columns.map((k) => {
        if (!(k in e.metrics)) return null;
        const x = e.metrics[k] as number | null;
        return typeof x === 'number' && Number.isFinite(x) ? x : Number.NaN;
      }),
      durationMs: Math.max(0, e.time - prev),
    };
    const ran = span ? batchesRun(track, span) : 0;
    if (span && bpe > 0 && ran < bpe) row.partial = { batches: ran, of: bpe };
    return row;
  });
  return { columns, rows };
}
