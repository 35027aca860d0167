/**
 * Dataset previews from the trainer's own loader: real MNIST, iris, CO2 and names through
 * loadDataset + buildPreview, and the model-file path the CLI takes (previewModelFile).
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { previewModelFile } from '../../src/trainer/previewModelFile';
import { parseArgs } from '../../src/cli/args';
import { parseDatasetPreview } from '../../src/protocol/datasetPreview';
import { NAME_VOCAB } from '../../src/trainer/data/builtins/names';
import { loadDataset, type Dataset } from '../../src/trainer/data/datasets';
import { buildPreview, classBalance, classIndices, columnStats } from '../../src/trainer/preview';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function withDataset<T>(name: string, limit: number | undefined, fn: (ds: Dataset) => T): T {
  const ds = loadDataset(tf, name, { limit });
  try {
    return fn(ds);
  } finally {
    tf.dispose([ds.xs, ds.ys]);
  }
}

describe('pure helpers', () => {
  it('reads class indices from one-hot rows, a 0/1 column and class ids', () => {
    expect(Array.from(classIndices(Float32Array.from([0, 1, 0, 1, 0, 0, 0, 0, 1]), [3, 3]))).toEqual([1, 0, 2]);
    expect(Array.from(classIndices(Float32Array.from([0, 1, 1]), [3, 1]))).toEqual([0, 1, 1]);
    expect(Array.from(classIndices(Float32Array.from([4, 2]), [2]))).toEqual([4, 2]);
  });

  it('counts every named class, empty ones too', () => {
    expect(classBalance([0, 2, 2], ['a', 'b', 'c'])).toEqual([{ name: 'a', count: 1 }, { name: 'b', count: 0 }, { name: 'c', count: 2 }]);
  });

  it('computes column statistics and skips non-finite values', () => {
    const s = columnStats([1, 10, 3, NaN], 2, 2, ['a', 'b']);
    expect(s[0]).toMatchObject({ name: 'a', min: 1, max: 3, mean: 2, std: 1 });
    expect(s[1]).toMatchObject({ name: 'b', min: 10, max: 10, mean: 10, std: 0 });
  });
});

describe('buildPreview on real data', () => {
  it('MNIST: a grid of 24 labelled 28x28 gray images and a balance over 10 digits that adds up', () => {
    const p = withDataset('mnist', 2000, (ds) => buildPreview(ds, { modelFile: '/m.model.ts', dataset: 'mnist' }));
    expect(p.kind).toBe('image');
    expect(p.count).toBe(2000);
    expect(p.xShape).toEqual([2000, 28, 28, 1]);
    expect(p.images).toHaveLength(24);
    for (const img of p.images!) {
      expect(img.input).toMatchObject({ width: 28, height: 28, channels: 1 });
      expect(img.input.pixels).toHaveLength(784);
      expect(Math.max(...img.input.pixels)).toBeGreaterThan(200); // ink
      expect(Math.min(...img.input.pixels)).toBe(0); // background
      expect(img.label).toMatch(/^\d$/);
    }
    expect(p.classBalance!.map((c) => c.name)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(p.classBalance!.reduce((a, c) => a + c.count, 0)).toBe(2000);
    // Real digits are roughly balanced: no class under 5% or over 15% of 2,000.
    for (const c of p.classBalance!) expect(c.count).toBeGreaterThan(100), expect(c.count).toBeLessThan(300);
    expect(parseDatasetPreview(JSON.parse(JSON.stringify(p)))).toBeDefined();
  });

  it('iris: 50 of each species, the first rows and the known column means', () => {
    const p = withDataset('iris', undefined, (ds) => buildPreview(ds, { modelFile: '/i.model.ts', dataset: 'iris' }));
    expect(p.kind).toBe('tabular');
    expect(p.classBalance).toEqual([{ name: 'setosa', count: 50 }, { name: 'versicolor', count: 50 }, { name: 'virginica', count: 50 }]);
    expect(p.table!.rows).toHaveLength(10);
    expect(p.table!.columns).toEqual(['x0', 'x1', 'x2', 'x3', 'label']);
    expect(['setosa', 'versicolor', 'virginica']).toContain(p.table!.rows[0][4]);
    // Fisher's iris: sepal length mean 5.843, petal length mean 3.758 (cm).
    expect(p.table!.stats[0].mean).toBeCloseTo(5.843, 3);
    expect(p.table!.stats[2].mean).toBeCloseTo(3.758, 3);
    expect(p.table!.stats[0]).toMatchObject({ min: 4.3, max: 7.9 });
    expect(parseDatasetPreview(JSON.parse(JSON.stringify(p)))).toBeDefined();
  });

  it('co2: the head of the series in ppm, rebuilt from overlapping windows', () => {
    const p = withDataset('co2', undefined, (ds) => buildPreview(ds, { modelFile: '/c.model.ts', dataset: 'co2' }));
    expect(p.kind).toBe('timeseries');
    expect(p.series!.values.length).toBe(12 + 59);
    // Mauna Loa in 1958–1964: between 310 and 325 ppm.
    for (const v of [...p.series!.values, ...p.series!.target]) expect(v).toBeGreaterThan(310), expect(v).toBeLessThan(325);
    expect(p.series!.note).toMatch(/column's units/);
  });

  it('names-gender: decoded names with their label, padding left out', () => {
    const p = withDataset('names-gender', 50, (ds) => buildPreview(ds, { modelFile: '/n.model.ts', dataset: 'names-gender', tokens: NAME_VOCAB, padIds: [0] }));
    expect(p.kind).toBe('text');
    expect(p.texts).toHaveLength(8);
    for (const t of p.texts!) {
      expect(t.text).toMatch(/^[a-z-]+$/);
      expect(['male', 'female']).toContain(t.label);
    }
    expect(p.classBalance!.reduce((a, c) => a + c.count, 0)).toBe(50);
  });
});

describe('previewModelFile (what `model-lab preview` prints)', () => {
  it("loads the model file's config.dataset with its limit", async () => {
    const file = path.resolve(__dirname, '../fixtures/workspace/tiny.model.ts');
    const p = await previewModelFile(tf, file);
    expect(p.modelFile).toBe(file);
    expect(p.dataset).toBe('mnist');
    expect(p.count).toBe(512);
    expect(p.images).toHaveLength(24);
    const limited = await previewModelFile(tf, file, { limit: 100 });
    expect(limited.count).toBe(100);
    expect(limited.classBalance!.reduce((a, c) => a + c.count, 0)).toBe(100);
  }, 60_000);
});

describe('model-lab preview arguments', () => {
  it('parses FILE, --json and --limit', () => {
    expect(parseArgs(['preview', 'a.model.ts'])).toEqual({ command: 'preview', file: 'a.model.ts', json: false });
    expect(parseArgs(['preview', '--json', 'a.model.ts', '--limit', '50'])).toEqual({ command: 'preview', file: 'a.model.ts', json: true, limit: 50 });
    expect(parseArgs(['preview', 'a.model.ts', '--limit=7'])).toMatchObject({ limit: 7 });
  });

  it('refuses a missing file, two files, a bad limit and unknown options', () => {
    expect(parseArgs(['preview'])).toMatchObject({ command: 'usageError' });
    expect(parseArgs(['preview', 'a.ts', 'b.ts'])).toMatchObject({ command: 'usageError' });
    expect(parseArgs(['preview', 'a.ts', '--limit', '0'])).toMatchObject({ command: 'usageError' });
    expect(parseArgs(['preview', 'a.ts', '--limit'])).toMatchObject({ command: 'usageError' });
    expect(parseArgs(['preview', 'a.ts', '--epochs', '3'])).toMatchObject({ command: 'usageError', message: expect.stringContaining('--epochs') });
  });
});
