/**
 * The model file contract, resolved into one object: what a model file may export (`createModel` or
 * a default export, `config`, `loadData`), checked with messages that name the file, the export and
 * what was found; how an uncompiled model is compiled (from `config`, else from what the labels look
 * like); how the data is checked against the model's inputs and outputs; and how it is fitted (tensors
 * with `fit`, a tf.data.Dataset with `fitDataset`). Training code asks this module instead of reading
 * exports itself, so every entry point (train, summary, evaluate) agrees on the contract.
 */
import { formatShape } from '../protocol/format';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { RunFailure, toRunError, type StackMapper } from './errors';
import { inferLabelKind } from './labelKind';
import { isTensor, tensorsOf, type TensorArg } from './tensors';
import { describeNonFinite, nonFiniteInTensor } from './nonFinite';
import { bundleFile } from './loadModelFile';
import { msg } from './messages';

type TF = typeof tfTypes;
type Tensor = tfTypes.Tensor;
type LayersModel = tfTypes.LayersModel;
type Dataset = tfTypes.data.Dataset<tfTypes.TensorContainer>;
type LossOrMetricFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

export const OPTIMIZER_NAMES = ['adam', 'sgd', 'rmsprop', 'adagrad', 'adadelta', 'adamax'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** Learning rates used when config.optimizer names one and config.learningRate is not set (Keras's defaults). */
const DEFAULT_LEARNING_RATES: Record<OptimizerName, number> = {
  adam: 0.001,
  sgd: 0.01,
  rmsprop: 0.001,
  adagrad: 0.01,
  adadelta: 1.0,
  adamax: 0.002,
};

/** tfjs 4.22's loss names (losses.lossesMap). */
export const LOSS_NAMES: readonly string[] = [
  'meanSquaredError', 'meanAbsoluteError', 'meanAbsolutePercentageError', 'meanSquaredLogarithmicError',
  'squaredHinge', 'hinge', 'categoricalHinge', 'logcosh', 'categoricalCrossentropy',
  'sparseCategoricalCrossentropy', 'binaryCrossentropy', 'kullbackLeiblerDivergence', 'poisson', 'cosineProximity',
];

/** tfjs 4.22's metric names (metrics.metricsMap plus the names compile() resolves itself). */
export const METRIC_NAMES: readonly string[] = [
  'accuracy', 'acc', 'crossentropy', 'ce', 'binaryAccuracy', 'categoricalAccuracy', 'precision',
  'categoricalCrossentropy', 'sparseCategoricalCrossentropy', 'mse', 'MSE', 'mae', 'MAE', 'mape', 'MAPE', 'cosine',
];

export type LossSpec = string | LossOrMetricFn | (string | LossOrMetricFn)[] | Record<string, string | LossOrMetricFn>;
export type MetricsSpec =
  | string
  | LossOrMetricFn
  | (string | LossOrMetricFn)[]
  | Record<string, string | LossOrMetricFn | (string | LossOrMetricFn)[]>;

/** The exported `config`, its known keys checked; other keys (callback options, …) kept as written for their owners. */
export interface ContractConfig {
  epochs?: number;
  batchSize?: number;
  validationSplit?: number;
  shuffle?: boolean;
  optimizer?: OptimizerName | tfTypes.Optimizer;
  learningRate?: number;
  loss?: LossSpec;
  metrics?: MetricsSpec;
  /** A built-in dataset's name or a dataset spec object (checked by the data loaders). */
  dataset?: string | Record<string, unknown>;
  limit?: number;
  /** Names of the classes, by index, for evaluation reports. */
  classNames?: string[];
  [key: string]: unknown;
}

/** Labels and inputs as tensors (validation given or cut from the tail by validationSplit). */
export interface TensorData {
  kind: 'tensors';
  xs: TensorArg;
  ys: TensorArg;
  validation?: { xs: TensorArg; ys: TensorArg };
}

/** A tf.data.Dataset of batched {xs, ys}; trained with fitDataset. */
export interface DatasetData {
  kind: 'dataset';
  dataset: Dataset;
  validation?: Dataset | { xs: TensorArg; ys: TensorArg };
}

export type TrainingData = TensorData | DatasetData;

export interface ModelContract {
  file: string;
  config: ContractConfig;
  mapStack: StackMapper;
  /** True when the file exports loadData(); otherwise the data comes from config.dataset. */
  hasLoadData: boolean;
  /** Calls createModel (or the default export) and checks it gave a tf.LayersModel. */
  createModel(): Promise<LayersModel>;
  /** Calls loadData() and checks its result; undefined when the file has none. */
  loadData(): Promise<TrainingData | undefined>;
}

const base = (file: string) => path.basename(file);

// ---- describing what was found ---------------------------------------------------------------

function isLayersModel(v: unknown): v is LayersModel {
  const o = v as Partial<LayersModel> | null;
  return typeof o === 'object' && o !== null && typeof o.fit === 'function' && typeof o.compile === 'function' && Array.isArray(o.layers);
}

function isClass(f: unknown): boolean {
  return typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));
}

