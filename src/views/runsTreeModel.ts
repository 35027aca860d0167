/**
 * What the Runs view shows for each folder of the runs folder, without `vscode`: a readable run
 * (file name, status, when, a tooltip) or a damaged one (its folder name and why it cannot be read).
 * runsTree.ts turns these into tree items and passes the words in the user's language.
 */
import * as path from 'node:path';
import { describeDatasetSpec } from '../protocol/datasetSpec';
import type { RunEntry } from '../training/runStore';

/** The words a row uses, translated by the caller (English here, for tests and the CLI). */
export interface RunRowWords {
  status: string;
  backend: string;
  damaged: string;
  unreadable(reason: string): string;
}

export const ENGLISH_RUN_ROW_WORDS: RunRowWords = {
  status: 'status',
  backend: 'backend',
  damaged: 'damaged run',
  unreadable: (reason) => `This run folder cannot be read: ${reason}`,
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
      `${w.status}: ${r.status}${r.error ? ` — ${r.error.message}` : ''}`,
      `${w.backend}: ${r.backend.name}`,
      `${r.config.epochs} epochs · batch ${r.config.batchSize} · ${describeDatasetSpec(r.config.dataset)}`,
    ],
    icon: STATUS_ICON[r.status] ?? 'circle-outline',
    contextValue: 'modelLab.run',
    sortTime: Date.parse(r.startedAt) || 0,
  };
}
