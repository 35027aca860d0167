import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunError } from '../../src/protocol/trainer';
import { RunFailure } from '../../src/trainer/errors';
import { loadModelFile } from '../../src/trainer/loadModelFile';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';

let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-models-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** The RunError a promise rejects with; fails the test if it resolves or throws something else. */
async function runErrorOf(p: Promise<unknown>): Promise<RunError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RunFailure);
    return (e as RunFailure).runError;
  }
  throw new Error('expected a RunFailure');
}

const denseBody = [
  '  const m = tf.sequential();',
  '  m.add(tf.layers.dense({ units: 3, inputShape: [4] }));',
  '  return m;',
];

describe('loadModelFile loads', () => {
  test('TypeScript ESM with named createModel and config; tf is the trainer\'s tf', async () => {
    const file = write('named.model.ts', [
      "import * as tf from '@tensorflow/tfjs';",
      'export const config = { epochs: 7, batchSize: 16 };',
      'export function createModel(): tf.LayersModel {',
      ...denseBody,
      '}',
    ]);
    const loaded = await loadModelFile(tf, file);
    expect(loaded.config).toEqual({ epochs: 7, batchSize: 16 });
    const model = (await loaded.createModel()) as tf.LayersModel;
    expect(model).toBeInstanceOf(tf.Sequential); // same tf object, so the same classes
    expect(model.outputs[0].shape).toEqual([null, 3]);
    model.dispose();
  });

  test('CommonJS .cjs requiring @tensorflow/tfjs-node (mapped to the trainer\'s tf)', async () => {
    const file = write('cjs.model.cjs', [
      "const tf = require('@tensorflow/tfjs-node');",
      'function createModel() {',
      ...denseBody,
      '}',
      'module.exports = { createModel, config: { epochs: 2 } };',
    ]);
    const loaded = await loadModelFile(tf, file);
    expect(loaded.config).toEqual({ epochs: 2 });
    const model = (await loaded.createModel()) as tf.LayersModel;
    expect(model).toBeInstanceOf(tf.Sequential);
    model.dispose();
  });

  test('an .mjs default export that is async', async () => {
    const file = write('default.model.mjs', [
      "import * as tf from '@tensorflow/tfjs';",
      'export default async function () {',
      '  await new Promise((r) => setTimeout(r, 1));',
      ...denseBody,
      '}',
    ]);
    const loaded = await loadModelFile(tf, file);
    expect(loaded.config).toEqual({});
    const model = (await loaded.createModel()) as tf.LayersModel;
    expect(model.countParams()).toBe(15);
    model.dispose();
  });

  test('a .js CommonJS file whose module.exports is the function, with a bundled local import and a Node builtin', async () => {
    write('layers.js', ["const tf = require('@tensorflow/tfjs');", 'exports.hidden = () => tf.layers.dense({ units: 5, inputShape: [2] });']);
    const file = write('fn.model.js', [
      "const tf = require('@tensorflow/tfjs-core');",
      "const { hidden } = require('./layers');",
      "const path = require('node:path');",
      'module.exports = () => {',
      '  const m = tf.sequential({ name: path.basename("a/b") });',
      '  m.add(hidden());',
      '  return m;',
      '};',
    ]);
    const model = (await (await loadModelFile(tf, file)).createModel()) as tf.LayersModel;
    expect(model.name).toBe('b');
    expect(model.countParams()).toBe(15);
    model.dispose();
  });
});

describe('loadModelFile reports', () => {
  test('a syntax error with file, line and column', async () => {
    const file = write('syntax.model.ts', [
      "import * as tf from '@tensorflow/tfjs';",
      '',
      'export function createModel() {',
      '  const model = tf.sequential(;',
      '  return model;',
      '}',
    ]);
    const err = await runErrorOf(loadModelFile(tf, file));
    expect(err.file).toBe(file);
    expect(err.line).toBe(4);
    expect(err.column).toBe(31); // the `;` right after `(`
    expect(err.message).toMatch(/^syntax\.model\.ts:4:31: /);
  });

  test('a syntax error inside an imported local file, naming that file', async () => {
    write('broken-helper.ts', ['export const x = {;']);
    const file = write('imports-broken.model.ts', ["import { x } from './broken-helper';", 'export const createModel = () => x;']);
    const err = await runErrorOf(loadModelFile(tf, file));
    expect(err.file).toBe(path.join(dir, 'broken-helper.ts'));
    expect(err.line).toBe(1);
    expect(err.message).toMatch(/^broken-helper\.ts:1:/);
  });

  test('a missing createModel, naming the file and the exports it found', async () => {
    const file = write('noexport.model.ts', ['export const config = { epochs: 1 };', 'export function makeModel() { return 1; }']);
    const err = await runErrorOf(loadModelFile(tf, file));
    expect(err.message).toContain('noexport.model.ts');
    expect(err.message).toContain('createModel');
    expect(err.message).toContain('found: config, makeModel');
  });

  test('a throw inside createModel, mapped to the line in the TypeScript source', async () => {
    const file = write('throws.model.ts', [
      "import * as tf from '@tensorflow/tfjs';",
      'interface Opts { units: number }',
      'const opts: Opts = { units: 3 };',
      '',
      'export function createModel(): tf.LayersModel {',
      '  if (opts.units > 2) {',
      "    throw new Error('too many units');",
      '  }',
      '  return tf.sequential();',
      '}',
    ]);
    const loaded = await loadModelFile(tf, file);
    const err = await runErrorOf(loaded.createModel());
    expect(err.file).toBe(file);
    expect(err.line).toBe(7);
    expect(err.message).toContain('too many units');
    expect(err.message).toContain('throws.model.ts:7:');
    expect(err.details).toContain(`${file}:7:`);
  });

  test('a tfjs error raised by a layer call in the model file points at that call', async () => {
    const file = write('badlayer.model.ts', [
      "import * as tf from '@tensorflow/tfjs';",
      'export function createModel() {',
      '  const m = tf.sequential();',
      '  m.add(tf.layers.dense({ units: 3, inputShape: [4] }));',
      '  m.add(tf.layers.conv2d({ filters: 2, kernelSize: 3 }));',
      '  return m;',
      '}',
    ]);
    const err = await runErrorOf((await loadModelFile(tf, file)).createModel());
    expect(err.line).toBe(5);
    expect(err.message).toMatch(/ndim|dimension|expected/i);
  });

  test('a throw while the file loads, mapped to its line', async () => {
    const file = write('toplevel.model.ts', [
      'const n: number = 1;',
      'if (n === 1) {',
      "  throw new TypeError('bad top level');",
      '}',
      'export const createModel = () => null;',
    ]);
    const err = await runErrorOf(loadModelFile(tf, file));
    expect(err.line).toBe(3);
    expect(err.message).toContain('bad top level');
  });

  test('a package the model imports that is not installed', async () => {
    const file = write('missingpkg.model.ts', ["import { thing } from 'no-such-package-here';", 'export const createModel = () => thing();']);
    const err = await runErrorOf(loadModelFile(tf, file));
    expect(err.message).toContain("no-such-package-here");
    expect(err.line).toBe(1);
  });
});