export function isDataset(v: unknown): v is Dataset {
  const d = v as Partial<Dataset> | null;
  return typeof d === 'object' && d !== null && typeof d.iterator === 'function' && typeof d.batch === 'function' && typeof d.take === 'function';
}

const className = (v: object) => (v as { constructor?: { name?: string } }).constructor?.name;

/** A few words for a value in an error message: "a number (42)", "a tf.Sequential model", "class Net". */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  switch (typeof v) {
    case 'number':
    case 'boolean':
      return `a ${typeof v} (${String(v)})`;
    case 'string':
      return `a string (${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)})`;
    case 'function':
      return isClass(v) ? `class ${v.name || '(anonymous)'}` : `a function${v.name ? ` (${v.name})` : ''}`;
    case 'object':
      break;
    default:
      return `a ${typeof v}`;
  }
  if (isLayersModel(v)) return `a tf.${className(v) ?? 'LayersModel'} model instance`;
  if (isTensor(v)) return `a tf.Tensor of shape [${v.shape.join(',')}]`;
  if (isDataset(v)) return 'a tf.data.Dataset';
  if (typeof (v as Promise<unknown>).then === 'function') return 'a Promise';
  if (Array.isArray(v)) {
    const kinds = new Set(v.map((e) => (isTensor(e) ? 'tensors' : typeof e === 'number' ? 'numbers' : Array.isArray(e) ? 'arrays' : typeof e)));
    return v.length === 0 ? 'an empty array' : `an array of ${[...kinds].join('/')}`;
  }
  const name = className(v);
  if (name && name !== 'Object') return `a ${name}`;
  const keys = Object.keys(v);
  return keys.length ? `an object with ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', …' : ''}` : 'an empty object';
}

/** The known name closest to `name` (case, or up to two edits away), for "did you mean". */
function closest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const exactCase = known.find((k) => k.toLowerCase() === lower);
  if (exactCase) return exactCase;
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

// ---- config ----------------------------------------------------------------------------------

function isOptimizer(v: unknown): v is tfTypes.Optimizer {
  const o = v as Partial<tfTypes.Optimizer> | null;
  return typeof o === 'object' && o !== null && typeof o.minimize === 'function' && typeof o.applyGradients === 'function';
}

/** Every `config` key the trainer reads (checkpoint and callbacks are checked where they are resolved). */
export const CONFIG_KEYS = [
  'epochs', 'batchSize', 'validationSplit', 'shuffle', 'optimizer', 'learningRate', 'loss', 'metrics',
  'dataset', 'limit', 'classNames', 'checkpoint', 'callbacks',
] as const;

/**
 * Checks the exported `config`'s known keys; throws a RunFailure naming the file, the key and the
 * value. A key within two edits (or a case change) of a known one and standing in for it
 * (`epochz` without `epochs`) is a typo that would be ignored silently: it is an error naming the
 * known key. Other unknown keys pass through: a model file may keep its own values in `config`.
 */
