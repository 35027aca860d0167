/**
 * The run folder's format (src/protocol/runFolder.ts) as the Runs view reads it: readable runs, and
 * damaged ones (partial, foreign, not JSON, from a newer version) listed as such instead of
 * blanking the view; and the schemas refusing deep bad fields on both the files and the messages.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { parseMetricLines, parseRunRecord, RUN_FORMAT_VERSION, type RunRecord } from '../../src/protocol/runFolder';
import { parseHostToTrainer, parseTrainerToHost } from '../../src/protocol/trainer';
import { parseHostToWebview, parseWebviewToHost } from '../../src/protocol/webview';
import { RunWriter } from '../../src/trainer/runWriter';
import { listRunEntries, listRuns } from '../../src/training/runStore';
import { runRow } from '../../src/views/runsTreeModel';

let runsDir: string;
beforeEach(() => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-runfolder-'));
});
afterEach(() => fs.rmSync(runsDir, { recursive: true, force: true }));

const record = (id: string, startedAt: string): RunRecord => ({
  id,
  modelFile: '/w/examples/mnist-cnn.model.ts',
  config: { epochs: 2, batchSize: 64, validationSplit: 0.15, shuffle: true, dataset: { type: 'csv', path: '/w/data/iris.csv' } },
  backend: { name: 'wasm', reason: 'chosen' },
  versions: { tfjs: '4.22.0', node: process.version, modelLab: '0.1.0' },
  startedAt,
  status: 'completed',
  layers: [{ name: 'dense_Dense1', className: 'Dense', outputShape: [null, 10], params: 50 }],
});

function writeRunJson(name: string, json: string): void {
  fs.mkdirSync(path.join(runsDir, name));
  fs.writeFileSync(path.join(runsDir, name, 'run.json'), json);
}

describe('the Runs view over a runs folder with damaged runs', () => {
  test('each damaged folder is one row saying why; the readable runs are all there, newest first', () => {
    RunWriter.create(runsDir, 'good-old', record('good-old', '2026-11-01T10:00:00.000Z'));
    RunWriter.create(runsDir, 'good-new', record('good-new', '2026-11-02T10:00:00.000Z'));
    // Partial: the view used to read record.backend.name from this and blank itself.
    const { backend: _dropped, ...partial } = record('partial', '2026-11-03T10:00:00.000Z');
    writeRunJson('partial', JSON.stringify(partial));
    writeRunJson('foreign', JSON.stringify({ hello: 'world' }));
    writeRunJson('cut-short', '{"id": "cut-short", "modelFile": ');
    writeRunJson('from-the-future', JSON.stringify({ ...record('from-the-future', '2026-11-04T10:00:00.000Z'), formatVersion: RUN_FORMAT_VERSION + 1 }));
    writeRunJson('bad-layer', JSON.stringify({ ...record('bad-layer', '2026-11-05T10:00:00.000Z'), layers: [{ name: 'd', className: 'Dense', outputShape: 'wide', params: 1 }] }));
    fs.mkdirSync(path.join(runsDir, 'being-created')); // no run.json yet: not a row

    const rows = listRunEntries(runsDir).map((e) => runRow(e));
    const readable = rows.filter((r) => r.contextValue === 'modelLab.run');
    const damaged = rows.filter((r) => r.contextValue === 'modelLab.damagedRun');

    expect(readable.map((r) => path.basename(r.runDir))).toEqual(['good-new', 'good-old']);
    expect(readable[0]).toMatchObject({ label: 'mnist-cnn.model.ts', icon: 'pass' });
    expect(readable[0].description).toMatch(/^completed · /);
    expect(readable[0].tooltip).toContain('backend: wasm');
    expect(readable[0].tooltip).toContain('2 epochs · batch 64 · csv iris.csv');

    const why = Object.fromEntries(damaged.map((r) => [r.label, r.tooltip[1]]));
    expect(Object.keys(why).sort()).toEqual(['bad-layer', 'cut-short', 'foreign', 'from-the-future', 'partial']);
    for (const r of damaged) expect(r).toMatchObject({ description: 'damaged run', icon: 'warning' });
    expect(why.partial).toMatch(/^This run folder cannot be read: run\.json .*backend/);
    expect(why['cut-short']).toMatch(/run\.json is cut short \(33 characters, no closing brace\): its write was interrupted/);
    expect(why['from-the-future']).toMatch(/formatVersion: written by a newer Model Lab/);
    expect(why['bad-layer']).toMatch(/layers\.0\.outputShape/);
    // listRuns, used where only readable runs make sense, skips the damaged ones.
    expect(listRuns(runsDir).map((r) => r.id)).toEqual(['good-new', 'good-old']);
  });

  test('the writer stamps the format version, and the reader gives back what was written', () => {
    const w = RunWriter.create(runsDir, 'r', record('r', '2026-11-01T10:00:00.000Z'));
    const text = fs.readFileSync(path.join(w.dir, 'run.json'), 'utf8');
    expect(JSON.parse(text).formatVersion).toBe(RUN_FORMAT_VERSION);
    const parsed = parseRunRecord(text);
    // The writer adds which process writes the run: pid, and its start time and boot id from /proc.
    expect(parsed).toEqual({
      ok: true,
      value: {
        ...record('r', '2026-11-01T10:00:00.000Z'),
        formatVersion: RUN_FORMAT_VERSION,
        process: { pid: process.pid, startTime: expect.stringMatching(/^\d+$/), bootId: expect.any(String) },
      },
    });
  });

  test('metrics.jsonl: metric keys are kept, a NaN stored as null stays a line, foreign and cut lines are skipped', () => {
    const lines = parseMetricLines(
      [
        '{"type":"batch","epoch":0,"batch":0,"step":0,"time":1,"loss":0.5,"acc":0.25}',
        '{"type":"batch","epoch":0,"batch":1,"step":1,"time":2,"loss":null}',
        '{"type":"batch","epoch":"zero","batch":2,"step":2,"time":3}',
        '{"type":"mystery"}',
        '{"type":"end","epoch":0,"time":4,"status":"completed"}',
        '{"type":"epoch","epoch":0,"ti',
      ].join('\n'),
    );
    expect(lines).toEqual([
      { type: 'batch', epoch: 0, batch: 0, step: 0, time: 1, loss: 0.5, acc: 0.25 },
      { type: 'batch', epoch: 0, batch: 1, step: 1, time: 2, loss: null },
      { type: 'end', epoch: 0, time: 4, status: 'completed' },
    ]);
  });
});

describe('messages are checked deep on the host side', () => {
  const run = {
    type: 'run',
    runId: 'r',
    runDir: '/runs/r',
    modelFile: '/w/m.model.ts',
    config: { epochs: 1, batchSize: 8, validationSplit: 0, shuffle: false, dataset: 'mnist' },
    batchesPerEpoch: 3,
    layers: [{ name: 'd', className: 'Dense', outputShape: [null, 2], params: 4 }],
    totalParams: 4,
  };

  test('a valid run message passes whole', () => {
    expect(parseTrainerToHost(run)).toEqual(run);
  });

  test('one bad layer, a bad callback setting or a bad dataset drops the run message, saying where', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...run, layers: [...run.layers, { name: 'x', className: 'Dense', outputShape: [null, 'two'], params: 1 }] }, /^layers\.1\.outputShape/],
      [{ ...run, config: { ...run.config, callbacks: { terminateOnNaN: true, lrSchedule: { type: 'sawtooth', warmupEpochs: 0 } } } }, /^config\.callbacks\.lrSchedule\.type/],
      [{ ...run, config: { ...run.config, dataset: { path: 'x.csv' } } }, /^config\.dataset: not a dataset spec/],
      [{ ...run, totalParams: '4' }, /^totalParams/],
    ];
    for (const [msg, where] of cases) {
      let why = '';
      expect(parseTrainerToHost(msg, (w) => (why = w))).toBeUndefined();
      expect(why).toMatch(where);
    }
  });

  test('a response needs its id and a result of a known kind; the trainer refuses a request without an id', () => {
    expect(parseTrainerToHost({ type: 'response', id: 3, ok: false, error: { message: 'no' } })).toEqual({ type: 'response', id: 3, ok: false, error: { message: 'no' } });
    expect(parseTrainerToHost({ type: 'response', ok: false, error: { message: 'no' } })).toBeUndefined();
    expect(parseTrainerToHost({ type: 'response', id: 1.5, ok: false, error: { message: 'no' } })).toBeUndefined();
    expect(parseTrainerToHost({ type: 'response', id: 3, ok: true, result: { kind: 'summary', summary: { file: 'f' } } })).toBeUndefined();
    expect(parseHostToTrainer({ type: 'request', request: { kind: 'summary', file: '/m.ts' } })).toBeUndefined();
    expect(parseHostToTrainer({ type: 'request', id: 1, request: { kind: 'train', file: '/m.ts' } })).toBeUndefined();
    expect(parseHostToTrainer({ type: 'request', id: 1, request: { kind: 'summary', file: '/m.ts' } })).toEqual({ type: 'request', id: 1, request: { kind: 'summary', file: '/m.ts' } });
  });

  test('a start message carries scriptArgs as strings only', () => {
    const spec = { modelFile: '/w/s.js', runsDir: '/w/runs', backend: 'cpu', mode: 'script', scriptArgs: ['--epochs', '3'] };
    expect(parseHostToTrainer({ type: 'start', spec })).toEqual({ type: 'start', spec });
    expect(parseHostToTrainer({ type: 'start', spec: { ...spec, scriptArgs: ['--epochs', 3] } })).toBeUndefined();
  });
});

describe('the panel checks every field it draws', () => {
  const view = {
    runId: 'r', modelFile: '/w/m.model.ts', runDir: '/runs/r', batchesPerEpoch: 2, totalParams: 4, status: 'completed', startedAt: 1,
    layers: [{ name: 'd', className: 'Dense', outputShape: [null, 2], params: 4 }],
    batches: [{ epoch: 0, batch: 0, step: 0, time: 1, metrics: { loss: null } }],
    epochs: [],
  };
  const report = {
    schema: 1, createdAt: '2026-11-01T00:00:00.000Z', data: 'held out', count: 2,
    outputs: [{
      kind: 'classification', output: 'dense', labels: 'sparse', classNames: ['a', 'b'], accuracy: 0.5,
      confusion: [[1, 0], [1, 0]], perClass: [{ precision: 0.5, recall: 1, f1: 0.67, support: 1 }, { precision: null, recall: 0, f1: null, support: 1 }],
      macro: { precision: 0.5, recall: 0.5, f1: 0.67 }, samples: [],
    }],
  };

  test('a snapshot with a NaN loss (null over JSON) and a drawable eval report passes', () => {
    expect(parseHostToWebview({ type: 'snapshot', seq: 1, run: { ...view, evalReport: report } })).toMatchObject({ type: 'snapshot', run: { runId: 'r' } });
  });

  test('one bad layer, a confusion matrix narrower than the class list or an image without its pixels drops the message, saying where', () => {
    const badImage = { kind: 'image', width: 2, height: 2, channels: 1, pixels: [0, 0, 0] };
    const cases: [unknown, RegExp][] = [
      [{ type: 'snapshot', seq: 1, run: { ...view, layers: [{ name: 'd', className: 'Dense', outputShape: 'wide', params: 4 }] } }, /^run\.layers\.0\.outputShape/],
      [{ type: 'snapshot', seq: 1, run: { ...view, evalReport: { ...report, outputs: [{ ...report.outputs[0], confusion: [[1, 0]] }] } } }, /^run\.evalReport\.outputs\.0: the confusion matrix/],
      [{ type: 'event', seq: 2, runId: 'r', event: { type: 'eval', report: { ...report, outputs: [{ ...report.outputs[0], samples: [{ index: 0, input: badImage, label: 0, predicted: 0, top: [] }] }] } } },
        /^event\.report\.outputs\.0\.samples\.0\.input: pixels do not fill/],
      [{ type: 'event', seq: 1.5, runId: 'r', event: { type: 'paused' } }, /^seq/],
    ];
    for (const [msg, where] of cases) {
      let why = '';
      expect(parseHostToWebview(msg, (w) => (why = w))).toBeUndefined();
      expect(why).toMatch(where);
    }
  });

  test('the host takes only the panel commands it knows, each naming a run', () => {
    expect(parseWebviewToHost({ type: 'pause', runId: 'r' })).toEqual({ type: 'pause', runId: 'r' });
    expect(parseWebviewToHost({ type: 'ready', extra: 1 })).toEqual({ type: 'ready' });
    expect(parseWebviewToHost({ type: 'pause' })).toBeUndefined();
    expect(parseWebviewToHost({ type: 'pause', runId: 'x'.repeat(200) })).toBeUndefined();
    expect(parseWebviewToHost({ type: 'train', runId: 'r' })).toBeUndefined();
  });
});
