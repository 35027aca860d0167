/**
 * A numeric column of a CSV as a forecasting set: windows of the last `window` values → the next
 * `horizon` values. The split is in time order (validation after train, never shuffled across the
 * split), and scaling statistics come from the training part only: a model must not see the
 * future, not even through a mean.
 */
import * as path from 'node:path';
import { DataError } from './dataError';
import { findColumn, readCsvTable } from './csv';
import { DEFAULT_MISSING, type ColumnRef } from './csvSchema';
import { ArrayData, permutation } from './split';
import { msg } from '../messages';

export type SeriesScaling = 'standard' | 'minmax' | 'none';

export interface SeriesStats {
  scale: SeriesScaling;
  /** scaled = (value - shift) / divisor; the inverse turns predictions back into the column's units. */
  shift: number;
  divisor: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

export interface WindowOptions {
  /** Past values per sample (default 12). */
  window?: number;
  /** Future values to predict (default 1). */
  horizon?: number;
  /** Steps between window starts (default 1). */
  step?: number;
  /** Fraction of the series, at its end, for validation (default 0.2). */
  validation?: number;
  scale?: SeriesScaling;
  /** Shuffle the TRAIN windows among themselves (default false); validation windows stay in time order after them. */
  shuffleTrain?: boolean;
  seed?: number;
}

export interface SeriesWindows {
  /** Windows in time order: train windows first, then validation windows. */
  all: ArrayData;
  trainCount: number;
  validationCount: number;
  stats: SeriesStats;
}

function statsOf(values: Float32Array, scale: SeriesScaling): SeriesStats {
  let mean = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    mean += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  mean /= values.length;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  const std = Math.sqrt(ss / values.length);
  // A constant series divides by 1, not 0.
  const [shift, divisor] = scale === 'standard' ? [mean, std || 1] : scale === 'minmax' ? [min, max - min || 1] : [0, 1];
  return { scale, shift, divisor, mean, std, min, max };
}

/**
 * Windows of a series. The series is cut at `split = floor(length · (1 - validation))`: train
 * windows have every target before the cut; validation windows have every target at or after it
 * (their inputs may look back across the cut, as a real forecast would).
 */
export function seriesWindows(series: Float32Array, opts: WindowOptions = {}): SeriesWindows {
  const window = opts.window ?? 12;
  const horizon = opts.horizon ?? 1;
  const step = opts.step ?? 1;
  const validation = opts.validation ?? 0.2;
  for (const [k, v] of [['window', window], ['horizon', horizon], ['step', step]] as const)
    if (!Number.isInteger(v) || v < 1) throw new RangeError(msg('series.wholeNumber', k, String(v)));
  if (!(validation >= 0 && validation < 1)) throw new RangeError(msg('series.validation', validation));
  const len = series.length;
  const split = Math.floor(len * (1 - validation));
  if (split < window + horizon) throw new RangeError(msg('series.tooShort', split, window, horizon, window + horizon));
  const stats = statsOf(series.subarray(0, split), opts.scale ?? 'standard');
  const scaled = Float32Array.from(series, (v) => (v - stats.shift) / stats.divisor);

  // Window starting at s: inputs s..s+window-1, targets s+window..s+window+horizon-1.
  const trainStarts: number[] = [];
  const valStarts: number[] = [];
  for (let s = 0; s + window + horizon <= len; s += step) {
    const firstTarget = s + window;
    const lastTarget = firstTarget + horizon - 1;
    if (lastTarget < split) trainStarts.push(s);
    else if (firstTarget >= split) valStarts.push(s);
    // windows whose targets straddle the cut belong to neither side
  }
  if (opts.shuffleTrain) {
    const p = permutation(trainStarts.length, opts.seed);
    const copy = trainStarts.slice();
    p.forEach((from, to) => (trainStarts[to] = copy[from]));
  }
  const starts = [...trainStarts, ...valStarts];
  const n = starts.length;
  const x = new Float32Array(n * window);
  const y = new Float32Array(n * horizon);
  starts.forEach((s, k) => {
    x.set(scaled.subarray(s, s + window), k * window);
    y.set(scaled.subarray(s + window, s + window + horizon), k * horizon);
  });
  return { all: { x, y, xShape: [n, window, 1], yShape: [n, horizon] }, trainCount: trainStarts.length, validationCount: valStarts.length, stats };
}

export interface TimeseriesOptions extends WindowOptions {
  /** The value column (name or 0-based index; default the last). */
  column?: ColumnRef;
  /** Missing cells: 'interpolate' (default, linear between neighbours) or 'error'. */
  missing?: 'interpolate' | 'error';
}

export interface TimeseriesData extends SeriesWindows {
  column: string;
  /** The raw column (before scaling), for a preview chart. */
  series: Float32Array;
  /** Cells that were missing (and interpolated). */
  missingCount: number;
  description: string;
}

/** Reads one numeric column of a CSV file, in file order. */
export function readSeriesColumn(file: string, opts: Pick<TimeseriesOptions, 'column' | 'missing'> = {}): { name: string; series: Float32Array; missingCount: number } {
  const table = readCsvTable(file);
  const j = findColumn(opts.column ?? -1, table.columns, file, 'value');
  const missing = new Set(DEFAULT_MISSING);
  const values = new Float32Array(table.rows.length);
  const gaps: number[] = [];
  table.rows.forEach((r, i) => {
    const cell = r[j].trim();
    if (missing.has(cell)) {
      if (opts.missing === 'error') throw new DataError(msg('series.missing', table.columns[j]), { file, row: table.lines[i] });
      gaps.push(i);
      values[i] = NaN;
      return;
    }
    const v = Number(cell);
    if (!Number.isFinite(v)) throw new DataError(msg('series.notNumber', r[j], table.columns[j]), { file, row: table.lines[i] });
    values[i] = v;
  });
  if (gaps.length === values.length) throw new DataError(msg('series.noValues', table.columns[j]), { file });
  // Linear interpolation between the nearest known neighbours; ends take the nearest known value.
  for (const i of gaps) {
    let a = i - 1;
    while (a >= 0 && Number.isNaN(values[a])) a--;
    let b = i + 1;
    while (b < values.length && Number.isNaN(values[b])) b++;
    if (a < 0) values[i] = values[b];
    else if (b >= values.length) values[i] = values[a];
    else values[i] = values[a] + ((values[b] - values[a]) * (i - a)) / (b - a);
  }
  return { name: table.columns[j], series: values, missingCount: gaps.length };
}

export function loadTimeseries(file: string, opts: TimeseriesOptions = {}): TimeseriesData {
  const { name, series, missingCount } = readSeriesColumn(file, opts);
  let w: SeriesWindows;
  try {
    w = seriesWindows(series, opts);
  } catch (e) {
    if (e instanceof RangeError) throw new DataError(e.message, { file });
    throw e;
  }
  const window = w.all.xShape[1];
  const horizon = w.all.yShape[1];
  return {
    ...w,
    column: name,
    series,
    missingCount,
    description:
      `Time series ${path.basename(file)} column "${name}": ${series.length} values, windows of ${window} → next ${horizon}, ` +
      `${w.trainCount} train + ${w.validationCount} validation windows (time order), ${w.stats.scale} scaling` +
      (missingCount ? `, ${missingCount} missing values interpolated` : ''),
  };
}
