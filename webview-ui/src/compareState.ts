/**
 * The comparison's state in the panel, pure: the compared runs' summaries from the host, the
 * downsampled slices each chart asked for (the full-resolution series stay in the host), the legend
 * toggles, the runs table's sort, and the hyperparameter view's axes. The view models come out of
 * here: the metrics to chart, the runs table with its differing columns, the scatter's points.
 */
import type { CompareRun, CompareXAxis, PointValue, SeriesRequest, SeriesSlice, ValuesRequest } from '../../src/protocol/webview';

/** What a chart holds: the answer to its latest request (older answers are dropped). */
export interface ChartSlices {
  /** Id of the request in flight (0: none); answers with another id are stale. */
  pending: number;
  /** When it was sent (ms), so a lost answer does not block the chart for good. */
  pendingSince: number;
  /** The viewport and the comparison version last asked for, so a redraw knows whether to ask again. */
  key: string;
  /** The viewport (without the version) the held slices are for. */
  view: string;
  /** The viewport of the request in flight. */
  pendingView: string;
  /** The last viewport asked for, to ask again at once when the runs grow (see refreshRequests). */
  params?: { axis: CompareXAxis; x0: number | null; x1: number | null; pixels: number; smoothing: number };
  runs: Map<string, SeriesSlice>;
  /** Bumped when an answer lands. */
  version: number;
}

/** A request in flight longer than this is taken as lost and asked again. */
export const REQUEST_TIMEOUT_MS = 2000;

export type SortDir = 'asc' | 'desc';

export interface CompareState {
  /** The host's `compare` version last applied. */
  version: number;
  runs: CompareRun[];
  /** Runs hidden from the charts by their legend toggle. */
  hidden: Set<string>;
  sort: { column: string; dir: SortDir };
  slices: Map<string, ChartSlices>;
  nextRequest: number;
  /** Hyperparameter on the scatter's x, and the metric result on its y (`best:val_loss`, …). */
  scatterX: HyperKey;
  scatterY: string;
  /** The user picked the scatter's x; until then it follows the first hyperparameter that differs. */
  scatterXChosen?: boolean;
  /**
   * The hovered chart's exact values from the host: the latest request (one in flight; the newest
   * pointer position waits in `next`) and the answer to the last one answered.
   */
  hover: {
    pending: number;
    pendingSince: number;
    asked?: Omit<ValuesRequest, 'type' | 'id'>;
    next?: Omit<ValuesRequest, 'type' | 'id'>;
    answered?: { metric: string; axis: CompareXAxis; x: number; smoothing: number; values: PointValue[] };
    version: number;
  };
}

export const HYPER_KEYS = ['learningRate', 'batchSize', 'epochs', 'validationSplit', 'params'] as const;
export type HyperKey = (typeof HYPER_KEYS)[number];

export function emptyCompare(): CompareState {
  return { version: -1, runs: [], hidden: new Set(), sort: { column: 'startedAt', dir: 'desc' }, slices: new Map(), nextRequest: 1, scatterX: 'learningRate', scatterY: '', hover: { pending: 0, pendingSince: 0, version: 0 } };
}

/** A `compare` message: new summaries; charts ask again because the runs or their lengths changed. */
export function applyCompare(cs: CompareState, version: number, runs: CompareRun[]): void {
  if (version <= cs.version && runs.length > 0) return;
  cs.version = version;
  cs.runs = runs;
  const ids = new Set(runs.map((r) => r.runId));
  for (const id of cs.hidden) if (!ids.has(id)) cs.hidden.delete(id);
  for (const s of cs.slices.values()) for (const id of s.runs.keys()) if (!ids.has(id)) s.runs.delete(id);
  if (!cs.scatterY || !resultKeys(cs).includes(cs.scatterY)) cs.scatterY = resultKeys(cs)[0] ?? '';
  // A scatter over a hyperparameter every run shares is one column of dots: show one that differs.
  if (!cs.scatterXChosen) cs.scatterX = HYPER_KEYS.find((k) => differs(cs, k)) ?? 'learningRate';
}

