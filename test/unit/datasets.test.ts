import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TrainerToHost } from '../../src/protocol/trainer';
import { isStreamingSpec, loadDataset, openStreamingDataset } from '../../src/trainer/data/datasets';
import { runTraining, silenceTfjsNodeBanner } from '../../src/trainer/runTraining';

let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-datasets-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
  // Small real files in every format the registry dispatches, next to a model file.
  const csv = ['x1,x2,color,label'];
  for (let i = 0; i < 200; i++) csv.push(`${(i % 10) / 10},${i % 7},${['red', 'blue'][i % 2]},${i % 10 < 5 ? 'low' : 'high'}`);
  fs.mkdirSync(path.join(dir, 'data'));
  fs.writeFileSync(path.join(dir, 'data/table.csv'), csv.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'data/corpus.txt'), 'hello world. '.repeat(40));
  fs.writeFileSync(path.join(dir, 'data/series.csv'), 't,v\n' + Array.from({ length: 120 }, (_, i) => `${i},${Math.sin(i / 5).toFixed(4)}`).join('\n') + '\n');
  // IDX: 6 images 4x4 and their labels
  const idxImages = Buffer.alloc(16 + 6 * 16);
  idxImages.writeUInt32BE(0x803, 0);
  [6, 4, 4].forEach((d, i) => idxImages.writeUInt32BE(d, 4 + 4 * i));
  for (let i = 0; i < 6 * 16; i++) idxImages[16 + i] = i % 256;
  const idxLabels = Buffer.from([0, 0, 8, 1, 0, 0, 0, 6, 0, 1, 2, 0, 1, 2]);
  fs.writeFileSync(path.join(dir, 'data/img.idx'), idxImages);
  fs.writeFileSync(path.join(dir, 'data/lbl.idx'), idxLabels);
  // NPY v1.0: float32 [4, 3] and int32 [4]
  const npy = (descr: string, shape: number[], body: Buffer) => {
    let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
    header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
    const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
    pre.writeUInt16LE(header.length, 8);
    return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
  };
  fs.writeFileSync(path.join(dir, 'data/x.npy'), npy('<f4', [4, 3], Buffer.from(Float32Array.from({ length: 12 }, (_, i) => i).buffer)));
  fs.writeFileSync(path.join(dir, 'data/y.npy'), npy('<i4', [4], Buffer.from(Int32Array.from([0, 2, 1, 2]).buffer)));
  // CIFAR-10 binary: 3 records of label + 3072 bytes
  fs.mkdirSync(path.join(dir, 'data/cifar'));
  const rec = (label: number) => Buffer.concat([Buffer.from([label]), Buffer.alloc(3072, label * 20)]);
  fs.writeFileSync(path.join(dir, 'data/cifar/data_batch_1.bin'), Buffer.concat([rec(3), rec(7), rec(1)]));
  // Image folder: 2 classes of 2 PNGs, 5x5
  for (const cls of ['cat', 'dog'])
    for (let k = 0; k < 2; k++) {
      const png = new PNG({ width: 5, height: 5 });
      png.data.fill(cls === 'cat' ? 40 : 200);
      fs.mkdirSync(path.join(dir, 'data/imgs', cls), { recursive: true });
      fs.writeFileSync(path.join(dir, 'data/imgs', cls, `${k}.png`), PNG.sync.write(png));
    }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const modelFile = () => path.join(dir, 'm.model.ts');

