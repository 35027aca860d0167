/**
 * Entry of the training panel's webview: wires the pure state (./state.ts) to the DOM. Every host
 * message and user action goes through `dispatch`; drawing happens at most ~30 times a second (fewer
 * when frames are costly) however fast batches stream, and draws only what changed.
 */
import uPlot from 'uplot';
import { MetricChart, readColors, type ChartColors } from './charts';
import { buildCompare, CompareView, runPalette } from './compareView';
import { renderEval } from './evalView';
import { buildHistogramSection, drawnHistograms, renderHistograms } from './histogramView';
import { onHostMessage, loadState, postToHost, saveState } from './host';
import { makeLocale } from './i18n';
import { renderPreview } from './previewView';
import { epochTable, headerModel, initialState, metricSpecs, savedState, shownRun, update, type Action, type ChartOptions, type RunTrack } from './state';
import { buildLayout, renderCheckpoints, renderControls, renderEpochs, renderHeader, renderLayers } from './view';

/**
 * Minimum time between two redraws. After a costly frame the next waits three times its cost (up to
 * MAX_FRAME_WAIT_MS), so a slow machine spends at most about a quarter of its time drawing while
 * batches stream, and a click is still drawn within a tenth of a second.
 */
const FRAME_MS = 33;
const MAX_FRAME_WAIT_MS = 100;

const html = document.documentElement;
const L = makeLocale(html.dataset.locale || html.lang || navigator.language || 'en');
html.lang = L.tag;

const saved = loadState() as { options?: Partial<ChartOptions> } | undefined;
const state = initialState(saved?.options ?? {}, saved);
const root = document.getElementById('app') ?? document.body;
const layout = buildLayout(root, L);
const histSection = buildHistogramSection(L);
layout.evalSection.before(histSection);
let colors: ChartColors = readColors();
let palette = runPalette();
const charts = new Map<string, MetricChart>();

let lastSaved = '';
function dispatch(action: Action): void {
  for (const msg of update(state, action, Date.now())) postToHost(msg);
  // Saved only when it changed (options, a pause): VS Code keeps it while the page is torn down.
  const next = JSON.stringify(savedState(state));
  if (next !== lastSaved) {
    lastSaved = next;
    saveState(JSON.parse(next));
  }
  scheduleDraw();
}

/** A comparison chart's viewport request: sent to the host without a redraw (the answer brings one). */
function request(action: Action): void {
  for (const msg of update(state, action, Date.now())) postToHost(msg);
}

const compareLayout = buildCompare(L, dispatch);
layout.tabRun.after(compareLayout.tab);
layout.runPane.after(compareLayout.pane);
// The chart controls (smoothing, log y, x axis) serve both panes: they move to the one shown.
const controlsSlot = document.createElement('div');
compareLayout.legend.after(controlsSlot);
const compareView = new CompareView(compareLayout, L, request, () => scheduleDraw());

// ---- drawing -------------------------------------------------------------------------------------

let framePending = false;
let lastFrame = 0;

let lastCost = 0;

/** Coalesces any number of changes into one redraw, no sooner than FRAME_MS after the previous one. */
function scheduleDraw(): void {
  if (framePending) return;
  framePending = true;
  const wait = Math.max(0, lastFrame + Math.max(FRAME_MS, Math.min(MAX_FRAME_WAIT_MS, 3 * lastCost)) - performance.now());
  setTimeout(() => requestAnimationFrame(draw), wait);
}

/** What was drawn last, so a redraw touches only what changed. */
const drawn = {
  version: -1,
  track: undefined as RunTrack | undefined,
  layersOf: undefined as RunTrack | undefined,
  epochRows: 0,
  epochColumns: '',
  eval: undefined as unknown,
  histKey: '',
  evalKey: '',
  previewVersion: -1,
};

const dropped = (): { messages: number; batches: number } => ({ messages: state.dropped, batches: shownRun(state)?.droppedBatches ?? 0 });

function syncCharts(track: RunTrack | undefined): void {
  const specs = track ? metricSpecs(track, state.options.extraCharts) : [];
  const wanted = new Set(specs.map((s) => s.id));
  for (const [id, chart] of charts)
    if (!wanted.has(id) || chart.spec.val !== specs.find((s) => s.id === id)?.val || drawn.track?.view.runId !== track?.view.runId) {
      chart.dispose();
      charts.delete(id);
    }
  // Charts appear in metric order: a metric that shows up mid-run gets its chart then.
  let prev: Element | null = null;
  for (const spec of specs) {
    let chart = charts.get(spec.id);
    if (!chart) {
      chart = new MetricChart(spec, colors, L, scheduleDraw);
      charts.set(spec.id, chart);
      if (prev) prev.after(chart.box);
      else layout.charts.prepend(chart.box);
    }
    prev = chart.box;
  }
}

