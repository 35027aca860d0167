/**
 * The panel's DOM apart from the charts: header, error box, epoch table, layers table, empty state.
 * Built with DOM calls (never HTML strings with style attributes or handlers) so the strict CSP holds.
 * Element ids marked "test hook" are relied on by the e2e suite: keep them.
 */
import type { EpochPoint, LayerSummary, Metrics } from '../../src/protocol/trainer';
import type { CheckpointEntry, RunView } from '../../src/protocol/webview';
import { metricValue } from './metrics';

export type Attrs = Record<string, string>;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

export interface Layout {
  empty: HTMLElement;
  run: HTMLElement;
  model: HTMLElement;
  runId: HTMLElement;
  backend: HTMLElement;
  status: HTMLElement;
  epochProgress: HTMLElement;
  batchProgress: HTMLElement;
  elapsed: HTMLElement;
  stop: HTMLButtonElement;
  pause: HTMLButtonElement;
  checkpointNow: HTMLButtonElement;
  checkpoints: HTMLElement;
  evalSection: HTMLElement;
  tabs: HTMLElement;
  tabRun: HTMLButtonElement;
  tabData: HTMLButtonElement;
  runPane: HTMLElement;
  preview: HTMLElement;
  error: HTMLElement;
  errorTitle: HTMLElement;
  errorMessage: HTMLElement;
  errorLocation: HTMLElement;
  errorDetails: HTMLDetailsElement;
  errorDetailsText: HTMLElement;
  chartLoss: HTMLElement;
  chartAcc: HTMLElement;
  charts: HTMLElement;
  epochs: HTMLElement;
  epochsBody: HTMLTableSectionElement;
  epochsScroll: HTMLElement;
  epochsEmpty: HTMLElement;
  layers: HTMLDetailsElement;
  layersSummary: HTMLElement;
  layersBody: HTMLTableSectionElement;
  layersTotal: HTMLElement;
}

