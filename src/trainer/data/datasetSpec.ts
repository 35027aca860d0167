/**
 * What a model file may put in `config.dataset`, and the validator that turns it into a checked,
 * typed spec. Pure (no fs, no tfjs) so the extension host, the wizard and the trainer share it.
 * Relative paths are resolved against the model file's folder, because that is where a user puts
 * data next to their model, whatever the trainer's working directory is.
 */
import * as path from 'node:path';
import type { DatasetObjectSpec, DatasetSpec, DatasetType } from '../../protocol/datasetSpec';
import { msg } from '../messages';

/** Names a model file can use as `config.dataset: '<name>'`. */
export const BUILTIN_DATASET_NAMES = ['mnist', 'iris', 'spiral', 'blobs', 'xor', 'sine'] as const;
export type DatasetName = (typeof BUILTIN_DATASET_NAMES)[number];

export type {
  Cifar10Spec,
  BlobsSpec,
  ColumnRef,
  CsvSpec,
  DatasetObjectSpec,
  DatasetSpec,
  DatasetType,
  IdxSpec,
  ImagesSpec,
  NpySpec,
  SineSpec,
  SpiralSpec,
  TextSpec,
  TimeseriesSpec,
  XorSpec,
} from '../../protocol/datasetSpec';
export { describeDatasetSpec } from '../../protocol/datasetSpec';

/** How each option is checked. */
type Check =
  | 'path'
  | 'string'
  | 'boolean'
  | 'int'
  | 'posInt'
  | 'number'
  | 'nonNeg'
  | 'fraction'
  | 'column'
  | 'columns'
  | 'strings'
  | 'size2'
  | 'centers'
  | 'url'
  | 'sha256'
  | readonly (string | number)[];

interface OptionRule {
  check: Check;
  required?: boolean;
}

const seed: OptionRule = { check: 'int' };
const size: OptionRule = { check: 'posInt' };
const noise: OptionRule = { check: 'nonNeg' };

const RULES: Record<DatasetType, Record<string, OptionRule>> = {
  csv: {
    path: { check: 'path', required: true },
    delimiter: { check: [',', '\t', ';'] },
    header: { check: 'boolean' },
    label: { check: 'column' },
    features: { check: 'columns' },
    categorical: { check: 'columns' },
    normalize: { check: ['zscore', 'minmax', 'none'] },
    task: { check: ['classification', 'regression'] },
    missing: { check: ['impute', 'drop'] },
    missingValues: { check: 'strings' },
    maxCategories: { check: 'posInt' },
    stream: { check: 'boolean' },
    validation: { check: 'fraction' },
    shuffle: { check: 'boolean' },
    seed,
  },
  text: {
    path: { check: 'path', required: true },
    mode: { check: ['generate', 'classify'] },
    level: { check: ['char', 'word'] },
    lowercase: { check: 'boolean' },
    maxVocab: { check: 'posInt' },
    window: { check: 'posInt' },
    step: { check: 'posInt' },
    targets: { check: ['onehot', 'index'] },
    length: { check: 'posInt' },
    textColumn: { check: 'column' },
    labelColumn: { check: 'column' },
    shuffle: { check: 'boolean' },
    seed,
  },
  timeseries: {
    path: { check: 'path', required: true },
    column: { check: 'column' },
    window: { check: 'posInt' },
    horizon: { check: 'posInt' },
    step: { check: 'posInt' },
    validation: { check: 'fraction' },
    scale: { check: ['standard', 'minmax', 'none'] },
    missing: { check: ['interpolate', 'error'] },
  },
  npy: { path: { check: 'path', required: true }, labels: { check: 'path', required: true }, classes: { check: 'posInt' } },
  idx: {
    path: { check: 'path' },
    labels: { check: 'path' },
    url: { check: 'url' },
    labelsUrl: { check: 'url' },
    sha256: { check: 'sha256' },
    labelsSha256: { check: 'sha256' },
    classes: { check: 'posInt' },
  },
  cifar10: { path: { check: 'path' }, url: { check: 'url' }, sha256: { check: 'sha256' }, split: { check: ['train', 'test'] } },
  images: { path: { check: 'path', required: true }, size: { check: 'size2' }, channels: { check: [1, 3] } },
  spiral: { size, arms: { check: 'posInt' }, noise, turns: { check: 'number' }, seed },
  blobs: { size, centers: { check: 'centers' }, std: { check: 'nonNeg' }, seed },
  xor: { size, noise, seed },
  sine: { size, noise, xMin: { check: 'number' }, xMax: { check: 'number' }, amplitude: { check: 'number' }, frequency: { check: 'number' }, seed },
};

/** Options of which exactly one must be given: [local path, URL]. */
const EITHER: Partial<Record<DatasetType, [string, string][]>> = {
  idx: [
    ['path', 'url'],
    ['labels', 'labelsUrl'],
  ],
  cifar10: [['path', 'url']],
};

export const DATASET_TYPES: readonly DatasetType[] = Object.keys(RULES) as DatasetType[];

