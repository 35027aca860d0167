import * as fs from 'node:fs';
import * as path from 'node:path';
import { EVAL_FILE, type EvalReport } from '../protocol/evalReport';
import {
  CHECKPOINT_FILE,
  CHECKPOINT_KINDS,
  checkpointPointerName,
  CHECKPOINTS_DIR,
  HISTOGRAMS_FILE,
  lineMetrics,
  parseCheckpointInfo,
  parseCheckpointPointer,
  parseHistogramLines,
  type MetricLine,
} from '../protocol/runFolder';
import type { BatchPoint, EpochPoint, HistogramLine } from '../protocol/trainer';
import { isDrawableEvalReport, type CheckpointEntry, type RunView } from '../protocol/webview';
import { readRun, reconcileStaleRun, staleRunReason } from './runStore';
import { thinBatches } from '../protocol/thinBatches';

/**
 * `<runDir>/eval.json` when it exists and the panel can draw it; undefined otherwise (no report yet,
 * or a malformed one, which `onInvalid` hears about).
 */
export function readEvalReport(runDir: string, onInvalid?: (why: string) => void): EvalReport | undefined {
  const file = path.join(runDir, EVAL_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (isDrawableEvalReport(parsed)) return parsed;
    onInvalid?.(`${file} is not an evaluation report this version can show`);
  } catch (e) {
    onInvalid?.(`${file} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return undefined;
}

/**
 * The folder with the complete checkpoint of `kind`: the one checkpoints/<kind>.json names (a save
 * cut between its renames), else checkpoints/<kind>/ (a finished save, or a folder from before the
 * pointer). The trainer's findCheckpointDir reads the same way.
 */
export function checkpointFolder(runDir: string, kind: (typeof CHECKPOINT_KINDS)[number]): string {
  const base = path.join(runDir, CHECKPOINTS_DIR);
  try {
    const parsed = parseCheckpointPointer(fs.readFileSync(path.join(base, checkpointPointerName(kind)), 'utf8'));
    if (parsed.ok && fs.existsSync(path.join(base, parsed.value.dir, CHECKPOINT_FILE))) return path.join(base, parsed.value.dir);
  } catch {
    // no pointer
  }
  return path.join(base, kind);
}

/** The run's histograms.jsonl (none for runs recorded before it existed or that ended before an epoch). */
export function readHistograms(runDir: string): HistogramLine[] {
  try {
    return parseHistogramLines(fs.readFileSync(path.join(runDir, HISTOGRAMS_FILE), 'utf8'));
  } catch {
    return [];
  }
}

/** The run's checkpoints/last and checkpoints/best, from their checkpoint.json. */
export function readCheckpoints(runDir: string): RunView['checkpoints'] {
  const out: NonNullable<RunView['checkpoints']> = {};
  for (const kind of CHECKPOINT_KINDS) {
    const dir = checkpointFolder(runDir, kind);
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, CHECKPOINT_FILE), 'utf8');
    } catch {
      continue; // no checkpoint of this kind
    }
    const parsed = parseCheckpointInfo(text);
    if (parsed.ok) out[kind] = { ...parsed.value, kind, dir } satisfies CheckpointEntry;
  }
  return out.last || out.best ? out : undefined;
}

/**
 * Rebuilds what the panel shows from a saved run folder, so a past run looks as it did live.
 * A run whose process died without an `end` line and is not running shows as `crashed`.
 */
export function runViewFromStore(runDir: string, isLive = false, warn?: (why: string) => void): RunView {
  let { record, metrics } = readRun(runDir, warn);
  // A run left `running` by a dead trainer is rewritten as crashed (with its end line), then shown so.
  if (!isLive && staleRunReason(record)) ({ record, metrics } = (reconcileStaleRun(runDir, record), readRun(runDir, warn)));
  const batches: BatchPoint[] = [];
  const epochs: EpochPoint[] = [];
  let end: Extract<MetricLine, { type: 'end' }> | undefined;
  for (const line of metrics) {
    if (line.type === 'batch')
      batches.push({ epoch: line.epoch, batch: line.batch, step: line.step, time: line.time, metrics: lineMetrics(line) });
    else if (line.type === 'epoch') epochs.push({ epoch: line.epoch, time: line.time, metrics: lineMetrics(line) });
    else if (line.type === 'end') end = line;
  }
  const status = end?.status ?? (record.status === 'running' && !isLive ? 'crashed' : record.status);
  const perEpoch = batches.filter((b) => b.epoch === 0).length;
  const checkpoints = readCheckpoints(runDir);
  const evalReport = readEvalReport(runDir);
  const histograms = readHistograms(runDir);
  return {
    runId: record.id,
    modelFile: record.modelFile,
    runDir,
    backend: record.backend,
    config: record.config,
    batchesPerEpoch: record.batchesPerEpoch ?? perEpoch,
    layers: record.layers ?? [],
    totalParams: record.totalParams ?? 0,
    status,
    error: end?.error ?? record.error,
    startedAt: Date.parse(record.startedAt) || 0,
    // Bounded (extremes, NaN and epoch edges kept): a million-batch run opens as a small snapshot.
    batches: thinBatches(batches) as BatchPoint[],
    epochs,
    ...(record.endedAt && { endedAt: Date.parse(record.endedAt) || undefined }),
    ...(record.mode === 'script' && { mode: 'script' as const }),
    ...(checkpoints && { checkpoints }),
    ...(evalReport && { evalReport }),
    ...(histograms.length > 0 && { histograms }),
  };
}
