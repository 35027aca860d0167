import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { BUILTIN_DATASET_NAMES, DATASET_TYPES, DatasetSpecError, describeDatasetSpec, parseDatasetSpec } from '../../src/trainer/data/datasetSpec';

const modelFile = path.resolve('/work/proj/models/net.model.ts');
const parse = (v: unknown) => parseDatasetSpec(v, modelFile);
const message = (v: unknown): string => {
  try {
    parse(v);
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetSpecError);
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe('parseDatasetSpec', () => {
  test('built-in names pass through; unknown names list the known ones', () => {
    for (const n of BUILTIN_DATASET_NAMES) expect(parse(n)).toBe(n);
    expect(message('cifar-100')).toBe(
      `net.model.ts: config.dataset "cifar-100" is not a known dataset. Known names: ${BUILTIN_DATASET_NAMES.join(', ')}; or an object with a type: ${DATASET_TYPES.join(', ')}`,
    );
    expect(parseDatasetSpec('co2', modelFile, ['mnist', 'co2'])).toBe('co2'); // the registry can pass its own names
  });

  test('relative paths resolve against the model file folder; absolute ones stay', () => {
    expect(parse({ type: 'csv', path: './data/houses.csv', label: 'price' })).toEqual({ type: 'csv', path: path.resolve('/work/proj/models/data/houses.csv'), label: 'price' });
    expect(parse({ type: 'idx', path: '../raw/imgs.gz', labels: 'lbl.gz' })).toEqual({
      type: 'idx',
      path: path.resolve('/work/proj/raw/imgs.gz'),
      labels: path.resolve('/work/proj/models/lbl.gz'),
    });
    const abs = path.resolve('/data/x.npy');
    expect(parse({ type: 'npy', path: abs, labels: abs })).toMatchObject({ path: abs });
    // parsing twice (host, then trainer) changes nothing
    const once = parse({ type: 'text', path: 'corpus.txt', window: 20 });
    expect(parse(once)).toEqual(once);
  });

  test('an unknown type lists the known types', () => {
    expect(message({ type: 'parquet', path: 'x' })).toBe(`net.model.ts: config.dataset.type "parquet" is not known. Known types: ${DATASET_TYPES.join(', ')}`);
    expect(message({ path: 'x.csv' })).toMatch(/\.type is missing\. Known types: csv, text/);
  });

  test('a missing path says what is needed', () => {
    expect(message({ type: 'csv' })).toBe("net.model.ts: config.dataset.path is missing: type 'csv' needs a file or folder path (a non-empty string)");
    expect(message({ type: 'npy', path: 'x.npy' })).toMatch(/\.labels is missing/);
  });

  test('wrong option types and unknown options are named', () => {
    expect(message({ type: 'csv', path: 'a.csv', normalize: 'l2' })).toBe('net.model.ts: config.dataset.normalize must be one of "zscore", "minmax", "none" (got "l2")');
    expect(message({ type: 'spiral', size: 10.5 })).toMatch(/\.size must be a whole number ≥ 1 \(got 10\.5\)/);
    expect(message({ type: 'timeseries', path: 'a.csv', validation: 1 })).toMatch(/validation must be a number from 0 up to/);
    expect(message({ type: 'images', path: 'imgs', size: [28] })).toMatch(/\[height, width\]/);
    expect(message({ type: 'blobs', centers: [[0, 0], [1]] })).toMatch(/list of points of the same length/);
    expect(message({ type: 'csv', path: 'a.csv', lable: 'y' })).toMatch(/\.lable is not an option of type 'csv'\. Its options: path, delimiter, header, label/);
    expect(message(42)).toMatch(/must be a dataset name .* or an object like/);
    expect(message(null)).toMatch(/\(got null\)/);
  });

  test('valid generated specs keep their options', () => {
    expect(parse({ type: 'blobs', centers: [[0, 0], [3, 3]], std: 0.5, seed: 3 })).toEqual({ type: 'blobs', centers: [[0, 0], [3, 3]], std: 0.5, seed: 3 });
    expect(parse({ type: 'sine', size: 100, noise: 0, xMin: -1, xMax: 1 })).toMatchObject({ size: 100 });
  });

  test('describeDatasetSpec names a spec for logs', () => {
    expect(describeDatasetSpec('mnist')).toBe('mnist');
    expect(describeDatasetSpec({ type: 'csv', path: '/a/b/houses.csv' })).toBe('csv houses.csv');
    expect(describeDatasetSpec({ type: 'xor' })).toBe('xor');
  });
});
