/**
 * Entry of the training panel's webview: keeps the RunView from the host's snapshot, folds events into
 * it with the shared reducer, and redraws at most ~10 times a second however fast batches stream.
 */
import type { DatasetPreview } from '../../src/protocol/datasetPreview';
import type { EvalReport } from '../../src/protocol/evalReport';
import type { HostToWebview, RunView } from '../../src/protocol/webview';
import { applyRunEvent } from '../../src/protocol/webview';
import { ACC_CHART, LOSS_CHART } from './chartData';
import { MetricChart, readColors, type ChartColors } from './charts';
import { renderEval } from './evalView';
import { onHostMessage, postToHost } from './host';
import { renderPreview } from './previewView';
import { buildLayout, renderCheckpoints, renderEpochs, renderHeader, renderLayers, type PendingControls } from './view';

/** Minimum time between two redraws. */
const FRAME_MS = 100;

let view: RunView | null = null;
let lastSeq = -1;
/** Set after asking for a snapshot, so a burst of out-of-order events asks only once. */
let awaitingSnapshot = true;
/** Run id for which Stop was pressed; the button stays disabled until that run ends. */
let stoppingRunId: string | undefined;
/** Pause/Resume pressed and not yet confirmed by `paused`/`resumed`. */
let pausing: PendingControls['pausing'];
/** "Checkpoint now" pressed and its checkpoint not yet reported; cleared after a while regardless. */
let checkpointing: ReturnType<typeof setTimeout> | undefined;
let drawnEpochs = -1;
let drawnEval: EvalReport | undefined;
let preview: DatasetPreview | undefined;
let tab: 'run' | 'data' = 'run';

function pending(): PendingControls {
  return { stopping: stoppingRunId !== undefined && stoppingRunId === view?.runId, pausing, checkpointing: checkpointing !== undefined };
}

const root = document.getElementById('app') ?? document.body;
const layout = buildLayout(root);
let colors: ChartColors = readColors();
const charts = [new MetricChart(layout.chartLoss, LOSS_CHART, colors), new MetricChart(layout.chartAcc, ACC_CHART, colors)];

// ---- drawing -------------------------------------------------------------------------------------

let framePending = false;
let lastFrame = 0;

/** Coalesces any number of changes into one redraw, no sooner than FRAME_MS after the previous one. */
function scheduleDraw(): void {
  if (framePending) return;
  framePending = true;
  const wait = Math.max(0, lastFrame + FRAME_MS - performance.now());
  setTimeout(() => requestAnimationFrame(draw), wait);
}

function draw(): void {
  framePending = false;
  lastFrame = performance.now();
  renderHeader(layout, view, Date.now(), pending());
  renderCheckpoints(layout, view);
  if (view?.evalReport !== drawnEval) {
    drawnEval = view?.evalReport;
    renderEval(layout.evalSection, drawnEval);
  }
  if (!view || view.epochs.length !== drawnEpochs) {
    const from = view && drawnEpochs >= 0 && drawnEpochs <= view.epochs.length ? drawnEpochs : 0;
    renderEpochs(layout, view, from);
    drawnEpochs = view ? view.epochs.length : -1;
  }
  const hasAcc = !!view?.batches.some((b) => 'acc' in b.metrics || 'accuracy' in b.metrics);
  const noData =
    view && view.status !== 'running' ? 'The run ended before its first batch.' : 'Waiting for the first batch…';
  charts[0].update(view, noData);
  charts[1].update(view, view && view.batches.length > 0 && !hasAcc ? 'This model reports no accuracy metric.' : noData);
  syncTicker();
}

