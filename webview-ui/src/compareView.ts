/**
 * The comparison pane: the compared runs' curves overlaid on one chart per metric (one colour per
 * run, a legend whose entries toggle a run, a tooltip with the exact values of every visible run at
 * the cursor), the sortable runs table with the columns that differ marked, and the hyperparameter
 * scatter. Each chart asks the host for its viewport (x range, pixel width, smoothing) and draws the
 * min/max-per-pixel points it gets back; box zoom on x asks again at the new range, so zooming in
 * shows the real points. Renders ./compareState.ts; holds only DOM and uPlot objects.
 */
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import uPlot from 'uplot';
import type { CompareRun, SeriesSlice } from '../../src/protocol/webview';
import { withAlpha, type ChartColors } from './charts';
import { compareMetrics, epochPoints, HYPER_KEYS, resultKeys, runsTable, scatterPoints, xRange, type CompareMetric, type HyperKey } from './compareState';
import { legibleOf, legibleOn } from './contrast';
import { el, setText } from './dom';
import type { Locale, StringKey } from './i18n';
import type { Action, ChartOptions, PanelState } from './state';

const CHART_HEIGHT = 200;
/** Drawing time a frame spends on comparison charts before leaving the rest to the next frame. */
const FRAME_BUDGET_MS = 10;
const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Run colours: VS Code's six chart colours (each theme, high contrast included, defines them to read
 * on its background), then four fixed mid-tones that read on light and dark. Runs past ten reuse
 * them with a dashed line, so a colour never names two runs alone.
 */
const PALETTE_VARS = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'];
const PALETTE_FALLBACK = ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700'];
const PALETTE_EXTRA = ['#1fa3b8', '#e0609a', '#a0785a', '#8c8c8c'];

export function runPalette(doc: Document = document): string[] {
  const probe = doc.createElement('span');
  probe.hidden = true;
  doc.body.appendChild(probe);
  const out = PALETTE_VARS.map((v, i) => {
    probe.style.color = '';
    probe.style.color = `var(${v}, ${PALETTE_FALLBACK[i]})`;
    return getComputedStyle(probe).color;
  });
  probe.style.color = 'var(--vscode-editor-background, #1e1e1e)';
  const background = getComputedStyle(probe).color;
  probe.remove();
  // A theme colour too close to the background gives way to the usual one of its slot before it is lifted.
  return [...out.map((c, i) => legibleOf([c, PALETTE_FALLBACK[i]], background)), ...PALETTE_EXTRA.map((c) => legibleOn(c, background))];
}

export const runColour = (palette: string[], i: number): string => palette[i % palette.length];
const runDash = (palette: string[], i: number): number[] | undefined => (i >= palette.length ? [4, 3] : undefined);

type Dispatch = (action: Action) => void;

/** Nearest index of `x` in ascending `xs`. */
function nearest(xs: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= xs.length) return xs.length - 1;
  if (lo > 0 && x - xs[lo - 1] < xs[lo] - x) return lo - 1;
  return lo;
}

/** y columns of a held slice as drawn (a log axis cannot show y <= 0: a gap) and their extents. */
interface DrawnSlice {
  logY: boolean;
  raw: (number | null)[];
  smoothed: (number | null)[];
  rawLo: number;
  rawHi: number;
  smoothLo: number;
  smoothHi: number;
}

function extent(ys: (number | null)[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const y of ys)
    if (y !== null) {
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
  return [lo, hi];
}

/** The y range for the data's extent, padded and rounded as uPlot's own auto range does. */
export function yRange(lo: number, hi: number, logY: boolean): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return logY ? [0.1, 10] : [0, 1];
  const r = logY ? uPlot.rangeLog(lo, hi, 10, true) : uPlot.rangeNum(lo, hi, 0.1, true);
  return [r[0] ?? lo, r[1] ?? hi];
}

/**
 * A path builder that keeps the last path it built and returns it again while the series' arrays
 * (the same objects), the scales and the plot box are unchanged: uPlot drops every path on setData,
 * so without this each frame rebuilds the lines of every run, though only the training one changed.
 */
export function cachedPaths(inner: uPlot.Series.PathBuilder): uPlot.Series.PathBuilder {
  let last: { xs: unknown; ys: unknown; key: string; paths: uPlot.Series.Paths | null } | undefined;
  return (u, i, i0, i1) => {
    const [xs, ys] = (u.data as unknown as [unknown, unknown][])[i];
    const { x, y } = u.scales;
    const b = u.bbox;
    const key = `${x.min},${x.max},${y.min},${y.max},${b.left},${b.top},${b.width},${b.height},${i0},${i1}`;
    if (last && last.xs === xs && last.ys === ys && last.key === key) return last.paths;
    const paths = inner(u, i, i0, i1);
    last = { xs, ys, key, paths };
    return paths;
  };
}

