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
  totalParams: v.optional(v.number()),
  layers: v.optional(v.array(LayerSummarySchema)),
  batchesPerEpoch: v.optional(v.number()),
  /** Set when this run continues another run from its checkpoint. */
  resumedFrom: v.optional(v.object({ runId: v.string(), runDir: v.string(), epochsCompleted: v.number(), step: v.number() })),
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

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

function parseJson<T>(schema: v.GenericSchema<unknown, T>, text: string, what: string): Parsed<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `${what} is not JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  const r = v.safeParse(schema, json);
  return r.success ? { ok: true, value: r.output } : { ok: false, reason: `${what} is not a record this version can read: ${describeIssues(r.issues)}` };
}

/** run.json's text as a record, or why it is not one (partial, foreign or from a newer version). */
export function parseRunRecord(text: string): Parsed<RunRecord> {
  return parseJson(RunRecordSchema, text, RUN_FILE);
}

/** checkpoint.json's text as a record, or why it is not one. */
export function parseCheckpointInfo(text: string): Parsed<CheckpointInfo> {
  return parseJson(CheckpointInfoSchema, text, CHECKPOINT_FILE);
}

/** metrics.jsonl's lines; a line cut short by a kill, or any line that is not a metric line, is skipped. */
export function parseMetricLines(text: string): MetricLine[] {
  const out: MetricLine[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      continue; // a truncated last line from a killed process
    }
    const r = v.safeParse(MetricLineSchema, json);
    if (r.success) out.push(r.output);
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