export function validateContractConfig(raw: unknown, file: string): ContractConfig {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || isLayersModel(raw))
    throw new RunFailure({ message: msg('config.notObject', base(file), describeValue(raw)), file });
  const c = raw as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if ((CONFIG_KEYS as readonly string[]).includes(key)) continue;
    const near = closest(key, CONFIG_KEYS);
    if (near !== undefined && c[near] === undefined)
      throw new RunFailure({
        message: msg('config.unknownKey', base(file), key, near, CONFIG_KEYS.join(', ')),
        file,
      });
  }
  const bad = (key: string, want: string, hint = ''): never => {
    throw new RunFailure({ message: msg('config.keyMustBe', base(file), key, want, describeValue(c[key]), hint), file });
  };
  const has = (k: string) => c[k] !== undefined;
  for (const k of ['epochs', 'batchSize', 'limit'])
    if (has(k) && !(typeof c[k] === 'number' && Number.isInteger(c[k]) && (c[k] as number) >= 1)) bad(k, msg('want.wholeNumber'));
  if (has('validationSplit') && !(typeof c.validationSplit === 'number' && c.validationSplit >= 0 && c.validationSplit < 1))
    bad('validationSplit', msg('want.fraction'));
  if (has('shuffle') && typeof c.shuffle !== 'boolean') bad('shuffle', msg('want.bool'));
  if (has('learningRate') && !(typeof c.learningRate === 'number' && Number.isFinite(c.learningRate) && c.learningRate > 0))
    bad('learningRate', msg('want.positive'));
  if (has('optimizer')) {
    const o = c.optimizer;
    if (typeof o === 'string') {
      if (!(OPTIMIZER_NAMES as readonly string[]).includes(o)) {
        const near = closest(o, OPTIMIZER_NAMES);
        bad('optimizer', msg('want.optimizerName', OPTIMIZER_NAMES.join(', ')), near ? msg('config.didYouMean', near) : '');
      }
    } else if (!isOptimizer(o)) bad('optimizer', msg('want.optimizer', OPTIMIZER_NAMES.join(', ')));
    if (isOptimizer(o) && has('learningRate'))
      throw new RunFailure({
        message: msg('config.lrOnInstance', base(file), String(c.learningRate)),
        file,
      });
  }
  const checkName = (key: string, v: unknown, known: readonly string[], what: string) => {
    if (typeof v === 'function') return;
    if (typeof v !== 'string') bad(key, msg('want.nameOrFunction', what));
    if (!known.includes(v as string)) {
      const near = closest(v as string, known);
      throw new RunFailure({
        message: msg('config.unknownName', base(file), key, what, v as string, near ? msg('config.didYouMean', near) : '', known.join(', ')),
        file,
      });
    }
  };
  const checkSpec = (key: string, known: readonly string[], what: string, nested: boolean) => {
    const v = c[key];
    if (!has(key)) return;
    const list = (x: unknown) => (Array.isArray(x) ? x.forEach((e) => checkName(key, e, known, what)) : checkName(key, x, known, what));
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      for (const entry of Object.values(v)) (nested ? list : (x: unknown) => checkName(key, x, known, what))(entry);
    } else list(v);
  };
  checkSpec('loss', LOSS_NAMES, 'loss', false);
  checkSpec('metrics', [...METRIC_NAMES, ...LOSS_NAMES], 'metric', true);
  if (has('dataset') && !(typeof c.dataset === 'string' ? c.dataset !== '' : typeof c.dataset === 'object' && c.dataset !== null && !Array.isArray(c.dataset)))
    bad('dataset', msg('want.dataset'));
  if (has('classNames') && !(Array.isArray(c.classNames) && c.classNames.every((n) => typeof n === 'string'))) bad('classNames', msg('want.strings'));
  return c as ContractConfig;
}

// ---- loading the file ------------------------------------------------------------------------

/**
 * Bundles and evaluates the model file and resolves its exports. `importTf` is what the file's tfjs
 * imports resolve to (default `tf`; summary passes a wrapper that notes where layers are made).
 */