/** One overlay chart: every visible run's smoothed line (raw faintly behind) and validation values. */
export class CompareChart {
  readonly box: HTMLElement;
  plot: uPlot | undefined;
  private readonly canvasHost: HTMLElement;
  private readonly tooltip: HTMLElement;
  private readonly reset: HTMLButtonElement;
  private readonly empty: HTMLElement;
  /** The x range the user zoomed to; kept across live updates (new data asks for the same range). */
  zoom: [number, number] | undefined;
  private builtFor = '';
  private drawnKey = '';
  /** Per uPlot series (after x): which run and which line. */
  private seriesRuns: { runId: string; kind: 'raw' | 'smoothed' | 'val' }[] = [];
  private runs: CompareRun[] = [];
  private slices = new Map<string, SeriesSlice>();
  private vals = new Map<string, { x: number; y: number }[]>();
  /** Drawn columns per held slice, computed once per slice (slices of runs that did not grow are kept). */
  private drawnSlices = new WeakMap<SeriesSlice, DrawnSlice>();
  /** Validation columns per run, kept while their points are the same. */
  private valCols = new Map<string, { logY: boolean; pts: { x: number; y: number }[]; x: number[]; y: (number | null)[]; lo: number; hi: number }>();
  /** Time the last setData took to draw, ms (read by the bench through the test hook). */
  lastDrawMs = 0;
  /** What a redraw of this chart is expected to cost (ms), for the frame budget. */
  cost = 0;
  private drawStart = 0;
  private state: PanelState | undefined;
  private hoverVersion = 0;
  private readonly resizeObserver: ResizeObserver;

  constructor(
    readonly metric: CompareMetric,
    private readonly L: Locale,
    /** Sends a viewport request (no redraw: the answer brings one). */
    private readonly request: Dispatch,
    private readonly redraw: () => void,
  ) {
    this.reset = el('button', { type: 'button', class: 'secondary small chart-reset', title: L.t('chart.reset') }, L.t('chart.reset'));
    this.reset.hidden = true;
    this.canvasHost = el('div', { class: 'chart-canvas', tabindex: '0', role: 'img', 'aria-describedby': 'compare-hint' });
    this.tooltip = el('div', { class: 'chart-tooltip', role: 'tooltip' });
    this.tooltip.hidden = true;
    this.empty = el('div', { class: 'chart-empty' }, L.t('compare.loading'));
    this.box = el(
      'div',
      { id: `compare-chart-${metric.base.replace(/[^A-Za-z0-9_-]/g, '-')}`, class: 'chart-box compare-chart', role: 'group', 'aria-label': metric.base, 'data-metric': metric.base },
      el('div', { class: 'chart-head' }, el('h2', {}, metric.base), el('span', { class: 'chart-actions' }, this.reset)),
      this.canvasHost,
      this.empty,
    );
    this.canvasHost.append(this.tooltip);
    this.reset.addEventListener('click', () => {
      this.zoom = undefined;
      this.redraw();
    });
    this.canvasHost.addEventListener('keydown', (e) => {
      if ((e.key === 'Escape' || e.key === '0') && this.zoom) {
        this.zoom = undefined;
        e.preventDefault();
        this.redraw();
      }
    });
    this.canvasHost.addEventListener('mouseleave', () => (this.tooltip.hidden = true));
    this.resizeObserver = new ResizeObserver(() => this.redraw());
    this.resizeObserver.observe(this.box);
  }

  width(): number {
    return Math.max(200, Math.floor(this.box.clientWidth || 600));
  }

