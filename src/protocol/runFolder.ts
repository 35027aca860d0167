/**
 * The run folder's format, declared once: `<runsDir>/<run-id>/` holds
 * - `run.json` (RunRecord): what ran, how it was set up, how it ended;
 * - `metrics.jsonl` (one MetricLine per line): every batch and epoch, then one `end`;
 * - `histograms.jsonl` (one HistogramLine per line): every weight's histogram at each epoch's end;
 * - `checkpoints/{last,best}/checkpoint.json` (CheckpointInfo) next to the saved weights;
 * - `model/` (the final model) and `eval.json` (evalReport.ts).
 * The trainer writes them (src/trainer/runWriter.ts); the host (src/training/runStore.ts) and the CLI
 * read them through the parsers here. Pure (no `fs`), so the webview could read them too.
 */
import * as v from 'valibot';
import {
  BackendInfoSchema,
  CheckpointInfoSchema,
  describeIssues,
  END_STATUSES,
  HistogramLineSchema,
  type HistogramLine,
  LayerSummarySchema,
  ResolvedConfigSchema,
  RUN_STATUSES,
  RunErrorSchema,
  VersionsSchema,
  type CheckpointInfo,
} from './trainer';
import { RunOverridesSchema } from './runOverrides';

export const RUN_FILE = 'run.json';
export const METRICS_FILE = 'metrics.jsonl';
/** One HistogramLine per epoch: every weight's histogram at that epoch's end. */
export const HISTOGRAMS_FILE = 'histograms.jsonl';
export const MODEL_DIR = 'model';
export const CHECKPOINTS_DIR = 'checkpoints';
export const CHECKPOINT_FILE = 'checkpoint.json';
export const CHECKPOINT_KINDS = ['last', 'best'] as const;
/**
 * The name a user gave the run in the Runs view (one line of text). The only file of a run folder
 * the host writes (Rename Run); the trainer never reads it.
 */
export const RUN_LABEL_FILE = 'label.txt';
/** Longest run name kept (characters). */
export const RUN_LABEL_MAX = 120;

/** A name as typed, made safe to store and show: one line, trimmed, at most RUN_LABEL_MAX. */
export function cleanRunLabel(raw: string): string {
  return raw.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, RUN_LABEL_MAX);
}

/**
 * The layout version the writer puts in run.json. Folders written before the field existed have the
 * same layout and count as 1; a folder from a newer Model Lab reads as damaged instead of half-shown.
 */
export const RUN_FORMAT_VERSION = 1;

/**
 * Which process writes a run: its pid, and where /proc exists its start time (clock ticks after
 * boot, /proc/<pid>/stat field 22) and the boot id, so a pid reused by another process, or a
 * reboot, is not taken for the trainer still running.
 */
export const ProcessIdentitySchema = v.object({
  pid: v.pipe(v.number(), v.integer(), v.minValue(1)),
  startTime: v.optional(v.string()),
  bootId: v.optional(v.string()),
});
export type ProcessIdentity = v.InferOutput<typeof ProcessIdentitySchema>;

/** True when a /proc/<pid>/stat line is a zombie or dead process: exited, only waiting to be reaped (a container's init may never reap it). */
/**
 * True while the process `id` names still runs: same boot, same pid, same start time (where /proc
 * tells). The file reads and signal-0 probe come in from the caller (this module does no I/O), so the
 * trainer and the host share one rule.
 */
export function isProcessAliveWith(id: ProcessIdentity, readText: (file: string) => string | undefined, signal0: (pid: number) => boolean): boolean {
  if (id.bootId !== undefined) {
    const boot = readText('/proc/sys/kernel/random/boot_id');
    if (boot !== undefined && boot !== id.bootId) return false;
  }
  if (readText('/proc/self/stat') !== undefined) {
    // A zombie has exited (a container's init may never reap it); another start time is a reused pid.
    const stat = readText(`/proc/${id.pid}/stat`);
    if (stat === undefined || procStatExited(stat)) return false;
    return id.startTime === undefined || procStatStartTime(stat) === id.startTime;
  }
  return signal0(id.pid);
}

