// The panel's Train Again / Train with Changes buttons and its clickable error location: what the
// state module sends the host, and the host's check that a location stays inside the workspace.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWebviewToHost, type RunView } from '../../src/protocol/webview';
import { confineToFolders, savedRunDir } from '../../src/views/errorLocation';
import { headerModel, initialState, savedState, update } from '../../webview-ui/src/state';

const run = (over: Partial<RunView> = {}): RunView => ({
  runId: 'r1',
  modelFile: '/ws/m.model.ts',
  runDir: '/ws/.modellab/runs/r1',
  batchesPerEpoch: 2,
  layers: [],
  totalParams: 0,
  status: 'completed',
  startedAt: 1000,
  batches: [],
  epochs: [],
  ...over,
});

const panelWith = (view: RunView) => {
  const state = initialState();
  update(state, { type: 'message', data: { type: 'snapshot', seq: 0, run: view } }, 0);
  return state;
};

describe('Train again and Train with changes in the run header', () => {
  it('an ended run shows both and each sends its command naming the run', () => {
    const state = panelWith(run());
    const h = headerModel(state, 0)!;
    expect([h.again.hidden, h.withChanges.hidden]).toEqual([false, false]);
    expect(update(state, { type: 'again', command: 'trainAgain' }, 0)).toEqual([{ type: 'trainAgain', runId: 'r1' }]);
    expect(update(state, { type: 'again', command: 'trainWithChanges' }, 0)).toEqual([{ type: 'trainWithChanges', runId: 'r1' }]);
    // What the panel sends passes the host's check.
    expect(parseWebviewToHost({ type: 'trainWithChanges', runId: 'r1' })).toEqual({ type: 'trainWithChanges', runId: 'r1' });
  });

  it('a running run shows neither and sends nothing', () => {
    const state = panelWith(run({ status: 'running' }));
    const h = headerModel(state, 0)!;
    expect([h.again.hidden, h.withChanges.hidden]).toEqual([true, true]);
    expect(update(state, { type: 'again', command: 'trainAgain' }, 0)).toEqual([]);
  });

  it('a script run can be trained again but not with changes (the script sets them)', () => {
    const state = panelWith(run({ mode: 'script' }));
    expect(headerModel(state, 0)!.withChanges.hidden).toBe(true);
    expect(update(state, { type: 'again', command: 'trainWithChanges' }, 0)).toEqual([]);
    expect(update(state, { type: 'again', command: 'trainAgain' }, 0)).toEqual([{ type: 'trainAgain', runId: 'r1' }]);
  });

  it('the host refuses a Train Again without a run id', () => {
    expect(parseWebviewToHost({ type: 'trainAgain', runId: '' })).toBeUndefined();
  });
});

describe('an error location in the panel', () => {
  it('a click asks the host to open file, line and column', () => {
    const state = panelWith(run({ status: 'failed', error: { message: 'bad', file: '/ws/m.model.ts', line: 12, column: 5 } }));
    expect(headerModel(state, 0)!.error).toMatchObject({ location: '/ws/m.model.ts:12:5', openable: true });
    const sent = update(state, { type: 'openError' }, 0);
    expect(sent).toEqual([{ type: 'openLocation', file: '/ws/m.model.ts', line: 12, column: 5 }]);
    expect(parseWebviewToHost(sent[0])).toEqual(sent[0]);
  });

  it('a location without a usable file is text, and a bad line number is left out', () => {
    const state = panelWith(run({ status: 'failed', error: { message: 'bad', file: 'm.model.ts', line: 0 } }));
    expect(headerModel(state, 0)!.error!.openable).toBe(false);
    expect(update(state, { type: 'openError' }, 0)).toEqual([{ type: 'openLocation', file: 'm.model.ts' }]);
    expect(parseWebviewToHost({ type: 'openLocation', file: '/ws/a.ts', line: 0 })).toBeUndefined();
    expect(parseWebviewToHost({ type: 'openLocation', file: '' })).toBeUndefined();
  });

  it('the host opens only files inside a workspace folder', () => {
    const ws = path.resolve('/work/ws');
    expect(confineToFolders(path.join(ws, 'models/a.model.ts'), [ws])).toBe(path.join(ws, 'models/a.model.ts'));
    expect(confineToFolders(path.join(ws, '../etc/passwd'), [ws])).toBeUndefined();
    expect(confineToFolders(`${ws}/models/../../other/x.ts`, [ws])).toBeUndefined();
    expect(confineToFolders('/etc/passwd', [ws])).toBeUndefined();
    expect(confineToFolders('models/a.model.ts', [ws])).toBeUndefined();
    expect(confineToFolders(`${ws}-evil/x.ts`, [ws])).toBeUndefined();
    expect(confineToFolders(`${ws}/a\0.ts`, [ws])).toBeUndefined();
    expect(confineToFolders(path.join(ws, 'a.ts'), [])).toBeUndefined();
    // Windows paths with the Windows rules.
    expect(confineToFolders('C:\\ws\\m.ts', ['C:\\ws'], path.win32)).toBe('C:\\ws\\m.ts');
    expect(confineToFolders('D:\\m.ts', ['C:\\ws'], path.win32)).toBeUndefined();
  });
});

