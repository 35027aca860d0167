/**
 * A dataset preview (src/protocol/datasetPreview.ts) from a loaded Dataset: the same tensors and
 * statistics the trainer gets from loadDataset, so what the panel shows is what the model sees.
 * Pure given the dataset: reads the tensors, disposes nothing it did not make.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { PREVIEW_SCHEMA, type ClassCount, type ColumnStats, type DatasetPreview, type PreviewKind } from '../protocol/datasetPreview';
import type { Dataset } from './data/datasets';
import { toSampleInput } from './evaluate';

export interface PreviewOptions {
  modelFile: string;
  /** The dataset's name, or the type of its object spec. */
  dataset: string;
  /** Images in the grid (default 24). */
  images?: number;
  /** Table rows (default 10). */
  rows?: number;
  /** Decoded text samples (default 8). */
  texts?: number;
  /** Time series: windows read to rebuild the head of the series (default 60). */
  seriesWindows?: number;
  /**
   * Tokens by id for sets whose vocabulary the loader does not put in `stats` (the built-in names
   * sets); `padIds` are left out of decoded text.
   */
  tokens?: readonly string[];
  padIds?: readonly number[];
}

const MAX_CATEGORIES_LISTED = 20;

const round = (v: number): number => (Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : 0);
const finiteOrNull = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