export async function loadModelContract(tf: TF, modelFile: string, opts: { importTf?: unknown } = {}): Promise<ModelContract> {
  const file = path.resolve(modelFile);
  const bundled = await bundleFile(opts.importTf ?? tf, file);
  const mapStack = bundled.mapStack;
  const fail = (e: unknown, during: string): never => {
    throw new RunFailure(toRunError(e, { modelFile: file, mapStack, during }));
  };
  let exp: unknown;
  try {
    exp = bundled.evaluate();
  } catch (e) {
    fail(e, msg('model.loadingFailed', base(file)));
  }

  const named = (typeof exp === 'object' && exp !== null ? exp : {}) as Record<string, unknown>;
  // `export default { createModel, config, loadData }` is read like named exports.
  const defaultObj = named.default;
  const fromDefault =
    typeof defaultObj === 'object' && defaultObj !== null && !isLayersModel(defaultObj) && 'createModel' in defaultObj
      ? (defaultObj as Record<string, unknown>)
      : undefined;
  const pickExport = (key: string) => (named[key] !== undefined ? named[key] : fromDefault?.[key]);

  let createName = 'createModel';
  let create = pickExport('createModel');
  if (create === undefined) {
    createName = 'default export';
    create = typeof exp === 'function' ? exp : named.default;
  }
  const found = Object.keys(named).filter((k) => k !== '__esModule');
  if (create === undefined)
    throw new RunFailure({
      message: msg('model.noCreateModel', base(file), found.length ? found.join(', ') : msg('model.noExports')),
      file,
    });
  const needs = msg('want.layersModelFactory');
  if (isLayersModel(create))
    throw new RunFailure({
      message: msg('model.createNotFunctionFresh', base(file), createName, describeValue(create), needs),
      file,
    });
  if (isClass(create) || typeof create !== 'function')
    throw new RunFailure({ message: msg('model.createNotFunction', base(file), createName, describeValue(create), needs), file });
  const createFn = create as () => unknown;

  const loadDataExport = pickExport('loadData');
  if (loadDataExport !== undefined && (typeof loadDataExport !== 'function' || isClass(loadDataExport)))
    throw new RunFailure({
      message: msg('model.loadDataNotFunction', base(file), describeValue(loadDataExport)),
      file,
    });
  const config = validateContractConfig(pickExport('config'), file);

  return {
    file,
    config,
    mapStack,
    hasLoadData: loadDataExport !== undefined,
    createModel: async () => {
      let model: unknown;
      try {
        model = await createFn();
      } catch (e) {
        fail(e, msg('model.createFailed', createName === 'createModel' ? 'createModel()' : msg('model.theDefaultExport')));
      }
      if (!isLayersModel(model))
        throw new RunFailure({
          message: msg('model.notLayersModel', createName === 'createModel' ? 'createModel()' : msg('model.theDefaultExport'), base(file), describeValue(model)),
          file,
        });
      if (!model.inputs || model.inputs.length === 0)
        throw new RunFailure({ message: msg('model.noInputShape', base(file)), file });
      return model;
    },
    loadData: async () => {
      if (loadDataExport === undefined) return undefined;
      let raw: unknown;
      try {
        raw = await (loadDataExport as () => unknown)();
      } catch (e) {
        fail(e, msg('model.loadDataFailed'));
      }
      return checkLoadDataResult(raw, file);
    },
  };
}

function checkTensorArg(v: unknown, what: string, file: string): TensorArg {
  const wrong = (found: string): never => {
    throw new RunFailure({
      message: msg('data.tensorArg', base(file), what, found),
      file,
    });
  };
  if (isTensor(v)) return v;
  if (Array.isArray(v)) {
    if (v.length === 0 || !v.every(isTensor)) wrong(`${describeValue(v)}${v.every((e) => typeof e === 'number' || Array.isArray(e)) ? ' (wrap plain arrays with tf.tensor(...))' : ''}`);
    return v as Tensor[];
  }
  if (typeof v === 'object' && v !== null && !isDataset(v) && Object.keys(v).length > 0 && Object.values(v).every(isTensor)) return v as Record<string, Tensor>;
  return wrong(describeValue(v));
}

/** A NaN or ±Infinity in loadData()'s tensors fails the run at load, naming the tensor and its first bad index. */
function checkFiniteTensors(data: TrainingData, file: string): TrainingData {
  if (data.kind !== 'tensors') return data; // a tf.data.Dataset is checked batch by batch (loss) and epoch by epoch (weights)
  const named = (arg: TensorArg, key: string): { t: Tensor; name: string }[] =>
    isTensor(arg) ? [{ t: arg, name: key }] : Array.isArray(arg) ? arg.map((t, i) => ({ t, name: `${key}[${i}]` })) : Object.entries(arg).map(([k, t]) => ({ t, name: `${key}.${k}` }));
  const all = [...named(data.xs, 'xs'), ...named(data.ys, 'ys')];
  if (data.validation && !isDataset(data.validation)) all.push(...named(data.validation.xs, 'validation.xs'), ...named(data.validation.ys, 'validation.ys'));
  for (const { t, name } of all) {
    const bad = nonFiniteInTensor(t, name);
    if (bad)
      throw new RunFailure({
        message: msg('data.loadDataNotFinite', base(file), describeNonFinite(bad), t.shape.join(',')),
        file,
      });
  }
  return data;
}

/** Checks loadData()'s result (forms, and finite values in tensors); throws a RunFailure saying what is wrong. */
export function checkLoadDataResult(raw: unknown, file: string): TrainingData {
  return checkFiniteTensors(checkLoadDataShape(raw, file), file);
}

