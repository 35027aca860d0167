import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadTimeseries, seriesWindows } from '../../src/trainer/data/timeseries';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-ts-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const series = Float32Array.from({ length: 10 }, (_, i) => i); // 0..9

describe('windows', () => {
  test('windows and targets are exact on a known series (no scaling, no validation)', () => {
    const w = seriesWindows(series, { window: 3, horizon: 2, validation: 0, scale: 'none' });
    expect(w.all.xShape).toEqual([6, 3, 1]);
    expect(w.all.yShape).toEqual([6, 2]);
    expect(Array.from(w.all.x.subarray(0, 6))).toEqual([0, 1, 2, 1, 2, 3]);
    expect(Array.from(w.all.y)).toEqual([3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9]);
    expect(Array.from(seriesWindows(series, { window: 3, step: 3, validation: 0, scale: 'none' }).all.y)).toEqual([3, 6, 9]);
  });

  test('the split is in time order: every validation target comes after every train target', () => {
    const w = seriesWindows(series, { window: 2, horizon: 1, validation: 0.3, scale: 'none' });
    // cut at 7: train targets 2..6, validation targets 7..9
    expect(w.trainCount).toBe(5);
    expect(w.validationCount).toBe(3);
    expect(Array.from(w.all.y)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    // windows whose targets straddle the cut are left out
    const h2 = seriesWindows(series, { window: 2, horizon: 2, validation: 0.3, scale: 'none' });
    const ys = Array.from(h2.all.y);
    expect(ys.slice(0, h2.trainCount * 2).every((v) => v < 7)).toBe(true);
    expect(ys.slice(h2.trainCount * 2).every((v) => v >= 7)).toBe(true);
    expect(h2.trainCount + h2.validationCount).toBe(6); // of 7 possible, the one with targets 6,7 is dropped
    // shuffling train windows never moves one across the cut
    const sh = seriesWindows(series, { window: 2, validation: 0.3, scale: 'none', shuffleTrain: true, seed: 1 });
    expect(Array.from(sh.all.y.subarray(0, 5)).sort()).toEqual([2, 3, 4, 5, 6]);
    expect(Array.from(sh.all.y.subarray(5))).toEqual([7, 8, 9]);
  });

  test('scaling statistics come from the training part only and are returned', () => {
    const w = seriesWindows(series, { window: 2, validation: 0.5, scale: 'minmax' });
    expect(w.stats).toMatchObject({ scale: 'minmax', min: 0, max: 4, shift: 0, divisor: 4 });
    expect(w.all.y[w.all.y.length - 1]).toBeCloseTo(9 / 4, 6); // the future may exceed 1: it was not seen
    const s = seriesWindows(series, { window: 2, validation: 0.5, scale: 'standard' });
    expect(s.stats.mean).toBeCloseTo(2, 6);
    expect(s.stats.std).toBeCloseTo(Math.sqrt(2), 6);
    expect(s.all.x[0]).toBeCloseTo(-2 / Math.sqrt(2), 5);
  });

  test('too short a series is refused', () => {
    expect(() => seriesWindows(series, { window: 8, horizon: 2, validation: 0.2 })).toThrow(/has 8 values; a window of 8 and a horizon of 2 need at least 10/);
  });
});

describe('from a CSV column', () => {
  test('a column by name, missing cells interpolated and counted', () => {
    const f = path.join(dir, 'temps.csv');
    fs.writeFileSync(f, 'date,temp,other\n' + ['1', '2', '', '4', '5', 'NA', '7', '8', '9', '10'].map((v, i) => `d${i},${v},x`).join('\n') + '\n');
    const d = loadTimeseries(f, { column: 'temp', window: 3, validation: 0.2, scale: 'none' });
    expect(d.column).toBe('temp');
    expect(Array.from(d.series)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(d.missingCount).toBe(2);
    expect(d.all.xShape).toEqual([7, 3, 1]);
    expect(d.trainCount).toBe(5);
    expect(d.description).toContain('2 missing values interpolated');
    expect(() => loadTimeseries(f, { column: 'temp', missing: 'error' })).toThrow(/row 4/);
    expect(() => loadTimeseries(f, { column: 'temperature' })).toThrow('value column "temperature" not found; the columns are: date, temp, other');
    expect(() => loadTimeseries(f, { column: 'other' })).toThrow(/"x" in column "other" is not a number/);
  });
});
