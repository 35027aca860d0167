/**
 * What the charts draw, as plain columns: pure (no DOM, no uPlot), so the merge of batch and epoch
 * series and the downsampling are unit-tested.
 */
import type { BatchPoint } from '../../src/protocol/trainer';
import type { RunView } from '../../src/protocol/webview';
import { minMaxIndices } from './downsample';
import { metricValue } from './metrics';

/** Above this many batch points the series is min-max downsampled for drawing. */
export const MAX_DRAWN_POINTS = 5000;

export interface ChartSpec {
  /** Element id: a stable test hook (`#chart-loss`, `#chart-acc`). */
  id: string;
  title: string;
  /** Metric names to try, first found wins (tfjs reports `acc` or `accuracy` depending on compile()). */
  train: string[];
  validation: string[];
  /** Accuracy lives in [0, 1]; pinning the axis there keeps the picture honest while it climbs. */
  unitRange?: boolean;
}

export const LOSS_CHART: ChartSpec = { id: 'chart-loss', title: 'Loss', train: ['loss'], validation: ['val_loss'] };
export const ACC_CHART: ChartSpec = {
  id: 'chart-acc',
  title: 'Accuracy',
  train: ['acc', 'accuracy'],
  validation: ['val_acc', 'val_accuracy'],
  unitRange: true,
};

/** uPlot's aligned columns for one chart, plus how many batch points are drawn. */
export interface ChartData {
  data: [number[], (number | null)[], (number | null)[], (number | null)[]];
  batchPoints: number;
  /** Epoch summaries placed on the x axis. */
  epochPoints: number;
  hasData: boolean;
}

/**
 * One metric's batch series as flat columns, extended in place as batches stream in: a redraw then
 * costs only the new points plus one downsampling pass, not a walk over every BatchPoint object.
 */
export class BatchColumns {
  private source: readonly BatchPoint[] | undefined;
  count = 0;
  steps: Float64Array = new Float64Array(1024);
  /** NaN where the batch has no finite value for the metric. */
  values: Float64Array = new Float64Array(1024);
  readonly lastStepOfEpoch = new Map<number, number>();

  constructor(private readonly keys: string[]) {}

  /** Catches up with `batches`; starts over if it is another array (a new snapshot) or shrank. */
  sync(batches: readonly BatchPoint[]): void {
    if (batches !== this.source || batches.length < this.count) {
      this.source = batches;
      this.count = 0;
      this.lastStepOfEpoch.clear();
    }
    if (batches.length > this.steps.length) {
      const size = Math.max(batches.length, this.steps.length * 2);
      const grow = (old: Float64Array): Float64Array => {
        const next = new Float64Array(size);
        next.set(old.subarray(0, this.count));
        return next;
      };
      this.steps = grow(this.steps);
      this.values = grow(this.values);
    }
    for (let i = this.count; i < batches.length; i++) {
      const b = batches[i];
      this.steps[i] = b.step;
      this.values[i] = metricValue(b.metrics, this.keys) ?? Number.NaN;
      this.lastStepOfEpoch.set(b.epoch, b.step);
    }
    this.count = batches.length;
  }
}

/**
 * Builds the chart's columns: x = global step; batch values (downsampled past MAX_DRAWN_POINTS); epoch
 * train and validation values placed at the step of their epoch's last batch, so each marker sits
 * where that epoch ended on the batch line. Pass the same `columns` on every redraw of a chart.
 */
export function buildChartData(
  view: RunView,
  spec: ChartSpec,
  maxPoints = MAX_DRAWN_POINTS,
  columns = new BatchColumns(spec.train),
): ChartData {
  columns.sync(view.batches);
  const { steps, values, lastStepOfEpoch } = columns;
  const keep = minMaxIndices(values.subarray(0, columns.count), maxPoints);

  const epochRows: { x: number; train: number | null; val: number | null }[] = [];
  for (const e of view.epochs) {
    // Without batch points for the epoch (an old run, or none streamed) fall back to its nominal end.
    const x = lastStepOfEpoch.get(e.epoch) ?? (e.epoch + 1) * Math.max(1, view.batchesPerEpoch) - 1;
    epochRows.push({ x, train: metricValue(e.metrics, spec.train), val: metricValue(e.metrics, spec.validation) });
  }
  epochRows.sort((a, b) => a.x - b.x);

  // Merge the two ascending x lists into one, as uPlot wants every series on the same x values.
  const xs: number[] = [];
  const batchCol: (number | null)[] = [];
  const trainCol: (number | null)[] = [];
  const valCol: (number | null)[] = [];
  let i = 0;
  let j = 0;
  let batchPoints = 0;
  while (i < keep.length || j < epochRows.length) {
    const bx = i < keep.length ? steps[keep[i]] : Infinity;
    const ex = j < epochRows.length ? epochRows[j].x : Infinity;
    const x = Math.min(bx, ex);
    xs.push(x);
    if (bx === x) {
      const v = values[keep[i]];
      if (Number.isNaN(v)) batchCol.push(null);
      else {
        batchCol.push(v);
        batchPoints++;
      }
      i++;
    } else batchCol.push(null);
    if (ex === x) {
      trainCol.push(epochRows[j].train);
      valCol.push(epochRows[j].val);
      j++;
    } else {
      trainCol.push(null);
      valCol.push(null);
    }
  }
  const hasData = batchPoints > 0 || trainCol.some((v) => v !== null) || valCol.some((v) => v !== null);
  return { data: [xs, batchCol, trainCol, valCol], batchPoints, epochPoints: epochRows.length, hasData };
}