/** Main-thread time of each frame (the draw and uPlot's commits after it), for the bench; test pages only. */
const frames: number[] = [];
const measureFrames = (window as { __modelLabTest?: boolean }).__modelLabTest === true;

function draw(): void {
  framePending = false;
  lastFrame = performance.now();

  const now = Date.now();
  const track = shownRun(state);
  renderHeader(layout, headerModel(state, now), dropped(), L);
  renderControls(layout, state.options, L);
  showTab();
  if (state.previewVersion !== drawn.previewVersion) {
    drawn.previewVersion = state.previewVersion;
    renderPreview(layout.preview, state.preview, seriesColors(), L);
  }
  if (track !== drawn.layersOf) {
    drawn.layersOf = track;
    renderLayers(layout, track?.view, L);
  }
  renderCheckpoints(layout, track?.view, L);
  const report = track?.view.evalReport;
  const evalKey = `${state.options.normalise}|${JSON.stringify(colors)}|${JSON.stringify(state.cell ?? null)}`;
  if (report !== drawn.eval || evalKey !== drawn.evalKey) {
    const cellChanged = report === drawn.eval;
    drawn.eval = report;
    drawn.evalKey = evalKey;
    renderEval(layout.evalSection, report, {
      L,
      normalise: state.options.normalise,
      onNormalise: (on) => dispatch({ type: 'options', options: { normalise: on } }),
      cell: state.cell,
      onCell: (cell) => dispatch({ type: 'cell', cell }),
      focusCell: cellChanged,
      lineColours: { actual: colors.validation, predicted: colors.batch, grid: colors.muted },
    });
  }
  const lines = track?.view.histograms;
  const histKey = `${track?.view.runId}|${lines?.length ?? 0}|${JSON.stringify(colors)}`;
  if (histKey !== drawn.histKey) {
    drawn.histKey = histKey;
    renderHistograms(histSection, lines, { fill: colors.batch, background: colors.background, grid: colors.muted }, L);
  }
  if (track) {
    const table = epochTable(track);
    const columns = table.columns.join('\u0000');
    const from = track === drawn.track && columns === drawn.epochColumns && table.rows.length >= drawn.epochRows ? drawn.epochRows : 0;
    if (from === 0 || table.rows.length !== drawn.epochRows) renderEpochs(layout, table, from, L);
    drawn.epochRows = table.rows.length;
    drawn.epochColumns = columns;
  }
  if (state.tab === 'compare') compareView.render(state, palette, colors);
  syncCharts(track);
  drawn.track = track;
  if (track && !layout.runPane.hidden) {
    const emptyText = track.view.status !== 'running' ? L.t('chart.noBatches') : L.t('chart.waiting');
    for (const chart of charts.values()) chart.update(track, state.options, emptyText);
  }
  layout.charts.toggleAttribute('data-empty', charts.size === 0);
  drawn.version = state.version;
  syncTicker();
  // uPlot commits its redraws in microtasks queued during this frame; this one is queued after them.
  const t0 = lastFrame;
  queueMicrotask(() => {
    lastCost = performance.now() - t0;
    if (measureFrames) frames.push(lastCost);
  });
}

