/**
 * The host's reader of run folders (format: src/protocol/runFolder.ts; the trainer writes them). Pure
 * Node (no `vscode`), shared by the extension and the CLI. A folder whose run.json is partial, foreign
 * or from a newer version is listed as damaged, so one bad folder never hides the others.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  formatRunRecord,
  METRICS_FILE,
  parseMetricLines,
  parseRunRecord,
  isProcessAliveWith,
  RUN_FILE,
  type ProcessIdentity,
  RUN_LABEL_FILE,
  cleanRunLabel,
  type MetricLine,
  type RunRecord,
} from '../protocol/runFolder';
import type { RunError } from '../protocol/trainer';

/** One folder of the runs folder: a readable run, or a damaged one and why. */
export type RunEntry =
  | { kind: 'run'; runDir: string; record: RunRecord }
  | { kind: 'damaged'; runDir: string; /** The folder name. */ id: string; reason: string; /** run.json's mtime (ms), for sorting. */ mtime: number };

function readMetrics(runDir: string, warn?: (why: string) => void): MetricLine[] {
  let text: string;
  const file = path.join(runDir, METRICS_FILE);
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return parseMetricLines(text, warn && ((line, reason) => warn(`${file} line ${line}: ${reason}; skipped`)));
}

/** A run's run.json, checked; throws naming the file when it is not readable (metrics.jsonl is not read). */
export function readRunRecord(runDir: string): RunRecord {
  return readRecord(runDir);
}

function readRecord(runDir: string): RunRecord {
  const file = path.join(runDir, RUN_FILE);
  const parsed = parseRunRecord(fs.readFileSync(file, 'utf8'));
  // The reason starts with "run.json …", so the folder in front of it names the file in full.
  if (!parsed.ok) throw new Error(`${path.join(runDir, parsed.reason)}`);
  return parsed.value;
}

/** A run's record and metric lines; throws (naming run.json) when the record is not readable; `warn` hears each damaged metrics line skipped. */
export function readRun(runDir: string, warn?: (why: string) => void): { record: RunRecord; metrics: MetricLine[] } {
  return { record: readRecord(runDir), metrics: readMetrics(runDir, warn) };
}