function differs(cs: CompareState, key: string): boolean {
  const values = cs.runs.map((r) => cell(r, key));
  return values.some((v) => v !== values[0]);
}

/**
 * The request for a chart's viewport, unless the same one is already asked or answered. One request
 * per chart is in flight at a time (a live run then costs the host one slice per frame, not a queue);
 * the runs already held for the same viewport are named with their length, so only grown runs come back.
 */
export function seriesRequest(cs: CompareState, metric: string, axis: CompareXAxis, x0: number | null, x1: number | null, pixels: number, smoothing: number, now = 0): SeriesRequest | undefined {
  const view = `${axis}|${x0}|${x1}|${pixels}|${smoothing}`;
  const key = `${cs.version}|${view}`;
  let s = cs.slices.get(metric);
  if (s && s.key === key) return undefined;
  if (s && s.pending !== 0 && now - s.pendingSince < REQUEST_TIMEOUT_MS) return undefined; // asked again when the answer lands
  if (!s) cs.slices.set(metric, (s = { pending: 0, pendingSince: 0, key: '', view: '', pendingView: '', runs: new Map(), version: 0 }));
  s.key = key;
  s.params = { axis, x0, x1, pixels, smoothing };
  s.pending = cs.nextRequest++;
  s.pendingSince = now;
  s.pendingView = view;
  const known: Record<string, number> = {};
  if (s.view === view) for (const [runId, slice] of s.runs) known[runId] = slice.count;
  return { type: 'seriesRequest', id: s.pending, metric, axis, x0, x1, pixels, smoothing, ...(Object.keys(known).length ? { known } : {}) };
}

/**
 * After a `compare` message (a compared run grew): each chart's request for the viewport it shows,
 * sent straight away rather than at the chart's next redraw, so a new batch reaches its pixel one
 * round trip after the host's notice instead of a frame and a round trip later.
 */
export function refreshRequests(cs: CompareState, now = 0): SeriesRequest[] {
  const out: SeriesRequest[] = [];
  for (const [metric, s] of cs.slices) {
    const p = s.params;
    if (!p) continue;
    const req = seriesRequest(cs, metric, p.axis, p.x0, p.x1, p.pixels, p.smoothing, now);
    if (req) out.push(req);
  }
  return out;
}

/** An answer: kept only when it answers the chart's latest request; runs it leaves out are the ones held. */
export function applySeries(cs: CompareState, id: number, metric: string, runs: { runId: string; slice: SeriesSlice }[]): boolean {
  const s = cs.slices.get(metric);
  if (!s || s.pending !== id) return false;
  s.pending = 0;
  const next = s.view === s.pendingView ? new Map(s.runs) : new Map<string, SeriesSlice>();
  for (const r of runs) next.set(r.runId, r.slice);
  const ids = new Set(cs.runs.map((r) => r.runId));
  for (const runId of next.keys()) if (!ids.has(runId)) next.delete(runId);
  s.runs = next;
  s.view = s.pendingView;
  s.version++;
  return true;
}

/**
 * The x range of an unzoomed chart: its data's, and while a run trains, up to the next round step
 * past the last point (at most ~5% of the range), so new batches land inside a range that stays put.
 */
export function xRange(lo: number, hi: number, live: boolean): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi <= lo) return [lo - 1, lo + 1];
  if (!live) return [lo, hi];
  const unit = 10 ** Math.floor(Math.log10((hi - lo) / 20));
  return [lo, (Math.floor(hi / unit) + 1) * unit];
}

/**
 * The request for the exact values under the pointer, unless one is in flight (then the newest
 * position is asked when its answer lands) or the same was just answered.
 */
