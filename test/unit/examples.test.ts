// Every example in examples/ trains: each model file for one epoch (on a few samples where its data
// is larger) through runTraining, the plain script through runScript, on the cpu backend.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { EndStatus, RunSpec, TrainerToHost } from '../../src/protocol/trainer';
import type { MetricLine } from '../../src/protocol/runFolder';
import { previewModelFile } from '../../src/trainer/previewModelFile';
import { runScript } from '../../src/trainer/runScript';
import { runTraining, silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { readRun } from '../../src/training/runStore';
import { DIST, ensureBuilt } from './builtTrainer';

const examples = path.resolve(__dirname, '../../examples');
let runsDir: string;

beforeAll(async () => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-examples-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(runsDir, { recursive: true, force: true }));

const ofType = <T extends MetricLine['type']>(lines: MetricLine[], type: T) => lines.filter((l) => l.type === type) as Extract<MetricLine, { type: T }>[];

async function finish(status: EndStatus, messages: TrainerToHost[]) {
  const end = messages[messages.length - 1];
  if (end?.type !== 'end') throw new Error(`last message was ${end?.type}`);
  const run = end.runDir ? readRun(end.runDir) : undefined;
  return { status, end, run, log: messages.flatMap((m) => (m.type === 'log' ? [m.message] : [])) };
}

async function train(file: string, overrides: RunSpec['overrides'], opts: { stopAfterBatches?: number; resumeFrom?: string } = {}) {
  const messages: TrainerToHost[] = [];
  let batches = 0;
  const status = await runTraining(
    tf,
    { name: 'cpu', reason: 'unit test' },
    { modelFile: path.join(examples, file), runsDir, backend: 'cpu', overrides, resumeFrom: opts.resumeFrom },
    (m) => messages.push(JSON.parse(JSON.stringify(m))),
    // polled once after each batch
    { stopRequested: () => opts.stopAfterBatches !== undefined && ++batches >= opts.stopAfterBatches },
  );
  return finish(status, messages);
}

/** file, overrides, what run.json's dataset description says, and the epoch metrics it must log. */
const MODELS: [string, RunSpec['overrides'], RegExp, string[]][] = [
  ['mnist-cnn.model.ts', { epochs: 1, limit: 200 }, /^MNIST: 200 real handwritten digits/, ['loss', 'acc', 'val_loss', 'val_acc']],
  ['weather.model.ts', { epochs: 1 }, /seattle-weather\.csv/, ['loss', 'acc', 'val_loss', 'val_acc']],
  ['weather-stream.model.ts', { epochs: 1, limit: 256 }, /streamed, \d+ validation rows/, ['loss', 'acc', 'val_loss', 'val_acc']],
  ['digits-folder.model.ts', { epochs: 1 }, /^Images digits: 300 images 28x28x1, 10 classes \(0, 1, 2/, ['loss', 'acc', 'val_loss', 'val_acc']],
  ['digits-idx.model.ts', { epochs: 1 }, /^IDX train-images-idx3-ubyte\.gz: 600 images 28x28x1, 10 classes/, ['loss', 'acc', 'val_loss', 'val_acc']],
  ['digits-jpeg.model.ts', { epochs: 1 }, /^Images digits-jpeg: 150 images 28x28x1, 10 classes \(0, 1, 2/, ['loss', 'acc', 'val_loss', 'val_acc']],
  ['cifar10-digits.model.ts', { epochs: 1 }, /^CIFAR-10 train: 200 images 32x32x3 in 0–1, 10 classes/, ['loss', 'acc', 'val_loss', 'val_acc']],
  ['digits-npy.model.ts', { epochs: 1 }, /^NumPy digits14-x\.npy \[400, 14, 14, 1\] with digits14-y\.npy \[400\]: 400 samples/, ['loss', 'acc', 'val_loss', 'val_acc']],
  ['name-generator.model.ts', { epochs: 1, limit: 512 }, /names\.txt/, ['loss', 'acc', 'val_loss', 'val_acc']],
  ['co2-forecast.model.ts', { epochs: 1 }, /co2-concentration\.csv/, ['loss', 'mae', 'val_loss', 'val_mae']],
  ['spiral.model.ts', { epochs: 1 }, /spiral/i, ['loss', 'acc', 'val_loss', 'val_acc']],
  ['iris-two-inputs.model.ts', { epochs: 1 }, /^loadData\(\) in iris-two-inputs\.model\.ts: xs by name/, ['loss', 'acc', 'val_loss', 'val_acc']],
  ['temperature-tomorrow.model.ts', { epochs: 1 }, /^loadData\(\) in temperature-tomorrow\.model\.ts: xs \[1168,6\], ys \[1168,1\], with its own validation set/, ['loss', 'mae', 'val_loss', 'val_mae']],
  ['early-stopping.model.ts', { epochs: 1 }, /^Iris: 150 real flowers/, ['loss', 'acc', 'val_loss', 'val_acc']],
];

describe('every example model file trains one epoch', () => {
  test('the list covers every *.model.ts in examples/', () => {
    const files = fs.readdirSync(examples).filter((f) => f.endsWith('.model.ts')).sort();
    expect(MODELS.map(([f]) => f).sort()).toEqual(files);
  });

  for (const [file, overrides, description, metrics] of MODELS)
    test(file, async () => {
      const tensorsBefore = tf.memory().numTensors;
      const r = await train(file, overrides);
      expect(r.status, JSON.stringify(r.end.error)).toBe('completed');
      // The data (tensors, datasets' batches, validation and evaluation copies) and the model are all freed.
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      const lines = r.run!.metrics;
      const epochs = ofType(lines, 'epoch');
      expect(epochs).toHaveLength(1);
      for (const k of metrics) expect(Number.isFinite(epochs[0][k]), `${k} in ${JSON.stringify(epochs[0])}`).toBe(true);
      expect(ofType(lines, 'batch').length).toBe(r.run!.record.batchesPerEpoch);
      expect(r.run!.record.dataset?.description).toMatch(description);
      // Every example has validation data, so each run ends with an evaluation report.
      expect(fs.existsSync(path.join(r.end.runDir!, 'eval.json')), r.log.join('\n')).toBe(true);
    });
});

describe('what the examples record', () => {
  test('a CSV run stores the schema and scaling, and eval.json names the weather classes', async () => {
    const r = await train('weather.model.ts', { epochs: 1 });
    const ds = r.run!.record.dataset!;
    expect(ds.classNames).toEqual(['drizzle', 'fog', 'rain', 'snow', 'sun']);
    const csv = (ds.stats as { csv: { featureNames: string[]; columns: { name: string; mean?: number }[] } }).csv;
    expect(csv.featureNames).toEqual(['month', 'precipitation', 'temp_max', 'temp_min', 'wind']);
    // Seattle's mean daily maximum over 2012–2015 is a bit above 16 °C.
    expect(csv.columns.find((c) => c.name === 'temp_max')?.mean).toBeCloseTo(16.44, 1);
    // The uncompiled model was compiled from config with the loss the one-hot labels call for.
    expect(r.log.join('\n')).toContain('compiled with adam (learning rate 0.01), loss categoricalCrossentropy (inferred from the labels)');
    const evalReport = JSON.parse(fs.readFileSync(path.join(r.end.runDir!, 'eval.json'), 'utf8')) as { outputs: { classNames?: string[] }[] };
    expect(evalReport.outputs[0].classNames).toEqual(['drizzle', 'fog', 'rain', 'snow', 'sun']);
  });

  test('the text run stores its vocabulary, the time series its scaling', async () => {
    const text = await train('name-generator.model.ts', { epochs: 1, limit: 128 });
    const vocab = (text.run!.record.dataset!.stats as { vocab: { tokens: string[] } }).vocab;
    expect(vocab.tokens.slice(0, 2)).toEqual(['<pad>', '<unk>']);
    expect(vocab.tokens).toContain('a');
    expect(vocab.tokens.length).toBeLessThanOrEqual(32);
    const co2 = await train('co2-forecast.model.ts', { epochs: 1 });
    expect((co2.run!.record.dataset!.stats as { series: { scale: string } }).series.scale).toBe('standard');
    expect(co2.log.join('\n')).toContain('Evaluated on the most recent');
  });
});

describe('the binary-format examples preview from the loader the trainer uses', () => {
  // file, samples, shape of one image, samples per class
  const IMAGE_EXAMPLES: [string, number, number[], number][] = [
    ['cifar10-digits.model.ts', 200, [32, 32, 3], 20],
    ['digits-jpeg.model.ts', 150, [28, 28, 1], 15],
    ['digits-idx.model.ts', 600, [28, 28, 1], 60],
    ['digits-folder.model.ts', 300, [28, 28, 1], 30],
  ];
  for (const [file, count, shape, perClass] of IMAGE_EXAMPLES)
    test(file, async () => {
      const tensorsBefore = tf.memory().numTensors;
      const p = await previewModelFile(tf, path.join(examples, file));
      expect(p.count).toBe(count);
      expect(p.xShape).toEqual([count, ...shape]);
      expect(p.images?.length).toBeGreaterThan(0);
      expect(p.classBalance?.map((c) => c.count)).toEqual(Array(10).fill(perClass));
      expect(tf.memory().numTensors).toBe(tensorsBefore);
    });

  test('the CIFAR-format file is real CIFAR-10 records: 3073 bytes each, label byte first, class names from batches.meta.txt', async () => {
    const bin = fs.readFileSync(path.join(examples, 'data/cifar10-digits/cifar-10-batches-bin/data_batch_1.bin'));
    expect(bin.length).toBe(200 * 3073);
    expect(Array.from({ length: 10 }, (_, i) => bin[i * 3073])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const p = await previewModelFile(tf, path.join(examples, 'cifar10-digits.model.ts'));
    expect(p.classBalance?.map((c) => c.name)).toEqual(Array.from({ length: 10 }, (_, d) => `digit ${d}`));
  });

  test('the JPEG folder really holds JPEGs of mixed sizes', () => {
    const dir = path.join(examples, 'data/digits-jpeg/3');
    const sizes = new Set<string>();
    for (const f of fs.readdirSync(dir)) {
      const b = fs.readFileSync(path.join(dir, f));
      expect(f.endsWith('.jpg') && b[0] === 0xff && b[1] === 0xd8).toBe(true);
      // the first SOF0 marker holds height and width
      const at = b.indexOf(Buffer.from([0xff, 0xc0]));
      sizes.add(`${b.readUInt16BE(at + 5)}x${b.readUInt16BE(at + 7)}`);
    }
    expect([...sizes].sort()).toEqual(['20x20', '28x28', '36x36']);
  });
});

describe('a streamed CSV run keeps the run controls', () => {
  test('stopped after 3 batches, then resumed from its checkpoint for a second epoch', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const stopped = await train('weather-stream.model.ts', { epochs: 1, limit: 256 }, { stopAfterBatches: 3 });
    expect(stopped.status).toBe('stopped');
    expect(ofType(stopped.run!.metrics, 'batch')).toHaveLength(3);
    expect(fs.existsSync(path.join(stopped.end.runDir!, 'checkpoints', 'last', 'checkpoint.json'))).toBe(true);
    expect(tf.memory().numTensors).toBe(tensorsBefore);

    const first = await train('weather-stream.model.ts', { epochs: 1, limit: 256 });
    const resumed = await train('weather-stream.model.ts', { epochs: 2, limit: 256 }, { resumeFrom: first.end.runDir });
    expect(resumed.status, JSON.stringify(resumed.end.error)).toBe('completed');
    expect(resumed.run!.record.resumedFrom).toMatchObject({ epochsCompleted: 1 });
    // Only the second epoch runs, its 8 batches numbered on from the first run's.
    expect(ofType(resumed.run!.metrics, 'batch').map((b) => b.step)).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(ofType(resumed.run!.metrics, 'epoch').map((e) => e.epoch)).toEqual([1]);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});

describe('the plain script', () => {
  beforeAll(() => ensureBuilt(['scriptHost.js']));
  test('examples/scripts/plain-fit.js runs unmodified and is recorded', async () => {
    const messages: TrainerToHost[] = [];
    const status = await runScript(
      tf,
      { name: 'cpu', reason: 'unit test' },
      { modelFile: path.join(examples, 'scripts/plain-fit.js'), runsDir },
      (m) => messages.push(JSON.parse(JSON.stringify(m))),
      { stopRequested: () => false },
      // The script runs in the real script host, as under the built trainer.
      { hostScript: path.join(DIST, 'scriptHost.js') },
    );
    const r = await finish(status, messages);
    expect(r.status, JSON.stringify(r.end.error)).toBe('completed');
    const epochs = ofType(r.run!.metrics, 'epoch');
    expect(epochs).toHaveLength(100);
    expect(epochs[99].loss as number).toBeLessThan(epochs[0].loss as number);
  });
});