// The elapsed time moves while a run is running even when no batch arrives (a slow first batch).
let ticker: ReturnType<typeof setInterval> | undefined;
function syncTicker(): void {
  const running = shownRun(state)?.view.status === 'running';
  if (running && !ticker)
    ticker = setInterval(() => {
      update(state, { type: 'tick' }, Date.now());
      renderHeader(layout, headerModel(state, Date.now()), dropped(), L);
    }, 1000);
  if (!running && ticker) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

// ---- user actions --------------------------------------------------------------------------------

layout.stop.addEventListener('click', () => dispatch({ type: 'control', command: 'stop' }));
layout.pause.addEventListener('click', () => dispatch({ type: 'control', command: 'pause' }));
layout.checkpointNow.addEventListener('click', () => dispatch({ type: 'control', command: 'checkpoint' }));
layout.trainAgain.addEventListener('click', () => dispatch({ type: 'again', command: 'trainAgain' }));
layout.trainWithChanges.addEventListener('click', () => dispatch({ type: 'again', command: 'trainWithChanges' }));
layout.errorLink.addEventListener('click', () => dispatch({ type: 'openError' }));
layout.smoothing.addEventListener('input', () => dispatch({ type: 'options', options: { smoothing: layout.smoothing.valueAsNumber } }));
layout.logY.addEventListener('change', () => dispatch({ type: 'options', options: { logY: layout.logY.checked } }));
layout.extraCharts.addEventListener('change', () => dispatch({ type: 'options', options: { extraCharts: layout.extraCharts.checked } }));
layout.xAxis.addEventListener('change', () => {
  const v = layout.xAxis.value;
  if (v === 'step' || v === 'epoch' || v === 'time') dispatch({ type: 'options', options: { xAxis: v } });
});

// ---- tabs (shown once a dataset preview exists) ----------------------------------------------------

function showTab(): void {
  const preview = state.preview;
  const comparing = state.compare.runs.length > 0;
  layout.tabs.hidden = preview === undefined && !comparing;
  const tab = state.tab === 'data' && preview !== undefined ? 'data' : state.tab === 'compare' && comparing ? 'compare' : 'run';
  layout.runPane.hidden = tab !== 'run';
  layout.preview.hidden = tab !== 'data';
  compareLayout.pane.hidden = tab !== 'compare';
  layout.tabData.hidden = preview === undefined;
  compareLayout.tab.hidden = !comparing;
  for (const [b, name] of [[layout.tabRun, 'run'], [layout.tabData, 'data'], [compareLayout.tab, 'compare']] as const) {
    b.setAttribute('aria-selected', String(tab === name));
    b.tabIndex = tab === name ? 0 : -1;
  }
  layout.tabData.textContent = preview ? L.t('tabs.dataOf', preview.dataset) : L.t('tabs.data');
  const slot = tab === 'compare' ? controlsSlot : layout.hint;
  if (tab === 'compare' && layout.controls.parentElement !== controlsSlot) controlsSlot.append(layout.controls);
  else if (tab !== 'compare' && layout.controls.nextElementSibling !== slot) slot.before(layout.controls);
}

layout.tabRun.addEventListener('click', () => dispatch({ type: 'tab', tab: 'run' }));
layout.tabData.addEventListener('click', () => dispatch({ type: 'tab', tab: 'data' }));
compareLayout.tab.addEventListener('click', () => dispatch({ type: 'tab', tab: 'compare' }));
// Arrow keys move between tabs, as in VS Code's own tab lists.
layout.tabs.addEventListener('keydown', (e) => {
  if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
  const tabs = [
    ['run', layout.tabRun],
    ['compare', compareLayout.tab],
    ['data', layout.tabData],
  ].filter(([, b]) => !(b as HTMLElement).hidden) as ['run' | 'compare' | 'data', HTMLButtonElement][];
  const i = Math.max(0, tabs.findIndex(([name]) => name === state.tab));
  const [next, button] = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
  dispatch({ type: 'tab', tab: next });
  button.focus();
});

function seriesColors(): { line: string; target: string; grid: string } {
  return { line: colors.batch, target: colors.epoch, grid: colors.grid };
}

// ---- theme ---------------------------------------------------------------------------------------

// VS Code swaps the body class (vscode-light / -dark / -high-contrast) and rewrites the CSS variables
// on <html> when the theme changes; canvas colours must be read again then.
let themeFrame = 0;
const themeObserver = new MutationObserver(() => {
  cancelAnimationFrame(themeFrame);
  themeFrame = requestAnimationFrame(() => {
    const next = readColors();
    if (JSON.stringify(next) === JSON.stringify(colors)) return;
    colors = next;
    palette = runPalette();
    for (const chart of charts.values()) chart.setColors(colors);
    drawn.previewVersion = -1;
    scheduleDraw();
  });
});
themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class'] });
themeObserver.observe(html, { attributes: true, attributeFilter: ['class', 'style'] });

// The browser tests read the state and charts through this hook; the harness page sets the flag.
if ((window as { __modelLabTest?: boolean }).__modelLabTest)
  Object.assign(window, { __modelLab: { state, charts, L, histograms: drawnHistograms, compare: compareView, frames, uPlot, redraw: scheduleDraw } });

onHostMessage((data) => dispatch({ type: 'message', data }));
// Handshake: nothing is drawn from events until the host answers with a snapshot.
postToHost({ type: 'ready' });
scheduleDraw();