  /**
   * Asks for the viewport when it changed, then draws what the host last answered, unless
   * `mayDraw` is false (the frame's budget is spent): 'deferred' then, to be drawn next frame.
   */
  update(state: PanelState, palette: string[], colors: ChartColors, mayDraw = true): 'drawn' | 'same' | 'deferred' {
    const cs = state.compare;
    const o = state.options;
    this.state = state;
    // The host answered the hover: the tooltip shows its exact values.
    if (cs.hover.version !== this.hoverVersion) {
      this.hoverVersion = cs.hover.version;
      if (this.plot && !this.tooltip.hidden) this.onCursor(this.plot);
    }
    const pixels = Math.max(50, this.width() - 60);
    if (this.metric.train)
      this.request({ type: 'compareRequest', metric: this.metric.train, axis: o.xAxis, x0: this.zoom?.[0] ?? null, x1: this.zoom?.[1] ?? null, pixels, smoothing: o.smoothing });
    const slices = this.metric.train ? cs.slices.get(this.metric.train) : undefined;
    const visible = cs.runs.filter((r) => !cs.hidden.has(r.runId));
    // What this chart draws from the summaries: its runs, their status (a live x range) and validation
    // points. A summary that only says a run grew changes none of it: the answer with the points does.
    const summaryKey = cs.runs.map((r) => `${r.runId}:${r.status}:${r.epochLines.length}`).join(',');
    const key = `${slices?.version ?? -1}|${summaryKey}|${[...cs.hidden].join(',')}|${o.smoothing > 0}|${o.logY}|${o.xAxis}|${this.zoom}|${palette.join()}`;
    if (key === this.drawnKey) return 'same';
    if (!mayDraw) return 'deferred';
    this.drawnKey = key;
    this.runs = cs.runs;
    this.slices = slices?.runs ?? new Map();
    this.vals = new Map(this.metric.val ? visible.map((r) => [r.runId, epochPoints(r, this.metric.val!, o.xAxis)]) : []);
    const series: { runId: string; kind: 'raw' | 'smoothed' | 'val' }[] = [];
    for (const r of visible) {
      if (this.slices.has(r.runId)) {
        if (o.smoothing > 0) series.push({ runId: r.runId, kind: 'raw' });
        series.push({ runId: r.runId, kind: 'smoothed' });
      }
      if ((this.vals.get(r.runId)?.length ?? 0) > 0) series.push({ runId: r.runId, kind: 'val' });
    }
    if (series.length === 0) {
      // Nothing to draw yet (uPlot's faceted mode needs at least one series).
      this.plot?.destroy();
      this.plot = undefined;
      this.builtFor = '';
      this.box.setAttribute('data-points', '0');
      this.box.setAttribute('data-runs', '0');
      setText(this.empty, slices === undefined && this.metric.train ? this.L.t('compare.loading') : this.L.t('compare.noData'));
      this.empty.hidden = false;
      return 'drawn';
    }
    const built = `${series.map((s) => `${s.runId}:${s.kind}`).join('|')}|${o.logY}|${o.xAxis}|${palette.join()}`;
    if (built !== this.builtFor || !this.plot) {
      this.builtFor = built;
      this.seriesRuns = series;
      this.create(o, palette, colors);
    }
    // uPlot's faceted mode: each series has its own x (runs are downsampled on their own columns),
    // so nothing is joined and each line is drawn over its own points only. null is a gap. The
    // arrays of a run that did not change are the same objects as last frame, so its cached path
    // is drawn again without being rebuilt (see cachedPaths).
    let yLo = Infinity;
    let yHi = -Infinity;
    let xLo = Infinity;
    let xHi = -Infinity;
    const data: unknown[] = [null];
    for (const s of series) {
      let xs: ArrayLike<number>;
      let ys: ArrayLike<number | null>;
      let lo: number;
      let hi: number;
      if (s.kind === 'val') {
        const v = this.valColumns(s.runId, this.vals.get(s.runId)!, o.logY);
        [xs, ys, lo, hi] = [v.x, v.y, v.lo, v.hi];
      } else {
        const d = this.drawnSlice(this.slices.get(s.runId)!, o.logY);
        xs = this.slices.get(s.runId)!.x;
        ys = s.kind === 'raw' ? d.raw : d.smoothed;
        lo = s.kind === 'raw' ? d.rawLo : d.smoothLo;
        hi = s.kind === 'raw' ? d.rawHi : d.smoothHi;
      }
      if (lo < yLo) yLo = lo;
      if (hi > yHi) yHi = hi;
      if (xs.length > 0) {
        if (xs[0] < xLo) xLo = xs[0];
        if (xs[xs.length - 1] > xHi) xHi = xs[xs.length - 1];
      }
      data.push([xs, ys]);
    }
    let drawn = 0;
    let total = 0;
    for (const sl of this.slices.values()) {
      drawn += sl.x.length;
      total += sl.visible;
    }
    this.box.setAttribute('data-points', String(drawn));
    this.box.setAttribute('data-visible', String(total));
    this.box.setAttribute('data-runs', String(new Set(series.filter((s) => s.kind !== 'raw').map((s) => s.runId)).size));
    this.box.toggleAttribute('data-zoomed', !!this.zoom);
    this.reset.hidden = !this.zoom;
    this.empty.hidden = true;
    this.canvasHost.setAttribute('aria-label', this.L.t('compare.chartLabel', this.metric.base, this.L.int(visible.length), this.L.int(drawn), this.L.int(total)));
    // The scales are set here rather than left to uPlot's auto-ranging, which scans every point of
    // every series per frame: the y extent of a held slice is computed once. While a run is
    // training, the x range ends at a round step past its last batch, so a batch that arrives does
    // not move every other run's pixels (and their cached paths stay valid) until it passes it.
    const live = visible.some((r) => r.status === 'running');
    const [x0, x1] = this.zoom ?? xRange(xLo, xHi, live);
    const [y0, y1] = yRange(yLo, yHi, o.logY);
    this.plot!.batch(() => {
      this.plot!.setData(data as unknown as uPlot.AlignedData, false);
      this.plot!.setScale('x', { min: x0, max: x1 });
      this.plot!.setScale('y', { min: y0, max: y1 });
    });
    if (this.plot!.width !== this.width()) this.plot!.setSize({ width: this.width(), height: CHART_HEIGHT });
    return 'drawn';
  }

