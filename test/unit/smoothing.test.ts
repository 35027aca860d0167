import { describe, expect, it } from 'vitest';
import { Smoother } from '../../webview-ui/src/smoothing';

/**
 * TensorBoard's smoothing as written in tensorboard/webapp/widgets/line_chart_v2/lib/data_transformer
 * (classicSmoothing), transcribed independently as the reference.
 */
function tensorboard(ys: number[], weight: number): number[] {
  let last = ys.length > 0 ? 0 : Number.NaN;
  let numAccum = 0;
  const isConstant = ys.every((v) => v === ys[0]);
  return ys.map((nextVal) => {
    if (isConstant || !Number.isFinite(nextVal)) return nextVal;
    last = last * weight + (1 - weight) * nextVal;
    numAccum++;
    const debiasWeight = weight === 1 ? 1 : 1 - Math.pow(weight, numAccum);
    return last / debiasWeight;
  });
}

const noisy = (n: number): number[] => Array.from({ length: n }, (_, i) => Math.exp(-i / 50) + 0.2 * Math.sin(i * 1.7));

describe('Smoother', () => {
  it('matches TensorBoard on a noisy series for several weights', () => {
    const ys = noisy(500);
    for (const w of [0, 0.3, 0.6, 0.9, 0.99]) {
      const got = Array.from(new Smoother().smooth(ys, ys.length, w));
      const want = tensorboard(ys, w);
      for (let i = 0; i < ys.length; i++) expect(got[i]).toBeCloseTo(want[i], 12);
    }
  });

  it('is debiased: the first point is the first value, not pulled towards 0', () => {
    expect(new Smoother().smooth([4, 4.5], 2, 0.9)[0]).toBe(4);
  });

  it('extends incrementally to the same values as smoothing all at once', () => {
    const ys = noisy(300);
    const s = new Smoother();
    const owner = {};
    for (const n of [1, 2, 50, 51, 299, 300]) s.smooth(ys, n, 0.6, owner);
    const all = tensorboard(ys, 0.6);
    Array.from(s.smooth(ys, 300, 0.6, owner)).forEach((v, i) => expect(v).toBeCloseTo(all[i], 12));
  });

  it('leaves a constant series alone, and starts over once it stops being constant', () => {
    const s = new Smoother();
    const ys = [2, 2, 2, 2, 5];
    const owner = {};
    expect(Array.from(s.smooth(ys, 4, 0.6, owner))).toEqual([2, 2, 2, 2]);
    const got = Array.from(s.smooth(ys, 5, 0.6, owner));
    tensorboard(ys, 0.6).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 12));
  });

  it('passes NaN through without letting it poison later points', () => {
    const ys = [1, 2, Number.NaN, 3, 4];
    const got = Array.from(new Smoother().smooth(ys, ys.length, 0.5));
    expect(Number.isNaN(got[2])).toBe(true);
    tensorboard(ys, 0.5).forEach((v, i) => (Number.isNaN(v) ? expect(got[i]).toBeNaN() : expect(got[i]).toBeCloseTo(v, 12)));
  });
});
