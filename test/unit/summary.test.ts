import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { formatSummaryTable, summarizeModel, summarizeModelFile } from '../../src/trainer/summary';
import { DIST, ensureBuilt } from './builtTrainer';

const fixture = path.resolve(__dirname, '../fixtures/contract/summaryCnn.model.ts');
const twoHeads = path.resolve(__dirname, '../fixtures/contract/twoHeads.model.ts');

beforeAll(async () => {
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});

/** 1-based line of the n-th line containing `needle` in the fixture. */
function lineOf(file: string, needle: string, nth = 0): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const hits = lines.map((l, i) => (l.includes(needle) ? i + 1 : 0)).filter(Boolean);
  return hits[nth];
}

describe('model summary', () => {
  test('parameter counts match a hand computation and tfjs countParams; shapes and source lines are right', async () => {
    const before = tf.memory().numTensors;
    const s = await summarizeModelFile(tf, fixture);
    expect(tf.memory().numTensors).toBe(before); // the built model and its optimizer are disposed

    const hand = [
      5 * 5 * 1 * 8 + 8, // conv 8@5x5 on 1 channel
      0,
      5 * 5 * 8 * 16 + 16, // conv 16@5x5 on 8 channels
      0,
      0,
      4 * 4 * 16 * 128 + 128, // dense on the 256 flattened values
      4 * 128, // batch norm: gamma, beta (trainable) + moving mean, variance (not)
      128 * 10 + 10,
    ];
    expect(s.layers.map((l) => l.params)).toEqual(hand);
    expect(s.layers[6]).toMatchObject({ className: 'BatchNormalization', trainableParams: 256, nonTrainableParams: 256 });
    expect(s.totalParams).toBe(hand.reduce((a, b) => a + b, 0));
    expect(s.nonTrainableParams).toBe(256);
    expect(s.trainableParams).toBe(s.totalParams - 256);

    // The same architecture built here: tfjs agrees per layer and in total.
    const mod = (await import(fixture)) as { createModel: () => tf.LayersModel };
    const m = mod.createModel();
    expect(m.layers.map((l) => l.countParams())).toEqual(hand);
    expect(m.countParams()).toBe(s.totalParams);
    m.optimizer.dispose();
    m.dispose();

    expect(s.layers.map((l) => l.outputShape)).toEqual([
      [null, 24, 24, 8], [null, 12, 12, 8], [null, 8, 8, 16], [null, 4, 4, 16], [null, 256], [null, 128], [null, 128], [null, 10],
    ]);
    expect(s.inputs).toEqual([{ name: expect.any(String), shape: [null, 28, 28, 1] }]);
    expect(s.compiled).toBe(true);

    // Source lines: where each tf.layers.* call is in the fixture.
    expect(s.layers.map((l) => l.location?.file)).toEqual(new Array(8).fill(fixture));
    expect(s.layers.map((l) => l.location?.line)).toEqual([
      lineOf(fixture, 'conv2d', 0), lineOf(fixture, 'maxPooling2d', 0), lineOf(fixture, 'conv2d', 1), lineOf(fixture, 'maxPooling2d', 1),
      lineOf(fixture, 'flatten'), lineOf(fixture, 'units: 128'), lineOf(fixture, 'batchNormalization'), lineOf(fixture, 'units: 10'),
    ]);

    const table = formatSummaryTable(s, path.dirname(fixture));
    expect(table).toContain(`Total params: ${s.totalParams.toLocaleString('en-US')}`);
    expect(table).toContain('Non-trainable params: 256');
    expect(table).toMatch(new RegExp(`\\(Conv2D\\)\\s+\\[batch, 24, 24, 8\\]\\s+208\\s+summaryCnn\\.model\\.ts:${lineOf(fixture, 'conv2d', 0)}`));
  });

  test('a functional model with two inputs and two outputs, not compiled', async () => {
    const s = await summarizeModelFile(tf, twoHeads);
    expect(s.compiled).toBe(false);
    expect(s.inputs.map((i) => [i.name, i.shape])).toEqual([['a', [null, 4]], ['b', [null, 3]]]);
    expect(s.outputs.map((o) => [o.name, o.shape])).toEqual([['cls', [null, 3]], ['reg', [null, 1]]]);
    const byName = Object.fromEntries(s.layers.map((l) => [l.name, l]));
    expect(byName.cls.params).toBe(8 * 3 + 3);
    expect(byName.reg.params).toBe(8 + 1);
    expect(byName.a.location?.line).toBe(lineOf(twoHeads, "name: 'a'"));
    expect(byName.cls.location?.line).toBe(lineOf(twoHeads, "name: 'cls'"));
  });

  test('summarizeModel works on a model built in memory (no source lines)', () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] });
    const s = summarizeModel(m, 'memory');
    expect(s.layers).toEqual([expect.objectContaining({ className: 'Dense', params: 8, trainableParams: 8, outputShape: [null, 2] })]);
    expect(s.layers[0].location).toBeUndefined();
    m.dispose();
  });
});

const summaryDir = path.resolve(__dirname, '../fixtures/summary');
const inSummary = (f: string) => path.join(summaryDir, f);

/** `model-lab summary FILE --json` as a user runs it (the built CLI). */
function summaryCli(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(DIST, 'cli.js'), 'summary', file, '--json'], { cwd: summaryDir }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('summary of what model files and modules really look like', () => {
  test('a custom layer (class extends tf.layers.Layer) is summarized with its weights, through the real CLI', async () => {
    await ensureBuilt(['cli.js']);
    const r = await summaryCli('customLayer.model.ts');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { layers: { className: string; params: number; outputShape: number[]; location?: { line: number } }[]; totalParams: number };
    expect(s.layers.map((l) => [l.className, l.params, l.outputShape])).toEqual([
      ['Dense', 4 * 3 + 3, [null, 3]],
      ['Scale', 3, [null, 3]],
      ['Dense', 3 + 1, [null, 1]],
    ]);
    expect(s.totalParams).toBe(15 + 3 + 4);
    expect(s.layers[0].location?.line).toBe(lineOf(inSummary('customLayer.model.ts'), 'units: 3'));
  });

  test("createModel(options) gets the options the file's config.modelOptions names", async () => {
    const s = await summarizeModelFile(tf, inSummary('builder.model.js'));
    expect(s.layers.map((l) => l.outputShape)).toEqual([[null, 7], [null, 1]]);
  });

  test('createModel({ … } = {}) is built with its own defaults', async () => {
    const s = await summarizeModelFile(tf, inSummary('builderDefaults.model.mjs'));
    expect(s.layers.map((l) => l.outputShape)).toEqual([[null, 5], [null, 2]]);
  });

  test('a module that exports a built model', async () => {
    const s = await summarizeModelFile(tf, inSummary('builtModel.model.mjs'));
    expect(s.modelClass).toBe('Model');
    expect(s.layers.map((l) => l.className)).toEqual(['InputLayer', 'Dense']);
    expect(s.totalParams).toBe(6 * 2 + 2);
  });

  test.each(['trainingScript.script.mjs', 'trainingScript.script.cjs'])('a training script (%s) is refused before any of it runs', async (file) => {
    const marker = inSummary(file.endsWith('.mjs') ? 'trainingScript.ran' : 'trainingScript.cjs.ran');
    fs.rmSync(marker, { force: true });
    await ensureBuilt(['cli.js']);
    const r = await summaryCli(file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file} exports nothing: it looks like a training script, which a summary does not run`);
    expect(fs.existsSync(marker)).toBe(false);
  });
});