function checkLoadDataShape(raw: unknown, file: string): TrainingData {
  if (isDataset(raw)) return { kind: 'dataset', dataset: raw };
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const o = raw as Record<string, unknown>;
    const validation = (): DatasetData['validation'] => {
      const v = o.validation;
      if (v === undefined) return undefined;
      if (isDataset(v)) return v;
      if (typeof v === 'object' && v !== null && 'xs' in v && 'ys' in v)
        return { xs: checkTensorArg((v as { xs: unknown }).xs, 'validation.xs', file), ys: checkTensorArg((v as { ys: unknown }).ys, 'validation.ys', file) };
      throw new RunFailure({ message: msg('data.validationForm', base(file), describeValue(v)), file });
    };
    if (isDataset(o.train)) return { kind: 'dataset', dataset: o.train, validation: validation() };
    if ('xs' in o || 'ys' in o) {
      const v = validation();
      if (v !== undefined && isDataset(v))
        throw new RunFailure({ message: msg('data.validationMixed', base(file)), file });
      return { kind: 'tensors', xs: checkTensorArg(o.xs, 'xs', file), ys: checkTensorArg(o.ys, 'ys', file), ...(v ? { validation: v } : {}) };
    }
  }
  throw new RunFailure({
    message: msg('data.loadDataForm', base(file), describeValue(raw)),
    file,
  });
}

// ---- data vs model ---------------------------------------------------------------------------

type Shape = readonly (number | null)[];
// The model's batch axis reads `batch`, the data's first axis `N` (its sample count), as formatShape writes shapes everywhere.
const fmt = (s: Shape, batch: 'null' | 'N') => formatShape([null, ...s.slice(1)], batch === 'null' ? 'batch' : 'N');

function ioNamesOf(model: LayersModel, which: 'input' | 'output'): string[] {
  const own = which === 'input' ? model.inputNames : model.outputNames;
  if (own && own.length) return own;
  return (which === 'input' ? model.inputs : model.outputs).map((t) => t.sourceLayer?.name ?? t.name);
}

/** Orders tensors like the model's inputs/outputs, naming each for messages (`xs[1]`, `ys.score`). */
function labelled(model: LayersModel, arg: TensorArg, which: 'input' | 'output', source: string, file?: string): { t: Tensor; label: string }[] {
  const key = which === 'input' ? 'xs' : 'ys';
  const names = ioNamesOf(model, which);
  const count = which === 'input' ? model.inputs.length : model.outputs.length;
  if (isTensor(arg)) {
    if (count !== 1)
      throw new RunFailure({ message: msg('io.oneTensor', count, msg(which === 'input' ? 'io.input' : 'io.output'), names.join(', '), source, key), file });
    return [{ t: arg, label: `${source} ${key}` }];
  }
  if (Array.isArray(arg)) {
    if (arg.length !== count)
      throw new RunFailure({ message: msg(count === 1 ? 'io.countMismatchOne' : 'io.countMismatch', count, msg(which === 'input' ? 'io.input' : 'io.output'), names.join(', '), source, arg.length, key), file });
    return arg.map((t, i) => ({ t, label: `${source} ${key}[${i}]` }));
  }
  return names.map((n) => {
    if (!arg[n])
      throw new RunFailure({ message: `The model ${which} "${n}" has no tensor in ${source} ${key} (it has: ${Object.keys(arg).join(', ')})`, file });
    return { t: arg[n], label: `${source} ${key}.${n}` };
  });
}

/** The loss name used for each output, when it is known by name (for sparse label shapes). */
function lossNamesPerOutput(model: LayersModel, loss: unknown): (string | undefined)[] {
  const names = ioNamesOf(model, 'output');
  return names.map((n, i) => {
    const l = Array.isArray(loss) ? loss[i] : typeof loss === 'object' && loss !== null && typeof loss !== 'function' ? (loss as Record<string, unknown>)[n] : loss;
    if (typeof l === 'string') return l;
    return typeof l === 'function' && l.name ? l.name : undefined;
  });
}

const isSparseLoss = (l: string | undefined) => l === 'sparseCategoricalCrossentropy';

/**
 * Checks tensors against the model before fit: counts, per-input and per-output shapes (naming the
 * input/output and both shapes) and equal sample counts. `loss` (the compiled or configured loss)
 * lets class-index labels ([N] or [N,1]) pass for a sparse loss.
 */
