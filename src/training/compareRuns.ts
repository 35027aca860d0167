/**
 * The runs a panel compares: each run folder read once into the host's columnar series store
 * (./seriesStore.ts) and summarised for the runs table (hyperparameters, final and best of every
 * metric, duration, status). A compared run still training is kept current by `append` from the
 * session's events. Plain Node (`fs`, no `vscode`), so the CLI or a bench can use it too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeDatasetSpec } from '../protocol/datasetSpec';
import { CHECKPOINTS_DIR, lineMetrics, METRICS_FILE, MODEL_DIR, parseMetricLines, type RunRecord } from '../protocol/runFolder';
import { RUN_STAT_KEYS, type BatchPoint, type EpochPoint, type RunStatus } from '../protocol/trainer';
import type { CompareRun, MetricResult, PointValue, SeriesRequest, ValuesRequest } from '../protocol/webview';
import { readRunLabel, readRunRecord } from './runStore';
import { SeriesStore, type SeriesColumns } from './seriesStore';

/**
 * How often a growing compared run's summary is resent to the panel (which then asks for its
 * viewport): short enough that a batch reaches its pixel within ~100 ms, long enough to batch a burst.
 */
export const COMPARE_UPDATE_MS = 50;

/** Accuracy-like metrics are better when higher; everything else (loss, mae, mse, …) when lower. */
const HIGHER_IS_BETTER = /(^|_)(acc|accuracy|precision|recall|auc)$/i;

export function higherIsBetter(key: string): boolean {
  return HIGHER_IS_BETTER.test(key.startsWith('val_') ? key.slice(4) : key);
}

/** The optimizer's class and learning rate from a saved model.json's trainingConfig; nulls when absent. */
export function optimizerOfModelJson(text: string): { optimizer: string | null; learningRate: number | null } {
  try {
    const json = JSON.parse(text) as { trainingConfig?: { optimizer_config?: { class_name?: unknown; config?: Record<string, unknown> } } };
    const oc = json.trainingConfig?.optimizer_config;
    const name = typeof oc?.class_name === 'string' ? oc.class_name : null;
    const lr = oc?.config?.learningRate ?? oc?.config?.learning_rate ?? oc?.config?.lr;
    return { optimizer: name, learningRate: typeof lr === 'number' && Number.isFinite(lr) ? lr : null };
  } catch {
    return { optimizer: null, learningRate: null };
  }
}