  private drawnSlice(sl: SeriesSlice, logY: boolean): DrawnSlice {
    let d = this.drawnSlices.get(sl);
    if (d && d.logY === logY) return d;
    const logOk = (ys: (number | null)[]): (number | null)[] => (logY ? ys.map((y) => (y !== null && y <= 0 ? null : y)) : ys);
    const raw = logOk(sl.raw);
    const smoothed = logOk(sl.smoothed);
    const [rawLo, rawHi] = extent(raw);
    const [smoothLo, smoothHi] = extent(smoothed);
    d = { logY, raw, smoothed, rawLo, rawHi, smoothLo, smoothHi };
    this.drawnSlices.set(sl, d);
    return d;
  }

  private valColumns(runId: string, pts: { x: number; y: number }[], logY: boolean): { x: number[]; y: (number | null)[]; lo: number; hi: number } {
    const held = this.valCols.get(runId);
    const same = held && held.logY === logY && held.pts.length === pts.length && pts.every((p, i) => p.x === held.pts[i].x && p.y === held.pts[i].y);
    if (same) return held;
    const y = pts.map((p) => (logY && p.y <= 0 ? null : p.y));
    const [lo, hi] = extent(y);
    const v = { logY, pts, x: pts.map((p) => p.x), y, lo, hi };
    this.valCols.set(runId, v);
    return v;
  }

  private create(o: ChartOptions, palette: string[], c: ChartColors): void {
    this.plot?.destroy();
    const L = this.L;
    const axis = (label: string): uPlot.Axis => ({
      label,
      stroke: c.muted,
      grid: { stroke: c.grid, width: 1 },
      ticks: { stroke: c.grid, width: 1 },
      labelSize: 18,
      font: `11px ${c.fontFamily}`,
      labelFont: `11px ${c.fontFamily}`,
    });
    const xLabel = L.t(o.xAxis === 'step' ? 'chart.x.step' : o.xAxis === 'epoch' ? 'chart.x.epoch' : 'chart.x.time');
    const index = new Map(this.runs.map((r, i) => [r.runId, i]));
    const label = new Map(this.runs.map((r) => [r.runId, r.label]));
    // The scales are set by update() (auto-ranging would scan every point every frame).
    const facets = [
      { scale: 'x', auto: false },
      { scale: 'y', auto: false },
    ] as uPlot.Series.Facet[];
    const series: uPlot.Series[] = this.seriesRuns.map((s) => {
      const i = index.get(s.runId) ?? 0;
      const colour = runColour(palette, i);
      const dash = runDash(palette, i);
      const common = { facets, auto: false, paths: cachedPaths(uPlot.paths.linear!()) };
      if (s.kind === 'raw') return { ...common, label: `${label.get(s.runId)} · ${L.t('chart.batch')}`, stroke: withAlpha(colour, 0.25), width: 1, points: { show: false }, ...(dash ? { dash } : {}) };
      if (s.kind === 'smoothed') return { ...common, label: label.get(s.runId), stroke: colour, width: 1.5, points: { show: false }, ...(dash ? { dash } : {}) };
      return { ...common, label: `${label.get(s.runId)} · ${L.t('chart.validation')}`, stroke: colour, width: 2, dash: [6, 4], points: { show: true, size: 4, fill: colour, stroke: colour }, spanGaps: true };
    });
    const opts: uPlot.Options = {
      mode: 2,
      width: this.width(),
      height: CHART_HEIGHT,
      scales: { x: { time: false, auto: false }, y: o.logY ? { distr: 3, log: 10, auto: false } : { auto: false } },
      axes: [{ ...axis(xLabel), size: 30 }, { ...axis(''), size: 56, values: (_u, splits) => splits.map((v) => (v == null ? '' : L.num(v, 4))) }],
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
      series: [{ label: xLabel }, ...series],
      hooks: {
        setSelect: [(u) => this.onSelect(u)],
        setCursor: [(u) => this.onCursor(u)],
        // Its own commit only (uPlot commits the charts of a frame one after another in microtasks).
        drawClear: [() => (this.drawStart = performance.now())],
        draw: [
          () => {
            this.lastDrawMs = performance.now() - this.drawStart;
            // A slowly fading maximum: a frame after cheap ones (only the live run redrawn) may be a
            // full rebuild (a zoom), so one cheap frame does not make the chart look cheap.
            this.cost = Math.max(this.lastDrawMs, this.cost * 0.7);
          },
        ],
      },
    };
    this.plot = new uPlot(opts, [null, ...series.map(() => [[], []])] as unknown as uPlot.AlignedData, this.canvasHost);
    this.canvasHost.append(this.tooltip);
  }

  private onSelect(u: uPlot): void {
    const s = u.select;
    if (s.width < 3) return;
    const x: [number, number] = [u.posToVal(s.left, 'x'), u.posToVal(s.left + s.width, 'x')];
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    this.zoom = x;
    this.redraw();
  }

