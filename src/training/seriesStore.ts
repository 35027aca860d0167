/**
 * Full-resolution batch series of the runs a panel compares, kept on the host in columns (typed
 * arrays per run and metric, grown by doubling), so the webview never holds every point: it asks for
 * a viewport (x range and pixel width) and gets, per pixel column, the first, smallest, largest and
 * last point of the raw and the smoothed line. No spike hides at any zoom, the last value is always
 * there, and what crosses the boundary is a few points per pixel however long the run.
 * Smoothing (TensorBoard's debiased EMA, as webview-ui/src/smoothing.ts) runs here on every point
 * before downsampling, so the curve does not change with the zoom. Pure: no `vscode`, no `fs`.
 */
import { lowerBound, MinMaxBlocks, pixelColumnIndices } from '../protocol/downsample';
import type { CompareXAxis, SeriesSlice } from '../protocol/webview';

/** Values of a batch point (a NaN the trainer reported arrives as null or NaN; both are gaps). */
export type PointMetrics = Record<string, number | null | undefined>;

interface SmoothCache {
  weight: number;
  out: Float32Array<ArrayBuffer>;
  n: number;
  last: number;
  numAccum: number;
  /** weight ** numAccum, kept as a running product (a pow per point is the slow part of a million). */
  wpow: number;
  firstFinite: number;
  constant: boolean;
  /** Block summaries of `out`, for fast downsampling; rebuilt when `out` is recomputed from the start. */
  blocks: MinMaxBlocks;
}

/** One run's batch series. Values are float32 (what tfjs computes them in); x columns float64. */
export class SeriesColumns {
  count = 0;
  private capacity = 0;
  step: Float64Array<ArrayBuffer> = new Float64Array(0);
  time: Float64Array<ArrayBuffer> = new Float64Array(0);
  /** epoch + share of the epoch done: the "epoch" x axis. */
  epochPos: Float32Array<ArrayBuffer> = new Float32Array(0);
  readonly values = new Map<string, Float32Array<ArrayBuffer>>();
  private readonly smooth = new Map<string, SmoothCache>();
  /** Block summaries of each raw column (values never change once pushed), extended as it grows. */
  private readonly blocks = new Map<string, MinMaxBlocks>();
  /** Points refused because their step did not move forward (duplicates, replays, out of order). */
  refused = 0;

  constructor(
    /** The run's start (ms), origin of the "time" axis. */
    readonly startedAt: number,
    /** Batches per epoch (0 when unknown: the epoch axis then puts each batch at its epoch's end). */
    readonly batchesPerEpoch: number,
  ) {}

  private grow(min: number): void {
    if (min <= this.capacity) return;
    const size = Math.max(min, this.capacity * 2, 1024);
    const g64 = (old: Float64Array): Float64Array<ArrayBuffer> => {
      const next = new Float64Array(size);
      next.set(old.subarray(0, this.count));
      return next;
    };
    const g32 = (old: Float32Array): Float32Array<ArrayBuffer> => {
      const next = new Float32Array(size).fill(Number.NaN);
      next.set(old.subarray(0, this.count));
      return next;
    };
    this.step = g64(this.step);
    this.time = g64(this.time);
    this.epochPos = g32(this.epochPos);
    for (const [k, v] of this.values) this.values.set(k, g32(v));
    for (const c of this.smooth.values()) {
      const next = new Float32Array(size).fill(Number.NaN);
      next.set(c.out.subarray(0, c.n));
      c.out = next;
    }
    this.capacity = size;
  }

  /**
   * Appends one batch line of metrics.jsonl as parsed (`{type, epoch, batch, step, time, <metric>: value}`)
   * without building a metrics object first: the hot path when a run of a million batches opens.
   * Returns the metric keys seen for the first time, or undefined when the step did not move forward.
   */
  pushLine(line: Record<string, unknown>, epoch: number, batch: number, step: number, time: number): string[] | undefined {
    const prev = this.count > 0 ? this.step[this.count - 1] : -Infinity;
    if (!(step > prev) || !Number.isFinite(step) || !Number.isFinite(time)) {
      this.refused++;
      return undefined;
    }
    this.grow(this.count + 1);
    const i = this.count;
    this.step[i] = step;
    this.time[i] = time;
    const bpe = this.batchesPerEpoch;
    this.epochPos[i] = epoch + (bpe > 0 ? (batch + 1) / bpe : 1);
    let fresh: string[] | undefined;
    for (const k in line) {
      if (k === 'type' || k === 'epoch' || k === 'batch' || k === 'step' || k === 'time') continue;
      const raw = line[k];
      if (typeof raw !== 'number' && raw !== null) continue;
      let col = this.values.get(k);
      if (!col) {
        col = new Float32Array(this.capacity).fill(Number.NaN);
        this.values.set(k, col);
        (fresh ??= []).push(k);
      }
      col[i] = typeof raw === 'number' && Number.isFinite(raw) ? raw : Number.NaN;
    }
    this.count = i + 1;
    return fresh ?? [];
  }