// The elapsed time moves while a run is running even when no batch arrives (a slow first batch).
let ticker: ReturnType<typeof setInterval> | undefined;
function syncTicker(): void {
  const running = view?.status === 'running';
  if (running && !ticker) ticker = setInterval(() => renderHeader(layout, view, Date.now(), pending()), 1000);
  if (!running && ticker) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

// ---- host messages -------------------------------------------------------------------------------

function requestSnapshot(): void {
  if (awaitingSnapshot) return;
  awaitingSnapshot = true;
  postToHost({ type: 'ready' });
}

function onMessage(msg: HostToWebview): void {
  if (msg.type === 'snapshot') {
    if (msg.run?.runId !== view?.runId) {
      stoppingRunId = undefined;
      clearCheckpointing();
      // A different run arriving (a new run started, a saved run opened) is what the user wants to see.
      if (view !== null || msg.run !== null) tab = 'run';
    }
    pausing = undefined;
    if (msg.preview !== undefined && msg.preview !== preview && JSON.stringify(msg.preview) !== JSON.stringify(preview)) {
      preview = msg.preview;
      tab = 'data';
      renderPreview(layout.preview, preview, seriesColors());
    }
    showTab();
    view = msg.run;
    lastSeq = msg.seq;
    awaitingSnapshot = false;
    drawnEpochs = -1;
    renderLayers(layout, view);
    scheduleDraw();
    return;
  }
  // Events before the first snapshot belong to a state we never saw; the snapshot will include them.
  if (!view || awaitingSnapshot) return;
  if (msg.seq !== lastSeq + 1 || msg.runId !== view.runId) {
    // A gap or another run's event means our copy is stale: start again from a full snapshot.
    requestSnapshot();
    return;
  }
  lastSeq = msg.seq;
  applyRunEvent(view, msg.event);
  if (msg.event.type === 'paused' || msg.event.type === 'resumed') pausing = undefined;
  if (msg.event.type === 'checkpoint' && msg.event.checkpoint.reason === 'request') clearCheckpointing();
  if (msg.event.type === 'end') {
    stoppingRunId = undefined;
    pausing = undefined;
    clearCheckpointing();
    // Without the host's end time, stop the elapsed clock when the news arrives rather than never.
    view.endedAt ??= Date.now();
  }
  scheduleDraw();
}

layout.stop.addEventListener('click', () => {
  if (!view || view.status !== 'running') return;
  stoppingRunId = view.runId;
  postToHost({ type: 'stop', runId: view.runId });
  renderHeader(layout, view, Date.now(), pending());
});

layout.pause.addEventListener('click', () => {
  if (!view || view.status !== 'running' || pausing) return;
  pausing = view.paused ? 'resume' : 'pause';
  postToHost({ type: pausing, runId: view.runId });
  renderHeader(layout, view, Date.now(), pending());
});

function clearCheckpointing(): void {
  if (checkpointing !== undefined) clearTimeout(checkpointing);
  checkpointing = undefined;
}

layout.checkpointNow.addEventListener('click', () => {
  if (!view || view.status !== 'running' || checkpointing !== undefined) return;
  postToHost({ type: 'checkpoint', runId: view.runId });
  // The button comes back even if the report is lost (a save that failed is logged by the trainer).
  checkpointing = setTimeout(() => {
    checkpointing = undefined;
    scheduleDraw();
  }, 15_000);
  renderHeader(layout, view, Date.now(), pending());
});

// ---- tabs (shown once a dataset preview exists) ----------------------------------------------------

function showTab(): void {
  layout.tabs.hidden = preview === undefined;
  const data = tab === 'data' && preview !== undefined;
  layout.runPane.hidden = data;
  layout.preview.hidden = !data;
  layout.tabRun.setAttribute('aria-selected', String(!data));
  layout.tabData.setAttribute('aria-selected', String(data));
  layout.tabData.textContent = preview ? `Data · ${preview.dataset}` : 'Data';
}

layout.tabRun.addEventListener('click', () => {
  tab = 'run';
  showTab();
  scheduleDraw();
});
layout.tabData.addEventListener('click', () => {
  tab = 'data';
  showTab();
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
    for (const chart of charts) chart.setColors(colors);
    if (preview?.series) renderPreview(layout.preview, preview, seriesColors());
    scheduleDraw();
  });
});
themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class'] });
themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['class', 'style'] });

onHostMessage(onMessage);
// Handshake: nothing is drawn from events until the host answers with a snapshot.
postToHost({ type: 'ready' });