  /**
   * Values of every visible run at the cursor: each run's batch nearest to it, read by the host from
   * its full-resolution columns (asked on each move, one request in flight); until that answer is
   * here, the nearest drawn point (a real point too, but not always the nearest batch).
   */
  private onCursor(u: uPlot): void {
    const left = u.cursor.left ?? -1;
    if (left < 0 || this.seriesRuns.length === 0) {
      this.tooltip.hidden = true;
      return;
    }
    const x = u.posToVal(left, 'x');
    const L = this.L;
    const o = this.state?.options;
    if (this.metric.train && o) this.request({ type: 'compareHover', metric: this.metric.train, axis: o.xAxis, x, smoothing: o.smoothing });
    const a = this.state?.compare.hover.answered;
    const exact = a && o && a.metric === this.metric.train && a.axis === o.xAxis && a.x === x && a.smoothing === o.smoothing ? new Map(a.values.map((v) => [v.runId, v])) : undefined;
    const rows: HTMLElement[] = [];
    const byRun = new Map(this.runs.map((r, i) => [r.runId, { r, i }]));
    const seen = new Set<string>();
    for (const s of this.seriesRuns) {
      if (s.kind === 'raw' || seen.has(`${s.runId}:${s.kind}`)) continue;
      seen.add(`${s.runId}:${s.kind}`);
      const run = byRun.get(s.runId);
      if (!run) continue;
      let at: number | undefined;
      let v: number | null = null;
      let raw: number | null = null;
      let step: number | undefined;
      const full = s.kind === 'smoothed' ? exact?.get(s.runId) : undefined;
      if (full) {
        at = full.x;
        step = full.step;
        v = o!.smoothing > 0 ? full.smoothed : full.raw;
        raw = full.raw;
      } else if (s.kind === 'smoothed') {
        const sl = this.slices.get(s.runId);
        if (!sl || sl.x.length === 0) continue;
        const k = nearest(sl.x, x);
        at = sl.x[k];
        v = sl.smoothed[k];
        raw = sl.raw[k];
      } else {
        const pts = this.vals.get(s.runId) ?? [];
        if (pts.length === 0) continue;
        const k = nearest(pts.map((p) => p.x), x);
        at = pts[k].x;
        v = pts[k].y;
      }
      const sw = el('span', { class: 'swatch' });
      sw.style.backgroundColor = (u.series[this.seriesRuns.indexOf(s) + 1].stroke as string) ?? '';
      const name = s.kind === 'val' ? `${run.r.label} · ${L.t('chart.validation')}` : run.r.label;
      const value = v === null ? '–' : String(+v.toPrecision(8)) + (raw !== null && raw !== v ? ` (${L.t('chart.batch')} ${+raw.toPrecision(8)})` : '');
      rows.push(
        el(
          'div',
          { class: 'tooltip-row', 'data-run': s.runId, 'data-series': s.kind, 'data-exact': String(!!full), ...(step !== undefined ? { 'data-step': String(step) } : {}) },
          sw,
          el('span', { class: 'tooltip-label' }, name),
          el('span', { class: 'num tooltip-value' }, value),
          el('span', { class: 'num tooltip-at muted' }, `@${L.num(at ?? 0, 3)}`),
        ),
      );
    }
    this.tooltip.replaceChildren(...rows);
    this.tooltip.hidden = rows.length === 0;
    const box = this.canvasHost.getBoundingClientRect();
    const ob = u.over.getBoundingClientRect();
    const tw = this.tooltip.offsetWidth;
    let px = ob.left - box.left + left + 12;
    if (px + tw > box.width) px = ob.left - box.left + left - tw - 12;
    this.tooltip.style.left = `${Math.max(0, px)}px`;
    this.tooltip.style.top = `${ob.top - box.top + 4}px`;
  }

  dispose(): void {
    this.resizeObserver.disconnect();
    this.plot?.destroy();
    this.box.remove();
  }
}

const COLUMN_LABEL: Record<string, StringKey> = {
  label: 'compare.col.run',
  status: 'compare.col.status',
  modelFile: 'compare.col.model',
  dataset: 'compare.col.dataset',
  optimizer: 'compare.col.optimizer',
  epochs: 'compare.col.epochs',
  batchSize: 'compare.col.batchSize',
  learningRate: 'compare.col.learningRate',
  validationSplit: 'compare.col.validationSplit',
  params: 'compare.col.params',
  durationMs: 'compare.col.duration',
};

function columnLabel(key: string, L: Locale): string {
  const fixed = COLUMN_LABEL[key];
  if (fixed) return L.t(fixed);
  const [kind, metric] = key.split(':', 2);
  return L.t(kind === 'best' ? 'compare.col.best' : 'compare.col.final', metric ?? key);
}

const baseName = (file: string): string => file.split(/[\\/]/).pop() || file;

export interface CompareLayout {
  pane: HTMLElement;
  tab: HTMLButtonElement;
  title: HTMLElement;
  close: HTMLButtonElement;
  legend: HTMLElement;
  charts: HTMLElement;
  table: HTMLTableElement;
  tableHead: HTMLTableSectionElement;
  tableBody: HTMLTableSectionElement;
  scatterX: VscodeSingleSelect;
  scatterY: VscodeSingleSelect;
  scatter: SVGSVGElement;
}

