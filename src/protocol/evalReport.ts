/**
 * `eval.json` in a run folder: what the model does on held-out data after training. Written by the
 * trainer (src/trainer/evaluate.ts), read by the host and drawn by the webview, so it imports nothing
 * and holds only JSON-safe values (no NaN/Infinity: a metric that cannot be computed is `null`).
 */

export const EVAL_FILE = 'eval.json';
export const EVAL_SCHEMA = 1;

/** A sample's input, in a form the panel can draw without knowing the model. */
export type SampleInput =
  /** Pixels row-major, channel last, each 0–255; `channels` 1 = gray, 3 = RGB. Downscaled to ≤ 64 px a side. */
  | { kind: 'image'; width: number; height: number; channels: 1 | 3; pixels: number[] }
  /** The first values of a flat or sequence input; `length` is how many there are in all. */
  | { kind: 'vector'; values: number[]; length: number };

export interface ClassScore {
  class: number;
  probability: number;
}

export interface ClassMetrics {
  /** null when the class was never predicted (0/0). */
  precision: number | null;
  /** null when the class never occurs in the labels. */
  recall: number | null;
  f1: number | null;
  /** How many samples truly are this class. */
  support: number;
}

export interface ClassificationSample {
  /** Index of the sample in the evaluated data. */
  index: number;
  input: SampleInput;
  label: number;
  predicted: number;
  /** The three most probable classes, most probable first. */
  top: ClassScore[];
}

export interface ClassificationEval {
  kind: 'classification';
  /** The model output this is about (its tfjs name). */
  output: string;
  /** How the labels were given: one-hot rows, class indices, or 0/1 with one sigmoid unit. */
  labels: 'onehot' | 'sparse' | 'binary';
  classNames: string[];
  accuracy: number;
  /** confusion[trueClass][predictedClass] = count. */
  confusion: number[][];
  perClass: ClassMetrics[];
  /** Unweighted means over classes with a defined value. */
  macro: { precision: number | null; recall: number | null; f1: number | null };
  samples: ClassificationSample[];
}

export interface Histogram {
  /** Bin edges, one more than counts; bin i is [edges[i], edges[i+1]) and the last bin is closed. */
  edges: number[];
  counts: number[];
}

export interface RegressionSample {
  index: number;
  input: SampleInput;
  target: number[];
  predicted: number[];
}

export interface RegressionEval {
  kind: 'regression';
  output: string;
  /** Values predicted per sample (the output's size without the batch axis). */
  targetSize: number;
  /** null when the predictions are not finite (a diverged model). */
  mae: number | null;
  rmse: number | null;
  /** Coefficient of determination averaged over target columns; null when the targets are constant. */
  r2: number | null;
  /** Distribution of predicted − target over all values. */
  errorHistogram: Histogram;
  samples: RegressionSample[];
}

export interface ReconstructionSample {
  index: number;
  input: SampleInput;
  reconstruction: SampleInput;
  /** Mean squared error of this sample. */
  error: number;
}

export interface AutoencoderEval {
  kind: 'autoencoder';
  output: string;
  /** Mean over samples of each sample's mean squared reconstruction error. */
  meanError: number | null;
  /** Distribution of the per-sample mean squared error. */
  errorHistogram: Histogram;
  samples: ReconstructionSample[];
}

export type OutputEval = ClassificationEval | RegressionEval | AutoencoderEval;

export interface EvalReport {
  schema: typeof EVAL_SCHEMA;
  createdAt: string;
  /** Which data was evaluated, in words: "the last 20% (60 samples) held out by validationSplit". */
  data: string;
  count: number;
  /** One entry per model output, in the model's output order. */
  outputs: OutputEval[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the frame of an eval.json read from disk; returns undefined for anything else. */
export function parseEvalReport(v: unknown): EvalReport | undefined {
  if (!isObj(v) || v.schema !== EVAL_SCHEMA || typeof v.count !== 'number' || typeof v.data !== 'string' || !Array.isArray(v.outputs))
    return undefined;
  const kinds = ['classification', 'regression', 'autoencoder'];
  if (!v.outputs.every((o) => isObj(o) && kinds.includes(o.kind as string) && typeof o.output === 'string')) return undefined;
  return v as unknown as EvalReport;
}
