// Train Again / Train with Changes: typed values checked, CLI flags, the command that reproduces a
// run, the overrides a new run gets, and a real training run that applies and records them while
// the model file stays as it was.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseArgs } from '../../src/cli/args';
import type { RunRecord } from '../../src/protocol/runFolder';
import { nextOverrides, overrideArgs, overridesFromUnknown, parseOverrideValue, runValues } from '../../src/protocol/runOverrides';
import type { TrainerToHost } from '../../src/protocol/trainer';
import { runTraining, silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { readRun } from '../../src/training/runStore';
import { reproduceCommand } from '../../src/views/runsTreeModel';

describe('a typed override value', () => {
  test('epochs and batch size are whole numbers of at least 1', () => {
    expect(parseOverrideValue('epochs', ' 12 ')).toEqual({ value: 12 });
    for (const bad of ['0', '-3', '2.5', '1e3', '', 'ten', '99999999999999999999'])
      expect(parseOverrideValue('batchSize', bad), bad).toEqual({ problem: 'wholeNumber' });
  });

  test('a learning rate is a number above 0, in decimal or exponent form', () => {
    expect(parseOverrideValue('learningRate', '0.001')).toEqual({ value: 0.001 });
    expect(parseOverrideValue('learningRate', '1e-3')).toEqual({ value: 0.001 });
    expect(parseOverrideValue('learningRate', '.5')).toEqual({ value: 0.5 });
    for (const bad of ['0', '-0.1', 'Infinity', '0x10', 'NaN', '', '1e'])
      expect(parseOverrideValue('learningRate', bad), bad).toEqual({ problem: 'positiveNumber' });
  });

  test('a validation split is from 0 up to, not including, 1', () => {
    expect(parseOverrideValue('validationSplit', '0')).toEqual({ value: 0 });
    expect(parseOverrideValue('validationSplit', '0.25')).toEqual({ value: 0.25 });
    for (const bad of ['1', '1.5', '-0.1', 'a']) expect(parseOverrideValue('validationSplit', bad), bad).toEqual({ problem: 'fraction' });
  });

  test('an optimizer is one tfjs names, in any case', () => {
    expect(parseOverrideValue('optimizer', 'SGD')).toEqual({ value: 'sgd' });
    expect(parseOverrideValue('optimizer', 'momentum')).toEqual({ problem: 'optimizer' });
  });

  test('overrides from a command argument are checked key by key', () => {
    expect(overridesFromUnknown({ epochs: 3, optimizer: 'rmsprop', other: 1 })).toEqual({ overrides: { epochs: 3, optimizer: 'rmsprop' } });
    expect(overridesFromUnknown({ epochs: '3' })).toMatchObject({ error: expect.stringContaining('epochs') });
    expect(overridesFromUnknown({ learningRate: -1 })).toEqual({ error: 'learningRate needs a number greater than 0, not "-1"' });
    expect(overridesFromUnknown([1])).toEqual({ error: 'overrides must be an object' });
    expect(overridesFromUnknown(undefined)).toEqual({ overrides: {} });
  });
});

describe('the CLI takes the same overrides', () => {
  test('--learning-rate, --optimizer and --validation-split', () => {
    expect(parseArgs(['train', 'm.ts', '--learning-rate', '0.01', '--optimizer=sgd', '--validation-split', '0.3'])).toMatchObject({
      command: 'train',
      learningRate: 0.01,
      optimizer: 'sgd',
      validationSplit: 0.3,
    });
    expect(parseArgs(['train', 'm.ts', '--optimizer', 'nadam'])).toEqual({
      command: 'usageError',
      message: '--optimizer must be one of adam, sgd, rmsprop, adagrad, adadelta, adamax, not "nadam"',
    });
    expect(parseArgs(['train', 'm.ts', '--validation-split', '1'])).toMatchObject({ command: 'usageError', message: expect.stringContaining('--validation-split') });
    expect(parseArgs(['run', 's.js', '--optimizer', 'sgd'])).toMatchObject({ command: 'usageError' });
  });

  test('Copy Command to Train Again includes them, in an order the CLI parses back', () => {
    const ws = path.join(os.tmpdir(), 'ws');
    const rec = {
      id: 'x',
      modelFile: path.join(ws, 'm.model.ts'),
      config: { epochs: 3, batchSize: 16, validationSplit: 0.3 },
      backend: { name: 'wasm' },
      overrides: { epochs: 3, learningRate: 0.005, optimizer: 'sgd', validationSplit: 0.3 },
    } as unknown as RunRecord;
    const cmd = reproduceCommand(rec, ws);
    expect(cmd).toBe('npx model-lab train m.model.ts --epochs 3 --batch-size 16 --learning-rate 0.005 --optimizer sgd --validation-split 0.3 --backend wasm');
    expect(parseArgs(cmd.split(' ').slice(2))).toMatchObject({ epochs: 3, batchSize: 16, learningRate: 0.005, optimizer: 'sgd', validationSplit: 0.3, backend: 'wasm' });
    const script = { ...rec, mode: 'script', scriptArgs: ['--epochs', '2'] } as unknown as RunRecord;
    expect(reproduceCommand(script, ws)).toBe('npx model-lab run m.model.ts --backend wasm -- --epochs 2');
  });

  test('overrideArgs writes only what is set', () => {
    expect(overrideArgs({ batchSize: 8 })).toEqual(['--batch-size', '8']);
  });
});

describe('what Train with Changes starts from and records', () => {
  const record = { config: { epochs: 5, batchSize: 32, validationSplit: 0.1 }, optimizer: { name: 'adam', learningRate: 0.001 }, overrides: { batchSize: 32 } };

  test('the form is prefilled with what the run trained with', () => {
    expect(runValues(record)).toEqual({ epochs: 5, batchSize: 32, validationSplit: 0.1, learningRate: 0.001, optimizer: 'adam' });
    // An optimizer a user cannot pick by name (tf.train.momentum in the file) is not prefilled.
    expect(runValues({ ...record, optimizer: { name: 'momentum', learningRate: 0.1 } })).not.toHaveProperty('optimizer');
  });

  test('the new run keeps the source run’s overrides and adds what changed', () => {
    expect(nextOverrides(record, { ...runValues(record), epochs: 8 })).toEqual({ batchSize: 32, epochs: 8 });
    // Another optimizer keeps the learning rate shown in the form rather than that optimizer's default.
    expect(nextOverrides(record, { ...runValues(record), optimizer: 'sgd' })).toEqual({ batchSize: 32, optimizer: 'sgd', learningRate: 0.001 });
    expect(nextOverrides(record, runValues(record))).toEqual({ batchSize: 32 });
  });
});

describe('a run with overrides', () => {
  const fixtures = path.resolve(__dirname, '../fixtures/trainer');
  let runsDir: string;
  beforeAll(async () => {
    runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-overrides-'));
    await tf.setBackend('cpu');
    silenceTfjsNodeBanner(tf);
  });
  afterAll(() => fs.rmSync(runsDir, { recursive: true, force: true }));

  const train = async (file: string, overrides: Record<string, unknown>) => {
    const messages: TrainerToHost[] = [];
    const status = await runTraining(tf, { name: 'cpu', reason: 'unit test' }, { modelFile: path.join(fixtures, file), runsDir, backend: 'cpu', overrides }, (m) => messages.push(m), {
      stopRequested: () => false,
    });
    const end = messages.at(-1);
    if (end?.type !== 'end' || !end.runDir) throw new Error('no end');
    return { status, messages, ...readRun(end.runDir) };
  };

  test('a model compiled by createModel is recompiled with the new optimizer; the file is unchanged', async () => {
    const file = path.join(fixtures, 'tiny.model.ts');
    const before = fs.readFileSync(file, 'utf8');
    const r = await train('tiny.model.ts', { epochs: 2, optimizer: 'sgd', learningRate: 0.05, validationSplit: 0.25 });
    expect(r.status).toBe('completed');
    expect(r.record.overrides).toEqual({ epochs: 2, optimizer: 'sgd', learningRate: 0.05, validationSplit: 0.25 });
    expect(r.record.optimizer).toEqual({ name: 'sgd', learningRate: 0.05 });
    expect(r.record.config).toMatchObject({ epochs: 2, validationSplit: 0.25 });
    expect(r.metrics.filter((l) => l.type === 'epoch')).toHaveLength(2);
    // The learning rate the trainer reports with every epoch is the overridden one.
    for (const l of r.metrics.filter((x) => x.type === 'epoch')) expect((l as Record<string, unknown>).lr).toBeCloseTo(0.05, 6);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(r.messages.some((m) => m.type === 'log' && /Optimizer overridden: sgd/.test(m.message))).toBe(true);
  });

  test('an uncompiled model is compiled with the overridden learning rate', async () => {
    const r = await train('uncompiled.model.js', { learningRate: 0.003 });
    expect(r.status).toBe('completed');
    expect(r.record.optimizer).toEqual({ name: 'adam', learningRate: 0.003 });
    expect(r.record.overrides).toEqual({ learningRate: 0.003 });
  });

  test('a run without overrides records its optimizer and no overrides', async () => {
    const r = await train('tiny.model.ts', {});
    expect(r.record.optimizer).toEqual({ name: 'adam', learningRate: 0.01 });
    expect(r.record.overrides).toBeUndefined();
  });
});