/** Class index of each sample: argmax of one-hot rows, a 0/1 column, or class ids. */
export function classIndices(ys: Float32Array | Int32Array | Uint8Array, yShape: readonly number[]): Int32Array {
  const n = yShape[0] ?? 0;
  const width = yShape.length > 1 ? yShape.slice(1).reduce((a, b) => a * b, 1) : 1;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (width === 1) {
      const v = ys[i];
      out[i] = v > 0.5 && v <= 1 ? 1 : Math.max(0, Math.round(v));
      continue;
    }
    let best = 0;
    for (let c = 1; c < width; c++) if (ys[i * width + c] > ys[i * width + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** Samples per class; classes without a name are called by their index. */
export function classBalance(indices: ArrayLike<number>, classNames: readonly string[] | undefined): ClassCount[] {
  let max = (classNames?.length ?? 0) - 1;
  for (let i = 0; i < indices.length; i++) max = Math.max(max, indices[i]);
  const counts = new Array<number>(max + 1).fill(0);
  for (let i = 0; i < indices.length; i++) counts[indices[i]]++;
  return counts.map((count, c) => ({ name: classNames?.[c] ?? String(c), count }));
}

/** min/max/mean/std of each column of a [rows, cols] matrix (non-finite values skipped). */
export function columnStats(values: ArrayLike<number>, rows: number, cols: number, names: readonly string[]): ColumnStats[] {
  const out: ColumnStats[] = [];
  for (let c = 0; c < cols; c++) {
    let n = 0, sum = 0, sq = 0, lo = Infinity, hi = -Infinity;
    for (let r = 0; r < rows; r++) {
      const v = values[r * cols + c];
      if (!Number.isFinite(v)) continue;
      n++;
      sum += v;
      sq += v * v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const mean = n ? sum / n : null;
    const std = n && mean !== null ? Math.sqrt(Math.max(0, sq / n - mean * mean)) : null;
    out.push({ name: names[c] ?? `x${c}`, type: 'numeric', min: n ? round(lo) : null, max: n ? round(hi) : null, mean, std });
  }
  return out;
}

/** Which view fits the inputs. */
export function previewKind(ds: Pick<Dataset, 'kind' | 'stats'>, xShape: readonly number[], tokens?: readonly string[]): PreviewKind {
  if (ds.stats?.series) return 'timeseries';
  if (ds.stats?.vocab || ds.kind === 'sequence' || tokens) return 'text';
  const [, h, w, c] = xShape;
  if (xShape.length === 4 && (c === 1 || c === 3 || c === 4) && h >= 4 && w >= 4) return 'image';
  if (xShape.length === 3 && h >= 8 && w >= 8) return 'image';
  return 'tabular';
}

function decode(ids: ArrayLike<number>, tokens: readonly string[], padIds: readonly number[], joiner: string): string {
  const parts: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = Math.round(ids[i]);
    if (padIds.includes(id)) continue;
    // A newline inside a character window would break the sample's line in the panel.
    parts.push((tokens[id] ?? `<${id}>`).replace(/\n/g, '↵'));
  }
  return parts.join(joiner);
}

/** Builds the preview of `ds` (its xs and ys are read, not disposed). */
export function buildPreview(ds: Dataset, opts: PreviewOptions): DatasetPreview {
  const xShape = ds.xs.shape.slice();
  const yShape = ds.ys.shape.slice();
  const count = xShape[0] ?? 0;
  const kind = previewKind(ds, xShape, opts.tokens);
  const perSample = xShape.slice(1).reduce((a, b) => a * b, 1);
  const ySize = yShape.slice(1).reduce((a, b) => a * b, 1);
  const head = (t: tfTypes.Tensor, n: number): Float32Array => {
    const k = Math.min(n, count);
    if (k <= 0) return new Float32Array(0);
    // Only the first samples cross into JS: a 60,000-image set is not copied to show 24 of them.
    const part = t.slice(0, k);
    try {
      return Float32Array.from(part.dataSync());
    } finally {
      if (part !== t) part.dispose();
    }
  };

  const classification = ds.kind === 'classification' && !!ds.classNames;
  let labelOf = (i: number, y: Float32Array): string => {
    const v = Array.from(y.subarray(i * ySize, Math.min((i + 1) * ySize, i * ySize + 3))).map(round);
    return ySize > 3 ? `[${v.join(', ')}, …]` : v.join(', ');
  };
  const preview: DatasetPreview = {
    schema: PREVIEW_SCHEMA,
    modelFile: opts.modelFile,
    dataset: opts.dataset,
    description: ds.description,
    kind,
    ...(ds.kind && { task: ds.kind }),
    count,
    xShape,
    yShape,
  };
  if (classification) {
    const ids = classIndices(ds.ys.dataSync() as Float32Array, yShape);
    preview.classBalance = classBalance(ids, ds.classNames);
    labelOf = (i) => ds.classNames?.[ids[i]] ?? String(ids[i]);
  } else if (ds.kind === 'sequence' && ds.stats?.vocab && ySize === 1) {
    // Next-token targets as ids: the label is the token.
    const tokens = ds.stats.vocab.tokens;
    const ys = head(ds.ys, opts.texts ?? 8);
    labelOf = (i) => `→ ${(tokens[Math.round(ys[i])] ?? String(ys[i])).replace(/\n/g, '↵')}`;
  } else if (ds.kind === 'sequence' && ds.classNames && ySize === ds.classNames.length) {
    // Next-token targets: one-hot over the vocabulary, so the label is a token.
    const ys = head(ds.ys, opts.texts ?? 8);
    const ids = classIndices(ys, [Math.min(count, opts.texts ?? 8), ySize]);
    labelOf = (i) => `→ ${ds.classNames?.[ids[i]] ?? ids[i]}`;
  } else if (xShape.length === yShape.length && xShape.every((d, i) => d === yShape[i])) {
    // An autoencoder's target is its input: nothing to label.
    labelOf = () => '';
  }

  switch (kind) {
    case 'image': {
      const n = Math.min(count, opts.images ?? 24);
      const xs = head(ds.xs, n);
      const ys = classification ? new Float32Array(0) : head(ds.ys, n);
      preview.images = [];
      for (let i = 0; i < n; i++) {
        const input = toSampleInput(xs.subarray(i * perSample, (i + 1) * perSample), xShape.slice(1));
        if (input.kind === 'image') preview.images.push({ label: labelOf(i, ys), input });
      }
      break;
    }
    case 'tabular': {
      const n = Math.min(count, opts.rows ?? 10);
      const xs = head(ds.xs, n);
      const ys = classification ? new Float32Array(0) : head(ds.ys, n);
      const schema = ds.stats?.csv;
      const names = schema?.featureNames ?? Array.from({ length: perSample }, (_, c) => `x${c}`);
      const labelName = schema?.label.name ?? 'label';
      const rows: (number | string)[][] = [];
      for (let r = 0; r < n; r++) rows.push([...Array.from(xs.subarray(r * perSample, (r + 1) * perSample), round), labelOf(r, ys)]);
      let stats: ColumnStats[];
      if (schema) {
        stats = schema.columns
          .filter((c) => c.role !== 'ignored')
          .map((c) => ({
            name: c.role === 'label' ? `${c.name} (label)` : c.name,
            type: c.type,
            min: finiteOrNull(c.min),
            max: finiteOrNull(c.max),
            mean: finiteOrNull(c.mean),
            std: finiteOrNull(c.std),
            missing: c.missing,
            ...(c.categories && { categories: c.categories.slice(0, MAX_CATEGORIES_LISTED) }),
          }));
      } else {
        const all = ds.xs.dataSync();
        stats = columnStats(all, count, perSample, names);
      }
      preview.table = {
        columns: [...names, labelName],
        rows,
        stats,
        note: schema
          ? `Rows as the model sees them (${schema.normalize} normalisation, categories one-hot); statistics in the file's units from ${schema.rows} rows.`
          : 'Rows as the model sees them; statistics over all samples.',
      };
      break;
    }
    case 'text': {
      const n = Math.min(count, opts.texts ?? 8);
      const xs = head(ds.xs, n);
      const ys = classification ? new Float32Array(0) : head(ds.ys, n);
      const vocab = ds.stats?.vocab;
      const tokens = opts.tokens ?? vocab?.tokens;
      const padIds = opts.padIds ?? (vocab ? [0] : []);
      const joiner = vocab?.level === 'word' ? ' ' : '';
      preview.texts = [];
      for (let i = 0; i < n; i++) {
        const ids = xs.subarray(i * perSample, (i + 1) * perSample);
        const text = tokens ? decode(ids, tokens, padIds, joiner) : Array.from(ids, Math.round).join(' ');
        preview.texts.push({ text, label: labelOf(i, ys) });
      }
      break;
    }
    case 'timeseries': {
      const s = ds.stats?.series;
      const unscale = (v: number): number => round(s ? v * s.divisor + s.shift : v);
      const window = xShape[1] ?? 0;
      // The first channel: a univariate series is [window, 1].
      const channels = xShape.length > 2 ? xShape[2] : 1;
      const k = Math.min(count, opts.seriesWindows ?? 60);
      const xs = head(ds.xs, k);
      const ys = head(ds.ys, k);
      const at = (sample: number, t: number): number => xs[(sample * window + t) * channels];
      // Windows one step apart overlap; then the series itself is the first window followed by
      // each window's next value, and a longer stretch of it can be shown.
      let consecutive = k > 1 && ySize >= 1;
      for (let i = 1; i < k && consecutive; i++)
        for (let t = 0; t + 1 < window && consecutive; t++) if (Math.abs(at(i, t) - at(i - 1, t + 1)) > 1e-6) consecutive = false;
      const first = Array.from({ length: window }, (_, t) => unscale(at(0, t)));
      const values = consecutive ? [...first, ...Array.from({ length: k - 1 }, (_, i) => unscale(ys[i * ySize]))] : first;
      const target = consecutive ? [unscale(ys[(k - 1) * ySize])] : Array.from(ys.subarray(0, ySize), unscale);
      const units = s ? ` in the column's units (stored scaling: ${s.scale}; mean ${round(s.mean)}, std ${round(s.std)}, min ${round(s.min)}, max ${round(s.max)})` : '';
      preview.series = {
        values,
        target,
        note: consecutive
          ? `The first ${values.length} values of the series (windows of ${window}) and the next one${units}.`
          : `The first window (${window} values) and what it predicts${units}.`,
      };
      break;
    }
  }
  return preview;
}
