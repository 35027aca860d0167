import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRun } from '../../src/training/runStore';
import { DIST, ensureBuilt, TINY_MODEL } from './builtTrainer';
import { decodeEvent, readRecords } from './tfrecordReader';

const CLI = path.join(DIST, 'cli.js');
let dir: string;

function runCli(args: string[], cwd = dir): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  await ensureBuilt(['cli.js', 'trainer.js']);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lab-export-'));
  fs.writeFileSync(path.join(dir, 'tiny.model.ts'), TINY_MODEL);
});
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('model-lab export --tensorboard (real CLI, real trainer)', () => {
  it('exports a trained run whose every metric line reads back from the event file', async () => {
    const t = await runCli(['train', 'tiny.model.ts', '--backend', 'cpu', '--epochs', '2', '--runs-dir', 'runs']);
    expect(t.code, t.stderr).toBe(0);
    const [id] = fs.readdirSync(path.join(dir, 'runs'));
    const runDir = path.join(dir, 'runs', id);

    // by run id; and again by absolute folder, which replaces the file
    const r = await runCli(['export', id, '--runs-dir', 'runs', '--tensorboard', 'tb']);
    expect(r.code, r.stderr).toBe(0);
    const again = await runCli(['export', runDir, '--tensorboard=tb', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const result = JSON.parse(again.stdout) as { file: string; batchPoints: number; epochPoints: number; tags: string[] };
    expect(r.stdout).toContain(`exported ${id}: ${result.batchPoints} batch points, 2 epoch points, ${result.tags.length} tags -> ${result.file}\n`);
    expect(r.stdout).toContain(`view with: tensorboard --logdir ${path.join(dir, 'tb')}`);
    expect(fs.readdirSync(path.join(dir, 'tb'))).toEqual([id]);
    expect(fs.readdirSync(path.join(dir, 'tb', id))).toEqual([path.basename(result.file)]);

    const { record, metrics } = readRun(runDir);
    const events = readRecords(new Uint8Array(fs.readFileSync(result.file))).map(decodeEvent);
    const got = events.flatMap((e) => e.values.filter((v) => v.simpleValue !== undefined).map((v) => `${v.tag}@${e.step}=${v.simpleValue}`));
    const want: string[] = [];
    for (const m of metrics) {
      if (m.type === 'end') continue;
      for (const [k, v] of Object.entries(m)) {
        if (['type', 'epoch', 'batch', 'step', 'time'].includes(k) || typeof v !== 'number') continue;
        want.push(`${m.type}/${k}@${m.type === 'batch' ? m.step : m.epoch}=${Math.fround(v)}`);
      }
    }
    expect(got).toEqual(want);
    expect(result.batchPoints).toBe(metrics.filter((m) => m.type === 'batch').length);
    expect(result.tags).toEqual(expect.arrayContaining(['batch/loss', 'batch/acc', 'epoch/loss', 'epoch/val_loss', 'epoch/val_acc']));
    const layers = events.flatMap((e) => e.values).find((v) => v.tag === 'model/layers')!.tensor!.strings[0];
    for (const l of record.layers ?? []) expect(layers).toContain(`| ${l.name} | ${l.className} |`);
  });

  it('says what is wrong with bad arguments and unknown runs, and writes nothing', async () => {
    const noDir = await runCli(['export', 'some-run']);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toMatch(/^model-lab: export needs --tensorboard DIR/);
    const noRun = await runCli(['export', 'no-such-run', '--tensorboard', 'tb2']);
    expect(noRun.code).toBe(2);
    expect(noRun.stderr).toMatch(/^model-lab: no run "no-such-run" \(neither a run folder nor a run id in /);
    expect(fs.existsSync(path.join(dir, 'tb2'))).toBe(false);
    const bad = await runCli(['export', 'x', '--tensorboard', 'tb2', '--format', 'csv']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^model-lab: unknown option --format/);
    const help = await runCli(['export', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: model-lab export RUN\.\.\. --tensorboard DIR/);
    const mainHelp = await runCli(['--help']);
    expect(mainHelp.stdout).toContain('model-lab export RUN... --tensorboard DIR');
  });

  it('a run folder whose run.json is damaged fails with exit 1, naming it', async () => {
    const broken = path.join(dir, 'broken-run');
    fs.mkdirSync(broken, { recursive: true });
    fs.writeFileSync(path.join(broken, 'run.json'), '{"id": "x", "status": ');
    const r = await runCli(['export', broken, '--tensorboard', 'tb3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `model-lab: cannot export: ${path.join(broken, 'run.json')}: run.json is cut short (22 characters, no closing brace): its write was interrupted, by a kill or a full disk (Unexpected end of JSON input)\n`,
    );
    expect(fs.existsSync(path.join(dir, 'tb3'))).toBe(false);
  });
});