describe('the panel comes back as it was', () => {
  const report = {
    schema: 1, createdAt: 'x', data: 'd', count: 4,
    outputs: [{ kind: 'classification', output: 'y', labels: 'sparse', classNames: ['a', 'b'], accuracy: 0.5, confusion: [[1, 1], [1, 1]], perClass: [0, 1].map(() => ({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 })), macro: { precision: 0.5, recall: 0.5, f1: 0.5 }, samples: [] }],
  };

  it('a rebuilt page (hidden and shown, or a reload) restores options, the picked cell and the run to reopen', () => {
    const first = panelWith(run({ evalReport: report as RunView['evalReport'] }));
    update(first, { type: 'options', options: { normalise: true, smoothing: 0.8 } }, 0);
    update(first, { type: 'cell', cell: { output: 0, label: 1, predicted: 0 } }, 0);
    const saved = JSON.parse(JSON.stringify(savedState(first)));
    expect(saved.view).toEqual({ runId: 'r1', runDir: '/ws/.modellab/runs/r1', tab: 'run', cell: { output: 0, label: 1, predicted: 0 } });
    // The page is torn down; a new one starts from what VS Code kept, then gets the host's snapshot.
    const second = initialState(saved.options, saved);
    update(second, { type: 'message', data: { type: 'snapshot', seq: 5, run: run({ evalReport: report as RunView['evalReport'] }) } }, 0);
    expect(second.options).toMatchObject({ normalise: true, smoothing: 0.8 });
    expect(second.cell).toEqual({ output: 0, label: 1, predicted: 0 });
  });

  it('a saved cell is dropped when the snapshot is another run, or the cell does not exist', () => {
    const saved = { options: {}, view: { runId: 'r1', tab: 'run', cell: { output: 0, label: 5, predicted: 0 } } };
    const s = initialState({}, saved);
    update(s, { type: 'message', data: { type: 'snapshot', seq: 0, run: run({ evalReport: report as RunView['evalReport'] }) } }, 0);
    expect(s.cell).toBeUndefined();
    const other = initialState({}, { options: {}, view: { runId: 'r0', tab: 'run', cell: { output: 0, label: 1, predicted: 1 } } });
    update(other, { type: 'message', data: { type: 'snapshot', seq: 0, run: run({ evalReport: report as RunView['evalReport'] }) } }, 0);
    expect(other.cell).toBeUndefined();
  });

  it('after a reload the host reopens only a run folder inside the workspace', () => {
    const ws = path.resolve('/work/ws');
    const runDir = path.join(ws, '.modellab/runs/r1');
    const exists = (f: string) => f === path.join(runDir, 'run.json');
    expect(savedRunDir({ view: { runDir } }, [ws], exists)).toBe(runDir);
    expect(savedRunDir({ view: { runDir: path.join(ws, '.modellab/runs/r2') } }, [ws], exists)).toBeUndefined();
    expect(savedRunDir({ view: { runDir: '/etc' } }, [ws], () => true)).toBeUndefined();
    expect(savedRunDir({ view: { runDir: 42 } }, [ws], () => true)).toBeUndefined();
    expect(savedRunDir(undefined, [ws], () => true)).toBeUndefined();
  });
});
