/**
 * Entry of the training panel's webview: keeps the RunView from the host's snapshot, folds events into
 * it with the shared reducer, and redraws at most ~10 times a second however fast batches stream.
 */
import type { HostToWebview, RunView } from '../../src/protocol/webview';
import { applyRunEvent } from '../../src/protocol/webview';
import { ACC_CHART, LOSS_CHART } from './chartData';
import { MetricChart, readColors, type ChartColors } from './charts';
import { onHostMessage, postToHost } from './host';
import { buildLayout, renderEpochs, renderHeader, renderLayers } from './view';

/** Minimum time between two redraws. */
const FRAME_MS = 100;

let view: RunView | null = null;
let lastSeq = -1;
/** Set after asking for a snapshot, so a burst of out-of-order events asks only once. */
let awaitingSnapshot = true;
/** Run id for which Stop was pressed; the button stays disabled until that run ends. */
let stoppingRunId: string | undefined;
let drawnEpochs = -1;

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
  renderHeader(layout, view, Date.now(), stoppingRunId !== undefined && stoppingRunId === view?.runId);
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
  if (running && !ticker) ticker = setInterval(() => renderHeader(layout, view, Date.now(), stoppingRunId === view?.runId), 1000);
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
    if (msg.run?.runId !== view?.runId) stoppingRunId = undefined;
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
  if (msg.event.type === 'end') {
    stoppingRunId = undefined;
    // Without the host's end time, stop the elapsed clock when the news arrives rather than never.
    view.endedAt ??= Date.now();
  }
  scheduleDraw();
}

layout.stop.addEventListener('click', () => {
  if (!view || view.status !== 'running') return;
  stoppingRunId = view.runId;
  postToHost({ type: 'stop', runId: view.runId });
  renderHeader(layout, view, Date.now(), true);
});

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
    scheduleDraw();
  });
});
themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class'] });
themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['class', 'style'] });

onHostMessage(onMessage);
// Handshake: nothing is drawn from events until the host answers with a snapshot.
postToHost({ type: 'ready' });