export function valuesRequest(cs: CompareState, metric: string, axis: CompareXAxis, x: number, smoothing: number, now = 0): ValuesRequest | undefined {
  const h = cs.hover;
  const want = { metric, axis, x, smoothing };
  const a = h.answered;
  if (a && a.metric === metric && a.axis === axis && a.x === x && a.smoothing === smoothing) return undefined;
  if (h.pending !== 0 && now - h.pendingSince < REQUEST_TIMEOUT_MS) {
    h.next = want;
    return undefined;
  }
  h.next = undefined;
  h.asked = want;
  h.pending = cs.nextRequest++;
  h.pendingSince = now;
  return { type: 'valuesRequest', id: h.pending, ...want };
}

/** An answer to the hover request in flight (others are stale); returns the next request, if the pointer moved meanwhile. */
export function applyValues(cs: CompareState, id: number, metric: string, values: PointValue[], now = 0): { applied: boolean; next?: ValuesRequest } {
  const h = cs.hover;
  if (h.pending !== id || !h.asked || h.asked.metric !== metric) return { applied: false };
  h.pending = 0;
  h.answered = { ...h.asked, values };
  h.version++;
  const n = h.next;
  return { applied: true, ...(n ? { next: valuesRequest(cs, n.metric, n.axis, n.x, n.smoothing, now) } : {}) };
}

/** Base metric name: `val_loss` → `loss`. */
const base = (k: string): string => (k.startsWith('val_') ? k.slice(4) : k);

export interface CompareMetric {
  base: string;
  /** Key of the batch series (absent when only epochs report it). */
  train?: string;
  /** Key of the validation value in the epoch lines. */
  val?: string;
}

/** One chart per base metric any compared run reports: loss first, then in order of appearance. */
export function compareMetrics(cs: CompareState): CompareMetric[] {
  const order: string[] = [];
  const train = new Set<string>();
  const val = new Set<string>();
  const note = (k: string): void => {
    const b = base(k);
    if (!order.includes(b)) {
      if (b === 'loss') order.unshift(b);
      else order.push(b);
    }
  };
  for (const r of cs.runs) {
    for (const k of r.batchMetrics) {
      note(k);
      if (!k.startsWith('val_')) train.add(k);
    }
    for (const k of Object.keys(r.results)) {
      note(k);
      if (k.startsWith('val_')) val.add(k);
    }
  }
  return order.map((b) => ({ base: b, ...(train.has(b) ? { train: b } : {}), ...(val.has(`val_${b}`) ? { val: `val_${b}` } : {}) }));
}

/** Every `final:` and `best:` key of the metric results (the scatter's y choices, the table's metric columns). */
export function resultKeys(cs: CompareState): string[] {
  const keys: string[] = [];
  for (const m of compareMetrics(cs))
    for (const k of [m.train ?? (cs.runs.some((r) => m.base in r.results) ? m.base : undefined), m.val])
      if (k && cs.runs.some((r) => k in r.results)) keys.push(`final:${k}`, `best:${k}`);
  return keys;
}

export type CellValue = string | number | null;

export interface TableColumn {
  /** `label`, `status`, …, `final:loss`, `best:val_acc`, `durationMs`. */
  key: string;
  kind: 'text' | 'number';
  /** True when the runs do not all have the same value. */
  differs: boolean;
}

export interface RunsTable {
  columns: TableColumn[];
  /** Rows in sorted order: run id, its colour index (order of the comparison) and one value per column. */
  rows: { runId: string; colour: number; values: CellValue[] }[];
}

const TEXT_COLUMNS = ['label', 'status', 'modelFile', 'dataset', 'optimizer'] as const;
const NUMBER_COLUMNS = ['epochs', 'batchSize', 'learningRate', 'validationSplit', 'params'] as const;

function cell(r: CompareRun, key: string): CellValue {
  const [kind, metric] = key.split(':', 2);
  if (metric !== undefined && (kind === 'final' || kind === 'best')) return r.results[metric]?.[kind] ?? null;
  if (key === 'startedAt') return r.startedAt;
  return (r as unknown as Record<string, CellValue>)[key] ?? null;
}