export function checkTensorsFitModel(model: LayersModel, data: { xs: TensorArg; ys: TensorArg }, opts: { source: string; file?: string; loss?: unknown }): void {
  const { source, file } = opts;
  const fail = (message: string): never => {
    throw new RunFailure({ message, file });
  };
  const inNames = ioNamesOf(model, 'input');
  const outNames = ioNamesOf(model, 'output');
  const xs = labelled(model, data.xs, 'input', source, file);
  const ys = labelled(model, data.ys, 'output', source, file);
  const n = xs[0].t.shape[0];
  // tfjs would fail deep inside fit naming an internal op; name the data instead.
  for (const { t, label } of [...xs, ...ys])
    if (t.dtype === 'string') fail(`${label} is a string tensor; the model needs numbers: parse the values first (e.g. Number(value))`);
  for (const { t, label } of [...xs, ...ys]) if (t.shape[0] !== n) fail(`${label} has ${t.shape[0]} samples but ${xs[0].label} has ${n}`);
  const fits = (m: Shape, d: Shape) => m.length === d.length && m.every((v, i) => i === 0 || v === null || v === d[i]);
  xs.forEach(({ t, label }, i) => {
    const want = model.inputs[i].shape;
    if (!fits(want, t.shape)) fail(`Model input "${inNames[i]}" expects ${fmt(want, 'null')} but ${label} is ${fmt(t.shape, 'N')}`);
  });
  const loss = opts.loss ?? (model as { loss?: unknown }).loss;
  const losses = lossNamesPerOutput(model, loss);
  ys.forEach(({ t, label }, i) => {
    const want = model.outputs[i].shape;
    const classIndices = t.rank === 1 || (t.rank === 2 && t.shape[1] === 1);
    // No loss chosen yet (compileIfNeeded runs after this check): class indices may still get a sparse loss.
    if (loss === undefined && classIndices && want.length === 2 && (want[1] ?? 0) > 1) return;
    if (isSparseLoss(losses[i])) {
      if (classIndices) return;
      fail(`Model output "${outNames[i]}" uses sparseCategoricalCrossentropy, so its labels must be class indices [N] or [N,1], but ${label} is ${fmt(t.shape, 'N')}`);
    }
    // tfjs turns [N] labels into [N,1].
    const shape = t.rank === 1 && want.length === 2 && want[1] === 1 ? [t.shape[0], 1] : t.shape;
    if (!fits(want, shape)) fail(`Model output "${outNames[i]}" is ${fmt(want, 'null')} but ${label} is ${fmt(t.shape, 'N')}`);
  });
}

// ---- compiling -------------------------------------------------------------------------------

const LOSS_FOR_LABELS = {
  onehot: 'categoricalCrossentropy',
  sparse: 'sparseCategoricalCrossentropy',
  binary: 'binaryCrossentropy',
} as const;

/** The loss (and metrics) the labels of one output call for, or undefined when they say nothing clear. */
export function inferLoss(tf: TF, model: LayersModel, outIndex: number, y: Tensor): { loss: string; metrics: string[] } | undefined {
  const kind = inferLabelKind(tf, model, outIndex, y);
  switch (kind.kind) {
    case 'classification':
      return { loss: LOSS_FOR_LABELS[kind.labels], metrics: ['accuracy'] };
    case 'regression':
      return { loss: 'meanSquaredError', metrics: [] };
    case 'unclear':
      return undefined;
  }
}

/** The optimizer config.optimizer names, at config.learningRate (or its default); an instance as given. */
export function makeOptimizer(tf: TF, config: ContractConfig): tfTypes.Optimizer {
  const o = config.optimizer ?? 'adam';
  if (typeof o !== 'string') return o;
  const lr = config.learningRate ?? DEFAULT_LEARNING_RATES[o];
  switch (o) {
    case 'adam':
      return tf.train.adam(lr);
    case 'sgd':
      return tf.train.sgd(lr);
    case 'rmsprop':
      return tf.train.rmsprop(lr);
    case 'adagrad':
      return tf.train.adagrad(lr);
    case 'adadelta':
      return tf.train.adadelta(lr);
    case 'adamax':
      return tf.train.adamax(lr);
  }
}

/**
 * The first element of a dataset as tensors, to look at. Elements of tf.data.array(...) before
 * .batch() are plain numbers/arrays; those become tensors here (and are disposed with the rest).
 */
