/**
 * A dataset preview: what the trainer answers to a `preview` request and `model-lab preview FILE
 * --json` prints (src/trainer/preview.ts builds it from the trainer's own loader), and what the
 * panel's Data view draws. JSON-safe values only (a statistic that cannot be computed is `null`).
 * One valibot schema checks every field the panel draws and gives the types.
 */
import * as v from 'valibot';
import { SampleInputSchema } from './evalReport';

export const PREVIEW_SCHEMA = 1;

const numOrNull = v.nullable(v.number());

/** How the panel draws the inputs. */
const PreviewKindSchema = v.picklist(['image', 'tabular', 'text', 'timeseries']);
export type PreviewKind = v.InferOutput<typeof PreviewKindSchema>;

export const ClassCountSchema = v.object({ name: v.string(), count: v.number() });
export type ClassCount = v.InferOutput<typeof ClassCountSchema>;

export const ColumnStatsSchema = v.object({
  name: v.string(),
  type: v.picklist(['numeric', 'categorical']),
  /** In the file's own units when the loader kept its statistics (CSV), else of the values the model sees. */
  min: numOrNull,
  max: numOrNull,
  mean: numOrNull,
  std: numOrNull,
  /** Missing cells in the file (CSV only). */
  missing: v.optional(v.number()),
  /** Categories of a categorical column (at most 20 listed). */
  categories: v.optional(v.array(v.string())),
});
export type ColumnStats = v.InferOutput<typeof ColumnStatsSchema>;

const ImageInputSchema = v.pipe(
  SampleInputSchema,
  v.check((i) => i.kind === 'image', 'an image'),
  v.transform((i) => i as Extract<typeof i, { kind: 'image' }>),
);

export const DatasetPreviewSchema = v.object({
  schema: v.literal(PREVIEW_SCHEMA),
  /** The model file whose `config.dataset` this is. */
  modelFile: v.string(),
  /** The dataset's name, or the `type` of an object spec. */
  dataset: v.string(),
  /** The loader's one-line description. */
  description: v.string(),
  kind: PreviewKindSchema,
  task: v.optional(v.picklist(['classification', 'regression', 'sequence'])),
  /** Samples loaded (after config.limit). */
  count: v.number(),
  /** Shapes including the sample axis. */
  xShape: v.array(v.number()),
  yShape: v.array(v.number()),
  /** Samples per class, in class order (classification). */
  classBalance: v.optional(v.array(ClassCountSchema)),
  /** Image sets: a grid of the first samples, each with its label. */
  images: v.optional(v.array(v.object({ label: v.string(), input: ImageInputSchema }))),
  /** Tabular sets: the first rows as the model sees them, and statistics per column. */
  table: v.optional(
    v.object({ columns: v.array(v.string()), rows: v.array(v.array(v.union([v.number(), v.string()]))), stats: v.array(ColumnStatsSchema), note: v.string() }),
  ),
  /** Text and sequence sets: decoded samples. */
  texts: v.optional(v.array(v.object({ text: v.string(), label: v.string() }))),
  /** Time series: the first window in the column's units, followed by its target(s). */
  series: v.optional(v.object({ values: v.array(v.number()), target: v.array(v.number()), note: v.string() })),
});
export type DatasetPreview = v.InferOutput<typeof DatasetPreviewSchema>;

/**
 * Validates a preview from the trainer (the host) or in a snapshot (the webview): every field the
 * panel draws is checked, so a bad one is refused whole instead of half-drawn.
 */
export function parseDatasetPreview(value: unknown): DatasetPreview | undefined {
  const r = v.safeParse(DatasetPreviewSchema, value);
  return r.success ? r.output : undefined;
}
