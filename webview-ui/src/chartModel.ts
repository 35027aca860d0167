/**
 * What one metric chart draws, as uPlot's aligned columns: pure (no DOM, no uPlot), so the smoothing,
 * the per-pixel downsampling, the epoch spans and the axis choice are unit-tested.
 *
 * Series after x: the raw batch line (drawn faintly), its smoothed line, the epoch mean of the
 * training metric drawn across the epoch's span (a step over the epoch, not a dot at its end), and
 * the validation value across the same span.
 */
import { lowerBound, MinMaxBlocks, pixelColumnIndices } from '../../src/protocol/downsample';
import { Smoother } from './smoothing';
import { batchesRun, type ChartOptions, type MetricSpec, type RunTrack, type XAxis } from './state';

export const SERIES = ['raw', 'smoothed', 'epochMean', 'validation'] as const;
export type SeriesName = (typeof SERIES)[number];

export type Cell = number | null | undefined;

export interface ChartModel {
  /**
   * x, raw, smoothed, epoch mean, validation. `null` is a gap (a NaN or ±Infinity the run reported,
   * or a value a log axis cannot show); `undefined` only aligns a series to another's x values, and
   * uPlot draws across it.
   */
  data: [number[], Cell[], Cell[], Cell[], Cell[]];
  /** Batch points drawn, and how many finite ones the run has. */
  drawn: number;
  total: number;
  /** The x range of everything, for "reset zoom". */
  xExtent?: [number, number];
  hasData: boolean;
  /** Epochs with fewer batches than an epoch has (stopped inside), by their x span. */
  partial: { x0: number; x1: number }[];
}

/** What the tooltip shows at one x: exact values from the full data, not the drawn sample. */
export interface PointValues {
  index: number;
  x: number;
  step: number;
  /** From 1. */
  epoch: number;
  batch: number;
  time: number;
  raw: number | null;
  smoothed: number | null;
  epochMean: number | null;
  validation: number | null;
}

const finiteOrNull = (v: number | undefined | null): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Builds chart columns for one chart; keep one per chart so smoothing and x values are incremental. */
export class ChartModelBuilder {
  private readonly smoother = new Smoother();
  private xs = new Float64Array(0);
  private xsCount = 0;
  private xsKey = '';
  private xsLayout: object | undefined;
  /** Block summaries of the raw and smoothed series, for fast full-range downsampling. */
  private rawBlocks = new MinMaxBlocks();
  private smoothBlocks = new MinMaxBlocks();
  private blocksLayout: object | undefined;
  private smoothGeneration = -1;

  constructor(readonly spec: MetricSpec) {}

  /** x of every batch point under the chosen axis, extended incrementally. */
  xValues(track: RunTrack, axis: XAxis): Float64Array {
    const c = track.columns;
    if (axis !== this.xsKey || c.count < this.xsCount || this.xsLayout !== c.layout) {
      this.xsKey = axis;
      this.xsCount = 0;
      this.xsLayout = c.layout;
    }
    if (this.xs.length < c.count) {
      const next = new Float64Array(Math.max(c.count, this.xs.length * 2));
      next.set(this.xs.subarray(0, this.xsCount));
      this.xs = next;
    }
    for (let i = this.xsCount; i < c.count; i++) this.xs[i] = xOf(track, axis, i);
    this.xsCount = c.count;
    return this.xs.subarray(0, c.count);
  }

  smoothed(track: RunTrack, weight: number): Float64Array | undefined {
    const raw = this.spec.train ? track.columns.column(this.spec.train) : undefined;
    if (!raw) return undefined;
    return this.smoother.smooth(raw, raw.length, weight, track.columns.layout);
  }