describe('built-in names', () => {
  test('iris: 150 real flowers, 4 features, 3 species, classes mixed by the shuffle', () => {
    const d = loadDataset(tf, 'iris');
    expect(d.xs.shape).toEqual([150, 4]);
    expect(d.ys.shape).toEqual([150, 3]);
    expect(d.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    const tail = tf.tidy(() => d.ys.slice([120, 0], [30, 3]).sum(0).arraySync() as number[]);
    expect(tail.every((c) => c > 0)).toBe(true); // the validation tail has every species
    tf.dispose([d.xs, d.ys]);
  });

  test('generated names and the unknown-name message', () => {
    for (const [name, x, y, kind] of [['spiral', [600, 2], [600, 3], 'classification'], ['blobs', [600, 2], [600, 3], 'classification'], ['xor', [400, 2], [400, 2], 'classification'], ['sine', [500, 1], [500, 1], 'regression']] as const) {
      const d = loadDataset(tf, name, { limit: 1000 });
      expect([d.xs.shape, d.ys.shape, d.kind]).toEqual([x, y, kind]);
      tf.dispose([d.xs, d.ys]);
    }
    expect(() => loadDataset(tf, 'nope')).toThrow('Unknown dataset "nope". Known datasets: mnist, iris, spiral, blobs, xor, sine');
  });
});

describe('object specs dispatch to their loaders, paths relative to the model file', () => {
  const cases: [string, Record<string, unknown>, number[], number[], string][] = [
    ['csv', { type: 'csv', path: 'data/table.csv' }, [200, 4], [200, 2], 'classification'],
    ['text (generate)', { type: 'text', path: 'data/corpus.txt', window: 8 }, [512, 8], [512, 11], 'sequence'],
    ['timeseries', { type: 'timeseries', path: 'data/series.csv', column: 'v', window: 10, validation: 0.2 }, [110, 10, 1], [110, 1], 'regression'],
    ['idx', { type: 'idx', path: 'data/img.idx', labels: 'data/lbl.idx', classes: 3 }, [6, 4, 4, 1], [6, 3], 'classification'],
    ['npy', { type: 'npy', path: 'data/x.npy', labels: 'data/y.npy' }, [4, 3], [4, 3], 'classification'],
    ['cifar10', { type: 'cifar10', path: 'data/cifar' }, [3, 32, 32, 3], [3, 10], 'classification'],
    ['images', { type: 'images', path: 'data/imgs', channels: 1 }, [4, 5, 5, 1], [4, 2], 'classification'],
    ['spiral object', { type: 'spiral', size: 90, arms: 4 }, [90, 2], [90, 4], 'classification'],
  ];
  for (const [name, spec, x, y, kind] of cases)
    test(name, () => {
      const d = loadDataset(tf, spec, { modelFile: modelFile() });
      expect([d.xs.shape, d.ys.shape, d.kind]).toEqual([x, y, kind]);
      expect(d.description.length).toBeGreaterThan(10);
      tf.dispose([d.xs, d.ys]);
    });

  test('stored statistics come back with the data', () => {
    const c = loadDataset(tf, { type: 'csv', path: 'data/table.csv' }, { modelFile: modelFile() });
    expect(c.stats?.csv?.featureNames).toEqual(['x1', 'x2', 'color=blue', 'color=red']);
    expect(c.classNames).toEqual(['high', 'low']);
    const t = loadDataset(tf, { type: 'timeseries', path: 'data/series.csv', window: 10, validation: 0.2 }, { modelFile: modelFile() });
    expect(t.stats?.series?.scale).toBe('standard');
    expect(t.validationCount).toBe(24); // targets 96..119 of 120 values
    tf.dispose([c.xs, c.ys, t.xs, t.ys]);
  });

  test('a bad spec or a missing file is a clear error', () => {
    expect(() => loadDataset(tf, { type: 'csv' }, { modelFile: modelFile() })).toThrow(/config\.dataset\.path is missing/);
    expect(() => loadDataset(tf, { type: 'csv', path: 'nope.csv' }, { modelFile: modelFile() })).toThrow(/nope\.csv.*cannot read/);
  });

  test('a streamed CSV opens as tf.data batches and trains with fitDataset', async () => {
    const spec = { type: 'csv', path: 'data/table.csv', stream: true, validation: 0.2 };
    expect(isStreamingSpec(spec)).toBe(true);
    expect(() => loadDataset(tf, spec, { modelFile: modelFile() })).toThrow(/openStreamingDataset/);
    const s = await openStreamingDataset(tf, spec, { batchSize: 16, modelFile: modelFile() });
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [s.featureSize], units: 8, activation: 'relu' }), tf.layers.dense({ units: s.labelSize, activation: 'softmax' })] });
    model.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const h = await model.fitDataset(s.dataset, { epochs: 15, validationData: s.validationDataset, verbose: 0 });
    const loss = h.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(loss[0]);
    expect((h.history.val_acc as number[]).at(-1)).toBeGreaterThan(0.8); // the label is x1 < 0.5
    model.dispose();
  });
});

