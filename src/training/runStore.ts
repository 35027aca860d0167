/**
 * The run folder on disk: `<runsDir>/<run-id>/` with `run.json`, `metrics.jsonl` and `model/`.
 * Pure Node so the trainer, the host and the CLI all read and write runs the same way.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MetricLine, RunError, RunRecord } from '../protocol/trainer';

export const RUN_FILE = 'run.json';
export const METRICS_FILE = 'metrics.jsonl';
export const MODEL_DIR = 'model';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Ids made in this process, so two runs started in the same second still get different ids. */
const issuedIds = new Set<string>();

/** Turns `examples/mnist-cnn.model.ts` into `mnist-cnn`: readable in a folder listing. */
function modelSlug(modelFile: string): string {
  let base = path.basename(modelFile).replace(/\.(m|c)?(t|j)sx?$/i, '').replace(/\.model$/i, '');
  base = base.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return base.slice(0, 40) || 'model';
}

/**
 * A run id that sorts by start time (local time, to the second) and says which model ran,
 * e.g. `20261128-190501-mnist-cnn`. A second id in the same second gets `-2`, `-3`, …
 */
export function makeRunId(modelFile: string, date: Date): string {
  const stamp =
    `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-` +
    `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
  const base = `${stamp}-${modelSlug(modelFile)}`;
  let id = base;
  for (let n = 2; issuedIds.has(id); n++) id = `${base}-${n}`;
  issuedIds.add(id);
  return id;
}

/** Writes a file so readers see either the old or the new content, never half of it. */
function writeFileAtomic(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** The writer side of one run folder; used by the trainer while the run is alive. */
export class RunWriter {
  readonly dir: string;
  readonly modelDir: string;
  private record: RunRecord;

  private constructor(dir: string, record: RunRecord) {
    this.dir = dir;
    this.modelDir = path.join(dir, MODEL_DIR);
    this.record = record;
  }

  /** Creates the run folder; fails if it already exists so two runs never share one. */
  static create(runsDir: string, runId: string, record: RunRecord): RunWriter {
    fs.mkdirSync(runsDir, { recursive: true });
    const dir = path.join(runsDir, runId);
    fs.mkdirSync(dir); // throws EEXIST rather than mixing two runs' metrics
    const w = new RunWriter(dir, { ...record, id: runId });
    writeFileAtomic(path.join(dir, RUN_FILE), JSON.stringify(w.record, null, 2) + '\n');
    fs.writeFileSync(path.join(dir, METRICS_FILE), '');
    return w;
  }

  /** Appends synchronously: a run killed right after keeps this line. */
  appendMetric(line: MetricLine): void {
    fs.appendFileSync(path.join(this.dir, METRICS_FILE), JSON.stringify(line) + '\n');
  }

  updateRecord(patch: Partial<RunRecord>): void {
    this.record = { ...this.record, ...patch };
    writeFileAtomic(path.join(this.dir, RUN_FILE), JSON.stringify(this.record, null, 2) + '\n');
  }

  get current(): RunRecord {
    return this.record;
  }
}

/** Parses metrics.jsonl; a line cut short by a kill (or any unparsable line) is skipped. */
function readMetrics(runDir: string): MetricLine[] {
  let text: string;
  try {
    text = fs.readFileSync(path.join(runDir, METRICS_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: MetricLine[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    try {
      const v = JSON.parse(raw) as unknown;
      if (typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string') out.push(v as MetricLine);
    } catch {
      // a truncated last line from a killed process
    }
  }
  return out;
}

function readRecord(runDir: string): RunRecord {
  const rec = JSON.parse(fs.readFileSync(path.join(runDir, RUN_FILE), 'utf8')) as RunRecord;
  if (typeof rec !== 'object' || rec === null || typeof rec.id !== 'string' || typeof rec.status !== 'string')
    throw new Error(`${path.join(runDir, RUN_FILE)} is not a run record`);
  return rec;
}

export function readRun(runDir: string): { record: RunRecord; metrics: MetricLine[] } {
  return { record: readRecord(runDir), metrics: readMetrics(runDir) };
}

/** All readable runs, newest first; folders without a valid run.json are skipped. */
export function listRuns(runsDir: string): RunRecord[] {
  let names: string[];
  try {
    names = fs.readdirSync(runsDir);
  } catch {
    return [];
  }
  const runs: RunRecord[] = [];
  for (const name of names) {
    try {
      runs.push(readRecord(path.join(runsDir, name)));
    } catch {
      // half-created or foreign folder
    }
  }
  const key = (r: RunRecord) => Date.parse(r.startedAt) || 0;
  return runs.sort((a, b) => key(b) - key(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/**
 * Closes a run whose process died without writing its `end` line (killed, crashed, channel lost).
 * A run that did end is left as it is.
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
  writeFileAtomic(
    path.join(runDir, RUN_FILE),
    JSON.stringify({ ...record, status: 'crashed', endedAt: new Date(now).toISOString(), error }, null, 2) + '\n',
  );
}
