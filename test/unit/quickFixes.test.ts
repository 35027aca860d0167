/**
 * Quick fixes: each problem is found on a summary a real trainer child answers for a fixture model
 * file, its fix is applied to the file's text, and the fixed file is summarized again: the fix must
 * make the model build (or fit its dataset) as a user would see in the hints.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { partialBuildError } from '../../src/editor/layerHints';
import { applyLineEdits, BUILTIN_SAMPLE_SHAPES, findModelProblems, insertFlattenBefore, shrinkWindowFix } from '../../src/editor/quickFixes';
import { SummaryRunner } from '../../src/editor/summaryRunner';
import type { ModelSummary } from '../../src/protocol/modelSummary';
import { loadDataset } from '../../src/trainer/data/datasets';
import { DIST, ensureBuilt } from './builtTrainer';

const FIXTURES = path.resolve(__dirname, '../fixtures/editor');
const TRAINER = path.join(DIST, 'trainer.js');
let tmp: string;
let runner: SummaryRunner;

beforeAll(async () => {
  await ensureBuilt(['trainer.js']);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quick-fixes-'));
  runner = new SummaryRunner({ trainerScript: TRAINER });
});
afterAll(() => {
  runner.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Copies a fixture (or writes text) into tmp under `name` and summarizes it. */
async function summarize(name: string, text: string): Promise<ModelSummary> {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  const o = await runner.summarize(file, { force: true });
  if (o.kind !== 'summary') throw new Error(`expected a summary, got ${JSON.stringify(o)}`);
  return o.summary;
}

const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('quick fixes on real summaries', () => {
  test('a kernel larger than its feature map: the fix sets the largest kernel that fits, and the model then builds', async () => {
    const source = fixture('kernelTooLarge.model.ts');
    const summary = await summarize('kernel.model.ts', source);
    const line = lineOf(source, 'kernelSize: 15');
    expect(partialBuildError(summary)?.line).toBe(line);
    const fix = shrinkWindowFix(source, line, (summary.layers.at(-1)!.outputShape as (number | null)[]).slice(1));
    expect(fix).toMatchObject({ kind: 'shrink-window', line, title: 'Use kernelSize: 12 (the largest that fits the 12×12 feature map)' });
    const fixed = applyLineEdits(source, [fix!.edit]);
    expect(fixed.split('\n')[line - 1]).toBe('  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 12, activation: \'relu\' }));');
    const after = await summarize('kernel-fixed.model.ts', fixed);
    expect(after.buildError).toBeUndefined();
    expect(after.layers[2].outputShape).toEqual([null, 1, 1, 16]);
  });

  test('a pool window too large, written as an array, over a call on several lines', () => {
    const source = ['model.add(tf.layers.maxPooling2d({', '  poolSize: [4, 4],', '}));'].join('\n');
    const fix = shrinkWindowFix(source, 1, [3, 2, 8]);
    expect(fix?.edit).toEqual({ line: 2, startColumn: 13, endColumn: 19, newText: '[3, 2]' });
    expect(applyLineEdits(source, [fix!.edit]).split('\n')[1]).toBe('  poolSize: [3, 2],');
    // A window that fits gets no fix.
    expect(shrinkWindowFix(source, 1, [8, 8, 8])).toBeUndefined();
  });

  test('a dense layer fed a 4-D feature map: a warning at its line, and flatten() inserted before it', async () => {
    const source = fixture('denseNoFlatten.model.ts');
    const summary = await summarize('dense.model.ts', source);
    expect(summary.buildError).toBeUndefined();
    const line = lineOf(source, 'tf.layers.dense');
    const problems = findModelProblems(summary, source);
    expect(problems).toEqual([
      {
        kind: 'add-flatten',
        line,
        message: `dense on line ${line} gets a [batch, 12, 12, 8] feature map and works on each of its 12×12 positions apart (output [batch, 12, 12, 10]): a classifier needs tf.layers.flatten() before it`,
        fix: { kind: 'add-flatten', line, title: 'Add tf.layers.flatten() before this dense layer', edit: { line, startColumn: 1, endColumn: 1, newText: '  model.add(tf.layers.flatten());\n' } },
      },
    ]);
    const after = await summarize('dense-fixed.model.ts', applyLineEdits(source, [problems[0].fix!.edit]));
    expect(after.outputs[0].shape).toEqual([null, 10]);
    expect(findModelProblems(after, fs.readFileSync(path.join(tmp, 'dense-fixed.model.ts'), 'utf8'))).toEqual([]);
  });

  test('flatten in a layers array is an array element; other forms get no edit', () => {
    expect(insertFlattenBefore("    tf.layers.dense({ units: 10 }),", 7)).toEqual({ line: 7, startColumn: 1, endColumn: 1, newText: '    tf.layers.flatten(),\n' });
    expect(insertFlattenBefore('const y = tf.layers.dense({ units: 10 }).apply(x);', 3)).toBeUndefined();
  });

  test("an input its dataset does not fit: a warning at the inputShape line, set to the dataset's shape", async () => {
    const source = fixture('wrongInput.model.ts');
    const summary = await summarize('input.model.ts', source);
    expect(summary.dataset).toBe('iris');
    const line = lineOf(source, 'inputShape');
    const [problem] = findModelProblems(summary, source);
    expect(problem).toMatchObject({ kind: 'set-input-shape', line, message: "The model takes [batch, 784] but its dataset 'iris' gives [N, 4]: training would stop at the first batch" });
    expect(problem.fix?.title).toBe("Set the input shape to [4] (the shape of 'iris')");
    const fixed = applyLineEdits(source, [problem.fix!.edit]);
    expect(fixed.split('\n')[line - 1]).toBe("  model.add(tf.layers.dense({ inputShape: [4], units: 16, activation: 'relu' }));");
    const after = await summarize('input-fixed.model.ts', fixed);
    expect(after.inputs[0].shape).toEqual([null, 4]);
    expect(findModelProblems(after, fixed)).toEqual([]);
  });
});

describe('the built-in sample shapes the input check uses', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  // The sets shipped offline; the downloaded ones (mnist-full, fashion-mnist) share mnist's loader layout.
  test.each(['mnist', 'mnist-autoencoder', 'iris', 'spiral', 'blobs', 'xor', 'sine'])('%s gives the shape in the table', (name) => {
    const d = loadDataset(tf, name, { limit: 4 });
    try {
      expect(d.xs.shape.slice(1)).toEqual(BUILTIN_SAMPLE_SHAPES[name]);
    } finally {
      d.xs.dispose();
      d.ys.dispose();
    }
  });
});
