/**
 * Evaluation of a trained model on held-out data, written to the run as eval.json: a confusion matrix
 * and per-class scores for classifiers, error statistics for regressors, reconstruction errors for
 * autoencoders, each with a few samples the panel can draw. Predictions go batch by batch and only
 * running sums are kept, so 10k images cost one batch of memory; every tensor made here is disposed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import {
  EVAL_FILE,
  EVAL_SCHEMA,
  type AutoencoderEval,
  type ClassificationEval,
  type ClassMetrics,
  type EvalReport,
  type Histogram,
  type OutputEval,
  type RegressionEval,
  type SampleInput,
} from '../protocol/evalReport';
import { RunFailure } from './errors';
import { describeNonFinite, firstNonFinite, indexIn, nonFiniteInTensor, nonFiniteWeight } from './nonFinite';
import { inferLabelKind, PROBE_ROWS, type LabelEncoding } from './labelKind';
import { headValues, isTensor, perSample, tensorsOf, type Tensor, type TensorArg } from './tensors';
import { msg } from './messages';

type TF = typeof tfTypes;

export interface EvalData {
  xs: TensorArg;
  ys: TensorArg;
  /** Which data this is, in words, for the report. */
  description: string;
}

export interface EvaluateOptions {
  /** Samples per predict call (default 256). */
  batchSize?: number;
  /** Sample predictions to keep per output (default 12). */
  samples?: number;
  /** Names for class indices (default "0", "1", …). */
  classNames?: string[];
}

const DEFAULT_BATCH = 256;
const DEFAULT_SAMPLES = 12;
/** Samples kept per confusion-matrix cell, so clicking a cell shows some of its samples. */
export const CELL_SAMPLES = 3;
/** At most this many cell samples in all (a 100-class matrix would otherwise hold 30,000). */
export const MAX_CELL_SAMPLES = 150;
/** Values of the forecast vs actual line kept per regression output (the first in data order). */
export const SERIES_POINTS = 400;
const HISTOGRAM_BINS = 20;
/** Errors kept for a regression histogram; more are subsampled evenly. */
const MAX_HISTOGRAM_VALUES = 200_000;
/** Largest side of an image sample; bigger inputs are downscaled so eval.json stays small. */
const MAX_IMAGE_SIDE = 64;
/** Values shown of a non-image input. */
const VECTOR_VALUES = 32;

/** The names tfjs uses to match named tensors to inputs/outputs (a Sequential keeps them on its inner model). */
export function ioNames(model: tfTypes.LayersModel, which: 'input' | 'output'): string[] {
  const own = which === 'input' ? model.inputNames : model.outputNames;
  if (own && own.length) return own;
  const tensors = which === 'input' ? model.inputs : model.outputs;
  return tensors.map((t) => t.sourceLayer?.name ?? t.name);
}

/** Puts tensors in the model's input (or output) order. */
export function toTensorList(model: tfTypes.LayersModel, arg: TensorArg, which: 'input' | 'output', label = which === 'input' ? 'xs' : 'ys'): Tensor[] {
  if (Array.isArray(arg)) return arg;
  if (isTensor(arg)) return [arg];
  const names = ioNames(model, which);
  return names.map((n) => {
    const t = arg[n];
    if (!t) throw new RunFailure({ message: msg('eval.noTensorFor', label, msg(which === 'input' ? 'io.input' : 'io.output'), n, Object.keys(arg).join(', ') || msg('eval.nothing')) });
    return t;
  });
}

/**
 * The tail `validationSplit` fraction of the data, cut where tfjs's fit cuts it, as new tensors the
 * caller disposes (disposeEvalData). Undefined when the split holds no sample.
 */
export function validationTail(tf: TF, data: { xs: TensorArg; ys: TensorArg }, validationSplit: number): EvalData | undefined {
  const first = tensorsOf(data.xs)[0];
  if (!first || !(validationSplit > 0)) return undefined;
  const n = first.shape[0];
  const splitAt = Math.floor(n * (1 - validationSplit)); // tfjs: splitAt = floor(N * (1 - validationSplit))
  if (splitAt >= n) return undefined;
  const tail = (a: TensorArg): TensorArg => {
    const cut = (t: Tensor) => tf.tidy(() => t.slice(splitAt, n - splitAt));
    if (isTensor(a)) return cut(a);
    if (Array.isArray(a)) return a.map(cut);
    return Object.fromEntries(Object.entries(a).map(([k, t]) => [k, cut(t)]));
  };
  return {
    xs: tail(data.xs),
    ys: tail(data.ys),
    description: msg('eval.data.heldOut', Math.round(validationSplit * 100), n - splitAt),
  };
}