export function procStatExited(stat: string): boolean {
  const state = stat.slice(stat.lastIndexOf(')') + 1).trim()[0];
  return state === 'Z' || state === 'X';
}

/** The start time (field 22) of a /proc/<pid>/stat line; the command name before it may hold spaces and parentheses. */
export function procStatStartTime(stat: string): string | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  // Fields after the name start at field 3 (state); starttime is field 22.
  const f = stat.slice(close + 1).trim().split(/\s+/);
  const t = f[22 - 3];
  return t !== undefined && /^\d+$/.test(t) ? t : undefined;
}

/**
 * checkpoints/<kind>.json: names the folder (in checkpoints/) holding the complete checkpoint of
 * that kind. Written (atomically) only after that folder is complete on disk, so a reader that
 * follows it never finds a half-swapped checkpoint. Folders written before it existed are read as
 * checkpoints/<kind>/.
 */
export const CheckpointPointerSchema = v.object({
  dir: v.pipe(v.string(), v.regex(/^(?!\.\.?$)[A-Za-z0-9._-]{1,200}$/, 'a folder name inside checkpoints/')),
});
export const checkpointPointerName = (kind: (typeof CHECKPOINT_KINDS)[number]) => `${kind}.json`;

/** run.json */
export const RunRecordSchema = v.object({
  formatVersion: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(RUN_FORMAT_VERSION, 'written by a newer Model Lab'))),
  id: v.pipe(v.string(), v.minLength(1)),
  modelFile: v.string(),
  config: ResolvedConfigSchema,
  backend: BackendInfoSchema,
  versions: VersionsSchema,
  startedAt: v.string(),
  endedAt: v.optional(v.string()),
  status: v.picklist(RUN_STATUSES),
  error: v.optional(RunErrorSchema),
  totalParams: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  layers: v.optional(v.array(LayerSummarySchema)),
  batchesPerEpoch: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  /** The trainer process writing the run, to tell a run left `running` by a dead process. */
  process: v.optional(ProcessIdentitySchema),
  /** Set when this run continues another run from its checkpoint. */
  resumedFrom: v.optional(v.object({ runId: v.string(), runDir: v.string(), epochsCompleted: v.pipe(v.number(), v.integer(), v.minValue(0)), step: v.pipe(v.number(), v.integer(), v.minValue(-1)) })),
  /**
   * What the run trained on: the loader's one-line description, its kind, class names by index and
   * what is needed to feed new data the same way (CSV schema and scaling, series scaling, vocabulary).
   */
  dataset: v.optional(
    v.object({ description: v.string(), kind: v.optional(v.string()), classNames: v.optional(v.array(v.string())), stats: v.optional(v.unknown()) }),
  ),
  /** What the run was asked to use instead of the file's config (CLI flags, Train with Changes); the file is untouched. */
  overrides: v.optional(RunOverridesSchema),
  /** The optimizer the run trained with (its tfjs class name in lower case) and its starting learning rate. */
  optimizer: v.optional(v.object({ name: v.string(), learningRate: v.optional(v.number()) })),
  /** 'script' for an ordinary tfjs script run (`model-lab run`), with its own arguments. */
  mode: v.optional(v.picklist(['train', 'script'])),
  scriptArgs: v.optional(v.array(v.string())),
});
export type RunRecord = v.InferOutput<typeof RunRecordSchema>;

// Metric values sit at the top level of a line under their tfjs names, so batch and epoch lines keep
// keys the schema does not name (a NaN metric is written as null by JSON.stringify).
const lineTime = { epoch: v.number(), time: v.number() };
/** One line of metrics.jsonl. */
export const MetricLineSchema = v.variant('type', [
  v.looseObject({ type: v.literal('batch'), ...lineTime, batch: v.number(), step: v.number() }),
  v.looseObject({ type: v.literal('epoch'), ...lineTime }),
  v.object({ type: v.literal('end'), ...lineTime, status: v.picklist(END_STATUSES), error: v.optional(RunErrorSchema) }),
]);
export type MetricLine = v.InferOutput<typeof MetricLineSchema>;