function writeModel(name: string, config: Record<string, unknown>, body: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, `import * as tf from '@tensorflow/tfjs';\nexport const config = ${JSON.stringify(config)};\nexport function createModel() {\n${body}\n}\n`);
  return f;
}

async function train(file: string) {
  const messages: TrainerToHost[] = [];
  const status = await runTraining(tf, { name: 'cpu', reason: 'unit test' }, { modelFile: file, runsDir: path.join(dir, 'runs'), backend: 'cpu' }, (m) => messages.push(m), { stopRequested: () => false });
  const end = messages[messages.length - 1];
  const epochs = messages.filter((m) => m.type === 'epoch').map((m) => (m.type === 'epoch' ? m.point.metrics : {}));
  return { status, end, epochs, log: messages.filter((m) => m.type === 'log').map((m) => (m.type === 'log' ? m.message : '')) };
}

const dense = (inputs: number, outputs: number, out: string, loss: string) => `
  const m = tf.sequential();
  m.add(tf.layers.dense({ inputShape: [${inputs}], units: 16, activation: 'relu' }));
  m.add(tf.layers.dense({ units: ${outputs}, activation: '${out}' }));
  m.compile({ optimizer: tf.train.adam(0.03), loss: '${loss}', metrics: ${loss === 'meanSquaredError' ? '[]' : "['accuracy']"} });
  return m;`;

describe('training through runTraining', () => {
  for (const [name, inputs, outputs, out, loss] of [
    ['iris', 4, 3, 'softmax', 'categoricalCrossentropy'],
    ['spiral', 2, 3, 'softmax', 'categoricalCrossentropy'],
    ['xor', 2, 2, 'softmax', 'categoricalCrossentropy'],
    ['blobs', 2, 3, 'softmax', 'categoricalCrossentropy'],
    ['sine', 1, 1, 'linear', 'meanSquaredError'],
  ] as const)
    test(`config.dataset '${name}' trains and the loss falls`, async () => {
      const r = await train(writeModel(`${name}.model.ts`, { dataset: name, epochs: 8, batchSize: 32, validationSplit: 0.2 }, dense(inputs, outputs, out, loss)));
      expect(r.status).toBe('completed');
      expect(r.epochs).toHaveLength(8);
      expect(r.epochs[7].loss).toBeLessThan(r.epochs[0].loss);
      expect(typeof r.epochs[7].val_loss).toBe('number');
    });

  test('object specs (csv, text, timeseries) train through runTraining', async () => {
    const specs: [Record<string, unknown>, string][] = [
      [{ type: 'csv', path: 'data/table.csv' }, dense(4, 2, 'softmax', 'categoricalCrossentropy')],
      [{ type: 'timeseries', path: 'data/series.csv', window: 10, validation: 0.2 }, `const m = tf.sequential(); m.add(tf.layers.flatten({ inputShape: [10, 1] })); m.add(tf.layers.dense({ units: 1 })); m.compile({ optimizer: tf.train.adam(0.03), loss: 'meanSquaredError' }); return m;`],
      [{ type: 'text', path: 'data/corpus.txt', window: 8 }, `const m = tf.sequential(); m.add(tf.layers.embedding({ inputDim: 11, outputDim: 4, inputLength: 8 })); m.add(tf.layers.flatten()); m.add(tf.layers.dense({ units: 11, activation: 'softmax' })); m.compile({ optimizer: tf.train.adam(0.03), loss: 'categoricalCrossentropy', metrics: ['accuracy'] }); return m;`],
    ];
    for (const [i, [spec, body]] of specs.entries()) {
      const r = await train(writeModel(`obj${i}.model.ts`, { dataset: spec, epochs: 5, batchSize: 16, validationSplit: 0.2, shuffle: true }, body));
      expect(r.status, JSON.stringify(r.end)).toBe('completed');
      expect(r.epochs[4].loss).toBeLessThan(r.epochs[0].loss);
    }
  });
});