/** Newest first: by start time, then by id. Damaged runs sort by their run.json's time. */
function entryTime(e: RunEntry): number {
  return e.kind === 'run' ? Date.parse(e.record.startedAt) || 0 : e.mtime;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function signal0(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True while the process run.json names still runs (the rule is isProcessAliveWith's, shared with the trainer). */
export function isRecordedProcessAlive(id: ProcessIdentity): boolean {
  return isProcessAliveWith(id, readText, signal0);
}

/** Why a run left `running` is over: its trainer is gone (run.json's pid and start time say so). */
export function staleRunReason(record: RunRecord): string | undefined {
  if (record.status !== 'running' || !record.process || isRecordedProcessAlive(record.process)) return undefined;
  return `The trainer process (pid ${record.process.pid}) ended without finishing the run: it was killed, or the machine stopped`;
}

/**
 * Marks a run `crashed` when run.json says `running` but the process it names is gone (both the
 * trainer and its host were killed); returns the record as it is now. Runs written before run.json
 * named its process are left as they are.
 */
export function reconcileStaleRun(runDir: string, record: RunRecord): RunRecord {
  const reason = staleRunReason(record);
  if (!reason) return record;
  try {
    markCrashed(runDir, reason);
    return readRecord(runDir);
  } catch {
    // a read-only folder: still shown as crashed
    return { ...record, status: 'crashed', error: { message: reason } };
  }
}

/**
 * Every folder of `runsDir` that has a run.json, newest first: readable runs and damaged ones. A
 * folder without run.json (being created, or not a run) is left out. With `markStale`, a run left
 * `running` by a dead process is rewritten as `crashed` (reconcileStaleRun) and listed so.
 */
export function listRunEntries(runsDir: string, opts: { markStale?: boolean } = {}): RunEntry[] {
  let names: string[];
  try {
    names = fs.readdirSync(runsDir);
  } catch {
    return [];
  }
  const out: RunEntry[] = [];
  for (const name of names) {
    const runDir = path.join(runsDir, name);
    const file = path.join(runDir, RUN_FILE);
    let text: string;
    let mtime = 0;
    try {
      mtime = fs.statSync(file).mtimeMs;
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const parsed = parseRunRecord(text);
    if (parsed.ok) out.push({ kind: 'run', runDir, record: opts.markStale ? reconcileStaleRun(runDir, parsed.value) : parsed.value });
    else out.push({ kind: 'damaged', runDir, id: name, reason: parsed.reason, mtime });
  }
  const id = (e: RunEntry) => (e.kind === 'run' ? e.record.id : e.id);
  return out.sort((a, b) => entryTime(b) - entryTime(a) || (id(a) < id(b) ? 1 : id(a) > id(b) ? -1 : 0));
}

/** All readable runs, newest first; damaged folders are left out (listRunEntries has them). */
export function listRuns(runsDir: string, opts: { markStale?: boolean } = {}): RunRecord[] {
  return listRunEntries(runsDir, opts).flatMap((e) => (e.kind === 'run' ? [e.record] : []));
}

/**
 * Closes a run whose process died without writing its `end` line (killed, crashed, channel lost): the
 * host writes it, because the trainer that would have is gone. A run that did end is left as it is.
 */
export function markCrashed(runDir: string, reason: string): void {
  const metrics = readMetrics(runDir);
  if (metrics.some((m) => m.type === 'end')) return;
  const lastEpoch = metrics.reduce((e, m) => Math.max(e, m.epoch ?? 0), 0);
  const error: RunError = { message: reason };
  const now = Date.now();
  const metricsFile = path.join(runDir, METRICS_FILE);
  // A kill mid-write can leave a line without its newline; start ours on a fresh line.
  let prefix = '';
  try {
    const text = fs.readFileSync(metricsFile, 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) prefix = '\n';
  } catch {
    // no metrics file yet: appendFileSync creates it
  }
  const line: MetricLine = { type: 'end', epoch: lastEpoch, time: now, status: 'crashed', error };
  fs.appendFileSync(metricsFile, prefix + JSON.stringify(line) + '\n');
  let record: RunRecord | undefined;
  try {
    record = readRecord(runDir);
  } catch {
    return; // nothing to update; the end line above is what readers see
  }
  const file = path.join(runDir, RUN_FILE);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, formatRunRecord({ ...record, status: 'crashed', endedAt: new Date(now).toISOString(), error }));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/**
 * The metric lines in the last `bytes` of metrics.jsonl (the epoch lines and the end of a run of
 * any length, read in bounded time); the first, cut line is skipped by the parser.
 */
export function readMetricsTail(runDir: string, bytes = 64 * 1024): MetricLine[] {
  const file = path.join(runDir, METRICS_FILE);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = fs.fstatSync(fd).size;
    const start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    const text = buf.toString('utf8');
    return parseMetricLines(start > 0 ? text.slice(text.indexOf('\n') + 1) : text);
  } finally {
    fs.closeSync(fd);
  }
}

/** The name the user gave the run (Rename Run), if any. */
export function readRunLabel(runDir: string): string | undefined {
  try {
    return cleanRunLabel(fs.readFileSync(path.join(runDir, RUN_LABEL_FILE), 'utf8')) || undefined;
  } catch {
    return undefined;
  }
}

/** Renames a run (an empty name removes it). */
export function writeRunLabel(runDir: string, name: string): void {
  const clean = cleanRunLabel(name);
  const file = path.join(runDir, RUN_LABEL_FILE);
  if (!clean) fs.rmSync(file, { force: true });
  else fs.writeFileSync(file, clean + '\n');
}

/**
 * Deletes a run folder, only when it is a direct child of `runsDir` holding a run.json: a path from
 * a message or a tree item can never remove anything else.
 */
export function deleteRunFolder(runsDir: string, runDir: string): void {
  const parent = path.resolve(runsDir);
  const target = path.resolve(runDir);
  if (path.dirname(target) !== parent) throw new Error(`${runDir} is not a run folder of ${runsDir}`);
  if (!fs.existsSync(path.join(target, RUN_FILE))) throw new Error(`${runDir} has no ${RUN_FILE}: not a run folder`);
  fs.rmSync(target, { recursive: true, force: true });
}
