/**
 * The shape of `config.dataset`, with no imports at all, so the trainer protocol (and through it the
 * webview, which has no Node types) can name it. The validator lives in src/trainer/data/datasetSpec.ts.
 */

export type ColumnRef = string | number;

export interface CsvSpec {
  type: 'csv';
  path: string;
  delimiter?: ',' | '\t' | ';';
  header?: boolean;
  label?: ColumnRef;
  features?: ColumnRef[];
  categorical?: ColumnRef[];
  normalize?: 'zscore' | 'minmax' | 'none';
  task?: 'classification' | 'regression';
  missing?: 'impute' | 'drop';
  missingValues?: string[];
  maxCategories?: number;
  /** Stream the file in two passes instead of reading it whole (files larger than memory). */
  stream?: boolean;
  /** Streaming only: fraction of rows held out for validation. */
  validation?: number;
  shuffle?: boolean;
  seed?: number;
}

export interface TextSpec {
  type: 'text';
  /** A text file (generate), or a folder per class / a CSV of text and label (classify). */
  path: string;
  mode?: 'generate' | 'classify';
  level?: 'char' | 'word';
  lowercase?: boolean;
  maxVocab?: number;
  /** generate: tokens of context, tokens between windows, target form. */
  window?: number;
  step?: number;
  targets?: 'onehot' | 'index';
  /** classify: tokens per document (padded/cut), CSV columns. */
  length?: number;
  textColumn?: ColumnRef;
  labelColumn?: ColumnRef;
  shuffle?: boolean;
  seed?: number;
}

export interface TimeseriesSpec {
  type: 'timeseries';
  path: string;
  column?: ColumnRef;
  window?: number;
  horizon?: number;
  step?: number;
  validation?: number;
  scale?: 'standard' | 'minmax' | 'none';
  missing?: 'interpolate' | 'error';
}

export interface NpySpec {
  type: 'npy';
  /** Features, [N, …]. */
  path: string;
  /** Labels, [N] class ids (one-hot with `classes`) or [N, …] targets. */
  labels: string;
  classes?: number;
}

export interface IdxSpec {
  type: 'idx';
  /** Images file (raw or .gz), e.g. train-images-idx3-ubyte.gz. Give `path` or `url`. */
  path?: string;
  /** Labels file (raw or .gz). Give `labels` or `labelsUrl`. */
  labels?: string;
  /** Download the images file once into the cache (~/.cache/model-lab/datasets, or $MODEL_LAB_CACHE). */
  url?: string;
  labelsUrl?: string;
  /** Expected SHA-256 (hex) of the downloaded images / labels file. */
  sha256?: string;
  labelsSha256?: string;
  classes?: number;
}

export interface Cifar10Spec {
  type: 'cifar10';
  /** The cifar-10-batches-bin folder, its parent, or cifar-10-binary.tar.gz. Give `path` or `url`. */
  path?: string;
  /** Download cifar-10-binary.tar.gz once into the cache and unpack it there. */
  url?: string;
  sha256?: string;
  split?: 'train' | 'test';
}

export interface ImagesSpec {
  type: 'images';
  /** Folder with one subfolder of PNG/JPEG images per class. */
  path: string;
  /** [height, width]; default the first image's size. */
  size?: [number, number];
  channels?: 1 | 3;
}

export interface SpiralSpec {
  type: 'spiral';
  size?: number;
  arms?: number;
  noise?: number;
  turns?: number;
  seed?: number;
}

export interface BlobsSpec {
  type: 'blobs';
  size?: number;
  centers?: number | number[][];
  std?: number;
  seed?: number;
}

export interface XorSpec {
  type: 'xor';
  size?: number;
  noise?: number;
  seed?: number;
}

export interface SineSpec {
  type: 'sine';
  size?: number;
  noise?: number;
  xMin?: number;
  xMax?: number;
  amplitude?: number;
  frequency?: number;
  seed?: number;
}

export type DatasetObjectSpec =
  | CsvSpec
  | TextSpec
  | TimeseriesSpec
  | NpySpec
  | IdxSpec
  | Cifar10Spec
  | ImagesSpec
  | SpiralSpec
  | BlobsSpec
  | XorSpec
  | SineSpec;

export type DatasetType = DatasetObjectSpec['type'];

/** `config.dataset`: a built-in name or an object naming a type and its options. */
export type DatasetSpec = string | DatasetObjectSpec;

/** A short name for logs, shape errors and lists of runs: the name, or `csv data.csv`. */
export function describeDatasetSpec(spec: DatasetSpec): string {
  if (typeof spec === 'string') return spec;
  const where = 'path' in spec && typeof spec.path === 'string' ? spec.path : 'url' in spec && typeof spec.url === 'string' ? spec.url.split(/[?#]/)[0] : undefined;
  const file = where?.split(/[\\/]/).filter(Boolean).pop();
  return file ? `${spec.type} ${file}` : spec.type;
}