/** Builds the static skeleton into `root` once; renders only fill it in. */
export function buildLayout(root: HTMLElement): Layout {
  const meta = (label: string, value: HTMLElement): HTMLElement =>
    el('span', { class: 'meta-item' }, el('span', { class: 'meta-label' }, label), value);

  const l: Layout = {
    empty: el(
      'section',
      { id: 'empty', class: 'empty' },
      el('h1', {}, 'No training run yet'),
      el('p', {}, 'Open a model file and run ', el('strong', {}, 'Model Lab: Train Model'), '.'),
      el('p', { class: 'muted' }, 'Loss and accuracy will draw here, batch by batch, as the model learns.'),
    ),
    run: el('div', { id: 'run', class: 'run' }),
    model: el('span', { id: 'model', class: 'model' }),
    runId: el('code', { id: 'run-id' }),
    backend: el('span', { id: 'backend', class: 'backend' }),
    status: el('span', { id: 'status', class: 'status', role: 'status' }),
    epochProgress: el('span', { id: 'epoch-progress', class: 'num' }),
    batchProgress: el('span', { id: 'batch-progress', class: 'num' }),
    elapsed: el('span', { id: 'elapsed', class: 'num' }),
    stop: el('button', { id: 'stop', type: 'button', title: 'Stop after the current batch; the model is saved' }, 'Stop'),
    pause: el('button', { id: 'pause', type: 'button', class: 'secondary', title: 'Hold training after the current batch' }, 'Pause'),
    checkpointNow: el('button', { id: 'checkpoint-now', type: 'button', class: 'secondary', title: 'Save checkpoints/last after the current batch' }, 'Checkpoint now'),
    checkpoints: el('div', { id: 'checkpoints', class: 'checkpoints' }),
    evalSection: el('section', { id: 'eval', class: 'eval' }),
    tabs: el('nav', { class: 'tabs', role: 'tablist' }),
    tabRun: el('button', { id: 'tab-run', type: 'button', role: 'tab', class: 'tab' }, 'Run'),
    tabData: el('button', { id: 'tab-data', type: 'button', role: 'tab', class: 'tab' }, 'Data'),
    runPane: el('div', { id: 'run-pane', role: 'tabpanel' }),
    preview: el('section', { id: 'preview', class: 'preview', role: 'tabpanel' }),
    error: el('section', { id: 'error', class: 'error', role: 'alert' }),
    errorTitle: el('div', { class: 'error-title' }),
    errorMessage: el('div', { class: 'error-message' }),
    errorLocation: el('div', { class: 'error-location' }),
    errorDetails: el('details', { class: 'error-details' }),
    errorDetailsText: el('pre'),
    chartLoss: el('div', { id: 'chart-loss', class: 'chart' }),
    chartAcc: el('div', { id: 'chart-acc', class: 'chart' }),
    charts: el('section', { class: 'charts' }),
    epochs: el('section', { class: 'epochs' }),
    epochsBody: el('tbody'),
    epochsScroll: el('div', { class: 'table-scroll' }),
    epochsEmpty: el('p', { class: 'muted table-empty' }, 'Epoch summaries appear here as each epoch ends.'),
    layers: el('details', { class: 'layers' }),
    layersSummary: el('summary'),
    layersBody: el('tbody'),
    layersTotal: el('td', { class: 'num' }),
  };

  // Neither the empty state nor a run shows until the host's first snapshot says which it is.
  l.empty.hidden = true;
  l.run.hidden = true;
  l.error.hidden = true;
  l.evalSection.hidden = true;
  l.checkpoints.hidden = true;
  // The tabs appear once there is a dataset preview to switch to.
  l.tabs.hidden = true;
  l.preview.hidden = true;
  l.tabs.append(l.tabRun, l.tabData);
  l.errorDetails.append(el('summary', {}, 'Details'), l.errorDetailsText);
  l.error.append(l.errorTitle, l.errorMessage, l.errorLocation, l.errorDetails);

  const header = el(
    'header',
    { class: 'header' },
    el('div', { class: 'title-row' }, l.model, l.status, el('span', { class: 'controls' }, l.checkpointNow, l.pause, l.stop)),
    el(
      'div',
      { class: 'meta-row' },
      meta('run', l.runId),
      meta('backend', l.backend),
      meta('epoch', l.epochProgress),
      meta('batch', l.batchProgress),
      meta('elapsed', l.elapsed),
    ),
    l.checkpoints,
  );

  const chartBox = (title: string, chart: HTMLElement): HTMLElement =>
    el('div', { class: 'chart-box' }, el('h2', {}, title), chart);

  const epochsTable = el(
    'table',
    { id: 'epochs', class: 'grid' },
    el('thead', {}, el('tr', {}, ...['epoch', 'loss', 'acc', 'val_loss', 'val_acc', 'duration'].map((h) => el('th', {}, h)))),
    l.epochsBody,
  );

  const layersTable = el(
    'table',
    { id: 'layers-table', class: 'grid' },
    el('thead', {}, el('tr', {}, ...['layer', 'class', 'output shape', 'params'].map((h) => el('th', {}, h)))),
    l.layersBody,
    el('tfoot', {}, el('tr', {}, el('td', { colspan: '3' }, 'Total params'), l.layersTotal)),
  );
  l.layers.append(l.layersSummary, layersTable);

  l.charts.append(chartBox('Loss', l.chartLoss), chartBox('Accuracy', l.chartAcc));
  l.epochsScroll.append(epochsTable);
  l.epochs.append(el('h2', {}, 'Epochs'), l.epochsScroll, l.epochsEmpty);
  l.run.append(header, l.error, l.charts, l.evalSection, l.epochs, l.layers);
  l.runPane.append(l.empty, l.run);
  root.append(l.tabs, l.runPane, l.preview);
  return l;
}

/** `C:\x\y.model.ts` or `/x/y.model.ts` → `y.model.ts`. */
export function baseName(file: string): string {
  return file.split(/[\\/]/).pop() || file;
}

/** 65_000 ms → `1:05`; 3_725_000 → `1:02:05`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

function formatMetric(m: Metrics, keys: string[]): string {
  const v = metricValue(m, keys);
  if (v !== null) return v.toFixed(4);
  // A present-but-null value is a NaN the trainer reported (JSON turns NaN into null).
  return keys.some((k) => k in m) ? 'NaN' : '–';
}

/** tfjs epochs count from 0; people count from 1. */
const epochNumber = (epoch: number): number => epoch + 1;