/** A config.dataset value that cannot be used; `message` names the model file and the option. */
export class DatasetSpecError extends Error {
  constructor(
    message: string,
    readonly modelFile: string,
  ) {
    super(message);
    this.name = 'DatasetSpecError';
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isColumn = (v: unknown) => (typeof v === 'string' && v !== '') || (typeof v === 'number' && Number.isInteger(v));

function want(check: Check): string {
  if (Array.isArray(check)) return msg('spec.want.oneOf', check.map((c) => JSON.stringify(c)).join(', '));
  switch (check) {
    case 'path':
      return msg('spec.want.path');
    case 'string':
      return msg('spec.want.string');
    case 'boolean':
      return msg('spec.want.boolean');
    case 'int':
      return msg('spec.want.int');
    case 'posInt':
      return msg('spec.want.posInt');
    case 'number':
      return msg('spec.want.number');
    case 'nonNeg':
      return msg('spec.want.nonNeg');
    case 'fraction':
      return msg('spec.want.fraction');
    case 'column':
      return msg('spec.want.column');
    case 'columns':
      return msg('spec.want.columns');
    case 'strings':
      return msg('spec.want.strings');
    case 'size2':
      return msg('spec.want.size2');
    case 'centers':
      return msg('spec.want.centers');
    case 'url':
      return msg('spec.want.url');
    case 'sha256':
      return msg('spec.want.sha256');
  }
  return String(check);
}

function valid(v: unknown, check: Check): boolean {
  if (Array.isArray(check)) return check.includes(v as string | number);
  switch (check) {
    case 'path':
    case 'string':
      return typeof v === 'string' && (check === 'string' || v !== '');
    case 'boolean':
      return typeof v === 'boolean';
    case 'int':
      return typeof v === 'number' && Number.isInteger(v);
    case 'posInt':
      return typeof v === 'number' && Number.isInteger(v) && v >= 1;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'nonNeg':
      return typeof v === 'number' && Number.isFinite(v) && v >= 0;
    case 'fraction':
      return typeof v === 'number' && v >= 0 && v < 1;
    case 'column':
      return isColumn(v);
    case 'columns':
      return Array.isArray(v) && v.length > 0 && v.every(isColumn);
    case 'strings':
      return Array.isArray(v) && v.every((s) => typeof s === 'string');
    case 'size2':
      return Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 1);
    case 'url':
      return typeof v === 'string' && /^https?:\/\/[^\s]+$/i.test(v);
    case 'sha256':
      return typeof v === 'string' && /^[0-9a-fA-F]{64}$/.test(v);
    case 'centers':
      if (typeof v === 'number') return Number.isInteger(v) && v >= 2;
      return (
        Array.isArray(v) &&
        v.length >= 2 &&
        v.every((p) => Array.isArray(p) && p.length >= 1 && p.length === (v[0] as unknown[]).length && p.every((n) => typeof n === 'number' && Number.isFinite(n)))
      );
  }
  return false;
}

/**
 * Checks a `config.dataset` value and returns it typed, with every path made absolute. Throws a
 * DatasetSpecError that says what is wrong and what would be right.
 */
export function parseDatasetSpec(value: unknown, modelFile: string, knownNames: readonly string[] = BUILTIN_DATASET_NAMES): DatasetSpec {
  const base = path.basename(modelFile);
  const fail = (message: string): never => {
    throw new DatasetSpecError(message, modelFile);
  };
  if (typeof value === 'string') {
    if (!knownNames.includes(value)) fail(msg('spec.unknownName', base, value, knownNames.join(', '), DATASET_TYPES.join(', ')));
    return value;
  }
  if (!isObj(value)) return fail(msg('spec.notObject', base, knownNames.join(', '), value === null ? 'null' : Array.isArray(value) ? msg('spec.anArray') : typeof value));
  const type = value.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(RULES, type))
    return fail(type === undefined ? msg('spec.typeMissing', base, DATASET_TYPES.join(', ')) : msg('spec.typeUnknown', base, JSON.stringify(type), DATASET_TYPES.join(', ')));
  const rules = RULES[type as DatasetType];
  const out: Record<string, unknown> = { type };
  for (const [key, v] of Object.entries(value)) {
    if (key === 'type' || v === undefined) continue;
    const rule = Object.prototype.hasOwnProperty.call(rules, key) ? rules[key] : undefined;
    if (!rule) fail(msg('spec.notAnOption', base, key, type, Object.keys(rules).join(', ') || msg('spec.none')));
    else if (!valid(v, rule.check)) fail(msg('spec.mustBe', base, key, want(rule.check), String(JSON.stringify(v))));
    else out[key] = rule.check === 'path' ? path.resolve(path.dirname(modelFile), v as string) : v;
  }
  for (const [key, rule] of Object.entries(rules)) if (rule.required && out[key] === undefined) fail(msg('spec.missing', base, key, type, want(rule.check)));
  // A file from disk or from the network: exactly one of each pair.
  for (const [local, remote] of EITHER[type as DatasetType] ?? []) {
    if (out[local] !== undefined && out[remote] !== undefined) fail(msg('spec.both', base, local, remote));
    if (out[local] === undefined && out[remote] === undefined) fail(msg('spec.missingEither', base, local, type, want('path'), remote, want('url')));
  }
  for (const [hash, remote] of [['sha256', 'url'], ['labelsSha256', 'labelsUrl']] as const)
    if (out[hash] !== undefined && out[remote] === undefined) fail(msg('spec.hashNeedsUrl', base, hash, remote));
  return out as unknown as DatasetObjectSpec;
}
