import { describe, expect, it } from 'vitest';
import { formatEvalReport } from '../../src/cli/evaluate';
import type { EvalReport } from '../../src/protocol/evalReport';
import { evalFileName } from '../../src/trainer/evaluateRun';

const base = { schema: 1 as const, createdAt: '2026-01-01T00:00:00.000Z', data: 'the last 20% (4 samples) held out by validationSplit', count: 4 };
const hist = { edges: [0, 1], counts: [4] };

describe('model-lab evaluate output', () => {
  it('a classifier: accuracy, macro scores and one row per class', () => {
    const report = {
      ...base,
      outputs: [
        {
          kind: 'classification',
          output: 'dense_2',
          labels: 'onehot',
          classNames: ['cat', 'dog'],
          accuracy: 0.75,
          confusion: [[2, 0], [1, 1]],
          perClass: [
            { precision: 2 / 3, recall: 1, f1: 0.8, support: 2 },
            { precision: 1, recall: 0.5, f1: 2 / 3, support: 2 },
          ],
          macro: { precision: 5 / 6, recall: 0.75, f1: 11 / 15 },
          samples: [],
        },
      ],
    } as unknown as EvalReport;
    expect(formatEvalReport(report).split('\n')).toEqual([
      '4 samples: the last 20% (4 samples) held out by validationSplit',
      'accuracy 75.0% · macro precision 83.3% recall 75.0% F1 73.3%',
      '  class  precision  recall      F1  support',
      '  cat        66.7%  100.0%   80.0%        2',
      '  dog       100.0%   50.0%   66.7%        2',
    ]);
  });

  it('a regressor: MAE, RMSE and R², n/a when not finite', () => {
    const report = {
      ...base,
      outputs: [{ kind: 'regression', output: 'y', targetSize: 1, mae: 0.5, rmse: 0.75, r2: null, errorHistogram: hist, samples: [] }],
    } as unknown as EvalReport;
    expect(formatEvalReport(report).split('\n')[1]).toBe('MAE 0.5000 · RMSE 0.7500 · R² n/a');
  });

  it('writes eval.json for the final model and eval-best.json / eval-last.json for checkpoints', () => {
    expect(evalFileName('final')).toBe('eval.json');
    expect(evalFileName('best')).toBe('eval-best.json');
    expect(evalFileName('last')).toBe('eval-last.json');
  });
});
