/**
 * Metrics of saved runs as one CSV or JSON file (the Runs view's "Export Metrics…"): every batch
 * and epoch line of every selected run, full resolution, straight from each run's metrics.jsonl.
 * CSV is long format (one row per line, one column per metric, `val_` included) so a spreadsheet or
 * pandas can pivot it; JSON keeps each run's record next to its lines.
 */
import type { MetricLine, RunRecord } from '../protocol/runFolder';
import { readRun, readRunLabel } from './runStore';

export interface ExportedRun {
  runId: string;
  name: string;
  modelFile: string;
  status: RunRecord['status'];
  config: RunRecord['config'];
  lines: Extract<MetricLine, { type: 'batch' | 'epoch' }>[];
}

/** Reads each run folder (a damaged one throws, naming its file). */
export function readRunsForExport(runDirs: readonly string[]): ExportedRun[] {
  return runDirs.map((dir) => {
    const { record, metrics } = readRun(dir);
    return {
      runId: record.id,
      name: readRunLabel(dir) ?? record.id,
      modelFile: record.modelFile,
      status: record.status,
      config: record.config,
      lines: metrics.filter((l): l is ExportedRun['lines'][number] => l.type === 'batch' || l.type === 'epoch'),
    };
  });
}

const LINE_KEYS = new Set(['type', 'epoch', 'batch', 'step', 'time']);

/** A line's metrics, a NaN/±Infinity one (written as null) included as null. */
function lineMetrics(line: Record<string, unknown>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, x] of Object.entries(line)) if (!LINE_KEYS.has(k) && (typeof x === 'number' || x === null)) out[k] = x;
  return out;
}

/** Metric columns: loss first, then each train metric followed by its `val_` twin, then the rest, in order of appearance. */
export function metricColumns(runs: readonly ExportedRun[]): string[] {
  const seen: string[] = [];
  for (const r of runs) for (const l of r.lines) for (const k of Object.keys(lineMetrics(l))) if (!seen.includes(k)) seen.push(k);
  const base = seen.filter((k) => !k.startsWith('val_'));
  const ordered = [...base.filter((k) => k === 'loss'), ...base.filter((k) => k !== 'loss')];
  const out: string[] = [];
  for (const k of ordered) {
    out.push(k);
    if (seen.includes(`val_${k}`)) out.push(`val_${k}`);
  }
  for (const k of seen) if (!out.includes(k)) out.push(k);
  return out;
}

/** A CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
function field(x: string): string {
  return /[",\r\n]/.test(x) ? `"${x.replace(/"/g, '""')}"` : x;
}

/** A metric value: its shortest exact form; NaN/±Infinity (null in metrics.jsonl) as the text NaN; missing as empty. */
function value(x: unknown): string {
  if (x === undefined) return '';
  if (x === null) return 'NaN';
  return typeof x === 'number' ? String(x) : field(String(x));
}

export function metricsCsv(runs: readonly ExportedRun[]): string {
  const cols = metricColumns(runs);
  const head = ['run_id', 'run_name', 'type', 'epoch', 'batch', 'step', 'time', ...cols];
  const rows = [head.map(field).join(',')];
  for (const r of runs)
    for (const l of r.lines) {
      const m = lineMetrics(l) as Record<string, unknown>;
      rows.push(
        [
          field(r.runId),
          field(r.name),
          l.type,
          // Epochs count from 1 as the panel and CLI show them; batches from 0 within their epoch.
          String(l.epoch + 1),
          l.type === 'batch' ? String(l.batch) : '',
          l.type === 'batch' ? String(l.step) : '',
          new Date(l.time).toISOString(),
          ...cols.map((k) => value(m[k])),
        ].join(','),
      );
    }
  return rows.join('\n') + '\n';
}

export function metricsJson(runs: readonly ExportedRun[]): string {
  return (
    JSON.stringify(
      {
        exportedBy: 'Model Lab',
        runs: runs.map((r) => ({
          runId: r.runId,
          name: r.name,
          modelFile: r.modelFile,
          status: r.status,
          config: r.config,
          batches: r.lines.filter((l) => l.type === 'batch').map((l) => ({ epoch: l.epoch, batch: (l as { batch: number }).batch, step: (l as { step: number }).step, time: l.time, ...lineMetrics(l) })),
          epochs: r.lines.filter((l) => l.type === 'epoch').map((l) => ({ epoch: l.epoch, time: l.time, ...lineMetrics(l) })),
        })),
      },
      null,
      1,
    ) + '\n'
  );
}
