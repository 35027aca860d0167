// The CodeLens line of a model file and of a training script, on real sources: where it sits, what
// it says idle and while the file trains, and which command a click runs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitLines, modelLenses } from '../../src/editor/modelLenses';

const EXAMPLE = fs.readFileSync(path.join(__dirname, '../../examples/mnist-cnn.model.ts'), 'utf8');
const createLine = EXAMPLE.split('\n').findIndex((l) => /export function createModel/.test(l));

describe('modelLenses', () => {
  it('idle: ▶ Train, the parameter count and the saved runs above createModel', () => {
    const lenses = modelLenses({ source: EXAMPLE, isModelFile: true, totalParams: 112394, runCount: 3 });
    expect(lenses.map((l) => [l.line, l.title, l.command])).toEqual([
      [createLine, '▶ Train', 'modelLab.train'],
      [createLine, 'Σ 112,394 params', undefined],
      [createLine, 'Runs (3)', 'modelLab.runs.focus'],
      [createLine, 'Compare', 'modelLab.compareRuns'],
    ]);
  });

  it('before the hints have built the model and with no runs: only ▶ Train', () => {
    expect(modelLenses({ source: EXAMPLE, isModelFile: true, runCount: 0 }).map((l) => l.title)).toEqual(['▶ Train']);
  });

  it('while this file trains: pause, stop and the live epoch and loss', () => {
    const lenses = modelLenses({ source: EXAMPLE, isModelFile: true, runCount: 1, running: { paused: false, epoch: 2, epochs: 5, loss: 0.421337 } });
    expect(lenses.map((l) => [l.title, l.command])).toEqual([
      ['⏸ Pause', 'modelLab.pause'],
      ['■ Stop', 'modelLab.stop'],
      ['epoch 2/5 · loss 0.4213', 'modelLab.showPanel'],
    ]);
    const paused = modelLenses({ source: EXAMPLE, isModelFile: true, runCount: 1, running: { paused: true, epoch: 2, epochs: 5, loss: Number.NaN } });
    expect(paused.map((l) => l.title)).toEqual(['▶ Resume', '■ Stop', 'epoch 2/5']);
  });

  it('a training script gets ▶ Run Script above each fit, not above commented ones', () => {
    const script = [
      "import * as tf from '@tensorflow/tfjs-node';",
      'const model = makeModel();',
      '// await model.fit(xs, ys) is how not to do it',
      '/* model.fit(',
      '   also not */',
      'await model.fit(xs, ys, { epochs: 3 });',
      'await model',
      '  .fitDataset(ds, { epochs: 2 });',
    ].join('\n');
    expect(fitLines(script)).toEqual([5, 7]);
    expect(modelLenses({ source: script, isModelFile: false, runCount: 0 }).map((l) => [l.line, l.title, l.command])).toEqual([
      [5, '▶ Run Script', 'modelLab.runScript'],
      [7, '▶ Run Script', 'modelLab.runScript'],
    ]);
  });
});

describe('modelLenses before the run has said how many epochs', () => {
  it('shows the epoch without a made-up total', () => {
    const lenses = modelLenses({ source: EXAMPLE, isModelFile: true, runCount: 0, running: { paused: false, epoch: 1 } });
    expect(lenses.map((l) => l.title)).toEqual(['⏸ Pause', '■ Stop', 'epoch 1']);
  });
});