function formatShape(shape: LayerSummary['outputShape']): string {
  const one = (s: (number | null)[]): string => `[${s.map((d) => (d === null ? 'null' : String(d))).join(', ')}]`;
  return Array.isArray(shape[0]) ? (shape as (number | null)[][]).map(one).join(' ') : one(shape as (number | null)[]);
}

/** What the user asked for that the trainer has not confirmed yet. */
export interface PendingControls {
  stopping: boolean;
  /** Pause or Resume pressed, `paused`/`resumed` not yet heard. */
  pausing?: 'pause' | 'resume';
  /** "Checkpoint now" pressed, its checkpoint not yet reported. */
  checkpointing: boolean;
}

function checkpointText(c: CheckpointEntry): string {
  const value = c.monitor !== undefined && typeof c.value === 'number' ? ` · ${c.monitor} ${c.value.toFixed(4)}` : '';
  return `${c.kind} epoch ${epochNumber(c.epoch)}${c.step >= 0 ? `, step ${c.step + 1}` : ''}${value}`;
}

/** The run's last and best checkpoints, each with its epoch and monitored value. */
export function renderCheckpoints(l: Layout, view: RunView | null): void {
  const c = view?.checkpoints;
  const items = c ? ([c.last, c.best].filter(Boolean) as CheckpointEntry[]) : [];
  l.checkpoints.hidden = items.length === 0;
  l.checkpoints.replaceChildren(
    el('span', { class: 'meta-label' }, 'checkpoints'),
    ...items.map((cp) => {
      const when = new Date(cp.time).toLocaleTimeString();
      return el('span', { class: `checkpoint ${cp.kind}`, 'data-kind': cp.kind, title: `${cp.dir}\nsaved ${when} (${cp.reason})` }, checkpointText(cp));
    }),
  );
}

const STATUS_TEXT: Record<RunView['status'], string> = {
  running: 'Running',
  completed: 'Completed',
  stopped: 'Stopped',
  failed: 'Failed',
  crashed: 'Crashed',
};

/** Header, Stop button and error box: cheap, redrawn every frame and every elapsed-time tick. */
export function renderHeader(l: Layout, view: RunView | null, now: number, pending: PendingControls): void {
  const { stopping } = pending;
  l.empty.hidden = view !== null;
  l.run.hidden = view === null;
  if (!view) {
    l.status.textContent = 'No run';
    l.status.setAttribute('data-status', 'none');
    l.stop.disabled = true;
    l.pause.disabled = true;
    l.checkpointNow.disabled = true;
    l.error.hidden = true;
    return;
  }
  l.model.textContent = baseName(view.modelFile);
  l.model.title = view.modelFile;
  // The session shows a run before the trainer has named it (while it loads the model and data).
  l.runId.textContent = view.runId || 'starting…';
  l.runId.title = view.runDir;
  l.backend.textContent = view.backend ? view.backend.name : 'starting…';
  l.backend.title = view.backend ? view.backend.reason : 'The trainer has not reported its backend yet';

  const running = view.status === 'running';
  const paused = running && view.paused === true;
  l.status.textContent = stopping && running ? 'Stopping…' : paused ? 'Paused' : STATUS_TEXT[view.status];
  l.status.setAttribute('data-status', paused ? 'paused' : view.status);

  const last = view.batches[view.batches.length - 1];
  const current = Math.max(last ? epochNumber(last.epoch) : 0, view.epochs.length);
  l.epochProgress.textContent = `${current}/${view.config ? view.config.epochs : '?'}`;
  l.batchProgress.textContent = `${last ? last.batch + 1 : 0}/${view.batchesPerEpoch || '?'}`;
  const end = view.status === 'running' ? now : (view.endedAt ?? lastTime(view) ?? now);
  l.elapsed.textContent = formatDuration(end - view.startedAt);

  // A run that ended before its first batch (a bad model file) has nothing to chart: the error says it all.
  const nothingRecorded = view.status !== 'running' && view.batches.length === 0 && view.epochs.length === 0;
  l.charts.hidden = nothingRecorded;
  l.epochs.hidden = nothingRecorded;

  l.stop.disabled = !running || stopping;
  l.stop.textContent = stopping && running ? 'Stopping…' : 'Stop';
  // Pause and checkpoint act between batches, so they wait until the trainer has named the run.
  const controllable = running && !stopping && view.runId !== '';
  l.pause.hidden = !running;
  l.checkpointNow.hidden = !running;
  l.pause.disabled = !controllable || pending.pausing !== undefined;
  l.pause.textContent = pending.pausing === 'pause' ? 'Pausing…' : pending.pausing === 'resume' ? 'Resuming…' : paused ? 'Resume' : 'Pause';
  l.pause.title = paused ? 'Continue training' : 'Hold training after the current batch';
  l.pause.setAttribute('aria-pressed', String(paused));
  l.checkpointNow.disabled = !controllable || pending.checkpointing;
  l.checkpointNow.textContent = pending.checkpointing ? 'Saving…' : 'Checkpoint now';

  const err = view.error;
  l.error.hidden = !(err && (view.status === 'failed' || view.status === 'crashed'));
  if (err && !l.error.hidden) {
    l.errorTitle.textContent = view.status === 'crashed' ? 'Trainer crashed' : 'Training failed';
    l.errorMessage.textContent = err.message;
    const where = err.file ? [err.file, err.line, err.column].filter((p) => p !== undefined).join(':') : '';
    l.errorLocation.textContent = where;
    l.errorLocation.hidden = !where;
    l.errorDetailsText.textContent = err.details ?? '';
    l.errorDetails.hidden = !err.details;
  }
}