/** Disposes tensors made by validationTail or datasetToEvalData. */
export function disposeEvalData(data: { xs: TensorArg; ys: TensorArg } | undefined): void {
  if (!data) return;
  for (const a of [data.xs, data.ys]) for (const t of tensorsOf(a)) t.dispose();
}

/**
 * Reads up to `maxSamples` samples of a batched tf.data.Dataset of {xs, ys} into tensors, for
 * evaluating a model trained with fitDataset.
 */
export async function datasetToEvalData(
  tf: TF,
  dataset: tfTypes.data.Dataset<tfTypes.TensorContainer>,
  description: string,
  maxSamples = 10_000,
): Promise<EvalData | undefined> {
  const xsParts: TensorArg[] = [];
  const ysParts: TensorArg[] = [];
  let count = 0;
  const it = await dataset.iterator();
  try {
    while (count < maxSamples) {
      const r = await it.next();
      if (r.done) break;
      const el = r.value as { xs?: TensorArg; ys?: TensorArg };
      if (!el || el.xs === undefined || el.ys === undefined) {
        tf.dispose(r.value as tfTypes.TensorContainer);
        throw new RunFailure({ message: msg('eval.needsXsYs') });
      }
      xsParts.push(el.xs);
      ysParts.push(el.ys);
      const first = isTensor(el.xs) ? el.xs : Array.isArray(el.xs) ? el.xs[0] : Object.values(el.xs)[0];
      // An unbatched dataset gives one sample per element.
      count += first.rank > 0 ? first.shape[0] : 1;
    }
  } catch (e) {
    xsParts.forEach((p) => tf.dispose(p as tfTypes.TensorContainer));
    ysParts.forEach((p) => tf.dispose(p as tfTypes.TensorContainer));
    throw e;
  }
  if (xsParts.length === 0) return undefined;
  const join = (parts: TensorArg[]): TensorArg => {
    const cat = (ts: Tensor[]) => tf.tidy(() => tf.concat(ts, 0).slice(0, Math.min(maxSamples, ts.reduce((n, t) => n + t.shape[0], 0))));
    const p0 = parts[0];
    if (isTensor(p0)) return cat(parts as Tensor[]);
    if (Array.isArray(p0)) return p0.map((_, i) => cat((parts as Tensor[][]).map((p) => p[i])));
    return Object.fromEntries(Object.keys(p0).map((k) => [k, cat((parts as Record<string, Tensor>[]).map((p) => p[k]))]));
  };
  try {
    return { xs: join(xsParts), ys: join(ysParts), description };
  } finally {
    xsParts.forEach((p) => tf.dispose(p as tfTypes.TensorContainer));
    ysParts.forEach((p) => tf.dispose(p as tfTypes.TensorContainer));
  }
}

/** Writes eval.json so a reader never sees half of it. */
export function writeEvalReport(runDir: string, report: EvalReport): string {
  const file = path.join(runDir, EVAL_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(report) + '\n');
  fs.renameSync(tmp, file);
  return file;
}

// ---- reading small parts of tensors ----------------------------------------------------------

type Kind = { kind: 'classification'; labels: LabelEncoding; classes: number } | { kind: 'regression' } | { kind: 'autoencoder' };

/** Decides how to judge one output from its shape, its activation and the labels' values. */
function kindOf(tf: TF, model: tfTypes.LayersModel, outIndex: number, y: Tensor, xs: Tensor[]): Kind {
  // Output shape == input shape and the targets are the inputs: an autoencoder.
  if (xs.length === 1 && model.outputs.length === 1 && arraysEqual(xs[0].shape, y.shape)) {
    const rows = Math.min(PROBE_ROWS, 64);
    const x = headValues(tf, xs[0], rows);
    const probe = headValues(tf, y, rows);
    if (x.length > 0 && x.every((v, i) => v === probe[i])) return { kind: 'autoencoder' };
  }
  const labels = inferLabelKind(tf, model, outIndex, y);
  if (labels.kind !== 'unclear') return labels;
  throw new RunFailure({
    message: msg('eval.unitsMismatch', ioNames(model, 'output')[outIndex], labels.units, labels.ySize, y.shape.slice(1).join(',')),
  });
}

function arraysEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

// ---- accumulators, fed one batch at a time ---------------------------------------------------

interface Accumulator {
  add(pred: ArrayLike<number>, y: ArrayLike<number>, start: number, count: number): void;
  /** Indices of the samples worth showing. */
  pickSamples(n: number, total: number): number[];
  /** More samples a report keeps apart from those (a classifier: some of every confusion cell). */
  extraSamples?(): number[];
  finish(samples: SampleData[], extra: SampleData[]): OutputEval;
}

/** One picked sample: its input(s) and the model's output for it. */
interface SampleData {
  index: number;
  input: SampleInput;
  inputRaw: Float32Array;
  inputShape: number[];
  pred: Float32Array;
  y: Float32Array;
}

function evenly(n: number, total: number): number[] {
  if (total <= n) return Array.from({ length: total }, (_, i) => i);
  return Array.from({ length: n }, (_, i) => Math.floor(((i + 0.5) * total) / n));
}

/** Adds evenly spread indices (then the first free ones) to `picked` until it holds min(n, total). */
function fillEvenly(picked: Set<number>, n: number, total: number): number[] {
  const want = Math.min(n, total);
  for (const i of evenly(n, total)) if (picked.size < want) picked.add(i);
  for (let i = 0; picked.size < want; i++) picked.add(i);
  return [...picked].sort((a, b) => a - b);
}

const argmax = (v: ArrayLike<number>, from: number, width: number) => {
  let best = 0;
  for (let c = 1; c < width; c++) if (v[from + c] > v[from + best]) best = c;
  return best;
};

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

class ClassificationAccumulator implements Accumulator {
  private readonly confusion: number[][];
  private readonly wrong: number[] = [];
  private correct = 0;
  private seen = 0;
  /** The first CELL_SAMPLES sample indices of each cell, MAX_CELL_SAMPLES in all. */
  private readonly cellIndices: number[] = [];
  private readonly cellCounts = new Map<number, number>();

  constructor(private readonly output: string, private readonly labels: LabelEncoding, private readonly classes: number, private readonly classNames: string[] | undefined) {
    this.confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  }

  labelOf(y: ArrayLike<number>, i: number): number {
    return this.labels === 'onehot' ? argmax(y, i * this.classes, this.classes) : Math.round(y[i]);
  }

  predictedOf(p: ArrayLike<number>, i: number): number {
    return this.labels === 'binary' ? (p[i] >= 0.5 ? 1 : 0) : argmax(p, i * this.classes, this.classes);
  }

  add(pred: ArrayLike<number>, y: ArrayLike<number>, start: number, count: number): void {
    for (let i = 0; i < count; i++) {
      const t = this.labelOf(y, i);
      const p = this.predictedOf(pred, i);
      this.confusion[t][p]++;
      const cell = t * this.classes + p;
      const kept = this.cellCounts.get(cell) ?? 0;
      if (kept < CELL_SAMPLES && this.cellIndices.length < MAX_CELL_SAMPLES) {
        this.cellCounts.set(cell, kept + 1);
        this.cellIndices.push(start + i);
      }
      if (t === p) this.correct++;
      else this.wrong.push(start + i);
    }
    this.seen += count;
  }

  pickSamples(n: number, total: number): number[] {
    // A third are mistakes (spread over the data) because those are what a user looks at first.
    const mistakes = evenly(Math.min(this.wrong.length, Math.floor(n / 3)), this.wrong.length).map((i) => this.wrong[i]);
    return fillEvenly(new Set(mistakes), n, total);
  }

  extraSamples(): number[] {
    return this.cellIndices;
  }

  finish(samples: SampleData[], extra: SampleData[]): ClassificationEval {
    const k = this.classes;
    const perClass: ClassMetrics[] = [];
    for (let c = 0; c < k; c++) {
      const tp = this.confusion[c][c];
      const support = this.confusion[c].reduce((a, b) => a + b, 0);
      const predictedAs = this.confusion.reduce((a, row) => a + row[c], 0);
      const precision = predictedAs > 0 ? tp / predictedAs : null;
      const recall = support > 0 ? tp / support : null;
      const f1 = precision !== null && recall !== null ? (precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0) : null;
      perClass.push({ precision, recall, f1, support });
    }
    const mean = (vals: (number | null)[]) => {
      const v = vals.filter((x): x is number => x !== null);
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
    };
    return {
      kind: 'classification',
      output: this.output,
      labels: this.labels,
      classNames: Array.from({ length: k }, (_, c) => this.classNames?.[c] ?? String(c)),
      accuracy: this.seen ? this.correct / this.seen : 0,
      confusion: this.confusion,
      perClass,
      macro: { precision: mean(perClass.map((m) => m.precision)), recall: mean(perClass.map((m) => m.recall)), f1: mean(perClass.map((m) => m.f1)) },
      samples: samples.map((s) => this.sampleOf(s)),
      cellSamples: extra.map((s) => this.sampleOf(s)),
      cellSampleLimit: CELL_SAMPLES,
    };
  }

