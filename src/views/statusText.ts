/**
 * What the status bar entry says about a run: while training the epoch, the loss and the time
 * left; when done the final headline metric; and a tooltip with the details. Pure: the words come
 * in (vscode.l10n.t's translations), src/views/statusBar.ts draws it.
 */
import type { RunStatus } from '../protocol/trainer';
import type { RunView } from '../protocol/webview';
import { backendSummary, formatShortDuration, type BackendWords } from '../protocol/format';

export interface StatusWords {
  epoch: (e: number, of: number | string) => string;
  loss: string;
  eta: (d: string) => string;
  paused: string;
  /** After Stop, while the batch in progress finishes. */
  finishing: string;
  status: Record<RunStatus, string>;
  /** Tooltip row labels. */
  file: string;
  run: string;
  backend: string;
  elapsed: string;
  batch: string;
  epochLabel: string;
  /** VS Code's display language, for the duration units (`4m 05s` / `4分05秒`). */
  locale?: string;
  /** The backend row's executor words (ENGLISH_BACKEND_WORDS when absent). */
  backendWords?: BackendWords;
}

export const ENGLISH_STATUS_WORDS: StatusWords = {
  epoch: (e, of) => `epoch ${e}/${of}`,
  loss: 'loss',
  eta: (d) => `${d} left`,
  paused: 'Paused',
  finishing: 'finishing batch…',
  status: { running: 'running', completed: 'completed', stopped: 'stopped', failed: 'failed', crashed: 'crashed' },
  file: 'File',
  run: 'Run',
  backend: 'Backend',
  elapsed: 'Elapsed',
  batch: 'Batch',
  epochLabel: 'Epoch',
};


/**
 * Time left from the pace of the last `window` batches: (total batches − done) × ms per batch.
 * Undefined until the pace is known (two batches) or when the total is not (a dataset of unknown size).
 */
export function etaMs(run: RunView, window = 20): number | undefined {
  const epochs = run.config?.epochs;
  const per = run.batchesPerEpoch;
  const b = run.batches;
  if (!epochs || !per || b.length < 2) return undefined;
  const recent = b.slice(-window);
  const first = recent[0];
  const last = recent[recent.length - 1];
  const steps = last.step - first.step;
  if (steps <= 0) return undefined;
  const msPerBatch = (last.time - first.time) / steps;
  const done = last.epoch * per + last.batch + 1;
  return Math.max(0, (epochs * per - done) * msPerBatch);
}

const HEADLINE = ['val_acc', 'val_accuracy', 'acc', 'accuracy', 'val_loss', 'loss'];

/** The metric a finished run is summed up by: validation accuracy first, then accuracy, then loss. */
export function headlineMetric(run: RunView): { name: string; value: number } | undefined {
  const last = run.epochs.at(-1);
  if (!last) return undefined;
  for (const name of HEADLINE) {
    const v = last.metrics[name];
    if (typeof v === 'number' && Number.isFinite(v)) return { name, value: v };
  }
  return undefined;
}

const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(4));

export function statusText(run: RunView, now: number, w: StatusWords = ENGLISH_STATUS_WORDS): { text: string; tooltip: string } {
  const last = run.batches.at(-1);
  const epoch = last ? last.epoch + 1 : 1;
  const epochs = run.config?.epochs ?? '?';
  const loss = last?.metrics.loss;
  const parts: string[] = [];
  if (run.status === 'running') {
    if (run.stopping) parts.push(`$(loading~spin) ${w.finishing} · ${w.epoch(epoch, epochs)}`);
    else parts.push(run.paused ? `$(debug-pause) ${w.paused} · ${w.epoch(epoch, epochs)}` : `$(sync~spin) ${w.epoch(epoch, epochs)}`);
    if (loss !== undefined && Number.isFinite(loss)) parts.push(`${w.loss} ${fmt(loss)}`);
    const eta = run.paused || run.stopping ? undefined : etaMs(run);
    if (eta !== undefined) parts.push(w.eta(formatShortDuration(eta, w.locale)));
  } else {
    const icon = run.status === 'completed' ? '$(check)' : run.status === 'stopped' ? '$(debug-stop)' : '$(error)';
    const head = headlineMetric(run);
    parts.push(`${icon} Model Lab: ${w.status[run.status]}`);
    if (head) parts.push(`${head.name} ${fmt(head.value)}`);
  }
  const file = run.modelFile.split(/[\\/]/).pop() ?? run.modelFile;
  const rows: [string, string][] = [
    [w.file, file],
    [w.run, run.runId],
    ...(run.backend ? ([[w.backend, backendSummary(run.backend, w.backendWords)]] as [string, string][]) : []),
    [w.epochLabel, `${epoch}/${epochs}`],
    ...(last ? ([[w.batch, `${last.batch + 1}/${run.batchesPerEpoch || '?'}`]] as [string, string][]) : []),
    [w.elapsed, formatShortDuration((run.endedAt ?? now) - run.startedAt, w.locale)],
  ];
  const tooltip = [`**Model Lab** — ${w.status[run.status]}`, '', '| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | \`${v}\` |`)].join('\n');
  return { text: parts.join(' · '), tooltip };
}