  /** Appends one batch; false (and counted in `refused`) when its step does not move forward. */
  push(p: { step: number; time: number; epoch: number; batch: number; metrics: PointMetrics }): boolean {
    const prev = this.count > 0 ? this.step[this.count - 1] : -Infinity;
    if (!(p.step > prev) || !Number.isFinite(p.step) || !Number.isFinite(p.time)) {
      this.refused++;
      return false;
    }
    this.grow(this.count + 1);
    const i = this.count;
    this.step[i] = p.step;
    this.time[i] = p.time;
    const bpe = this.batchesPerEpoch;
    this.epochPos[i] = p.epoch + (bpe > 0 ? (p.batch + 1) / bpe : 1);
    for (const [k, raw] of Object.entries(p.metrics)) {
      let col = this.values.get(k);
      if (!col) {
        // A metric that appears mid-run: earlier batches have no value for it.
        col = new Float32Array(this.capacity).fill(Number.NaN);
        this.values.set(k, col);
      }
      col[i] = typeof raw === 'number' && Number.isFinite(raw) ? raw : Number.NaN;
    }
    this.count = i + 1;
    return true;
  }

  /** The x values under `axis` (a view for step/epoch; time is made relative, in seconds). */
  x(axis: CompareXAxis, i: number): number {
    if (axis === 'step') return this.step[i];
    if (axis === 'epoch') return this.epochPos[i];
    return (this.time[i] - this.startedAt) / 1000;
  }

  /** The live prefix of a metric's column; undefined when no batch reported it. */
  column(key: string): Float32Array | undefined {
    return this.values.get(key)?.subarray(0, this.count);
  }

  /**
   * The smoothed column of `key` for `weight` (0 = the raw column), extended incrementally as batches
   * arrive. One weight is cached per metric, so memory stays one extra column per metric.
   */
  smoothed(key: string, weight: number): Float32Array | undefined {
    const raw = this.column(key);
    if (!raw) return undefined;
    if (!(weight > 0)) return raw;
    let c = this.smooth.get(key);
    if (!c || c.weight !== weight) {
      c = { weight, out: new Float32Array(this.capacity).fill(Number.NaN), n: 0, last: 0, numAccum: 0, wpow: 1, firstFinite: Number.NaN, constant: true, blocks: new MinMaxBlocks() };
      this.smooth.set(key, c);
    }
    const n = this.count;
    // TensorBoard leaves a constant series unsmoothed; once it stops being constant, start over.
    for (let i = c.n; i < n && c.constant; i++) {
      const v = raw[i];
      if (!Number.isFinite(v)) continue;
      if (Number.isNaN(c.firstFinite)) c.firstFinite = v;
      else if (v !== c.firstFinite) {
        c.constant = false;
        c.n = 0;
        c.last = 0;
        c.numAccum = 0;
        c.wpow = 1;
        c.blocks = new MinMaxBlocks();
      }
    }
    for (let i = c.n; i < n; i++) {
      const v = raw[i];
      if (c.constant || !Number.isFinite(v)) c.out[i] = v;
      else {
        c.last = c.last * weight + (1 - weight) * v;
        c.numAccum++;
        c.wpow *= weight;
        c.out[i] = c.last / (weight === 1 ? 1 : 1 - c.wpow);
      }
    }
    c.n = n;
    return c.out.subarray(0, n);
  }

  /**
   * The batch nearest to `x` under `axis` at full resolution: its x, step, raw and smoothed values
   * (null for a NaN); undefined when no batch reported `key`.
   */
  valueAt(key: string, axis: CompareXAxis, x: number, smoothing: number): { x: number; step: number; raw: number | null; smoothed: number | null } | undefined {
    const raw = this.column(key);
    const n = this.count;
    if (!raw || n === 0) return undefined;
    const smooth = this.smoothed(key, smoothing) ?? raw;
    const { xs, unit, back } = this.raw(axis);
    const at = unit(x);
    let i = lowerBound(xs, n, at);
    if (i >= n) i = n - 1;
    else if (i > 0 && at - xs[i - 1] <= xs[i] - at) i--;
    const r = raw[i];
    const sm = smooth[i];
    return { x: back(xs[i]), step: this.step[i], raw: r === r ? r : null, smoothed: sm === sm ? sm : null };
  }