  private sampleOf(s: SampleData): ClassificationEval['samples'][number] {
    const probs = this.labels === 'binary' ? [1 - s.pred[0], s.pred[0]] : Array.from(s.pred);
    const top = probs
      .map((probability, c) => ({ class: c, probability }))
      .sort((a, b) => b.probability - a.probability)
      .slice(0, 3);
    return { index: s.index, input: s.input, label: this.labelOf(s.y, 0), predicted: this.predictedOf(s.pred, 0), top };
  }
}

class RegressionAccumulator implements Accumulator {
  private readonly sumY: Float64Array;
  private readonly sumY2: Float64Array;
  private readonly sumRes2: Float64Array;
  private absErr = 0;
  private n = 0;
  private readonly errors: number[] = [];
  private readonly stride: number;
  private valueIndex = 0;
  private readonly seriesTarget: number[] = [];
  private readonly seriesPredicted: number[] = [];

  constructor(private readonly output: string, private readonly size: number, total: number) {
    this.sumY = new Float64Array(size);
    this.sumY2 = new Float64Array(size);
    this.sumRes2 = new Float64Array(size);
    this.stride = Math.max(1, Math.ceil((total * size) / MAX_HISTOGRAM_VALUES));
  }

  add(pred: ArrayLike<number>, y: ArrayLike<number>, _start: number, count: number): void {
    for (let i = 0; i < count; i++) {
      for (let c = 0; c < this.size; c++) {
        const t = y[i * this.size + c];
        const e = pred[i * this.size + c] - t;
        this.sumY[c] += t;
        this.sumY2[c] += t * t;
        this.sumRes2[c] += e * e;
        this.absErr += Math.abs(e);
        if (this.valueIndex++ % this.stride === 0) this.errors.push(e);
      }
      // The first target column of the first samples, in data order: forecast against actual.
      if (this.seriesTarget.length < SERIES_POINTS) {
        this.seriesTarget.push(y[i * this.size]);
        this.seriesPredicted.push(pred[i * this.size]);
      }
    }
    this.n += count;
  }

  pickSamples(n: number, total: number): number[] {
    return evenly(n, total);
  }

  finish(samples: SampleData[]): RegressionEval {
    const values = this.n * this.size;
    let sse = 0;
    const r2s: number[] = [];
    for (let c = 0; c < this.size; c++) {
      sse += this.sumRes2[c];
      const ssTot = this.sumY2[c] - (this.sumY[c] * this.sumY[c]) / this.n;
      if (ssTot > 1e-12 * Math.max(1, this.sumY2[c])) r2s.push(1 - this.sumRes2[c] / ssTot);
    }
    return {
      kind: 'regression',
      output: this.output,
      targetSize: this.size,
      mae: finiteOrNull(this.absErr / values),
      rmse: finiteOrNull(Math.sqrt(sse / values)),
      r2: r2s.length ? finiteOrNull(r2s.reduce((a, b) => a + b, 0) / r2s.length) : null,
      errorHistogram: histogram(this.errors),
      samples: samples.map((s) => ({ index: s.index, input: s.input, target: Array.from(s.y), predicted: Array.from(s.pred) })),
      // JSON has no NaN: a diverged prediction is null, drawn as a gap.
      series: { target: this.seriesTarget.map(finiteOrNull), predicted: this.seriesPredicted.map(finiteOrNull) },
    };
  }
}

class AutoencoderAccumulator implements Accumulator {
  private readonly perSampleError: Float64Array;

  constructor(private readonly output: string, private readonly size: number, total: number) {
    this.perSampleError = new Float64Array(total);
  }

