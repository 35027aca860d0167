/**
 * `exportRunToTensorBoard`: one Model Lab run folder (run.json + metrics.jsonl) as a TensorBoard
 * run: scalars per batch (`batch/<metric>`, step = global batch) and per epoch (`epoch/<metric>`,
 * step = epoch from 0, as Keras writes them), the config as hparams and as text, the layers as text.
 */
import * as path from 'node:path';
import { readRunFolder as readSavedRun } from '../runWriter';
import type { LayerSummary, RunStatus } from '../../protocol/trainer';
import { EventFileWriter, hparamsSessionEndEvent, hparamsSessionStartEvent, scalarEvent, textEvent, type HParamValue, type SessionStatus } from './eventWriter';

/** The one place the run folder is read: the run writer's own reader (run.json named on failure). */
const readRunFolder = readSavedRun;

type RunRecord = ReturnType<typeof readRunFolder>['record'];

export interface TensorBoardExport {
  /** The event file written. */
  file: string;
  /** The TensorBoard run folder (`<outDir>/<run id>`). */
  runDir: string;
  batchPoints: number;
  epochPoints: number;
  /** Every scalar tag written, sorted. */
  tags: string[];
}

/** Keys of a metrics.jsonl line that are not metric values. */
const LINE_KEYS = new Set(['type', 'epoch', 'batch', 'step', 'time']);

/**
 * A metric value as TensorBoard gets it. JSON has no NaN, so a diverged loss is stored as null:
 * it goes out as NaN, which TensorBoard shows as such, rather than vanish.
 */
function metricValue(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v === null) return NaN;
  return undefined;
}

/** The config flattened to hparams: `callbacks.earlyStopping.patience` = 3, arrays as JSON. */
export function flattenHParams(value: unknown, prefix = '', out: Record<string, HParamValue> = {}): Record<string, HParamValue> {
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') {
    if (prefix) out[prefix] = value;
  } else if (Array.isArray(value)) {
    if (prefix) out[prefix] = JSON.stringify(value);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) flattenHParams(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

const shapeText = (s: LayerSummary['outputShape']) => JSON.stringify(s).replace(/null/g, 'None');
const cell = (s: string) => s.replace(/\|/g, '\\|');

/** The layers as a Markdown table, as `model.summary()` lists them. */
export function layersMarkdown(layers: LayerSummary[], totalParams: number | undefined): string {
  const rows = layers.map((l) => `| ${cell(l.name)} | ${cell(l.className)} | ${cell(shapeText(l.outputShape))} | ${l.params} |`);
  const total = totalParams ?? layers.reduce((n, l) => n + l.params, 0);
  return ['| Layer | Type | Output shape | Params |', '| --- | --- | --- | ---: |', ...rows, '', `Total params: ${total}`].join('\n');
}

function configMarkdown(record: RunRecord): string {
  // Indented by four spaces: a Markdown code block, so the JSON keeps its layout.
  const json = JSON.stringify({ modelFile: record.modelFile, backend: record.backend?.name, status: record.status, config: record.config }, null, 2);
  return json.split('\n').map((l) => `    ${l}`).join('\n');
}

const sessionStatus = (s: RunStatus): SessionStatus | undefined =>
  s === 'completed' || s === 'stopped' ? 'success' : s === 'failed' || s === 'crashed' ? 'failure' : undefined;

/**
 * Writes `<outDir>/<run id>/events.out.tfevents.<start>.<host>` from the run folder `runDir`.
 * Several runs exported to one `outDir` show side by side in `tensorboard --logdir outDir`.
 */
export function exportRunToTensorBoard(runDir: string, outDir: string): TensorBoardExport {
  const { record, metrics } = readRunFolder(runDir);
  const startMs = Date.parse(record.startedAt);
  const firstTime = metrics.find((m) => typeof m.time === 'number')?.time;
  const startSec = (Number.isFinite(startMs) ? startMs : (firstTime ?? 0)) / 1000;
  const tbRunDir = path.join(outDir, record.id.replace(/[^A-Za-z0-9._-]/g, '_'));
  const writer = new EventFileWriter(tbRunDir, startSec);
  const tags = new Set<string>();
  let batchPoints = 0;
  let epochPoints = 0;
  let lastSec = startSec;
  try {
    const hparams = flattenHParams({ ...record.config, ...(record.totalParams !== undefined && { totalParams: record.totalParams }) });
    writer.add(hparamsSessionStartEvent(hparams, startSec));
    writer.add(textEvent('run/config', configMarkdown(record), 0, startSec));
    if (record.layers?.length) writer.add(textEvent('model/layers', layersMarkdown(record.layers, record.totalParams), 0, startSec));
    for (const line of metrics) {
      if (line.type !== 'batch' && line.type !== 'epoch') continue;
      const sec = typeof line.time === 'number' ? line.time / 1000 : lastSec;
      lastSec = sec;
      const step = line.type === 'batch' ? line.step : line.epoch;
      if (typeof step !== 'number' || !Number.isSafeInteger(step)) continue;
      let wrote = false;
      for (const [key, raw] of Object.entries(line)) {
        if (LINE_KEYS.has(key)) continue;
        const value = metricValue(raw);
        if (value === undefined) continue;
        const tag = `${line.type}/${key}`;
        writer.add(scalarEvent(tag, value, step, sec));
        tags.add(tag);
        wrote = true;
      }
      if (wrote && line.type === 'batch') batchPoints++;
      else if (wrote) epochPoints++;
    }
    const status = sessionStatus(record.status);
    if (status) {
      const endMs = record.endedAt ? Date.parse(record.endedAt) : NaN;
      writer.add(hparamsSessionEndEvent(status, Number.isFinite(endMs) ? endMs / 1000 : lastSec));
    }
  } catch (e) {
    writer.abort();
    throw e;
  }
  writer.close();
  return { file: writer.file, runDir: tbRunDir, batchPoints, epochPoints, tags: [...tags].sort() };
}
