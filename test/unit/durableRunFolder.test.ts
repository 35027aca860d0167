// Run folders that survive kills: the checkpoint pointer (followed by every reader, old layout
// accepted), the cleanup of a killed run's leftovers at the next start, stale `running` runs marked
// crashed from run.json's process identity, and a full disk named in the error. Real folders on
// disk, real processes' identities from /proc; the kills themselves are in test/faults/.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { procStatStartTime, type RunRecord } from '../../src/protocol/runFolder';
import { findCheckpointDir } from '../../src/trainer/checkpoints';
import { cleanRunFolder } from '../../src/trainer/cleanup';
import { writeFailure, writeFileAtomic } from '../../src/trainer/durable';
import { isProcessAlive, ownProcessIdentity } from '../../src/trainer/processIdentity';
import { RunWriter } from '../../src/trainer/runWriter';
import { isRecordedProcessAlive, listRunEntries, readRun } from '../../src/training/runStore';
import { checkpointFolder, runViewFromStore } from '../../src/training/runViewFromStore';

let runsDir: string;
beforeEach(() => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-durable-'));
});
afterEach(() => {
  fs.rmSync(runsDir, { recursive: true, force: true });
});

/** A pid no process has: one past the largest the kernel hands out. */
const deadPid = () => Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1;
/** Modification time well before this test process started, as a killed earlier run's files have. */
const past = new Date(Date.now() - process.uptime() * 1000 - 60_000);

function record(id: string): RunRecord {
  return {
    id,
    modelFile: '/w/m.model.ts',
    config: { epochs: 2, batchSize: 8, validationSplit: 0, shuffle: true, dataset: 'mnist' },
    backend: { name: 'cpu', reason: 'test' },
    versions: { tfjs: '4.22.0', node: process.version, modelLab: '0.1.0' },
    startedAt: new Date().toISOString(),
    status: 'running',
  };
}

function checkpoint(dir: string, epochsCompleted: number): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.json'), '{}');
  const info = { kind: 'last', reason: 'epoch', epoch: epochsCompleted - 1, step: epochsCompleted * 10 - 1, epochsCompleted, time: 1 };
  fs.writeFileSync(path.join(dir, 'checkpoint.json'), JSON.stringify(info));
}
const epochsOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')).epochsCompleted as number;

describe('the checkpoint pointer', () => {
  test('a kill between the two renames (checkpoints/last missing) leaves the new copy findable by the trainer and the host', () => {
    const runDir = RunWriter.create(runsDir, 'r', record('r')).dir;
    const ck = path.join(runDir, 'checkpoints');
    const tmp = `.last.tmp-${deadPid()}-1700000000000`;
    checkpoint(path.join(ck, tmp), 3);
    checkpoint(path.join(ck, `${tmp}-old`), 2); // the old copy, moved aside
    fs.writeFileSync(path.join(ck, 'last.json'), JSON.stringify({ dir: tmp }));
    expect(fs.existsSync(path.join(ck, 'last'))).toBe(false);
    expect(epochsOf(findCheckpointDir(runDir, 'last'))).toBe(3);
    expect(epochsOf(checkpointFolder(runDir, 'last'))).toBe(3);
  });

  test('a folder from before the pointer (checkpoints/last only) is read as it was', () => {
    const runDir = path.join(runsDir, 'old');
    checkpoint(path.join(runDir, 'checkpoints', 'last'), 4);
    expect(findCheckpointDir(runDir, 'last')).toBe(path.join(runDir, 'checkpoints', 'last'));
    expect(checkpointFolder(runDir, 'last')).toBe(path.join(runDir, 'checkpoints', 'last'));
  });

  test('a pointer naming a path outside checkpoints/ is not followed', () => {
    const runDir = path.join(runsDir, 'evil');
    checkpoint(path.join(runDir, 'checkpoints', 'last'), 1);
    checkpoint(path.join(runsDir, 'elsewhere'), 9);
    fs.writeFileSync(path.join(runDir, 'checkpoints', 'last.json'), JSON.stringify({ dir: '../../elsewhere' }));
    expect(epochsOf(findCheckpointDir(runDir, 'last'))).toBe(1);
    expect(epochsOf(checkpointFolder(runDir, 'last'))).toBe(1);
  });
});