async function peekElement(tf: TF, ds: Dataset): Promise<{ xs?: TensorArg; ys?: TensorArg; raw: unknown; dispose(): void } | undefined> {
  const it = await ds.iterator();
  const r = await it.next();
  if (r.done) return undefined;
  const made: Tensor[] = [];
  const asTensors = (v: unknown): TensorArg | undefined => {
    if (v === undefined || v === null) return undefined;
    if (isTensor(v)) return v;
    if (typeof v === 'number' || (Array.isArray(v) && !v.some(isTensor))) {
      const t = tf.tensor(v as number[]);
      made.push(t);
      return t;
    }
    if (Array.isArray(v)) return v as Tensor[];
    if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asTensors(x) as Tensor]));
    return undefined;
  };
  const el = r.value as { xs?: unknown; ys?: unknown };
  const out = { xs: asTensors(el?.xs), ys: asTensors(el?.ys), raw: r.value as unknown };
  return {
    ...out,
    dispose: () => {
      tf.dispose(made);
      tf.dispose(r.value as tfTypes.TensorContainer);
    },
  };
}

/**
 * Compiles the model when createModel() did not: optimizer, learningRate, loss and metrics from the
 * config, and a loss (with metrics) inferred from the labels where the config has none. Returns a
 * line for the log, or undefined when the model was already compiled (config values it would have
 * used are then named in the line instead of silently ignored).
 */
export async function compileIfNeeded(tf: TF, model: LayersModel, config: ContractConfig, data: TrainingData | undefined, file: string): Promise<string | undefined> {
  if (model.optimizer != null) {
    const ignored = ['optimizer', 'learningRate', 'loss', 'metrics'].filter((k) => config[k] !== undefined);
    return ignored.length ? `createModel() compiled the model itself, so config.${ignored.join(', config.')} ${ignored.length > 1 ? 'are' : 'is'} not used.` : undefined;
  }
  const outNames = ioNamesOf(model, 'output');
  let loss: LossSpec | undefined = config.loss;
  let metrics: MetricsSpec | undefined = config.metrics;
  const inferredFrom = async (): Promise<string | undefined> => {
    if (loss !== undefined || !data) return undefined;
    let ys: TensorArg | undefined;
    let dispose: (() => void) | undefined;
    if (data.kind === 'tensors') ys = data.ys;
    else {
      const el = await peekElement(tf, data.dataset);
      ys = el?.ys;
      dispose = el?.dispose;
    }
    try {
      if (!ys) return undefined;
      const list = labelled(model, ys, 'output', 'the data', file).map((l) => l.t);
      const found = list.map((y, i) => inferLoss(tf, model, i, y));
      if (found.some((f) => f === undefined)) {
        const i = found.findIndex((f) => f === undefined);
        return `labels ${fmt(list[i].shape, 'N')} ${list[i].dtype} do not match output "${outNames[i]}" ${fmt(model.outputs[i].shape, 'null')}`;
      }
      loss = found.length === 1 ? found[0]!.loss : Object.fromEntries(found.map((f, i) => [outNames[i], f!.loss]));
      if (metrics === undefined) {
        const m = found.map((f) => f!.metrics);
        metrics = found.length === 1 ? m[0] : Object.fromEntries(m.map((x, i) => [outNames[i], x]));
      }
      return 'inferred';
    } finally {
      dispose?.();
    }
  };
  const inferred = await inferredFrom();
  if (loss === undefined)
    throw new RunFailure({
      message: msg('model.notCompiled', base(file), inferred ? msg('model.noLossInferred', inferred) : ''),
      file,
    });
  const optimizer = makeOptimizer(tf, config);
  try {
    model.compile({ optimizer, loss: loss as string, metrics: metrics as string[] | undefined });
  } catch (e) {
    optimizer.dispose();
    throw new RunFailure(toRunError(e, { modelFile: file, during: msg('model.compileFailed', base(file)) }));
  }
  const optName = typeof config.optimizer === 'object' ? className(config.optimizer) ?? 'the given optimizer' : `${config.optimizer ?? 'adam'} (learning rate ${config.learningRate ?? DEFAULT_LEARNING_RATES[(config.optimizer as OptimizerName) ?? 'adam']})`;
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'function' ? x.name || 'function' : x)));
  return `createModel() returned an uncompiled model: compiled with ${optName}, loss ${show(loss)}${config.loss === undefined ? ' (inferred from the labels)' : ''}${metrics !== undefined && (!Array.isArray(metrics) || metrics.length) ? `, metrics ${show(metrics)}` : ''}.`;
}

// ---- preparing and fitting -------------------------------------------------------------------

/**
 * Checks the data against the (compiled) model. A dataset whose elements are single samples (their
 * xs lack the batch axis) is batched by `batchSize`, and the returned data says so in `note`.
 */