/** The keys of a metric line that are not metrics. */
const LINE_KEYS = new Set(['type', 'epoch', 'batch', 'step', 'time']);

/** The metric values of a batch or epoch line (numbers only: a NaN stored as null is left out). */
export function lineMetrics(line: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(line)) if (!LINE_KEYS.has(k) && typeof x === 'number') out[k] = x;
  return out;
}

/**
 * Why a JSON file does not parse, in words that say what to do: a file cut off mid-write (the usual
 * case after a kill or a full disk) says so and how long it is; other damage gives the parser's words.
 */
export function describeBadJson(text: string, what: string, e: unknown): string {
  const why = e instanceof Error ? e.message : String(e);
  const t = text.trimEnd();
  const cut = !t.endsWith('}') && !t.endsWith(']');
  return cut
    ? `${what} is cut short (${text.length} characters, no closing brace): its write was interrupted, by a kill or a full disk (${why})`
    : `${what} is not valid JSON (${why})`;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

function parseJson<T>(schema: v.GenericSchema<unknown, T>, text: string, what: string): Parsed<T> {
  let json: unknown;
  if (text.trim() === '') return { ok: false, reason: `${what} is empty (${text.length} bytes): its write was cut short, by a kill or a full disk` };
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: describeBadJson(text, what, e) };
  }
  const r = v.safeParse(schema, json);
  return r.success ? { ok: true, value: r.output } : { ok: false, reason: `${what} is not a record this version can read: ${describeIssues(r.issues)}` };
}

/** run.json's text as a record, or why it is not one (partial, foreign or from a newer version). */
export function parseRunRecord(text: string): Parsed<RunRecord> {
  return parseJson(RunRecordSchema, text, RUN_FILE);
}

/** checkpoints/<kind>.json's text, or why it is not a pointer (a path outside checkpoints/ is refused). */
export function parseCheckpointPointer(text: string): Parsed<v.InferOutput<typeof CheckpointPointerSchema>> {
  return parseJson(CheckpointPointerSchema, text, 'checkpoint pointer');
}

/** checkpoint.json's text as a record, or why it is not one. */
export function parseCheckpointInfo(text: string): Parsed<CheckpointInfo> {
  return parseJson(CheckpointInfoSchema, text, CHECKPOINT_FILE);
}

/**
 * metrics.jsonl's lines; a line cut short by a kill, or any line that is not a metric line, is
 * skipped. `onSkip` hears each skipped line but the last unterminated one (the normal trace of a
 * kill mid-write): its 1-based number and what is wrong with it.
 */
export function parseMetricLines(text: string, onSkip?: (line: number, reason: string) => void): MetricLine[] {
  const out: MetricLine[] = [];
  const raws = text.split('\n');
  for (let i = 0; i < raws.length; i++) {
    const raw = raws[i];
    if (!raw.trim()) continue;
    const cutLast = i === raws.length - 1;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      if (!cutLast) onSkip?.(i + 1, `not JSON (${e instanceof Error ? e.message : String(e)})`);
      continue; // a truncated last line from a killed process
    }
    const r = v.safeParse(MetricLineSchema, json);
    if (r.success) out.push(r.output);
    else onSkip?.(i + 1, `not a metric line this version can read (${describeIssues(r.issues)})`);
  }
  return out;
}

/** histograms.jsonl's lines; a truncated or malformed line (a killed process) is skipped, so are lines whose counts do not add up. */
export function parseHistogramLines(text: string): HistogramLine[] {
  const out: HistogramLine[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      continue;
    }
    const r = v.safeParse(HistogramLineSchema, json);
    if (r.success && r.output.weights.every((w) => w.min <= w.max)) out.push(r.output);
  }
  return out;
}

/** The text of run.json for `record` (the one way it is written, by the trainer and by a host marking a crash). */
export function formatRunRecord(record: RunRecord): string {
  return JSON.stringify({ formatVersion: RUN_FORMAT_VERSION, ...record }, null, 2) + '\n';
}