  add(pred: ArrayLike<number>, y: ArrayLike<number>, start: number, count: number): void {
    for (let i = 0; i < count; i++) {
      let s = 0;
      for (let j = i * this.size; j < (i + 1) * this.size; j++) s += (pred[j] - y[j]) ** 2;
      this.perSampleError[start + i] = s / this.size;
    }
  }

  pickSamples(n: number, total: number): number[] {
    // Mostly typical samples, plus the two worst reconstructions.
    const worst = Array.from(this.perSampleError.keys()).sort((a, b) => this.perSampleError[b] - this.perSampleError[a]).slice(0, Math.min(2, n));
    return fillEvenly(new Set(worst), n, total);
  }

  finish(samples: SampleData[]): AutoencoderEval {
    const errs = Array.from(this.perSampleError);
    return {
      kind: 'autoencoder',
      output: this.output,
      meanError: finiteOrNull(errs.reduce((a, b) => a + b, 0) / Math.max(1, errs.length)),
      errorHistogram: histogram(errs),
      samples: samples.map((s) => ({
        index: s.index,
        input: s.input,
        reconstruction: toSampleInput(s.pred, s.inputShape),
        error: finiteOrNull(this.perSampleError[s.index]) ?? 0,
      })),
    };
  }
}

/** Equal-width bins from the smallest to the largest finite value. */
export function histogram(values: ArrayLike<number>, bins = HISTOGRAM_BINS): Histogram {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return { edges: [], counts: [] };
  if (lo === hi) return { edges: [lo - 0.5, hi + 0.5], counts: [Array.from(values as ArrayLike<number> & Iterable<number>).filter(Number.isFinite).length] };
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
  }
  return { edges: Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width)), counts };
}

/** A sample's input as the panel draws it: an image for [H,W], [H,W,1|3|4] inputs, else the first values. */
export function toSampleInput(values: ArrayLike<number>, shape: readonly number[]): SampleInput {
  const [h, w, ch] = shape;
  const isImage = (shape.length === 3 && (ch === 1 || ch === 3 || ch === 4) && h >= 4 && w >= 4) || (shape.length === 2 && h >= 8 && w >= 8);
  if (!isImage) {
    return { kind: 'vector', values: Array.from(values).slice(0, VECTOR_VALUES).map((v) => (Number.isFinite(v) ? v : 0)), length: values.length };
  }
  const channelsIn = shape.length === 3 ? ch : 1;
  const channels: 1 | 3 = channelsIn >= 3 ? 3 : 1;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  // Keep the data's own scale when it is one of the usual ones, so a dim image stays dim.
  const scale = lo >= 0 && hi <= 1 ? (v: number) => v * 255 : lo >= 0 && hi <= 255 ? (v: number) => v : (v: number) => (hi > lo ? ((v - lo) / (hi - lo)) * 255 : 0);
  const step = Math.ceil(Math.max(h, w) / MAX_IMAGE_SIDE);
  const height = Math.ceil(h / step);
  const width = Math.ceil(w / step);
  const pixels: number[] = [];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++) {
        const v = values[(y * step * w + x * step) * channelsIn + c];
        pixels.push(Number.isFinite(v) ? Math.max(0, Math.min(255, Math.round(scale(v)))) : 0);
      }
  return { kind: 'image', width, height, channels, pixels };
}

/**
 * Evaluates `model` on `data` and returns the report (write it with writeEvalReport). Throws a
 * RunFailure when an output cannot be matched with its labels.
 */