/** The comparison pane's skeleton; filled by `renderCompare`. */
export function buildCompare(L: Locale, dispatch: Dispatch): CompareLayout {
  const scatterX = el('vscode-single-select', { id: 'scatter-x', 'aria-label': L.t('compare.scatter.x') });
  scatterX.append(...HYPER_KEYS.map((k) => el('vscode-option', { value: k }, L.t(COLUMN_LABEL[k]))));
  const scatterY = el('vscode-single-select', { id: 'scatter-y', 'aria-label': L.t('compare.scatter.y') });
  const scatter = document.createElementNS(SVG_NS, 'svg');
  scatter.setAttribute('id', 'scatter');
  scatter.setAttribute('class', 'scatter');
  scatter.setAttribute('role', 'img');
  const c: CompareLayout = {
    pane: el('section', { id: 'compare', class: 'compare', 'aria-labelledby': 'compare-title' }),
    tab: el('button', { id: 'tab-compare', type: 'button', class: 'tab', role: 'tab', 'aria-controls': 'compare' }, L.t('tabs.compare')),
    title: el('h1', { id: 'compare-title', class: 'compare-title' }),
    close: el('button', { id: 'compare-close', type: 'button', class: 'secondary small' }, L.t('compare.close')),
    legend: el('div', { id: 'compare-legend', class: 'compare-legend', role: 'group', 'aria-label': L.t('compare.legend') }),
    charts: el('div', { id: 'compare-charts', class: 'charts' }),
    table: el('table', { id: 'runs-table', class: 'grid runs-table' }),
    tableHead: el('thead'),
    tableBody: el('tbody'),
    scatterX,
    scatterY,
    scatter,
  };
  c.table.append(c.tableHead, c.tableBody);
  c.pane.append(
    el('div', { class: 'title-row' }, c.title, el('span', { class: 'controls' }, c.close)),
    c.legend,
    el('p', { id: 'compare-hint', class: 'chart-hint' }, L.t('compare.hint')),
    c.charts,
    el('section', { class: 'compare-table' }, el('h2', {}, L.t('compare.table')), el('p', { class: 'muted' }, L.t('compare.differs.hint')), el('div', { class: 'table-scroll' }, c.table)),
    el(
      'section',
      { class: 'compare-scatter' },
      el('h2', {}, L.t('compare.scatter')),
      el('div', { class: 'chart-controls' }, el('span', { class: 'control' }, L.t('compare.scatter.x')), scatterX, el('span', { class: 'control' }, L.t('compare.scatter.y')), scatterY),
      scatter,
    ),
  );
  c.close.addEventListener('click', () => dispatch({ type: 'compareClose' }));
  c.legend.addEventListener('click', (e) => {
    const b = (e.target as Element).closest<HTMLElement>('[data-run]');
    if (b?.dataset.run) dispatch({ type: 'compareToggle', runId: b.dataset.run });
  });
  c.tableHead.addEventListener('click', (e) => {
    const b = (e.target as Element).closest<HTMLElement>('[data-column]');
    if (b?.dataset.column) dispatch({ type: 'compareSort', column: b.dataset.column });
  });
  scatterX.addEventListener('change', () => {
    const v = scatterX.value as HyperKey;
    if ((HYPER_KEYS as readonly string[]).includes(v)) dispatch({ type: 'compareScatter', x: v });
  });
  scatterY.addEventListener('change', () => dispatch({ type: 'compareScatter', y: scatterY.value }));
  return c;
}

/** Draws the pane from the state; charts are kept by metric so zoom and uPlot survive redraws. */
export class CompareView {
  readonly charts = new Map<string, CompareChart>();
  /** The chart a frame starts with: the first one left over by the last frame. */
  private nextChart = 0;
  private tableKey = '';
  private legendKey = '';
  private scatterKey = '';
  private yOptionsKey = '';

  constructor(
    readonly layout: CompareLayout,
    private readonly L: Locale,
    private readonly dispatch: Dispatch,
    private readonly redraw: () => void,
  ) {}

