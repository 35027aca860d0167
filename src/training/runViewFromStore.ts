import type { BatchPoint, EpochPoint, Metrics, MetricLine } from '../protocol/trainer';
import type { RunView } from '../protocol/webview';
import { readRun } from './runStore';

const LINE_KEYS = new Set(['type', 'epoch', 'batch', 'step', 'time']);

function metricsOf(line: Record<string, unknown>): Metrics {
  const out: Metrics = {};
  for (const [k, v] of Object.entries(line)) if (!LINE_KEYS.has(k) && typeof v === 'number') out[k] = v;
  return out;
}

/**
 * Rebuilds what the panel shows from a saved run folder, so a past run looks as it did live.
 * A run whose process died without an `end` line and is not running shows as `crashed`.
 */
export function runViewFromStore(runDir: string, isLive = false): RunView {
  const { record, metrics } = readRun(runDir);
  const batches: BatchPoint[] = [];
  const epochs: EpochPoint[] = [];
  let end: Extract<MetricLine, { type: 'end' }> | undefined;
  for (const line of metrics) {
    if (line.type === 'batch')
      batches.push({ epoch: line.epoch, batch: line.batch, step: line.step, time: line.time, metrics: metricsOf(line) });
    else if (line.type === 'epoch') epochs.push({ epoch: line.epoch, time: line.time, metrics: metricsOf(line) });
    else if (line.type === 'end') end = line;
  }
  const status = end?.status ?? (record.status === 'running' && !isLive ? 'crashed' : record.status);
  const perEpoch = batches.filter((b) => b.epoch === 0).length;
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
    batches,
    epochs,
  };
}
