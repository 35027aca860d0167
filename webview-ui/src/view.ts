/**
 * The panel's DOM apart from the charts: header, chart controls, error box, epoch table, layers
 * table, empty state. Renders the view models of ./state.ts; holds no state of its own.
 * Element ids marked "test hook" are relied on by the e2e suite and the browser tests: keep them.
 */
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';
import type { VscodeProgressBar } from '@vscode-elements/elements/dist/vscode-progress-bar/vscode-progress-bar.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import type { CheckpointEntry, RunView } from '../../src/protocol/webview';
import { el, setText } from './dom';
import type { Locale } from './i18n';
import type { ChartOptions, EpochTable, HeaderModel } from './state';
import { backendSummary, formatShape } from '../../src/protocol/format';

export interface Layout {
  empty: HTMLElement;
  run: HTMLElement;
  model: HTMLElement;
  runId: HTMLElement;
  backend: HTMLElement;
  status: HTMLElement;
  progress: VscodeProgressBar;
  epochProgress: HTMLElement;
  batchProgress: HTMLElement;
  speed: HTMLElement;
  eta: HTMLElement;
  elapsed: HTMLElement;
  stop: HTMLButtonElement;
  pause: HTMLButtonElement;
  checkpointNow: HTMLButtonElement;
  trainAgain: HTMLButtonElement;
  trainWithChanges: HTMLButtonElement;
  checkpoints: HTMLElement;
  notice: HTMLElement;
  controls: HTMLElement;
  hint: HTMLElement;
  smoothing: HTMLInputElement;
  smoothingValue: HTMLOutputElement;
  logY: VscodeCheckbox;
  xAxis: VscodeSingleSelect;
  extraCharts: VscodeCheckbox;
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
  /** The location as a link that opens the line (a file path the host can open). */
  errorLink: HTMLButtonElement;
  errorDetails: HTMLDetailsElement;
  errorDetailsText: HTMLElement;
  charts: HTMLElement;
  epochs: HTMLElement;
  epochsTable: HTMLTableElement;
  epochsHead: HTMLTableSectionElement;
  epochsBody: HTMLTableSectionElement;
  epochsScroll: HTMLElement;
  epochsEmpty: HTMLElement;
  layers: HTMLDetailsElement;
  layersSummary: HTMLElement;
  layersBody: HTMLTableSectionElement;
  layersTotal: HTMLElement;
}