  render(state: PanelState, palette: string[], colors: ChartColors): void {
    const cs = state.compare;
    const L = this.L;
    const l = this.layout;
    setText(l.title, L.t('compare.title', L.int(cs.runs.length)));
    setText(l.tab, L.t('tabs.compareOf', L.int(cs.runs.length)));

    const legendKey = `${cs.runs.map((r) => `${r.runId}:${r.label}:${r.status}`).join('|')}|${[...cs.hidden].join(',')}|${palette.join()}`;
    if (legendKey !== this.legendKey) {
      this.legendKey = legendKey;
      l.legend.replaceChildren(
        ...cs.runs.map((r, i) => {
          const on = !cs.hidden.has(r.runId);
          const sw = el('span', { class: 'swatch' });
          sw.style.backgroundColor = runColour(palette, i);
          return el(
            'button',
            { type: 'button', class: 'legend-run', 'data-run': r.runId, 'aria-pressed': String(on), title: L.t(on ? 'compare.legend.hide' : 'compare.legend.show', r.label) },
            sw,
            el('span', { class: 'legend-label' }, r.label),
            el('span', { class: 'muted' }, L.t(`status.${r.status}` as StringKey)),
          );
        }),
      );
    }

    // Charts: one per metric, in metric order.
    const metrics = compareMetrics(cs);
    const wanted = new Set(metrics.map((m) => m.base));
    for (const [k, c] of this.charts)
      if (!wanted.has(k) || c.metric.val !== metrics.find((m) => m.base === k)?.val || c.metric.train !== metrics.find((m) => m.base === k)?.train) {
        c.dispose();
        this.charts.delete(k);
      }
    let prev: Element | null = null;
    const order: CompareChart[] = [];
    for (const m of metrics) {
      let c = this.charts.get(m.base);
      if (!c) {
        c = new CompareChart(m, L, this.dispatch, this.redraw);
        this.charts.set(m.base, c);
        if (prev) prev.after(c.box);
        else l.charts.prepend(c.box);
      }
      prev = c.box;
      order.push(c);
    }
    // A frame draws the charts whose points changed until their last costs fill FRAME_BUDGET_MS; the
    // rest are drawn in the next frame (starting with them), so zooming four charts of ten runs
    // does not make one long frame. Every chart still asks for its viewport now.
    let spent = 0;
    let deferred = false;
    const start = this.nextChart % Math.max(1, order.length);
    for (let k = 0; k < order.length; k++) {
      const c = order[(start + k) % order.length];
      const may = spent === 0 || spent + c.cost <= FRAME_BUDGET_MS;
      const r = c.update(state, palette, colors, may && !deferred);
      if (r === 'drawn') spent += Math.max(1, c.cost);
      else if (r === 'deferred') {
        if (!deferred) this.nextChart = (start + k) % order.length;
        deferred = true;
      }
    }
    if (deferred) this.redraw();

    this.renderTable(state, palette);
    this.renderScatter(state, palette, colors);
  }

