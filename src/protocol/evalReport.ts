/**
 * `eval.json` in a run folder: what the model does on held-out data after training. Written by the
 * trainer (src/trainer/evaluate.ts), read by the host and drawn by the webview, so it imports nothing
 * and holds only JSON-safe values (no NaN/Infinity: a metric that cannot be computed is `null`).
 * One valibot schema checks every field the panel draws and gives the types.
 */

import * as v from 'valibot';

export const EVAL_FILE = 'eval.json';
export const EVAL_SCHEMA = 1;

const num = v.number();
const numOrNull = v.nullable(v.number());
const int = v.pipe(v.number(), v.integer());
const nums = v.array(num);

/** A sample's input, in a form the panel can draw without knowing the model. */
export const SampleInputSchema = v.variant('kind', [
  /** Pixels row-major, channel last, each 0–255; `channels` 1 = gray, 3 = RGB. Downscaled to ≤ 64 px a side. */
  v.pipe(
    v.object({ kind: v.literal('image'), width: int, height: int, channels: v.picklist([1, 3]), pixels: nums }),
    v.check((i) => i.pixels.length === i.width * i.height * i.channels, 'pixels do not fill width × height × channels'),
  ),
  /** The first values of a flat or sequence input; `length` is how many there are in all. */
  v.object({ kind: v.literal('vector'), values: nums, length: num }),
]);
export type SampleInput = v.InferOutput<typeof SampleInputSchema>;

export const ClassScoreSchema = v.object({ class: num, probability: num });
export type ClassScore = v.InferOutput<typeof ClassScoreSchema>;

export const ClassMetricsSchema = v.object({
  /** null when the class was never predicted (0/0). */
  precision: numOrNull,
  /** null when the class never occurs in the labels. */
  recall: numOrNull,
  f1: numOrNull,
  /** How many samples truly are this class. */
  support: num,
});
export type ClassMetrics = v.InferOutput<typeof ClassMetricsSchema>;

export const ClassificationSampleSchema = v.object({
  /** Index of the sample in the evaluated data. */
  index: num,
  input: SampleInputSchema,
  label: num,
  predicted: num,
  /** The three most probable classes, most probable first. */
  top: v.array(ClassScoreSchema),
});
export type ClassificationSample = v.InferOutput<typeof ClassificationSampleSchema>;

export const ClassificationEvalSchema = v.pipe(
  v.object({
    kind: v.literal('classification'),
    /** The model output this is about (its tfjs name). */
    output: v.string(),
    /** How the labels were given: one-hot rows, class indices, or 0/1 with one sigmoid unit. */
    labels: v.picklist(['onehot', 'sparse', 'binary']),
    classNames: v.array(v.string()),
    accuracy: num,
    /** confusion[trueClass][predictedClass] = count. */
    confusion: v.array(nums),
    perClass: v.array(ClassMetricsSchema),
    /** Unweighted means over classes with a defined value. */
    macro: v.object({ precision: numOrNull, recall: numOrNull, f1: numOrNull }),
    samples: v.array(ClassificationSampleSchema),
    /**
     * More samples, apart from `samples`, so that together they hold up to `cellSampleLimit` of every
     * confusion-matrix cell (bounded in all); absent in reports written before they existed.
     */
    cellSamples: v.optional(v.array(ClassificationSampleSchema)),
    cellSampleLimit: v.optional(num),
  }),
  // The panel draws a k × k matrix and a k-row table for k class names.
  v.check(
    (o) => o.confusion.length === o.classNames.length && o.confusion.every((row) => row.length === o.classNames.length) && o.perClass.length === o.classNames.length,
    'the confusion matrix and the per-class table must be as wide as the class list',
  ),
);
export type ClassificationEval = v.InferOutput<typeof ClassificationEvalSchema>;

export const HistogramSchema = v.pipe(
  v.object({
    /** Bin edges, one more than counts; bin i is [edges[i], edges[i+1]) and the last bin is closed. */
    edges: nums,
    counts: nums,
  }),
  v.check((h) => h.counts.length === 0 || h.edges.length === h.counts.length + 1, 'a histogram has one more edge than counts'),
);
export type Histogram = v.InferOutput<typeof HistogramSchema>;

export const RegressionSampleSchema = v.object({ index: num, input: SampleInputSchema, target: nums, predicted: nums });
export type RegressionSample = v.InferOutput<typeof RegressionSampleSchema>;

export const RegressionEvalSchema = v.object({
  kind: v.literal('regression'),
  output: v.string(),
  /** Values predicted per sample (the output's size without the batch axis). */
  targetSize: num,
  /** null when the predictions are not finite (a diverged model). */
  mae: numOrNull,
  rmse: numOrNull,
  /** Coefficient of determination averaged over target columns; null when the targets are constant. */
  r2: numOrNull,
  /** Distribution of predicted − target over all values. */
  errorHistogram: HistogramSchema,
  samples: v.array(RegressionSampleSchema),
  /** The first target value and its prediction for the first samples, in data order (null: not finite). */
  series: v.optional(v.object({ target: v.array(numOrNull), predicted: v.array(numOrNull) })),
});
export type RegressionEval = v.InferOutput<typeof RegressionEvalSchema>;

export const ReconstructionSampleSchema = v.object({
  index: num,
  input: SampleInputSchema,
  reconstruction: SampleInputSchema,
  /** Mean squared error of this sample (null when not finite). */
  error: numOrNull,
});
export type ReconstructionSample = v.InferOutput<typeof ReconstructionSampleSchema>;

export const AutoencoderEvalSchema = v.object({
  kind: v.literal('autoencoder'),
  output: v.string(),
  /** Mean over samples of each sample's mean squared reconstruction error. */
  meanError: numOrNull,
  /** Distribution of the per-sample mean squared error. */
  errorHistogram: HistogramSchema,
  samples: v.array(ReconstructionSampleSchema),
});
export type AutoencoderEval = v.InferOutput<typeof AutoencoderEvalSchema>;

export const OutputEvalSchema = v.variant('kind', [ClassificationEvalSchema, RegressionEvalSchema, AutoencoderEvalSchema]);
export type OutputEval = v.InferOutput<typeof OutputEvalSchema>;

export const EvalReportSchema = v.object({
  schema: v.literal(EVAL_SCHEMA),
  createdAt: v.string(),
  /** Which data was evaluated, in words: "the last 20% (60 samples) held out by validationSplit". */
  data: v.string(),
  count: num,
  /** One entry per model output, in the model's output order. */
  outputs: v.array(OutputEvalSchema),
});
export type EvalReport = v.InferOutput<typeof EvalReportSchema>;

/** An eval.json (or an answer carrying one) the panel can draw, every field checked; undefined otherwise. */
export function parseEvalReport(value: unknown): EvalReport | undefined {
  const r = v.safeParse(EvalReportSchema, value);
  return r.success ? r.output : undefined;
}