/** Builds the static skeleton into `root` once; renders only fill it in. */
export function buildLayout(root: HTMLElement, L: Locale): Layout {
  const meta = (label: string, value: HTMLElement, title = ''): HTMLElement =>
    el('span', { class: 'meta-item', ...(title ? { title } : {}) }, el('span', { class: 'meta-label' }, label), value);
  const [before, after] = L.t('empty.open', '\u0000').split('\u0000');

  const checkbox = (id: string, label: string): VscodeCheckbox => {
    const c = el('vscode-checkbox', { id, label });
    return c;
  };
  const xAxis = el('vscode-single-select', { id: 'x-axis', 'aria-label': L.t('controls.xAxis') });
  xAxis.append(
    el('vscode-option', { value: 'step' }, L.t('controls.x.step')),
    el('vscode-option', { value: 'epoch' }, L.t('controls.x.epoch')),
    el('vscode-option', { value: 'time' }, L.t('controls.x.time')),
  );

  const l: Layout = {
    empty: el(
      'section',
      { id: 'empty', class: 'empty' },
      el('h1', {}, L.t('empty.title')),
      el('p', {}, before ?? '', el('strong', {}, L.t('empty.trainCommand')), after ?? ''),
      el('p', { class: 'muted' }, L.t('empty.hint')),
    ),
    run: el('div', { id: 'run', class: 'run' }),
    model: el('span', { id: 'model', class: 'model' }),
    runId: el('code', { id: 'run-id' }),
    backend: el('span', { id: 'backend', class: 'backend' }),
    status: el('span', { id: 'status', class: 'status', role: 'status' }),
    progress: el('vscode-progress-bar', { id: 'progress', class: 'progress', 'aria-label': L.t('meta.progress') }),
    epochProgress: el('span', { id: 'epoch-progress', class: 'num' }),
    batchProgress: el('span', { id: 'batch-progress', class: 'num' }),
    speed: el('span', { id: 'speed', class: 'num' }),
    eta: el('span', { id: 'eta', class: 'num' }),
    elapsed: el('span', { id: 'elapsed', class: 'num' }),
    stop: el('button', { id: 'stop', type: 'button', title: L.t('button.stop.title') }, L.t('button.stop')),
    pause: el('button', { id: 'pause', type: 'button', class: 'secondary', title: L.t('button.pause.title') }, L.t('button.pause')),
    checkpointNow: el('button', { id: 'checkpoint-now', type: 'button', class: 'secondary', title: L.t('button.checkpoint.title') }, L.t('button.checkpoint')),
    trainAgain: el('button', { id: 'train-again', type: 'button', title: L.t('button.trainAgain.title') }, L.t('button.trainAgain')),
    trainWithChanges: el('button', { id: 'train-with-changes', type: 'button', class: 'secondary', title: L.t('button.trainWithChanges.title') }, L.t('button.trainWithChanges')),
    checkpoints: el('div', { id: 'checkpoints', class: 'checkpoints' }),
    notice: el('p', { id: 'notice', class: 'notice', role: 'status' }),
    hint: el('p', { id: 'chart-hint', class: 'chart-hint' }, L.t('chart.hint')),
    controls: el('div', { id: 'chart-controls', class: 'chart-controls', role: 'group', 'aria-describedby': 'chart-hint' }),
    smoothing: el('input', { id: 'smoothing', type: 'range', min: '0', max: '0.99', step: '0.01', 'aria-label': L.t('controls.smoothing'), title: L.t('controls.smoothing.title') }),
    smoothingValue: el('output', { id: 'smoothing-value', class: 'num', for: 'smoothing' }),
    logY: checkbox('log-y', L.t('controls.logY')),
    xAxis,
    extraCharts: checkbox('extra-charts', L.t('controls.extra')),
    evalSection: el('section', { id: 'eval', class: 'eval' }),
    tabs: el('nav', { class: 'tabs', role: 'tablist' }),
    tabRun: el('button', { id: 'tab-run', type: 'button', role: 'tab', class: 'tab', 'aria-controls': 'run-pane' }, L.t('tabs.run')),
    tabData: el('button', { id: 'tab-data', type: 'button', role: 'tab', class: 'tab', 'aria-controls': 'preview' }, L.t('tabs.data')),
    runPane: el('div', { id: 'run-pane', role: 'tabpanel', 'aria-labelledby': 'tab-run' }),
    preview: el('section', { id: 'preview', class: 'preview', role: 'tabpanel', 'aria-labelledby': 'tab-data' }),
    error: el('section', { id: 'error', class: 'error', role: 'alert' }),
    errorTitle: el('div', { class: 'error-title' }),
    errorMessage: el('div', { class: 'error-message' }),
    errorLocation: el('div', { class: 'error-location' }),
    errorLink: el('button', { id: 'error-location', type: 'button', class: 'link', title: L.t('error.open.title') }),
    errorDetails: el('details', { class: 'error-details' }),
    errorDetailsText: el('pre'),
    charts: el('section', { id: 'charts', class: 'charts' }),
    epochs: el('section', { class: 'epochs' }),
    epochsTable: el('table', { id: 'epochs', class: 'grid' }),
    epochsHead: el('thead'),
    epochsBody: el('tbody'),
    epochsScroll: el('div', { class: 'table-scroll', tabindex: '0' }),
    epochsEmpty: el('p', { class: 'muted table-empty' }, L.t('epochs.empty')),
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
  l.notice.hidden = true;
  // The tabs appear once there is a dataset preview to switch to.
  l.tabs.hidden = true;
  l.preview.hidden = true;
  l.tabs.append(l.tabRun, l.tabData);
  l.errorDetails.append(el('summary', {}, L.t('error.details')), l.errorDetailsText);
  l.error.append(l.errorTitle, l.errorMessage, l.errorLocation, l.errorDetails);
  l.progress.max = 1;

  const header = el(
    'header',
    { class: 'header' },
    el('div', { class: 'title-row' }, l.model, l.status, el('span', { class: 'controls' }, l.checkpointNow, l.pause, l.stop, l.trainWithChanges, l.trainAgain)),
    l.progress,
    el(
      'div',
      { class: 'meta-row' },
      meta(L.t('meta.run'), l.runId),
      meta(L.t('meta.backend'), l.backend),
      meta(L.t('meta.epoch'), l.epochProgress),
      meta(L.t('meta.batch'), l.batchProgress),
      meta(L.t('meta.speed'), l.speed),
      meta(L.t('meta.eta'), l.eta),
      meta(L.t('meta.elapsed'), l.elapsed, L.t('meta.elapsedPaused')),
    ),
    l.checkpoints,
  );

  l.controls.append(
    el('label', { class: 'control', for: 'smoothing', title: L.t('controls.smoothing.title') }, L.t('controls.smoothing')),
    l.smoothing,
    l.smoothingValue,
    l.logY,
    el('span', { class: 'control' }, L.t('controls.xAxis')),
    l.xAxis,
    l.extraCharts,
  );

  l.epochsTable.append(l.epochsHead, l.epochsBody);
  const layersTable = el(
    'table',
    { id: 'layers-table', class: 'grid' },
    el('thead', {}, el('tr', {}, ...[L.t('layers.layer'), L.t('layers.class'), L.t('layers.shape'), L.t('layers.params')].map((h) => el('th', {}, h)))),
    l.layersBody,
    el('tfoot', {}, el('tr', {}, el('td', { colspan: '3' }, L.t('layers.total')), l.layersTotal)),
  );
  l.layers.append(l.layersSummary, layersTable);

  l.epochsScroll.append(l.epochsTable);
  l.epochs.append(el('h2', {}, L.t('epochs.title')), l.epochsScroll, l.epochsEmpty);
  l.run.append(header, l.notice, l.error, l.controls, l.hint, l.charts, l.evalSection, l.epochs, l.layers);
  l.runPane.append(l.empty, l.run);
  root.append(l.tabs, l.runPane, l.preview);
  return l;
}

/** `C:\x\y.model.ts` or `/x/y.model.ts` → `y.model.ts`. */
export function baseName(file: string): string {
  return file.split(/[\\/]/).pop() || file;
}

/** Reflects the options in the controls (after a restore, or a change elsewhere). */
export function renderControls(l: Layout, o: ChartOptions, L: Locale): void {
  if (l.smoothing.valueAsNumber !== o.smoothing) l.smoothing.value = String(o.smoothing);
  setText(l.smoothingValue, L.num(o.smoothing, 2));
  if (l.logY.checked !== o.logY) l.logY.checked = o.logY;
  if (l.xAxis.value !== o.xAxis) l.xAxis.value = o.xAxis;
  if (l.extraCharts.checked !== o.extraCharts) l.extraCharts.checked = o.extraCharts;
}

function checkpointText(c: CheckpointEntry, L: Locale): string {
  const kind = L.t(c.kind === 'best' ? 'checkpoint.kind.best' : 'checkpoint.kind.last');
  const value = c.monitor !== undefined && typeof c.value === 'number' ? ` · ${c.monitor} ${L.metric(c.value)}` : '';
  return `${L.t('checkpoint.text', kind, c.epoch + 1)}${c.step >= 0 ? L.t('checkpoint.step', c.step + 1) : ''}${value}`;
}

/** The run's last and best checkpoints, each with its epoch and monitored value. */
export function renderCheckpoints(l: Layout, view: RunView | undefined, L: Locale): void {
  const c = view?.checkpoints;
  const items = c ? ([c.last, c.best].filter(Boolean) as CheckpointEntry[]) : [];
  l.checkpoints.hidden = items.length === 0;
  l.checkpoints.replaceChildren(
    el('span', { class: 'meta-label' }, L.t('meta.checkpoints')),
    ...items.map((cp) =>
      el('span', { class: `checkpoint ${cp.kind}`, 'data-kind': cp.kind, title: `${cp.dir}\n${L.t('checkpoint.saved', L.time(cp.time), L.t(`checkpoint.reason.${cp.reason}`))}` }, checkpointText(cp, L)),
    ),
  );
}

const PAUSE_LABEL = { pause: 'button.pause', resume: 'button.resume', pausing: 'button.pausing', resuming: 'button.resuming' } as const;

/** Header, run controls and error box: cheap, redrawn every frame and every elapsed-time tick. */
export function renderHeader(l: Layout, h: HeaderModel | undefined, dropped: { messages: number; batches: number }, L: Locale): void {
  l.empty.hidden = h !== undefined;
  l.run.hidden = h === undefined;
  const notes = [dropped.messages ? L.t('dropped', L.int(dropped.messages)) : '', dropped.batches ? L.t('droppedBatches', L.int(dropped.batches)) : ''].filter(Boolean);
  l.notice.hidden = notes.length === 0;
  setText(l.notice, notes.join(' '));
  if (!h) {
    setText(l.status, L.t('status.none'));
    l.status.setAttribute('data-status', 'none');
    l.stop.disabled = true;
    l.pause.disabled = true;
    l.checkpointNow.disabled = true;
    l.trainAgain.hidden = true;
    l.trainWithChanges.hidden = true;
    l.error.hidden = true;
    return;
  }
  setText(l.model, baseName(h.modelFile));
  l.model.title = h.modelFile;
  // The session shows a run before the trainer has named it (while it loads the model and data).
  setText(l.runId, h.runId || L.t('meta.starting'));
  l.runId.title = h.runDir;
  // `wasm · fused · 2 threads` once the trainer chose its executor; the title says why each (run.json's sentences).
  setText(l.backend, h.backend ? backendSummary(h.backend, { fused: L.t('meta.fused'), tfjs: L.t('meta.tfjsFit'), threads: (n) => L.t('meta.threads', n) }) : L.t('meta.starting'));
  l.backend.title = h.backend ? [h.backend.reason, h.backend.executorReason, h.backend.executor === 'fused' ? h.backend.threadsReason : undefined].filter(Boolean).join('\n') : L.t('meta.backendPending');
  setText(l.status, L.t(`status.${h.status}`));
  l.status.setAttribute('data-status', h.status === 'stopping' ? 'running' : h.status);

  setText(l.epochProgress, `${L.int(h.epoch)}/${h.epochs !== undefined ? L.int(h.epochs) : '?'}`);
  setText(l.batchProgress, `${L.int(h.batch)}/${h.batchesPerEpoch !== undefined ? L.int(h.batchesPerEpoch) : '?'}`);
  setText(l.speed, h.samplesPerSec !== undefined ? L.int(h.samplesPerSec) : '–');
  setText(l.eta, h.etaSec !== undefined ? L.duration(h.etaSec * 1000) : '–');
  setText(l.elapsed, L.duration(h.elapsedMs));
  l.progress.hidden = h.progress === undefined;
  if (h.progress !== undefined && l.progress.value !== h.progress) l.progress.value = h.progress;
  l.progress.setAttribute('aria-valuetext', h.progress !== undefined ? `${L.num(h.progress * 100, 0)}%` : '');

  l.charts.hidden = h.nothingRecorded;
  l.controls.hidden = h.nothingRecorded;
  l.hint.hidden = h.nothingRecorded;
  l.epochs.hidden = h.nothingRecorded;

  // Stop, Pause and Checkpoint act on a running run; an ended run has nothing to stop.
  l.stop.hidden = h.status !== 'running' && h.status !== 'paused' && h.status !== 'stopping';
  l.stop.disabled = h.stop.disabled;
  // While the batch finishes, the same button is the second Stop: kill now.
  setText(l.stop, h.stop.busy ? L.t('button.kill') : L.t('button.stop'));
  l.stop.title = h.stop.busy ? L.t('button.kill.title') : L.t('button.stop.title');
  l.pause.hidden = h.pause.hidden;
  l.checkpointNow.hidden = h.checkpoint.hidden;
  l.pause.disabled = h.pause.disabled;
  setText(l.pause, L.t(PAUSE_LABEL[h.pause.label]));
  const paused = h.status === 'paused';
  l.pause.title = paused ? L.t('button.resume.title') : L.t('button.pause.title');
  l.pause.setAttribute('aria-pressed', String(paused));
  l.checkpointNow.disabled = h.checkpoint.disabled;
  setText(l.checkpointNow, h.checkpoint.busy ? L.t('button.saving') : L.t('button.checkpoint'));
  l.trainAgain.hidden = h.again.hidden;
  l.trainWithChanges.hidden = h.withChanges.hidden;

  const err = h.error;
  l.error.hidden = !err;
  if (err) {
    setText(l.errorTitle, err.title === 'crashed' ? L.t('error.crashed') : L.t('error.failed'));
    setText(l.errorMessage, err.message);
    // A path the host can open is a link to the line; anything else stays text.
    if (err.openable) {
      setText(l.errorLink, err.location);
      if (l.errorLocation.firstChild !== l.errorLink || l.errorLocation.childNodes.length !== 1) l.errorLocation.replaceChildren(l.errorLink);
    } else setText(l.errorLocation, err.location);
    l.errorLocation.hidden = !err.location;
    setText(l.errorDetailsText, err.details);
    l.errorDetails.hidden = !err.details;
  }
}

/**
 * Epoch table. Rows are only ever added while streaming, so `from` rows already drawn are kept and
 * only new ones appended; pass 0 (or new columns) to redraw it all.
 */
export function renderEpochs(l: Layout, table: EpochTable, from: number, L: Locale): void {
  const scroller = l.epochsScroll;
  // Follow new epochs like a log, unless the user scrolled up to read an older one.
  const atBottom = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 4;
  if (from === 0) {
    l.epochsHead.replaceChildren(
      el('tr', {}, el('th', { scope: 'col' }, L.t('epochs.epoch')), ...table.columns.map((c) => el('th', { scope: 'col' }, c)), el('th', { scope: 'col' }, L.t('epochs.duration'))),
    );
  }
  const rows: HTMLElement[] = [];
  for (let i = from; i < table.rows.length; i++) {
    const r = table.rows[i];
    const epochCell = el('th', { scope: 'row', class: 'num' }, L.int(r.epoch));
    if (r.partial) {
      epochCell.append(' ', el('span', { class: 'partial-tag', title: L.t('epochs.partial.title', L.int(r.partial.batches), L.int(r.partial.of)) }, `${L.t('epochs.partial')} ${L.int(r.partial.batches)}/${L.int(r.partial.of)}`));
    }
    rows.push(
      el(
        'tr',
        r.partial ? { class: 'partial', 'data-partial': 'true' } : {},
        epochCell,
        ...r.values.map((v) => el('td', { class: 'num' }, v === null ? '–' : L.metric(v))),
        el('td', { class: 'num' }, L.duration(r.durationMs)),
      ),
    );
  }
  if (from === 0) l.epochsBody.replaceChildren(...rows);
  else l.epochsBody.append(...rows);
  l.epochsEmpty.hidden = table.rows.length > 0;
  if (atBottom) scroller.scrollTop = scroller.scrollHeight;
}


/** Layers table: fixed for a run, so drawn on snapshots only. */
export function renderLayers(l: Layout, view: RunView | undefined, L: Locale): void {
  const layers = view ? view.layers : [];
  l.layers.hidden = layers.length === 0;
  setText(l.layersSummary, L.t('layers.summary', L.int(layers.length), L.int(view?.totalParams ?? 0)));
  l.layersBody.replaceChildren(
    ...layers.map((x) =>
      el('tr', {}, el('td', {}, x.name), el('td', {}, x.className), el('td', { class: 'shape' }, formatShape(x.outputShape)), el('td', { class: 'num' }, L.int(x.params))),
    ),
  );
  setText(l.layersTotal, L.int(view?.totalParams ?? 0));
}