function readOptimizer(runDir: string): { optimizer: string | null; learningRate: number | null } {
  for (const dir of [path.join(runDir, MODEL_DIR), path.join(runDir, CHECKPOINTS_DIR, 'last'), path.join(runDir, CHECKPOINTS_DIR, 'best')]) {
    try {
      return optimizerOfModelJson(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    } catch {
      // not saved there
    }
  }
  return { optimizer: null, learningRate: null };
}

interface Tracked {
  summary: CompareRun;
  columns: SeriesColumns;
  /** Last step of each epoch seen in the batches, for the epoch lines' x on the step axis. */
  lastStepOfEpoch: Map<number, number>;
}

const finite = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** The compared runs: summaries in the order given, series in one store. */
export class CompareSet {
  readonly store = new SeriesStore();
  private readonly tracked = new Map<string, Tracked>();
  /**
   * Bumped on every change, sent as the `compare` message's version. One counter for every set, so a
   * new comparison is always newer than the one a webview holds.
   */
  version = 0;
  private static versions = 0;
  private bump(): void {
    this.version = ++CompareSet.versions;
  }

  /** Run ids in the order they were added. */
  get runIds(): string[] {
    return [...this.tracked.keys()];
  }

  has(runId: string): boolean {
    return this.tracked.has(runId);
  }

  /** The summaries for the `compare` message. */
  summaries(): CompareRun[] {
    return [...this.tracked.values()].map((t) => {
      t.summary.batches = t.columns.count;
      t.summary.epochLines = t.summary.epochLines.map((e) => ({ ...e, step: e.step ?? t.lastStepOfEpoch.get(e.epoch) ?? null }));
      return t.summary;
    });
  }

  /**
   * Reads a run folder into the set (replacing an earlier copy of the same run). Throws, naming the
   * file, when run.json cannot be read; a truncated metrics.jsonl keeps every complete line.
   */
  addFolder(runDir: string): CompareRun {
    // run.json alone: metrics.jsonl is read once, below (reading it through readRun as well parsed
    // every line twice, once through the schema, and was most of the time a long run took to open).
    const record = readRunRecord(runDir);
    const t = this.start(record, runDir);
    // Read in chunks: a million-batch metrics.jsonl is ~140 MB, never held as one string.
    forEachLine(path.join(runDir, METRICS_FILE), (raw) => this.readLine(t, raw));
    this.bump();
    return t.summary;
  }

  /** One line of metrics.jsonl: parsed as JSON, checked as the schema says. */
  private readLine(t: Tracked, raw: string): void {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return; // a line cut short by a kill
    }
    if (line.type === 'batch') {
      // The hot path: the same checks as MetricLineSchema's batch variant, inline, values straight into the columns.
      const { epoch, batch, step, time } = line;
      if (typeof epoch === 'number' && typeof batch === 'number' && typeof step === 'number' && typeof time === 'number') {
        const fresh = t.columns.pushLine(line, epoch, batch, step, time);
        if (fresh === undefined) return;
        t.lastStepOfEpoch.set(epoch, step);
        for (const k of fresh) if (!RUN_STAT_KEYS.includes(k)) t.summary.batchMetrics.push(k);
        if (t.summary.learningRate === null && typeof line.lr === 'number' && Number.isFinite(line.lr)) t.summary.learningRate = line.lr;
      }
    } else {
      const [parsed] = parseMetricLines(raw);
      if (parsed?.type === 'epoch') this.pushEpoch(t, { epoch: parsed.epoch, time: parsed.time, metrics: lineMetrics(parsed) });
      else if (parsed?.type === 'end') this.end(t, parsed.status, parsed.time);
    }
  }

  private start(record: RunRecord, runDir: string): Tracked {
    const startedAt = Date.parse(record.startedAt) || 0;
    const endedAt = record.endedAt ? Date.parse(record.endedAt) : Number.NaN;
    const { optimizer, learningRate } = readOptimizer(runDir);
    this.store.runs.delete(record.id);
    const columns = this.store.run(record.id, startedAt, record.batchesPerEpoch ?? 0);
    const summary: CompareRun = {
      runId: record.id,
      label: readRunLabel(runDir) ?? record.id,
      runDir,
      modelFile: record.modelFile,
      status: record.status,
      startedAt,
      durationMs: Number.isFinite(endedAt) ? Math.max(0, endedAt - startedAt) : null,
      dataset: describeDatasetSpec(record.config.dataset),
      epochs: record.config.epochs,
      batchSize: record.config.batchSize,
      validationSplit: record.config.validationSplit,
      optimizer,
      learningRate,
      params: record.totalParams ?? null,
      batchesPerEpoch: record.batchesPerEpoch ?? 0,
      batches: 0,
      batchMetrics: [],
      epochLines: [],
      results: {},
    };
    const t: Tracked = { summary, columns, lastStepOfEpoch: new Map() };
    this.tracked.set(record.id, t);
    return t;
  }

  private pushBatch(t: Tracked, p: BatchPoint): void {
    if (!t.columns.push(p)) return;
    t.lastStepOfEpoch.set(p.epoch, p.step);
    for (const k of Object.keys(p.metrics))
      if (!RUN_STAT_KEYS.includes(k) && !t.summary.batchMetrics.includes(k)) t.summary.batchMetrics.push(k);
    if (t.summary.learningRate === null) t.summary.learningRate = finite(p.metrics.lr);
  }

  private pushEpoch(t: Tracked, e: EpochPoint): void {
    const metrics: Record<string, number | null> = {};
    for (const [k, x] of Object.entries(e.metrics)) {
      if (RUN_STAT_KEYS.includes(k)) continue;
      const value = finite(x);
      metrics[k] = value;
      const r: MetricResult = (t.summary.results[k] ??= { final: null, best: null });
      r.final = value;
      if (value !== null && (r.best === null || (higherIsBetter(k) ? value > r.best : value < r.best))) r.best = value;
    }
    t.summary.epochLines.push({ epoch: e.epoch, step: t.lastStepOfEpoch.get(e.epoch) ?? null, time: e.time, metrics });
  }

  private end(t: Tracked, status: RunStatus, time: number): void {
    t.summary.status = status;
    t.summary.durationMs = Math.max(0, time - t.summary.startedAt);
  }

  /** A live batch of a compared run (the session's event); false when the run is not compared. */
  appendBatches(runId: string, points: BatchPoint[]): boolean {
    const t = this.tracked.get(runId);
    if (!t) return false;
    for (const p of points) this.pushBatch(t, p);
    this.bump();
    return true;
  }

  appendEpoch(runId: string, point: EpochPoint): boolean {
    const t = this.tracked.get(runId);
    if (!t) return false;
    this.pushEpoch(t, point);
    this.bump();
    return true;
  }

  appendEnd(runId: string, status: RunStatus, time: number): boolean {
    const t = this.tracked.get(runId);
    if (!t) return false;
    this.end(t, status, time);
    this.bump();
    return true;
  }

  /** Answers a viewport request: a slice per compared run that reports the metric. */
  query(req: SeriesRequest): { runId: string; slice: ReturnType<SeriesColumns['slice']> }[] {
    const out: { runId: string; slice: ReturnType<SeriesColumns['slice']> }[] = [];
    for (const [runId, t] of this.tracked) {
      if (!t.columns.values.has(req.metric)) continue;
      if (req.known?.[runId] === t.columns.count) continue; // the webview holds this slice already
      out.push({ runId, slice: t.columns.slice(req.metric, req.axis, req.x0, req.x1, req.pixels, req.smoothing) });
    }
    return out;
  }
}

/** Answers a hover: each compared run's exact value of the metric at the batch nearest to x. */
export function valuesAt(set: CompareSet, req: ValuesRequest): PointValue[] {
  const out: PointValue[] = [];
  for (const runId of set.runIds) {
    const v = set.store.runs.get(runId)?.valueAt(req.metric, req.axis, req.x, req.smoothing);
    if (v) out.push({ runId, ...v });
  }
  return out;
}

/** Calls `fn` with each non-empty line of `file`, reading 4 MiB at a time; no file is no lines. */
function forEachLine(file: string, fn: (line: string) => void): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    const buf = Buffer.alloc(4 << 20);
    let rest: Buffer = Buffer.alloc(0);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      // Split on the last newline of the chunk (bytes kept, not text) so neither a line nor a UTF-8
      // character straddles two reads.
      const end = buf.lastIndexOf(10, n - 1);
      if (end < 0) {
        rest = Buffer.concat([rest, buf.subarray(0, n)]);
        continue;
      }
      const text = Buffer.concat([rest, buf.subarray(0, end)]).toString('utf8');
      rest = Buffer.from(buf.subarray(end + 1, n));
      let from = 0;
      for (;;) {
        const nl = text.indexOf('\n', from);
        const line = nl < 0 ? text.slice(from) : text.slice(from, nl);
        if (line) fn(line);
        if (nl < 0) break;
        from = nl + 1;
      }
    }
    if (rest.length > 0) fn(rest.toString('utf8'));
  } finally {
    fs.closeSync(fd);
  }
}
