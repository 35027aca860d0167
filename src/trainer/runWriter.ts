/**
 * The one writer of run folders (format: src/protocol/runFolder.ts). The trainer creates a run's
 * folder, appends its metrics and rewrites run.json as the run goes; it reads a folder back only to
 * resume or evaluate a saved run, through the same parsers the host and the CLI use.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fsyncDir, fsyncFile, writeFailure, writeFileAtomic } from './durable';
import { ownProcessIdentity } from './processIdentity';
import type { HistogramLine } from '../protocol/trainer';
import {
  formatRunRecord,
  HISTOGRAMS_FILE,
  METRICS_FILE,
  MODEL_DIR,
  parseMetricLines,
  parseRunRecord,
  RUN_FILE,
  type MetricLine,
  type RunRecord,
} from '../protocol/runFolder';

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

export { writeFileAtomic } from './durable';

/**
 * A few KiB set aside when the run starts and given back before its last writes: on a full disk the
 * `end` line and run.json's final status still fit, so the run reads `failed` (the file named), not
 * `running` forever.
 */
export const RESERVE_FILE = '.space-reserve';
const RESERVE_BYTES = 64 * 1024;

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
    const w = new RunWriter(dir, { ...record, id: runId, process: ownProcessIdentity() });
    writeFileAtomic(path.join(dir, RUN_FILE), formatRunRecord(w.record));
    const metrics = path.join(dir, METRICS_FILE);
    try {
      fs.writeFileSync(metrics, '');
    } catch (e) {
      throw writeFailure(e, metrics);
    }
    try {
      fs.writeFileSync(path.join(dir, RESERVE_FILE), Buffer.alloc(RESERVE_BYTES));
    } catch {
      fs.rmSync(path.join(dir, RESERVE_FILE), { force: true }); // already too full for a reserve: run without one
    }
    fsyncDir(dir);
    fsyncDir(runsDir);
    return w;
  }

  /** Appends synchronously (in the OS's cache at once: a killed trainer keeps it); sync() makes it durable. */
  appendMetric(line: MetricLine): void {
    const file = path.join(this.dir, METRICS_FILE);
    try {
      fs.appendFileSync(file, JSON.stringify(line) + '\n');
    } catch (e) {
      throw writeFailure(e, file);
    }
  }

  /** fsyncs metrics.jsonl: at each epoch end and at the end of the run, so a power cut keeps every line written until then. */
  sync(): void {
    const file = path.join(this.dir, METRICS_FILE);
    try {
      fsyncFile(file);
    } catch (e) {
      throw writeFailure(e, file);
    }
  }

  /** Gives back the space reserve, so the run's last writes fit on a full disk. */
  releaseReserve(): void {
    fs.rmSync(path.join(this.dir, RESERVE_FILE), { force: true });
  }

  /** One epoch's weight histograms, appended as one line of histograms.jsonl. */
  appendHistograms(line: HistogramLine): void {
    fs.appendFileSync(path.join(this.dir, HISTOGRAMS_FILE), JSON.stringify(line) + '\n');
  }

  updateRecord(patch: Partial<RunRecord>): void {
    this.record = { ...this.record, ...patch };
    writeFileAtomic(path.join(this.dir, RUN_FILE), formatRunRecord(this.record));
  }

  get current(): RunRecord {
    return this.record;
  }
}

/** A saved run's record and metrics, to resume or evaluate it; throws naming the file when run.json is not readable. */
export function readRunFolder(runDir: string): { record: RunRecord; metrics: MetricLine[] } {
  const file = path.join(runDir, RUN_FILE);
  const parsed = parseRunRecord(fs.readFileSync(file, 'utf8'));
  if (!parsed.ok) throw new Error(`${file}: ${parsed.reason}`);
  let text = '';
  try {
    text = fs.readFileSync(path.join(runDir, METRICS_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return { record: parsed.value, metrics: parseMetricLines(text) };
}
