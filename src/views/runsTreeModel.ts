/**
 * What the Runs view shows for each folder of the runs folder, without `vscode`: a readable run
 * (file name, status, when, a tooltip) or a damaged one (its folder name and why it cannot be read).
 * runsTree.ts turns these into tree items and passes the words in the user's language.
 */
import * as path from 'node:path';
import { describeDatasetSpec } from '../protocol/datasetSpec';
import { formatShortDuration } from '../protocol/format';
import type { MetricLine, RunRecord } from '../protocol/runFolder';
import { backendSummary, type BackendWords } from '../protocol/format';
import { overrideArgs } from '../protocol/runOverrides';
import type { RunEntry } from '../training/runStore';

/** The words a row uses, translated by the caller (English here, for tests and the CLI). */
export interface RunRowWords {
  status: string;
  backend: string;
  damaged: string;
  unreadable(reason: string): string;
  /** A run status (`stopped`, `failed`, …) in the user's language. */
  statusWord?(status: string): string;
  /** The tooltip's config line: `3 epochs · batch 32 · mnist`. */
  configLine?(epochs: number, batchSize: number, dataset: string): string;
  /** The tooltip's best-metric line: `best val_acc: 0.97 (epoch 3)`. */
  bestLine?(name: string, value: number, epoch: number): string;
  /** The backend line's executor words (ENGLISH_BACKEND_WORDS when absent). */
  backendWords?: BackendWords;
  /** Why a run trained on tfjs's fit: `not fused: {reason}`. */
  notFused?(reason: string): string;
}

export const ENGLISH_RUN_ROW_WORDS: RunRowWords = {
  status: 'status',
  backend: 'backend',
  damaged: 'damaged run',
  unreadable: (reason) => `This run folder cannot be read: ${reason}`,
  configLine: (epochs, batchSize, dataset) => `${epochs} epochs · batch ${batchSize} · ${dataset}`,
  bestLine: (name, value, epoch) => `best ${name}: ${value} (epoch ${epoch})`,
  notFused: (reason) => `not fused: ${reason}`,
};

export interface RunRow {
  /** Stable across refreshes: the run folder. */
  id: string;
  runDir: string;
  label: string;
  description: string;
  /** Markdown paragraphs. */
  tooltip: string[];
  /** A codicon name. */
  icon: string;
  /** `modelLab.run` (open, evaluate, reveal) or `modelLab.damagedRun` (reveal only). */
  contextValue: 'modelLab.run' | 'modelLab.damagedRun';
  /** Start time (ms) for sorting across workspace folders. */
  sortTime: number;
}

const STATUS_ICON: Record<string, string> = {
  running: 'sync~spin',
  completed: 'pass',
  stopped: 'debug-stop',
  failed: 'error',
  crashed: 'warning',
};

export function runRow(entry: RunEntry, w: RunRowWords = ENGLISH_RUN_ROW_WORDS, locale?: string): RunRow {
  if (entry.kind === 'damaged') {
    return {
      id: entry.runDir,
      runDir: entry.runDir,
      label: entry.id,
      description: w.damaged,
      tooltip: [`**${entry.id}**`, w.unreadable(entry.reason), entry.runDir],
      icon: 'warning',
      contextValue: 'modelLab.damagedRun',
      sortTime: entry.mtime,
    };
  }
  const r = entry.record;
  const started = new Date(r.startedAt);
  const when = Number.isNaN(started.getTime()) ? '' : started.toLocaleString(locale);
  return {
    id: entry.runDir,
    runDir: entry.runDir,
    label: path.basename(r.modelFile),
    description: `${r.status} · ${when}`,
    tooltip: [
      `**${r.id}**`,
      `${r.modelFile}`,
      `${w.status}: ${w.statusWord?.(r.status) ?? r.status}${r.error ? ` — ${r.error.message}` : ''}`,
      `${w.backend}: ${backendSummary(r.backend, w.backendWords)}`,
      ...(r.backend.executor === 'tfjs' && r.backend.executorReason ? [(w.notFused ?? ENGLISH_RUN_ROW_WORDS.notFused!)(r.backend.executorReason)] : []),
      (w.configLine ?? ENGLISH_RUN_ROW_WORDS.configLine!)(r.config.epochs, r.config.batchSize, describeDatasetSpec(r.config.dataset)),
    ],
    icon: STATUS_ICON[r.status] ?? 'circle-outline',
    contextValue: 'modelLab.run',
    sortTime: Date.parse(r.startedAt) || 0,
  };
}

/** Which way a metric improves: accuracy-like names up, the rest (losses, errors) down. */
const HIGHER_IS_BETTER = /acc|auc|precision|recall|f1|iou/i;
const BEST_ORDER = ['val_acc', 'val_accuracy', 'val_loss', 'acc', 'accuracy', 'loss'];

export interface RunStats {
  /** The best value over the epochs of the metric a run is judged by (validation first). */
  best?: { name: string; value: number; epoch: number };
  /** The run had batches: it got past setting up. */
  trained: boolean;
  /** ms from start to end (or to the last line while it runs). */
  durationMs?: number;
}

