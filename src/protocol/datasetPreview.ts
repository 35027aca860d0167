/**
 * A dataset preview: what `model-lab preview FILE --json` prints (src/trainer/preview.ts builds it
 * from the trainer's own loader), what the host reads from that child and what the panel's Data view
 * draws. JSON-safe values only (a statistic that cannot be computed is `null`); imports only types.
 */
import type { SampleInput } from './evalReport';

export const PREVIEW_SCHEMA = 1;

/** How the panel draws the inputs. */
export type PreviewKind = 'image' | 'tabular' | 'text' | 'timeseries';

export interface ClassCount {
  name: string;
  count: number;
}

export interface ColumnStats {
  name: string;
  type: 'numeric' | 'categorical';
  /** In the file's own units when the loader kept its statistics (CSV), else of the values the model sees. */
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  /** Missing cells in the file (CSV only). */
  missing?: number;
  /** Categories of a categorical column (at most 20 listed). */
  categories?: string[];
}

export interface DatasetPreview {
  schema: typeof PREVIEW_SCHEMA;
  /** The model file whose `config.dataset` this is. */
  modelFile: string;
  /** The dataset's name, or the `type` of an object spec. */
  dataset: string;
  /** The loader's one-line description. */
  description: string;
  kind: PreviewKind;
  task?: 'classification' | 'regression' | 'sequence';
  /** Samples loaded (after config.limit). */
  count: number;
  /** Shapes including the sample axis. */
  xShape: number[];
  yShape: number[];
  /** Samples per class, in class order (classification). */
  classBalance?: ClassCount[];
  /** Image sets: a grid of the first samples, each with its label. */
  images?: { label: string; input: Extract<SampleInput, { kind: 'image' }> }[];
  /** Tabular sets: the first rows as the model sees them, and statistics per column. */
  table?: { columns: string[]; rows: (number | string)[][]; stats: ColumnStats[]; note: string };
  /** Text and sequence sets: decoded samples. */
  texts?: { text: string; label: string }[];
  /** Time series: the first window in the column's units, followed by its target(s). */
  series?: { values: number[]; target: number[]; note: string };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumArr = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');
const isStr = (v: unknown): v is string => typeof v === 'string';
const KINDS: readonly string[] = ['image', 'tabular', 'text', 'timeseries'];

function isImageInput(v: unknown): boolean {
  if (!isObj(v) || v.kind !== 'image' || !Number.isInteger(v.width) || !Number.isInteger(v.height)) return false;
  if (v.channels !== 1 && v.channels !== 3) return false;
  return isNumArr(v.pixels) && v.pixels.length === (v.width as number) * (v.height as number) * v.channels;
}

/**
 * Validates a preview read from the CLI's output (the host) or received in a snapshot (the webview):
 * every field the panel draws is checked, so a bad one is refused whole instead of half-drawn.
 */
export function parseDatasetPreview(v: unknown): DatasetPreview | undefined {
  if (!isObj(v) || v.schema !== PREVIEW_SCHEMA || !isStr(v.modelFile) || !isStr(v.dataset) || !isStr(v.description)) return undefined;
  if (!KINDS.includes(v.kind as string) || typeof v.count !== 'number' || !isNumArr(v.xShape) || !isNumArr(v.yShape)) return undefined;
  if (v.classBalance !== undefined && !(Array.isArray(v.classBalance) && v.classBalance.every((c) => isObj(c) && isStr(c.name) && typeof c.count === 'number')))
    return undefined;
  if (v.images !== undefined && !(Array.isArray(v.images) && v.images.every((i) => isObj(i) && isStr(i.label) && isImageInput(i.input))))
    return undefined;
  if (v.table !== undefined) {
    const t = v.table;
    if (!isObj(t) || !Array.isArray(t.columns) || !t.columns.every(isStr) || !isStr(t.note)) return undefined;
    if (!Array.isArray(t.rows) || !t.rows.every((r) => Array.isArray(r) && r.every((c) => isStr(c) || typeof c === 'number'))) return undefined;
    const numOrNull = (x: unknown) => x === null || typeof x === 'number';
    if (!Array.isArray(t.stats) || !t.stats.every((s) => isObj(s) && isStr(s.name) && numOrNull(s.min) && numOrNull(s.max) && numOrNull(s.mean) && numOrNull(s.std)))
      return undefined;
  }
  if (v.texts !== undefined && !(Array.isArray(v.texts) && v.texts.every((t) => isObj(t) && isStr(t.text) && isStr(t.label)))) return undefined;
  if (v.series !== undefined && !(isObj(v.series) && isNumArr(v.series.values) && isNumArr(v.series.target) && isStr(v.series.note))) return undefined;
  return v as unknown as DatasetPreview;
}