export async function evaluateModel(tf: TF, model: tfTypes.LayersModel, data: EvalData, opts: EvaluateOptions = {}): Promise<EvalReport> {
  const xs = toTensorList(model, data.xs, 'input');
  const ys = toTensorList(model, data.ys, 'output');
  if (ys.length !== model.outputs.length)
    throw new RunFailure({ message: msg('eval.outputsMismatch', model.outputs.length, ys.length) });
  const total = xs[0].shape[0];
  const batchSize = Math.max(1, opts.batchSize ?? DEFAULT_BATCH);
  const sampleCount = opts.samples ?? DEFAULT_SAMPLES;
  const names = ioNames(model, 'output');

  const accs: Accumulator[] = ys.map((y, o) => {
    const kind = kindOf(tf, model, o, y, xs);
    const size = perSample(y.shape);
    if (kind.kind === 'classification') return new ClassificationAccumulator(names[o], kind.labels, kind.classes, opts.classNames);
    if (kind.kind === 'autoencoder') return new AutoencoderAccumulator(names[o], size, total);
    return new RegressionAccumulator(names[o], size, total);
  });

  // Scores computed from NaN mean nothing (an all-NaN output argmaxes to class 0 and can look perfect): refuse instead.
  const weight = nonFiniteWeight(tf, model);
  if (weight) throw new RunFailure({ message: msg('nan.evaluate', describeNonFinite(weight)) });
  [...xs.map((t, i) => ({ t, name: xs.length === 1 ? 'input' : `input ${i}` })), ...ys.map((t, i) => ({ t, name: ys.length === 1 ? 'labels' : `labels ${i}` }))].forEach(({ t, name }) => {
    const bad = nonFiniteInTensor(t, name);
    if (bad) throw new RunFailure({ message: msg('eval.dataNotFinite', describeNonFinite(bad)) });
  });

  const predict = (inputs: Tensor[]): Tensor[] => {
    const out = model.predict(inputs.length === 1 ? inputs[0] : inputs, { batchSize });
    return Array.isArray(out) ? out : [out];
  };

  for (let start = 0; start < total; start += batchSize) {
    const count = Math.min(batchSize, total - start);
    const batch = tf.tidy(() => {
      const preds = predict(xs.map((x) => x.slice(start, count)));
      return { preds, labels: ys.map((y) => y.slice(start, count)) };
    });
    try {
      batch.preds.forEach((p, o) => {
        const values = p.dataSync();
        const i = firstNonFinite(values);
        if (i >= 0) {
          const at = indexIn(p.shape, i);
          throw new RunFailure({ message: msg('eval.predictsNonFinite', values[i], start + at[0], names[o]) });
        }
        accs[o].add(values, batch.labels[o].dataSync(), start, count);
      });
    } finally {
      tf.dispose([...batch.preds, ...batch.labels]);
    }
    // Let the trainer see a stop message between batches of a long evaluation.
    await new Promise((r) => setImmediate(r));
  }

  const outputs: OutputEval[] = [];
  for (let o = 0; o < accs.length; o++) {
    const indices = accs[o].pickSamples(sampleCount, total);
    const shown = new Set(indices);
    const extra = (accs[o].extraSamples?.() ?? []).filter((i) => !shown.has(i));
    const all = [...indices, ...extra];
    const data = all.length ? samplesAt(tf, all, xs, ys[o], o, predict) : [];
    outputs.push(accs[o].finish(data.slice(0, indices.length), data.slice(indices.length)));
  }
  return { schema: EVAL_SCHEMA, createdAt: new Date().toISOString(), data: data.description, count: total, outputs };
}

/** The inputs, labels and predictions (of output `o`) of a few samples, read in one predict call. */
function samplesAt(tf: TF, indices: number[], xs: Tensor[], y: Tensor, o: number, predict: (inputs: Tensor[]) => Tensor[]): SampleData[] {
  const got = tf.tidy(() => {
    const idx = tf.tensor1d(indices, 'int32');
    const inputs = xs.map((x) => tf.gather(x, idx));
    return { first: inputs[0], pred: predict(inputs)[o], y: tf.gather(y, idx) };
  });
  try {
    const x = got.first.dataSync();
    const p = got.pred.dataSync();
    const yv = got.y.dataSync();
    const shape = xs[0].shape.slice(1);
    const xSize = perSample(xs[0].shape);
    const pSize = perSample(got.pred.shape);
    const ySize = perSample(y.shape);
    return indices.map((index, k) => {
      const inputRaw = Float32Array.from(x.subarray(k * xSize, (k + 1) * xSize));
      return {
        index,
        input: toSampleInput(inputRaw, shape),
        inputRaw,
        inputShape: shape,
        pred: Float32Array.from(p.subarray(k * pSize, (k + 1) * pSize)),
        y: Float32Array.from(yv.subarray(k * ySize, (k + 1) * ySize)),
      };
    });
  } finally {
    tf.dispose([got.first, got.pred, got.y]);
  }
}

/** One line for the log: the report's headline number. */
export function evalHeadline(report: EvalReport): string {
  const first = report.outputs[0];
  return first?.kind === 'classification'
    ? `accuracy ${(first.accuracy * 100).toFixed(1)}%`
    : first?.kind === 'regression'
      ? `MAE ${first.mae ?? 'n/a'}, RMSE ${first.rmse ?? 'n/a'}`
      : first?.kind === 'autoencoder'
        ? `mean reconstruction error ${first.meanError ?? 'n/a'}`
        : '';
}