  /** Bytes held by the columns (capacity, not count: what the process really keeps). */
  bytes(): number {
    let b = this.step.byteLength + this.time.byteLength + this.epochPos.byteLength;
    for (const v of this.values.values()) b += v.byteLength;
    for (const c of this.smooth.values()) b += c.out.byteLength;
    return b;
  }

  /** The stored column behind an axis, and the axis value `x` in that column's units. */
  private raw(axis: CompareXAxis): { xs: Float64Array | Float32Array; unit: (x: number) => number; back: (v: number) => number } {
    if (axis === 'step') return { xs: this.step, unit: (x) => x, back: (v) => v };
    if (axis === 'epoch') return { xs: this.epochPos, unit: (x) => x, back: (v) => v };
    return { xs: this.time, unit: (x) => x * 1000 + this.startedAt, back: (v) => (v - this.startedAt) / 1000 };
  }

  /** First index with x >= `x` under `axis` (count when none); x is ascending on every axis. */
  lowerBound(axis: CompareXAxis, x: number): number {
    const { xs, unit } = this.raw(axis);
    return lowerBound(xs, this.count, unit(x));
  }

  /**
   * The points of `key` to draw for the x range [x0, x1] (the whole run when null) over `pixels`
   * columns: every point when they fit in 4 per column, else per column the first, min, max and last
   * of the raw and the smoothed series, the first gap (so a NaN still breaks the line), one point on
   * each side of the range (lines run to the edges) and always the run's last point.
   */
  slice(key: string, axis: CompareXAxis, x0: number | null, x1: number | null, pixels: number, smoothing: number): SeriesSlice {
    const raw = this.column(key);
    const n = this.count;
    if (!raw || n === 0) return { x: [], raw: [], smoothed: [], visible: 0, count: n };
    const smooth = this.smoothed(key, smoothing) ?? raw;
    const { xs, unit, back } = this.raw(axis);
    // Work in the stored column's units (a time axis is stored as ms since the Unix epoch).
    const lo = x0 === null ? xs[0] : unit(x0);
    const hi = x1 === null ? xs[n - 1] : unit(x1);
    const from = Math.max(0, lowerBound(xs, n, lo) - 1);
    let to = lowerBound(xs, n, hi);
    to = Math.min(n - 1, to < n && xs[to] === hi ? to + 1 : to);
    const cols = Math.max(1, Math.floor(pixels));
    const visible = Math.max(0, to - from + 1);
    // The panel's own downsampling (src/protocol/downsample.ts), reading whole 64-point blocks from
    // their summaries: a full-range slice of a long run costs its pixel columns, not its points.
    let rawBlocks = this.blocks.get(key);
    if (!rawBlocks) this.blocks.set(key, (rawBlocks = new MinMaxBlocks()));
    const smoothBlocks = smooth === raw ? rawBlocks : this.smooth.get(key)?.blocks;
    const keep = pixelColumnIndices(xs, [raw, smooth], n, lo, hi, cols, [rawBlocks.extend(raw, n), smoothBlocks?.extend(smooth, n)]);
    if (keep[keep.length - 1] !== n - 1 && hi >= xs[n - 1]) keep.push(n - 1);
    const out: SeriesSlice = { x: new Array(keep.length), raw: new Array(keep.length), smoothed: new Array(keep.length), visible, count: n };
    for (let k = 0; k < keep.length; k++) {
      const i = keep[k];
      out.x[k] = back(xs[i]);
      const r = raw[i];
      const sm = smooth[i];
      out.raw[k] = r === r ? r : null;
      out.smoothed[k] = sm === sm ? sm : null;
    }
    return out;
  }
}

/** The series of every compared run, by run id. */
export class SeriesStore {
  readonly runs = new Map<string, SeriesColumns>();

  /** The run's columns, created on first use. */
  run(runId: string, startedAt: number, batchesPerEpoch: number): SeriesColumns {
    let c = this.runs.get(runId);
    if (!c) this.runs.set(runId, (c = new SeriesColumns(startedAt, batchesPerEpoch)));
    return c;
  }

  bytes(): number {
    let b = 0;
    for (const c of this.runs.values()) b += c.bytes();
    return b;
  }
}