export async function prepareData(
  tf: TF,
  model: LayersModel,
  data: TrainingData,
  opts: { batchSize: number; source: string; file?: string },
): Promise<{ data: TrainingData; note?: string }> {
  if (data.kind === 'tensors') {
    checkTensorsFitModel(model, data, { source: opts.source, file: opts.file });
    if (data.validation) checkTensorsFitModel(model, data.validation, { source: `${opts.source} validation`, file: opts.file });
    return { data };
  }
  const el = await peekElement(tf, data.dataset);
  if (!el) throw new RunFailure({ message: msg('io.emptyDataset', opts.source), file: opts.file });
  try {
    if (el.xs === undefined || el.ys === undefined)
      throw new RunFailure({ message: msg('io.badElements', opts.source, describeValue(el.raw)), file: opts.file });
    const firstX = labelled(model, el.xs, 'input', opts.source, opts.file)[0];
    let dataset = data.dataset;
    let note: string | undefined;
    if (firstX.t.rank === model.inputs[0].shape.length - 1) {
      dataset = dataset.batch(opts.batchSize);
      note = `${opts.source} gave single samples; batched them by ${opts.batchSize} (config.batchSize).`;
      const x1 = tf.tidy(() => firstX.t.expandDims(0));
      const y1 = labelled(model, el.ys, 'output', opts.source, opts.file).map(({ t }) => tf.tidy(() => t.expandDims(0)));
      try {
        checkTensorsFitModel(model, { xs: model.inputs.length === 1 ? x1 : [x1], ys: y1 }, { source: `${opts.source} (first sample)`, file: opts.file });
      } finally {
        tf.dispose([x1, ...y1]);
      }
    } else if (model.inputs.length === 1 && model.outputs.length === 1) {
      checkTensorsFitModel(model, { xs: el.xs, ys: el.ys }, { source: `${opts.source} (first batch)`, file: opts.file });
    }
    return { data: { ...data, dataset }, note };
  } finally {
    el.dispose();
  }
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  validationSplit: number;
  shuffle: boolean;
  callbacks?: tfTypes.ModelFitArgs['callbacks'];
  initialEpoch?: number;
  yieldEvery?: tfTypes.ModelFitArgs['yieldEvery'];
}

/** Batches per epoch as fit will run them; undefined for a dataset of unknown length. */
export function batchesPerEpoch(data: TrainingData, opts: Pick<FitOptions, 'batchSize' | 'validationSplit'>): number | undefined {
  if (data.kind === 'dataset') return Number.isFinite(data.dataset.size) && data.dataset.size > 0 ? data.dataset.size : undefined;
  const first = isTensor(data.xs) ? data.xs : Array.isArray(data.xs) ? data.xs[0] : Object.values(data.xs)[0];
  const n = first.shape[0];
  const train = data.validation ? n : Math.floor(n * (1 - opts.validationSplit));
  return Math.ceil(train / opts.batchSize);
}

/** Fits tensors with fit (validation given or split off) or a dataset with fitDataset. */
export function fitWithData(model: LayersModel, data: TrainingData, opts: FitOptions): Promise<tfTypes.History> {
  const common = { epochs: opts.epochs, callbacks: opts.callbacks, initialEpoch: opts.initialEpoch, yieldEvery: opts.yieldEvery, verbose: 0 as const };
  if (data.kind === 'tensors') {
    return model.fit(data.xs as Tensor, data.ys as Tensor, {
      ...common,
      batchSize: opts.batchSize,
      shuffle: opts.shuffle,
      ...(data.validation
        ? { validationData: [data.validation.xs as Tensor, data.validation.ys as Tensor] as [Tensor, Tensor] }
        : { validationSplit: opts.validationSplit }),
    });
  }
  const v = data.validation;
  return model.fitDataset(data.dataset, {
    ...common,
    ...(v ? { validationData: isDataset(v) ? v : ([v.xs as Tensor, v.ys as Tensor] as [Tensor, Tensor]) } : {}),
  });
}

/** Disposes the tensors of loadData()'s result (a dataset's tensors belong to its iterator). */
export function disposeTrainingData(tf: TF, data: TrainingData | undefined): void {
  if (!data || data.kind !== 'tensors') return;
  const all = tensorsOf;
  tf.dispose([...all(data.xs), ...all(data.ys), ...(data.validation ? [...all(data.validation.xs), ...all(data.validation.ys)] : [])]);
}