/** Best metric, whether it trained at all, and how long it took, from the tail of metrics.jsonl. */
export function runStats(record: { startedAt: string; endedAt?: string; status: string }, tail: readonly MetricLine[]): RunStats {
  const epochs = tail.filter((l) => l.type === 'epoch');
  let best: RunStats['best'];
  for (const name of BEST_ORDER) {
    for (const e of epochs) {
      const v = (e as Record<string, unknown>)[name];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      const better = !best || (HIGHER_IS_BETTER.test(name) ? v > best.value : v < best.value);
      if (better) best = { name, value: v, epoch: e.epoch };
    }
    if (best) break;
  }
  const trained = tail.some((l) => l.type === 'batch' || l.type === 'epoch');
  const start = Date.parse(record.startedAt);
  const endAt = record.endedAt ? Date.parse(record.endedAt) : tail.at(-1)?.time;
  const durationMs = Number.isFinite(start) && endAt !== undefined && Number.isFinite(endAt) ? Math.max(0, endAt - start) : undefined;
  return { best, trained, durationMs };
}

/** "5 minutes ago" / "5 分钟前" from Intl, in the user's language. */
export function relativeTime(thenMs: number, nowMs: number, locale = 'en'): string {
  const s = Math.round((thenMs - nowMs) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const abs = Math.abs(s);
  if (abs < 60) return rtf.format(s, 'second');
  if (abs < 3600) return rtf.format(Math.round(s / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(s / 3600), 'hour');
  if (abs < 86400 * 30) return rtf.format(Math.round(s / 86400), 'day');
  return new Date(thenMs).toLocaleDateString(locale);
}


export interface RichRowInput {
  entry: RunEntry;
  /** The last lines of metrics.jsonl (readMetricsTail). */
  tail: readonly MetricLine[];
  /** The name the user gave it (label.txt). */
  label?: string;
  now: number;
  locale?: string;
}

export interface RichRow extends RunRow {
  modelFile?: string;
  /** Failed or crashed before its first batch: folded apart. */
  failedEarly: boolean;
  stats?: RunStats;
}

/** A row as the grouped Runs view shows it: name, relative time, best metric, duration. */
export function richRunRow(input: RichRowInput, w: RunRowWords = ENGLISH_RUN_ROW_WORDS): RichRow {
  const base = runRow(input.entry, w, input.locale);
  if (input.entry.kind === 'damaged') return { ...base, failedEarly: false };
  const r = input.entry.record;
  const stats = runStats(r, input.tail);
  const when = relativeTime(Date.parse(r.startedAt), input.now, input.locale);
  const parts = [when];
  if (stats.best) parts.push(`${stats.best.name} ${stats.best.value.toPrecision(4)}`);
  if (stats.durationMs !== undefined && r.status !== 'running') parts.push(formatShortDuration(stats.durationMs, input.locale));
  if (r.status !== 'completed') parts.push(w.statusWord?.(r.status) ?? r.status);
  return {
    ...base,
    label: input.label ?? r.id,
    description: parts.join(' · '),
    tooltip: [...base.tooltip, ...(stats.best ? [(w.bestLine ?? ENGLISH_RUN_ROW_WORDS.bestLine!)(stats.best.name, stats.best.value, stats.best.epoch + 1)] : [])],
    modelFile: r.modelFile,
    failedEarly: (r.status === 'failed' || r.status === 'crashed') && !stats.trained,
    stats,
  };
}

export interface ModelGroup {
  modelFile: string;
  label: string;
  /** Runs that trained (or are training), newest first. */
  runs: RichRow[];
  /** Runs that failed before their first batch, newest first. */
  failedEarly: RichRow[];
  sortTime: number;
}

/** Runs grouped by model file, the group of the newest run first; damaged runs come back apart. */
export function groupRuns(rows: readonly RichRow[]): { groups: ModelGroup[]; damaged: RichRow[] } {
  const byFile = new Map<string, ModelGroup>();
  const damaged: RichRow[] = [];
  for (const row of [...rows].sort((a, b) => b.sortTime - a.sortTime)) {
    if (!row.modelFile) {
      damaged.push(row);
      continue;
    }
    let g = byFile.get(row.modelFile);
    if (!g) {
      g = { modelFile: row.modelFile, label: path.basename(row.modelFile), runs: [], failedEarly: [], sortTime: row.sortTime };
      byFile.set(row.modelFile, g);
    }
    (row.failedEarly ? g.failedEarly : g.runs).push(row);
  }
  return { groups: [...byFile.values()].sort((a, b) => b.sortTime - a.sortTime), damaged };
}

/**
 * The terminal command that trains the same model the same way (paths relative to the workspace
 * folder where they are inside it): `npx model-lab train models/cnn.model.ts --epochs 5 …`.
 */
export function reproduceCommand(record: RunRecord, workspaceDir: string | undefined): string {
  const rel = (p: string) => {
    if (!workspaceDir) return p;
    const r = path.relative(workspaceDir, p);
    return r.startsWith('..') || path.isAbsolute(r) ? p : r.split(path.sep).join('/');
  };
  const q = (s: string) => (/^[\w./@:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const c = record.config;
  if (record.mode === 'script') {
    const args = ['npx', 'model-lab', 'run', q(rel(record.modelFile))];
    if (record.backend?.name) args.push('--backend', record.backend.name);
    if (record.scriptArgs?.length) args.push('--', ...record.scriptArgs.map(q));
    return args.join(' ');
  }
  const args = ['npx', 'model-lab', 'train', q(rel(record.modelFile)), '--epochs', String(c.epochs), '--batch-size', String(c.batchSize)];
  // The rest of what Train with Changes (or the CLI) overrode, so the command trains the same way.
  args.push(...overrideArgs(record.overrides ?? {}, ['learningRate', 'optimizer', 'validationSplit']));
  if (record.backend?.name) args.push('--backend', record.backend.name);
  return args.join(' ');
}
