/**
 * Monthly atmospheric CO2 at Mauna Loa (data/builtin/co2-concentration.csv) as a forecasting set:
 * each sample is a window of `window` consecutive months, its target the month after. Samples stay
 * in time order because tfjs' validationSplit takes the LAST fraction: validating on the most recent
 * years is what a forecast is judged by, and a shuffled split would leak the future into training.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { seriesWindows, type SeriesStats } from '../timeseries';

type TF = typeof tfTypes;

export const CO2_FILE = 'co2-concentration.csv';
/** Twelve months: one full seasonal cycle, so the model sees the yearly wave it has to continue. */
export const CO2_WINDOW = 12;

export interface Co2Series {
  /** First month as YYYY-MM. */
  start: string;
  /** One value per month in ppm, gaps filled (see parseCo2Csv). */
  ppm: Float32Array;
  /** How many months were missing in the file and interpolated. */
  filled: number;
}

/**
 * Parses `Date,CO2,…` rows. The record has missing months (instrument outages in 1958–1964); they
 * are filled by linear interpolation so that every window spans exactly `window` months.
 */
export function parseCo2Csv(text: string): Co2Series {
  const rows = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = rows.shift()?.split(',').map((s) => s.trim()) ?? [];
  const dateCol = header.indexOf('Date');
  const co2Col = header.indexOf('CO2');
  if (dateCol < 0 || co2Col < 0) throw new Error(`${CO2_FILE}: expected a header with Date and CO2 columns (got ${header.join(',')})`);
  const points: { month: number; value: number }[] = [];
  rows.forEach((row, i) => {
    const cells = row.split(',');
    const m = /^(\d{4})-(\d{2})/.exec(cells[dateCol] ?? '');
    const value = Number(cells[co2Col]);
    if (!m || !Number.isFinite(value)) throw new Error(`${CO2_FILE}:${i + 2}: expected YYYY-MM-DD,ppm (got "${row}")`);
    points.push({ month: Number(m[1]) * 12 + Number(m[2]) - 1, value });
  });
  if (points.length < 2) throw new Error(`${CO2_FILE}: fewer than two months of data`);
  for (let i = 1; i < points.length; i++)
    if (points[i].month <= points[i - 1].month) throw new Error(`${CO2_FILE}:${i + 2}: months are not in increasing order`);
  const first = points[0].month;
  const ppm = new Float32Array(points[points.length - 1].month - first + 1);
  let filled = 0;
  for (let i = 0; i < points.length; i++) {
    const a = points[i];
    ppm[a.month - first] = a.value;
    const b = points[i + 1];
    if (!b) break;
    for (let m = a.month + 1; m < b.month; m++) {
      ppm[m - first] = a.value + ((b.value - a.value) * (m - a.month)) / (b.month - a.month);
      filled++;
    }
  }
  const start = `${Math.floor(first / 12)}-${String((first % 12) + 1).padStart(2, '0')}`;
  return { start, ppm, filled };
}

/** data/builtin/ from src/trainer/data/builtins/ (tests) as well as from dist/ (the bundle). */
export function builtinDataFile(name: string): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'data', 'builtin', name);
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error(`Built-in data file ${name} not found in data/builtin/ above ${__dirname}`);
}

export interface Co2Options {
  /** The first `limit` windows (oldest first). */
  limit?: number;
  window?: number;
}

/** The most recent fifth validates, as the templates' `validationSplit: 0.2` asks. */
export const CO2_VALIDATION = 0.2;

export interface Co2Data {
  /** [N, window, 1] scaled CO2, oldest window first. */
  xs: tfTypes.Tensor3D;
  /** [N, 1] the next month, scaled the same way. */
  ys: tfTypes.Tensor2D;
  description: string;
  count: number;
  /** scaled = (ppm - shift) / divisor, from the training months only (the model must not see the future, not even through a mean). */
  stats: { series: SeriesStats };
  /** The last `validationCount` windows are the time-ordered validation part. */
  validationCount: number;
}

export function loadCo2(tf: TF, opts: Co2Options = {}): Co2Data {
  const window = opts.window ?? CO2_WINDOW;
  const series = parseCo2Csv(fs.readFileSync(builtinDataFile(CO2_FILE), 'utf8'));
  // Standard scaling: LSTM/GRU gates saturate on raw values near 400 ppm.
  const w = seriesWindows(series.ppm, { window, horizon: 1, validation: CO2_VALIDATION, scale: 'standard' });
  const total = w.all.xShape[0];
  const n = opts.limit === undefined ? total : Math.max(1, Math.min(total, Math.floor(opts.limit)));
  const { shift, divisor } = w.stats;
  const description =
    `CO2 (Mauna Loa): ${n} windows of ${window} months from ${series.ppm.length} months since ${series.start} ` +
    `(${series.filled} missing months interpolated) -> next month; scaled (ppm - ${shift.toFixed(2)}) / ${divisor.toFixed(2)}; ` +
    `time-ordered, the last ${Math.round(CO2_VALIDATION * 100)}% (most recent) for validation`;
  return {
    xs: tf.tensor3d(w.all.x.subarray(0, n * window), [n, window, 1]),
    ys: tf.tensor2d(w.all.y.subarray(0, n), [n, 1]),
    description,
    count: n,
    stats: { series: w.stats },
    validationCount: Math.max(0, n - w.trainCount),
  };
}
