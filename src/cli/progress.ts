/**
 * What the CLI prints while a model trains: the progress line (epoch, batch, loss, acc, samples/s,
 * ETA) fitted to the terminal's width, the per-epoch summaries and the final line. Pure: the state
 * comes from the trainer's messages and their own timestamps, so it is unit-tested without a clock.
 */
import { formatCount, formatDuration, formatMetric, formatRate } from '../protocol/format';
import { formatMessage, t } from './messages';
import type { BackendInfo, BatchPoint, EndStatus, EpochPoint, Metrics, RunError } from '../protocol/trainer';

/** tfjs logs `acc` for metrics: ['accuracy'], but a model may name it either way. */
const accOf = (m: Metrics, prefix = ''): number | undefined => m[`${prefix}acc`] ?? m[`${prefix}accuracy`];

/** Metric names in reading order: training metrics (loss, acc, then the rest), then their val_ twins. */
export function orderMetricNames(names: string[]): string[] {
  const rank = (n: string) => {
    const val = n.startsWith('val_') ? 10 : 0;
    const base = n.replace(/^val_/, '');
    return val + (base === 'loss' ? 0 : base === 'acc' || base === 'accuracy' ? 1 : 2);
  };
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export interface ProgressState {
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** Batches done in this epoch (1-based count). */
  batch: number;
  batchesPerEpoch: number;
  loss?: number;
  acc?: number;
  samplesPerSec?: number;
  etaMs?: number;
}

interface Segment {
  text: string;
  /** When the terminal is too narrow, the lowest goes first. */
  keep: number;
}

/**
 * One progress line that never wraps in a terminal `columns` wide (a wrapped line breaks the `\r`
 * redraw): less important parts and then the bar are dropped as the width shrinks.
 */
export function formatProgressLine(s: ProgressState, columns: number): string {
  const max = Math.max(1, columns - 1);
  const width = String(s.batchesPerEpoch).length;
  // In reading order; `keep` says what survives a narrow terminal.
  const segments: Segment[] = [
    { text: t('progress.epoch', s.epoch, s.epochs), keep: 9 },
    { text: s.batchesPerEpoch > 0 ? `${String(s.batch).padStart(width)}/${s.batchesPerEpoch}` : t('progress.batch', s.batch), keep: 8 },
    { text: s.loss === undefined ? '' : t('progress.loss', formatMetric(s.loss)), keep: 7 },
    { text: s.acc === undefined ? '' : t('progress.acc', formatMetric(s.acc)), keep: 5 },
    { text: s.samplesPerSec === undefined ? '' : t('progress.samplesPerSec', formatRate(s.samplesPerSec)), keep: 4 },
    { text: t('progress.eta', formatDuration(s.etaMs)), keep: 6 },
  ].filter((x) => x.text !== '');
  const BAR_MIN = 10;
  const BAR_MAX = 30;

  const render = (parts: Segment[], barWidth: number) => {
    const texts = parts.map((p) => p.text);
    if (barWidth > 0) {
      const frac = s.batchesPerEpoch > 0 ? Math.min(1, s.batch / s.batchesPerEpoch) : 0;
      const filled = Math.round(frac * barWidth);
      // The bar sits between the epoch and the batch count.
      texts.splice(1, 0, `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]`);
    }
    return texts.join(' ');
  };

  let parts = segments;
  for (;;) {
    const bare = render(parts, 0);
    const room = max - bare.length - 3; // a space and the two brackets
    if (room >= BAR_MIN) return render(parts, Math.min(BAR_MAX, room));
    // The numbers matter more than the bar.
    if (bare.length <= max) return bare;
    if (parts.length === 1) return bare.slice(0, max);
    const lowest = Math.min(...parts.map((p) => p.keep));
    parts = parts.filter((p) => p.keep !== lowest);
  }
}

/** `epoch 1/2  loss 0.3012  acc 0.9100  val_loss 0.2011  val_acc 0.9400  (12.3 s)` */
export function formatEpochSummary(epoch: number, epochs: number, metrics: Metrics, durationMs?: number): string {
  const parts = [t('progress.epoch', epoch, epochs)];
  for (const name of orderMetricNames(Object.keys(metrics))) parts.push(`${name} ${formatMetric(metrics[name])}`);
  if (durationMs !== undefined && Number.isFinite(durationMs)) parts.push(t('progress.seconds', (durationMs / 1000).toFixed(1)));
  return parts.join('  ');
}

export function formatBackendLine(backend: BackendInfo): string {
  return t('progress.backend', backend.name, backend.reason);
}

export function formatRunLine(runId: string, totalParams: number, batchesPerEpoch: number, epochs: number, batchSize: number): string {
  // A script's fitDataset over a dataset of unknown size: batches (and their size) are not known yet.
  const batches = batchesPerEpoch > 0 ? (batchSize > 0 ? t('progress.ofBatchesOfSize', batchesPerEpoch, batchSize) : t('progress.ofBatches', batchesPerEpoch)) : '';
  return epochs === 1 ? t('progress.runOne', runId, formatCount(totalParams), batches) : t('progress.runMany', runId, formatCount(totalParams), epochs, batches);
}

/** The last line on stdout: how the run ended and where it is. */
export function formatEndLine(status: EndStatus, runDir: string | undefined): string {
  const what = t(({ completed: 'progress.completed', stopped: 'progress.stopped', failed: 'progress.failed', crashed: 'progress.crashed' } as const)[status]);
  return runDir ? t('progress.endSaved', what, runDir) : t('progress.end', what);
}

/**
 * The one line for stderr when a run fails: the trainer's message, which names the file and line
 * or the shapes; the location is added in front when the message does not already carry it.
 */
export function formatFailureLine(status: EndStatus, error: RunError | undefined, displayFile?: (file: string) => string): string {
  let message = (error?.message ?? `the run ended ${status}`).replace(/\s*\r?\n\s*/g, ' ').trim();
  if (error?.file && error.line !== undefined) {
    const shown = displayFile ? displayFile(error.file) : error.file;
    const base = error.file.split(/[\\/]/).pop() ?? error.file;
    // The location always leads (editors, terminals and the `$model-lab` problem matcher read it
    // there); a copy of it at the end of the message goes.
    const esc = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    let column = error.column;
    const located = (_match: string, col: string | undefined) => {
      if (column === undefined && col !== undefined) column = Number(col);
      return '';
    };
    message = message
      .replace(new RegExp(`\\s*\\((?:[^()]*[\\\\/])?${esc}:${error.line}(?::(\\d+))?\\)\\s*$`), located)
      .replace(new RegExp(`^(?:[^\\s:]*[\\\\/])?${esc}:${error.line}(?::(\\d+))?:\\s*`), located);
    message = `${shown}:${error.line}${column !== undefined ? `:${column}` : ''}: ${message}`;
  }
  return `model-lab: ${status === 'crashed' ? 'trainer crashed' : 'training failed'}: ${message}`;
}

/**
 * Folds the trainer's batch and epoch messages into what the progress line shows. Speed comes from
 * the trainer's own batch timestamps over the last `window` batches of the current epoch, so the
 * first, slow batch (kernel setup) and the validation pass between epochs do not skew it for long.
 */
export class ProgressTracker {
  private epochs = 1;
  private batchesPerEpoch = 0;
  private batchSize = 1;
  private last: BatchPoint | undefined;
  private recent: BatchPoint[] = [];
  /** When the current epoch began: the end of the previous one, or the run's start. */
  private epochStart: number | undefined;

  constructor(private readonly window = 20) {}

  /** `now`: when the run message arrived, as the first epoch's start. */
  onRun(run: { config: { epochs: number; batchSize: number }; batchesPerEpoch: number }, now: number): void {
    this.epochStart = now;
    this.epochs = run.config.epochs;
    this.batchSize = run.config.batchSize;
    this.batchesPerEpoch = run.batchesPerEpoch;
  }

  /** A script's fit call (`fit` message): the run now has at least `epochs` epochs of `batchesPerEpoch` (0 = not known yet). */
  onFit(epochs: number, batchesPerEpoch: number): void {
    this.epochs = Math.max(this.epochs, epochs);
    this.batchesPerEpoch = batchesPerEpoch;
  }

  onBatches(points: BatchPoint[]): void {
    for (const p of points) {
      if (this.last && p.epoch !== this.last.epoch) this.recent = [];
      this.recent.push(p);
      if (this.recent.length > this.window + 1) this.recent.shift();
      this.last = p;
    }
  }

  /** Returns how long the epoch took, validation included (undefined if its start is unknown). */
  onEpoch(point: EpochPoint): number | undefined {
    const started = this.epochStart;
    this.epochStart = point.time;
    return started === undefined ? undefined : point.time - started;
  }

  get totalSteps(): number {
    return this.epochs * this.batchesPerEpoch;
  }

  /** Undefined until the first batch. */
  state(): ProgressState | undefined {
    const p = this.last;
    if (!p) return undefined;
    let samplesPerSec: number | undefined;
    let etaMs: number | undefined;
    const first = this.recent[0];
    if (first && this.recent.length >= 2 && p.time > first.time) {
      const msPerStep = (p.time - first.time) / (p.step - first.step);
      samplesPerSec = (1000 * this.batchSize) / msPerStep;
      const done = p.epoch * this.batchesPerEpoch + p.batch + 1;
      etaMs = Math.max(0, this.totalSteps - done) * msPerStep;
    }
    return {
      epoch: p.epoch + 1,
      epochs: this.epochs,
      batch: p.batch + 1,
      batchesPerEpoch: this.batchesPerEpoch,
      loss: p.metrics.loss,
      acc: accOf(p.metrics),
      samplesPerSec,
      etaMs,
    };
  }
}

/**
 * Without a TTY (a log file, CI) the progress goes out as lines, at most `perEpoch - 1` per epoch
 * (the epoch summary is the last): true when `batch` (1-based) crosses into a new fraction.
 */
export function isProgressCheckpoint(prevBatch: number, batch: number, batchesPerEpoch: number, perEpoch = 4): boolean {
  if (batchesPerEpoch <= 0 || batch >= batchesPerEpoch) return false;
  const slot = (b: number) => Math.floor((b * perEpoch) / batchesPerEpoch);
  return slot(batch) > slot(prevBatch);
}

// ---- run control keys ------------------------------------------------------------------------

/** What a key pressed while training asks for. `interrupt` is Ctrl-C, which raw mode delivers as a byte. */
export type KeyAction = 'pauseResume' | 'checkpoint' | 'stop' | 'interrupt';

/** Shown once, when the run starts, on a terminal (or with the test hook); English here, `keysHint()` in the CLI's language. */
export const KEYS_HINT = formatMessage('en', 'progress.keys');

export function keysHint(): string {
  return t('progress.keys');
}

/** Maps one key (as read from stdin in raw mode) to its action; anything else is ignored. */
export function keyAction(key: string): KeyAction | undefined {
  switch (key) {
    case 'p':
    case 'P':
      return 'pauseResume';
    case 'c':
    case 'C':
      return 'checkpoint';
    case 's':
    case 'S':
    case 'q':
    case 'Q':
      return 'stop';
    case '\x03':
      return 'interrupt';
    default:
      return undefined;
  }
}

/** The actions in a chunk of stdin: raw mode may deliver several keys at once; a pipe delivers lines. */
export function keyActions(chunk: string): KeyAction[] {
  const out: KeyAction[] = [];
  for (const ch of chunk) {
    const a = keyAction(ch);
    if (a) out.push(a);
  }
  return out;
}