function lastTime(view: RunView): number | undefined {
  const b = view.batches[view.batches.length - 1]?.time;
  const e = view.epochs[view.epochs.length - 1]?.time;
  if (b === undefined) return e;
  return e === undefined ? b : Math.max(b, e);
}

/**
 * Epoch table. While streaming, rows are only ever added, so `from` rows already drawn are kept and
 * only the new ones are appended; pass 0 to redraw it all (a new snapshot).
 */
export function renderEpochs(l: Layout, view: RunView | null, from = 0): void {
  const epochs: EpochPoint[] = view ? view.epochs : [];
  const scroller = l.epochsScroll;
  // Follow new epochs like a log, unless the user scrolled up to read an older one.
  const atBottom = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 4;
  const rows: HTMLElement[] = [];
  for (let i = from; i < epochs.length; i++) {
    const e = epochs[i];
    const prev = i > 0 ? epochs[i - 1].time : view!.startedAt;
    rows.push(
      el(
        'tr',
        {},
        el('td', { class: 'num' }, String(epochNumber(e.epoch))),
        el('td', { class: 'num' }, formatMetric(e.metrics, ['loss'])),
        el('td', { class: 'num' }, formatMetric(e.metrics, ['acc', 'accuracy'])),
        el('td', { class: 'num' }, formatMetric(e.metrics, ['val_loss'])),
        el('td', { class: 'num' }, formatMetric(e.metrics, ['val_acc', 'val_accuracy'])),
        el('td', { class: 'num' }, formatDuration(e.time - prev)),
      ),
    );
  }
  if (from === 0) l.epochsBody.replaceChildren(...rows);
  else l.epochsBody.append(...rows);
  l.epochsEmpty.hidden = epochs.length > 0;
  if (atBottom) scroller.scrollTop = scroller.scrollHeight;
}

/** Layers table: fixed for a run, so drawn on snapshots only. */
export function renderLayers(l: Layout, view: RunView | null): void {
  const layers = view ? view.layers : [];
  l.layers.hidden = layers.length === 0;
  l.layersSummary.textContent = `Layers (${layers.length}) · ${(view?.totalParams ?? 0).toLocaleString('en-US')} params`;
  l.layersBody.replaceChildren(
    ...layers.map((layer) =>
      el(
        'tr',
        {},
        el('td', {}, layer.name),
        el('td', {}, layer.className),
        el('td', { class: 'shape' }, formatShape(layer.outputShape)),
        el('td', { class: 'num' }, layer.params.toLocaleString('en-US')),
      ),
    ),
  );
  l.layersTotal.textContent = (view?.totalParams ?? 0).toLocaleString('en-US');
}
