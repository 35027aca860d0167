/**
 * Weight histograms at an epoch's end (TensorBoard's "histograms" tab, recorded by Model Lab): one
 * read of each weight (dataSync) and one pass over its values, so it costs about as much as a
 * checkpoint's copy and nothing during batches. The binning is pure and unit-tested.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { WEIGHT_HISTOGRAM_BINS, type HistogramLine, type WeightHistogram } from '../protocol/trainer';
import { readableLayerNames } from '../protocol/format';

/** Weights recorded per epoch, so a model with thousands of small weights keeps lines bounded. */
export const MAX_HISTOGRAM_WEIGHTS = 200;

/** `values` in `bins` equal bins between their finite min and max; NaN and ±Infinity counted apart. */
export function histogramOf(values: ArrayLike<number>, bins = WEIGHT_HISTOGRAM_BINS): Pick<WeightHistogram, 'min' | 'max' | 'counts' | 'nonFinite'> {
  let min = Infinity;
  let max = -Infinity;
  let nonFinite = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (!Number.isFinite(x)) nonFinite++;
    else {
      if (x < min) min = x;
      if (x > max) max = x;
    }
  }
  const counts = new Array<number>(bins).fill(0);
  if (min > max) return { min: 0, max: 0, counts, ...(nonFinite && { nonFinite }) };
  const width = (max - min) / bins;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (!Number.isFinite(x)) continue;
    // The last bin is closed: max falls in it, not one past it.
    const b = width > 0 ? Math.min(bins - 1, Math.floor((x - min) / width)) : 0;
    counts[b]++;
  }
  return { min, max, counts, ...(nonFinite && { nonFinite }) };
}

/** Every weight of `model` (up to MAX_HISTOGRAM_WEIGHTS), binned, for the epoch `epoch` (from 0). */
export function weightHistograms(model: tfTypes.LayersModel, epoch: number, time = Date.now()): HistogramLine {
  const weights: WeightHistogram[] = [];
  for (const w of model.weights.slice(0, MAX_HISTOGRAM_WEIGHTS)) {
    const t = w.read();
    // `dense_Dense1/kernel` reads `dense_1/kernel`, as the layers table names the layer.
    weights.push({ name: readableLayerNames(w.originalName ?? w.name), shape: [...t.shape], ...histogramOf(t.dataSync() as Float32Array) });
  }
  return { epoch, time, weights };
}