describe('cleanup at the next start', () => {
  test("finishes a killed run's checkpoint swap and removes its temp folders, run.json temps and space reserve", () => {
    const w = RunWriter.create(runsDir, 'killed', record('killed'));
    w.updateRecord({ process: { pid: deadPid() } });
    const ck = path.join(w.dir, 'checkpoints');
    const tmp = `.last.tmp-${deadPid()}-1700000000000`;
    checkpoint(path.join(ck, tmp), 3);
    checkpoint(path.join(ck, 'best'), 2);
    checkpoint(path.join(ck, `.best.tmp-${deadPid()}-1700000000001`), 5); // written, never pointed at
    fs.writeFileSync(path.join(ck, 'last.json'), JSON.stringify({ dir: tmp }));
    const runTmp = path.join(w.dir, `run.json.${deadPid()}.1700000000000.tmp`);
    fs.writeFileSync(runTmp, '{"half');
    for (const f of [path.join(ck, tmp), path.join(ck, `.best.tmp-${deadPid()}-1700000000001`), runTmp]) fs.utimesSync(f, past, past);

    cleanRunFolder(w.dir);
    expect(fs.readdirSync(ck).sort()).toEqual(['best', 'last', 'last.json']);
    expect(epochsOf(path.join(ck, 'last'))).toBe(3);
    expect(JSON.parse(fs.readFileSync(path.join(ck, 'last.json'), 'utf8'))).toEqual({ dir: 'last' });
    expect(epochsOf(path.join(ck, 'best'))).toBe(2);
    expect(fs.readdirSync(w.dir).sort()).toEqual(['checkpoints', 'metrics.jsonl', 'run.json']);
  });

  test("leaves a live run's temps alone, and temps newer than this process", () => {
    const w = RunWriter.create(runsDir, 'live', record('live'));
    const ck = path.join(w.dir, 'checkpoints');
    const mine = path.join(ck, `.last.tmp-${process.pid}-${Date.now()}`);
    const parents = path.join(w.dir, `run.json.${process.ppid}.1.tmp`);
    checkpoint(mine, 1);
    fs.writeFileSync(parents, 'x');
    fs.utimesSync(parents, past, past);
    cleanRunFolder(w.dir);
    expect(fs.existsSync(mine)).toBe(true);
    expect(fs.existsSync(parents)).toBe(true); // its process (our parent) lives
    expect(fs.existsSync(path.join(w.dir, '.space-reserve'))).toBe(true);
  });
});

describe('runs left `running` by a dead process', () => {
  test('/proc start time: this process is alive, a reused pid with another start time is not', () => {
    const me = ownProcessIdentity();
    expect(me.startTime).toMatch(/^\d+$/);
    expect(isProcessAlive(me)).toBe(true);
    expect(isRecordedProcessAlive(me)).toBe(true);
    const reused = { ...me, startTime: String(Number(me.startTime) + 1) };
    expect(isProcessAlive(reused)).toBe(false);
    expect(isRecordedProcessAlive(reused)).toBe(false);
    expect(isRecordedProcessAlive({ pid: deadPid() })).toBe(false);
    // The command name may hold spaces and parentheses; field 22 is counted after the last ')'.
    expect(procStatStartTime('123 (a) b (c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20')).toBe('987654');
  });

  test('are listed and rewritten as crashed, with an end line; a live run stays running', () => {
    const dead = RunWriter.create(runsDir, 'dead', record('dead'));
    dead.appendMetric({ type: 'batch', epoch: 0, batch: 0, step: 0, time: 1, loss: 1 } as never);
    // A child that exited: its pid and start time are a real process's, now gone.
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(require("fs").readFileSync("/proc/self/stat","utf8"))'], { encoding: 'utf8' });
    dead.updateRecord({ process: { pid: child.pid!, startTime: procStatStartTime(child.stdout) } });
    const reused = RunWriter.create(runsDir, 'reused', record('reused'));
    reused.updateRecord({ process: { ...ownProcessIdentity(), startTime: '1' } });
    RunWriter.create(runsDir, 'live', record('live'));

    const status = Object.fromEntries(listRunEntries(runsDir, { markStale: true }).map((e) => [e.kind === 'run' ? e.record.id : e.id, e.kind === 'run' ? e.record.status : 'damaged']));
    expect(status).toEqual({ dead: 'crashed', reused: 'crashed', live: 'running' });
    const { record: rec, metrics } = readRun(dead.dir);
    expect(rec.error?.message).toBe(`The trainer process (pid ${child.pid}) ended without finishing the run: it was killed, or the machine stopped`);
    expect(metrics.map((m) => m.type)).toEqual(['batch', 'end']);
    expect(runViewFromStore(reused.dir).status).toBe('crashed');
  });

  test('the panel opening a stale run rewrites it too', () => {
    const w = RunWriter.create(runsDir, 'stale', record('stale'));
    w.updateRecord({ process: { pid: deadPid() } });
    expect(runViewFromStore(w.dir).status).toBe('crashed');
    expect(readRun(w.dir).record.status).toBe('crashed');
  });
});

describe('a full disk', () => {
  test('names the file it could not write', () => {
    const e = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect((writeFailure(e, '/runs/r/metrics.jsonl') as Error).message).toBe(
      'The disk is full: could not write /runs/r/metrics.jsonl (ENOSPC). Free some space; the metrics and checkpoints written before are kept',
    );
    const other = new Error('EACCES');
    expect(writeFailure(other, '/x')).toBe(other);
  });

  test('writeFileAtomic leaves the old content and no temp when the write fails', () => {
    const file = path.join(runsDir, 'run.json');
    fs.writeFileSync(file, 'old');
    fs.mkdirSync(path.join(runsDir, 'sub'));
    expect(() => writeFileAtomic(path.join(runsDir, 'sub'), 'x')).toThrow();
    expect(fs.readFileSync(file, 'utf8')).toBe('old');
    expect(fs.readdirSync(runsDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