/** The runs table: hyperparameters, final and best of each metric, duration; sorted; differing columns marked. */
export function runsTable(cs: CompareState): RunsTable {
  const keys: { key: string; kind: 'text' | 'number' }[] = [
    ...TEXT_COLUMNS.map((key) => ({ key, kind: 'text' as const })),
    ...NUMBER_COLUMNS.map((key) => ({ key, kind: 'number' as const })),
    ...resultKeys(cs).map((key) => ({ key, kind: 'number' as const })),
    { key: 'durationMs', kind: 'number' },
  ];
  const marked: TableColumn[] = keys.map(({ key, kind }) => {
    const values = cs.runs.map((r) => cell(r, key));
    // The name always differs; it is the row's label, not a difference to point out.
    const differs = key !== 'label' && cs.runs.length > 1 && values.some((v) => v !== values[0]);
    return { key, kind, differs };
  });
  // The run's name first, then what differs, then what all runs share: at half an editor's width the
  // table scrolls sideways, and the differences are what a comparison is for.
  const columns = [...marked.filter((c) => c.key === 'label' || c.differs), ...marked.filter((c) => c.key !== 'label' && !c.differs)];
  keys.sort((a, b) => columns.findIndex((c) => c.key === a.key) - columns.findIndex((c) => c.key === b.key));
  const colour = new Map(cs.runs.map((r, i) => [r.runId, i]));
  const rows = cs.runs.map((r) => ({ runId: r.runId, colour: colour.get(r.runId)!, values: keys.map(({ key }) => cell(r, key)) }));
  const { column, dir } = cs.sort;
  const sign = dir === 'asc' ? 1 : -1;
  const by = (r: CompareRun): CellValue => cell(r, column);
  const order = [...cs.runs].sort((a, b) => {
    const x = by(a);
    const y = by(b);
    // Missing values sort last either way.
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    if (typeof x === 'number' && typeof y === 'number') return sign * (x - y);
    return sign * String(x).localeCompare(String(y));
  });
  const index = new Map(order.map((r, i) => [r.runId, i]));
  rows.sort((a, b) => index.get(a.runId)! - index.get(b.runId)!);
  return { columns, rows };
}

/** Clicking a header: sort by it; clicking the sorted one again flips the direction. */
export function toggleSort(cs: CompareState, column: string): void {
  cs.sort = cs.sort.column === column ? { column, dir: cs.sort.dir === 'asc' ? 'desc' : 'asc' } : { column, dir: 'asc' };
}

export interface ScatterPoint {
  runId: string;
  label: string;
  colour: number;
  x: number;
  y: number;
}

/** The hyperparameter view: one point per run with both values known. */
export function scatterPoints(cs: CompareState): ScatterPoint[] {
  const out: ScatterPoint[] = [];
  cs.runs.forEach((r, colour) => {
    const x = cell(r, cs.scatterX);
    const y = cs.scatterY ? cell(r, cs.scatterY) : null;
    if (typeof x === 'number' && Number.isFinite(x) && typeof y === 'number' && Number.isFinite(y)) out.push({ runId: r.runId, label: r.label, colour, x, y });
  });
  return out;
}

/** Validation points of a run for a chart: at each epoch's end under the x axis. */
export function epochPoints(r: CompareRun, key: string, axis: CompareXAxis): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  for (const e of r.epochLines) {
    const y = e.metrics[key];
    if (typeof y !== 'number') continue;
    const x = axis === 'step' ? (e.step ?? (e.epoch + 1) * Math.max(1, r.batchesPerEpoch) - 1) : axis === 'epoch' ? e.epoch + 1 : (e.time - r.startedAt) / 1000;
    out.push({ x, y });
  }
  return out;
}
