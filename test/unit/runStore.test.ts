import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { MetricLine, RunRecord } from '../../src/protocol/runFolder';
import { makeRunId, RunWriter } from '../../src/trainer/runWriter';
import { listRuns, markCrashed, readRun } from '../../src/training/runStore';

let runsDir: string;
beforeEach(() => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-runs-'));
});
afterEach(() => {
  fs.rmSync(runsDir, { recursive: true, force: true });
});

function record(id: string, startedAt: string): RunRecord {
  return {
    id,
    modelFile: '/w/examples/mnist-cnn.model.ts',
    config: { epochs: 2, batchSize: 64, validationSplit: 0.15, shuffle: true, dataset: 'mnist' },
    backend: { name: 'wasm', reason: 'chosen' },
    versions: { tfjs: '4.22.0', node: process.version, modelLab: '0.1.0' },
    startedAt,
    status: 'running',
  };
}

const batch = (step: number, loss: number): MetricLine => ({ type: 'batch', epoch: 0, batch: step, step, time: 1000 + step, loss, acc: 0.5 }) as MetricLine;

describe('makeRunId', () => {
  test('is readable, sortable by time and names the model', () => {
    const a = makeRunId('/w/examples/mnist-cnn.model.ts', new Date(2026, 10, 28, 19, 5, 1));
    const b = makeRunId('/w/examples/other.js', new Date(2026, 10, 28, 19, 5, 2));
    expect(a).toBe('20261128-190501-mnist-cnn');
    expect(b).toBe('20261128-190502-other');
    expect([b, a].sort()).toEqual([a, b]);
  });

  test('gives different ids for two runs in the same second', () => {
    const d = new Date(2026, 0, 2, 3, 4, 5);
    const ids = [makeRunId('x.model.ts', d), makeRunId('x.model.ts', d), makeRunId('x.model.ts', d)];
    expect(new Set(ids).size).toBe(3);
    expect(ids[0]).toBe('20260102-030405-x');
    for (const id of ids) expect(id).toMatch(/^[a-z0-9-]+$/);
  });
});

describe('RunWriter', () => {
  test('writes run.json, appends metrics and updates the record in place', () => {
    const w = RunWriter.create(runsDir, 'r1', record('r1', '2026-11-28T19:00:00.000Z'));
    expect(w.dir).toBe(path.join(runsDir, 'r1'));
    expect(w.modelDir).toBe(path.join(runsDir, 'r1', 'model'));
    w.appendMetric(batch(0, 2.3));
    w.appendMetric(batch(1, 2.1));
    // appended synchronously: the bytes are on disk before the next line of code
    expect(fs.readFileSync(path.join(w.dir, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    w.updateRecord({ status: 'completed', endedAt: '2026-11-28T19:01:00.000Z', totalParams: 42 });

    const { record: rec, metrics } = readRun(w.dir);
    expect(rec.status).toBe('completed');
    expect(rec.totalParams).toBe(42);
    expect(rec.config.batchSize).toBe(64);
    expect(metrics.map((m) => (m as unknown as { loss: number }).loss)).toEqual([2.3, 2.1]);
    // the atomic write leaves no temp files behind; the space reserve is given back at the end of the run
    expect(fs.readdirSync(w.dir).sort()).toEqual(['.space-reserve', 'metrics.jsonl', 'run.json']);
    w.releaseReserve();
    expect(fs.readdirSync(w.dir).sort()).toEqual(['metrics.jsonl', 'run.json']);
  });

  test('refuses to reuse an existing run folder', () => {
    RunWriter.create(runsDir, 'same', record('same', '2026-11-28T19:00:00.000Z'));
    expect(() => RunWriter.create(runsDir, 'same', record('same', '2026-11-28T19:00:00.000Z'))).toThrow(/EEXIST/);
  });
});

describe('readRun', () => {
  test('skips a last line cut short by a kill', () => {
    const w = RunWriter.create(runsDir, 'cut', record('cut', '2026-11-28T19:00:00.000Z'));
    w.appendMetric(batch(0, 2.3));
    fs.appendFileSync(path.join(w.dir, 'metrics.jsonl'), '{"type":"batch","epoch":0,"ba');
    const { metrics } = readRun(w.dir);
    expect(metrics).toHaveLength(1);
    expect(metrics[0].type).toBe('batch');
  });
});

describe('listRuns', () => {
  test('lists newest first and skips broken folders', () => {
    RunWriter.create(runsDir, 'old', record('old', '2026-11-27T10:00:00.000Z'));
    RunWriter.create(runsDir, 'new', record('new', '2026-11-28T10:00:00.000Z'));
    RunWriter.create(runsDir, 'mid', record('mid', '2026-11-27T20:00:00.000Z'));
    fs.mkdirSync(path.join(runsDir, 'empty'));
    fs.mkdirSync(path.join(runsDir, 'garbage'));
    fs.writeFileSync(path.join(runsDir, 'garbage', 'run.json'), '{"id": ');
    fs.writeFileSync(path.join(runsDir, 'stray-file.txt'), 'x');
    expect(listRuns(runsDir).map((r) => r.id)).toEqual(['new', 'mid', 'old']);
  });

  test('returns nothing for a runs folder that does not exist yet', () => {
    expect(listRuns(path.join(runsDir, 'nope'))).toEqual([]);
  });
});

describe('markCrashed', () => {
  test('ends a run that has no end line as crashed', () => {
    const w = RunWriter.create(runsDir, 'dead', record('dead', '2026-11-28T19:00:00.000Z'));
    w.appendMetric(batch(0, 2.3));
    w.appendMetric({ type: 'epoch', epoch: 1, time: 5, loss: 1 } as MetricLine);
    fs.appendFileSync(path.join(w.dir, 'metrics.jsonl'), '{"type":"batch","ep'); // killed mid-write
    markCrashed(w.dir, 'The trainer process exited with signal SIGKILL');

    const { record: rec, metrics } = readRun(w.dir);
    const end = metrics[metrics.length - 1];
    expect(end).toMatchObject({ type: 'end', status: 'crashed', epoch: 1, error: { message: 'The trainer process exited with signal SIGKILL' } });
    expect(metrics).toHaveLength(3);
    expect(rec.status).toBe('crashed');
    expect(rec.error?.message).toBe('The trainer process exited with signal SIGKILL');
    expect(Number.isNaN(Date.parse(rec.endedAt ?? ''))).toBe(false);
  });

  test('leaves a run that ended alone', () => {
    const w = RunWriter.create(runsDir, 'fine', record('fine', '2026-11-28T19:00:00.000Z'));
    w.appendMetric(batch(0, 2.3));
    w.appendMetric({ type: 'end', epoch: 0, time: 9, status: 'completed' });
    w.updateRecord({ status: 'completed', endedAt: '2026-11-28T19:01:00.000Z' });
    const before = [fs.readFileSync(path.join(w.dir, 'metrics.jsonl'), 'utf8'), fs.readFileSync(path.join(w.dir, 'run.json'), 'utf8')];
    markCrashed(w.dir, 'channel closed');
    expect([fs.readFileSync(path.join(w.dir, 'metrics.jsonl'), 'utf8'), fs.readFileSync(path.join(w.dir, 'run.json'), 'utf8')]).toEqual(before);
  });
});