  /**
   * Columns for the visible x range `view` (all of it when undefined) spread over `pixels` columns.
   */
  build(track: RunTrack, options: ChartOptions, view: [number, number] | undefined, pixels: number): ChartModel {
    const c = track.columns;
    const xs = this.xValues(track, options.xAxis);
    const raw = this.spec.train ? c.column(this.spec.train) : undefined;
    const smooth = raw ? this.smoothed(track, options.smoothing) : undefined;
    const n = raw ? c.count : 0;
    const logOk = (v: number | null): number | null => (v === null || (options.logY && v <= 0) ? null : v);

    const total = this.spec.train ? (c.finite.get(this.spec.train) ?? 0) : 0;

    // Epoch rows: the mean and the validation value held across the epoch's batches.
    const epochRows: { x: number; mean: number | null; val: number | null }[] = [];
    const partial: { x0: number; x1: number }[] = [];
    const bpe = track.view.batchesPerEpoch;
    for (const e of track.view.epochs) {
      const mean = this.spec.train ? finiteOrNull(e.metrics[this.spec.train]) : null;
      const val = this.spec.val ? finiteOrNull(e.metrics[this.spec.val]) : null;
      if (mean === null && val === null) continue;
      const span = track.spans.get(e.epoch);
      let x0: number;
      let x1: number;
      if (span) {
        x0 = xs[span.first];
        x1 = xs[span.last];
        if (bpe > 0 && batchesRun(track, span) < bpe) partial.push({ x0, x1 });
      } else [x0, x1] = nominalSpan(track, options.xAxis, e.epoch);
      epochRows.push({ x: x0, mean, val });
      if (x1 !== x0) epochRows.push({ x: x1, mean, val });
    }
    epochRows.sort((a, b) => a.x - b.x);

    let xExtent: [number, number] | undefined;
    const lo = Math.min(n > 0 ? xs[0] : Infinity, epochRows.length ? epochRows[0].x : Infinity);
    const hi = Math.max(n > 0 ? xs[n - 1] : -Infinity, epochRows.length ? epochRows[epochRows.length - 1].x : -Infinity);
    if (Number.isFinite(lo) && Number.isFinite(hi)) xExtent = [lo, hi];

    const [vMin, vMax] = view ?? xExtent ?? [0, 1];
    if (this.blocksLayout !== c.layout || (raw && raw.length < this.rawBlocks.blocks * 64)) {
      this.blocksLayout = c.layout;
      this.rawBlocks = new MinMaxBlocks();
      this.smoothBlocks = new MinMaxBlocks();
    }
    if (this.smoother.generation !== this.smoothGeneration) {
      this.smoothGeneration = this.smoother.generation;
      this.smoothBlocks = new MinMaxBlocks();
    }
    const keep = raw
      ? pixelColumnIndices(xs, smooth ? [raw, smooth] : [raw], n, vMin, vMax, pixels, [this.rawBlocks.extend(raw, n), smooth ? this.smoothBlocks.extend(smooth, n) : undefined])
      : [];

    // Merge the two ascending x lists: uPlot wants every series on the same x values.
    const X: number[] = [];
    const R: Cell[] = [];
    const S: Cell[] = [];
    const M: Cell[] = [];
    const V: Cell[] = [];
    let i = 0;
    let j = 0;
    let drawn = 0;
    while (i < keep.length || j < epochRows.length) {
      const bx = i < keep.length ? xs[keep[i]] : Infinity;
      const ex = j < epochRows.length ? epochRows[j].x : Infinity;
      const x = Math.min(bx, ex);
      X.push(x);
      if (bx === x) {
        const r = finiteOrNull(raw![keep[i]]);
        if (r !== null) drawn++;
        R.push(logOk(r));
        S.push(logOk(smooth ? finiteOrNull(smooth[keep[i]]) : r));
        i++;
      } else {
        R.push(undefined);
        S.push(undefined);
      }
      if (ex === x) {
        M.push(logOk(epochRows[j].mean));
        V.push(logOk(epochRows[j].val));
        j++;
        // Two epoch rows on one x (a one-batch epoch next to a nominal one): keep the later.
        while (j < epochRows.length && epochRows[j].x === x) {
          M[M.length - 1] = logOk(epochRows[j].mean);
          V[V.length - 1] = logOk(epochRows[j].val);
          j++;
        }
      } else {
        M.push(undefined);
        V.push(undefined);
      }
    }
    const hasData = drawn > 0 || M.some((v) => v != null) || V.some((v) => v != null);
    return { data: [X, R, S, M, V], drawn, total, xExtent, hasData, partial };
  }

  /** Exact values at the batch nearest to `x` (for the tooltip). */
  pointAt(track: RunTrack, options: ChartOptions, x: number): PointValues | undefined {
    const c = track.columns;
    const n = c.count;
    if (n === 0) return undefined;
    const xs = this.xValues(track, options.xAxis);
    let i = lowerBound(xs, n, x);
    if (i >= n) i = n - 1;
    else if (i > 0 && x - xs[i - 1] < xs[i] - x) i--;
    const raw = this.spec.train ? c.column(this.spec.train) : undefined;
    const smooth = this.smoothed(track, options.smoothing);
    const epoch = c.epoch[i];
    const e = track.view.epochs.find((p) => p.epoch === epoch);
    return {
      index: i,
      x: xs[i],
      step: c.step[i],
      epoch: epoch + 1,
      batch: c.batch[i] + 1,
      time: c.time[i],
      raw: raw ? finiteOrNull(raw[i]) : null,
      smoothed: smooth ? finiteOrNull(smooth[i]) : null,
      epochMean: e && this.spec.train ? finiteOrNull(e.metrics[this.spec.train]) : null,
      validation: e && this.spec.val ? finiteOrNull(e.metrics[this.spec.val]) : null,
    };
  }
}

/** x of batch `i`: its global step, its epoch position (epoch + share of the epoch done), or seconds since the start. */
export function xOf(track: RunTrack, axis: XAxis, i: number): number {
  const c = track.columns;
  if (axis === 'step') return c.step[i];
  if (axis === 'time') return (c.time[i] - track.view.startedAt) / 1000;
  const bpe = track.view.batchesPerEpoch;
  return c.epoch[i] + (bpe > 0 ? (c.batch[i] + 1) / bpe : 1);
}

/** Where an epoch without batch points sits (an old run, or none streamed). */
function nominalSpan(track: RunTrack, axis: XAxis, epoch: number): [number, number] {
  const bpe = Math.max(1, track.view.batchesPerEpoch);
  if (axis === 'step') return [epoch * bpe, (epoch + 1) * bpe - 1];
  if (axis === 'epoch') return [epoch + 1 / bpe, epoch + 1];
  const e = track.view.epochs;
  const k = e.findIndex((p) => p.epoch === epoch);
  const end = (e[k].time - track.view.startedAt) / 1000;
  const start = k > 0 ? (e[k - 1].time - track.view.startedAt) / 1000 : 0;
  return [start, end];
}