  private renderTable(state: PanelState, palette: string[]): void {
    const cs = state.compare;
    const L = this.L;
    const t = runsTable(cs);
    const key = JSON.stringify([t, cs.sort, palette]);
    if (key === this.tableKey) return;
    this.tableKey = key;
    const l = this.layout;
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.column;
    l.tableHead.replaceChildren(
      el(
        'tr',
        {},
        ...t.columns.map((c) => {
          const sorted = cs.sort.column === c.key;
          const text = columnLabel(c.key, L);
          const b = el('button', { type: 'button', class: 'sort', 'data-column': c.key, title: L.t('compare.sortBy', text) }, text);
          if (c.differs) b.append(el('span', { class: 'differs-mark', title: L.t('compare.differs') }, ' ≠'));
          if (sorted) b.append(el('span', { class: 'sort-mark', 'aria-hidden': 'true' }, cs.sort.dir === 'asc' ? ' ▲' : ' ▼'));
          return el(
            'th',
            { scope: 'col', class: `${c.kind === 'number' ? 'num' : ''}${c.differs ? ' differs' : ''}`, 'aria-sort': sorted ? (cs.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none', 'data-key': c.key, ...(c.differs ? { 'data-differs': 'true' } : {}) },
            b,
          );
        }),
      ),
    );
    if (focused) l.tableHead.querySelector<HTMLElement>(`[data-column="${CSS.escape(focused)}"]`)?.focus();
    l.tableBody.replaceChildren(
      ...t.rows.map((row) =>
        el(
          'tr',
          { 'data-run': row.runId },
          ...row.values.map((v, i) => {
            const col = t.columns[i];
            const text = this.format(col.key, v);
            const cls = `${col.kind === 'number' ? 'num' : ''}${col.differs ? ' differs' : ''}`;
            if (i === 0) {
              const sw = el('span', { class: 'swatch' });
              sw.style.backgroundColor = runColour(palette, row.colour);
              return el('th', { scope: 'row', class: cls }, sw, text);
            }
            return el('td', { class: cls, ...(col.key === 'modelFile' && typeof v === 'string' ? { title: v } : {}) }, text);
          }),
        ),
      ),
    );
  }

  private format(key: string, v: string | number | null): string {
    const L = this.L;
    if (v === null) return '–';
    if (key === 'status') return L.t(`status.${v}` as StringKey);
    if (key === 'modelFile') return baseName(String(v));
    if (typeof v === 'string') return v;
    if (key === 'durationMs') return L.duration(v);
    if (key === 'epochs' || key === 'batchSize' || key === 'params') return L.int(v);
    if (key === 'validationSplit') return L.num(v, 3);
    return L.metric(v);
  }

  private renderScatter(state: PanelState, palette: string[], colors: ChartColors): void {
    const cs = state.compare;
    const L = this.L;
    const l = this.layout;
    const ys = resultKeys(cs);
    const yKey = ys.join('|');
    if (yKey !== this.yOptionsKey) {
      this.yOptionsKey = yKey;
      l.scatterY.replaceChildren(...ys.map((k) => el('vscode-option', { value: k }, columnLabel(k, L))));
    }
    if (l.scatterX.value !== cs.scatterX) l.scatterX.value = cs.scatterX;
    if (cs.scatterY && l.scatterY.value !== cs.scatterY) l.scatterY.value = cs.scatterY;
    const pts = scatterPoints(cs);
    const width = Math.max(240, Math.floor(l.scatter.parentElement?.clientWidth || 500));
    const key = JSON.stringify([pts, width, palette, colors.foreground, cs.scatterX, cs.scatterY]);
    if (key === this.scatterKey) return;
    this.scatterKey = key;
    const H = 220;
    const pad = { left: 64, right: 16, top: 12, bottom: 36 };
    const svg = l.scatter;
    svg.setAttribute('width', String(width));
    svg.setAttribute('height', String(H));
    svg.setAttribute('viewBox', `0 0 ${width} ${H}`);
    const xName = L.t(COLUMN_LABEL[cs.scatterX]);
    const yName = cs.scatterY ? columnLabel(cs.scatterY, L) : '';
    svg.setAttribute('aria-label', L.t('compare.scatter.label', yName, xName, L.int(pts.length)));
    const node = (tag: string, attrs: Record<string, string | number>, text?: string): SVGElement => {
      const e = document.createElementNS(SVG_NS, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
      if (text !== undefined) e.textContent = text;
      return e;
    };
    const children: SVGElement[] = [];
    const w = width - pad.left - pad.right;
    const h = H - pad.top - pad.bottom;
    children.push(node('rect', { x: pad.left, y: pad.top, width: w, height: h, fill: 'none', stroke: colors.grid }));
    if (pts.length === 0) {
      children.push(node('text', { x: pad.left + w / 2, y: pad.top + h / 2, fill: colors.muted, 'text-anchor': 'middle', 'font-size': 12 }, L.t('compare.scatter.empty')));
      svg.replaceChildren(...children);
      return;
    }
    const xsv = pts.map((p) => p.x);
    const ysv = pts.map((p) => p.y);
    // A learning rate spanning decades reads on a log axis; anything else on a linear one.
    const logX = xsv.every((x) => x > 0) && Math.max(...xsv) / Math.min(...xsv) >= 10;
    const fx = (x: number): number => (logX ? Math.log10(x) : x);
    const range = (vs: number[]): [number, number] => {
      let lo = Math.min(...vs);
      let hi = Math.max(...vs);
      if (lo === hi) {
        const d = Math.abs(lo) * 0.1 || 1;
        lo -= d;
        hi += d;
      }
      const m = (hi - lo) * 0.08;
      return [lo - m, hi + m];
    };
    const [x0, x1] = range(xsv.map(fx));
    const [y0, y1] = range(ysv);
    const px = (x: number): number => pad.left + ((fx(x) - x0) / (x1 - x0)) * w;
    const py = (y: number): number => pad.top + h - ((y - y0) / (y1 - y0)) * h;
    // Batch sizes, epochs and params are whole numbers: `32`, not `32.0000`.
    const fmt = (v: number): string => (Number.isInteger(v) && Math.abs(v) >= 1 ? L.int(v) : L.metric(v));
    for (const v of [y0 + (y1 - y0) * 0.08, y1 - (y1 - y0) * 0.08])
      children.push(node('text', { x: pad.left - 4, y: py(v) + 4, fill: colors.muted, 'text-anchor': 'end', 'font-size': 11 }, fmt(v)));
    const xt = [Math.min(...xsv), Math.max(...xsv)];
    for (const v of xt) children.push(node('text', { x: px(v), y: pad.top + h + 14, fill: colors.muted, 'text-anchor': 'middle', 'font-size': 11 }, fmt(v)));
    children.push(node('text', { x: pad.left + w / 2, y: H - 4, fill: colors.foreground, 'text-anchor': 'middle', 'font-size': 11 }, logX ? `${xName} (log)` : xName));
    for (const p of pts) {
      const g = node('g', { class: 'scatter-point', tabindex: 0, 'data-run': p.runId, role: 'img', 'aria-label': `${p.label}: ${xName} ${fmt(p.x)}, ${yName} ${fmt(p.y)}` });
      g.append(
        node('circle', { cx: px(p.x), cy: py(p.y), r: 6, fill: runColour(palette, p.colour), stroke: colors.foreground, 'stroke-width': 1 }),
        node('title', {}, `${p.label}\n${xName}: ${fmt(p.x)}\n${yName}: ${fmt(p.y)}`),
      );
      children.push(g);
    }
    svg.replaceChildren(...children);
  }

  dispose(): void {
    for (const c of this.charts.values()) c.dispose();
    this.charts.clear();
  }
}
