/**
 * A model's summary without training (layers, shapes, parameter counts and where each layer was made),
 * as the trainer answers a `summary` request and `model-lab summary --json` prints it. One schema gives
 * the type and the check, so the editor's layer hints never trip on a malformed answer.
 */
import * as v from 'valibot';

const ShapeSchema = v.array(v.nullable(v.number()));

export const SourceLocationSchema = v.object({
  file: v.string(),
  /** 1-based. */
  line: v.number(),
  /** 1-based. */
  column: v.number(),
});
export type SourceLocation = v.InferOutput<typeof SourceLocationSchema>;

export const LayerRowSchema = v.object({
  name: v.string(),
  className: v.string(),
  /** One shape, or one per output for a layer with several; [] when the layer is used at several nodes. */
  outputShape: v.union([ShapeSchema, v.array(ShapeSchema)]),
  params: v.number(),
  trainableParams: v.number(),
  nonTrainableParams: v.number(),
  /** Where the model file made the layer; undefined when it was not made through tf.layers.* there. */
  location: v.optional(SourceLocationSchema),
});
export type LayerRow = v.InferOutput<typeof LayerRowSchema>;

const TensorSignatureSchema = v.object({ name: v.string(), shape: ShapeSchema });

/** Why createModel() stopped after some layers were built: where (1-based) and what, in plain words. */
export const BuildErrorSchema = v.object({
  /** One line, with the `(file:line:col)` the trainer appends. */
  message: v.string(),
  file: v.optional(v.string()),
  line: v.optional(v.number()),
  column: v.optional(v.number()),
});
export type BuildError = v.InferOutput<typeof BuildErrorSchema>;

export const ModelSummarySchema = v.object({
  file: v.string(),
  modelName: v.string(),
  /** 'Sequential' or 'LayersModel' (functional). */
  modelClass: v.string(),
  inputs: v.array(TensorSignatureSchema),
  outputs: v.array(TensorSignatureSchema),
  layers: v.array(LayerRowSchema),
  totalParams: v.number(),
  trainableParams: v.number(),
  nonTrainableParams: v.number(),
  /** Whether createModel() compiled the model. */
  compiled: v.boolean(),
  /** `config.dataset` when the model file names one (a string), for checks of the input shape. */
  dataset: v.optional(v.string()),
  /**
   * Set when createModel() threw after building some layers: `layers` are those that built (in the
   * order they were made), `inputs`/`outputs` are empty and the totals count the built layers only.
   */
  buildError: v.optional(BuildErrorSchema),
});
export type ModelSummary = v.InferOutput<typeof ModelSummarySchema>;

/** The summary if `value` is one this version can show; undefined otherwise. */
export function parseModelSummary(value: unknown): ModelSummary | undefined {
  const r = v.safeParse(ModelSummarySchema, value);
  return r.success ? r.output : undefined;
}
