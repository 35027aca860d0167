// The `modellab` task type: definitions from tasks.json become CLI command lines (bad fields are
// refused naming the field), and the `$model-lab` problem matcher declared in package.json finds
// the file, line and column in what the real CLI prints when a model file fails to build.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_LINE_PATTERN, taskCliArgs, taskLabel } from '../../src/commands/modelLabTask';
import { DIST, ensureBuilt, ROOT } from './builtTrainer';

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

describe('taskCliArgs', () => {
  it('turns a train definition into the CLI flags', () => {
    expect(taskCliArgs({ type: 'modellab', file: 'models/cnn.model.ts', epochs: 2, batchSize: 32, backend: 'wasm', runsDir: 'runs' })).toEqual({
      args: ['train', 'models/cnn.model.ts', '--epochs', '2', '--batch-size', '32', '--backend', 'wasm', '--runs-dir', 'runs'],
    });
    expect(taskCliArgs({ type: 'modellab', file: 'm.model.ts', resume: '20261201-0800-m' })).toEqual({ args: ['train', 'm.model.ts', '--resume', '20261201-0800-m'] });
  });

  it('passes a script its own arguments after --', () => {
    expect(taskCliArgs({ type: 'modellab', command: 'run', file: 'train.mjs', args: ['--epochs', '2', 'data.csv'] })).toEqual({
      args: ['run', 'train.mjs', '--', '--epochs', '2', 'data.csv'],
    });
  });

  it('refuses what the CLI would refuse, naming the field', () => {
    const error = (def: Record<string, unknown>) => ('error' in taskCliArgs(def) ? (taskCliArgs(def) as { error: string }).error : 'accepted');
    expect(error({ type: 'modellab' })).toMatch(/"file" is required/);
    expect(error({ type: 'modellab', file: 'a.model.ts', epochs: 0 })).toMatch(/"epochs" must be a whole number/);
    expect(error({ type: 'modellab', file: 'a.model.ts', epochs: 2.5 })).toMatch(/"epochs"/);
    expect(error({ type: 'modellab', file: 'a.model.ts', batchSize: '64' })).toMatch(/"batchSize"/);
    expect(error({ type: 'modellab', file: 'a.model.ts', backend: 'gpu' })).toMatch(/"backend" must be one of auto, tensorflow, wasm, cpu/);
    expect(error({ type: 'modellab', command: 'fit', file: 'a.model.ts' })).toMatch(/"command" must be one of train, run, evaluate/);
    expect(error({ type: 'modellab', command: 'run', file: 's.js', epochs: 2 })).toMatch(/"epochs" applies to "command": "train" only/);
    expect(error({ type: 'modellab', file: 'a.model.ts', args: ['x'] })).toMatch(/"args" applies to "command": "run" only/);
    expect(error({ type: 'modellab', command: 'run', file: 's.js', args: [1] })).toMatch(/"args" must be a list of strings/);
  });

  it('labels tasks by command and file name', () => {
    expect(taskLabel({ file: 'models/mnist-cnn.model.ts' })).toBe('train mnist-cnn.model.ts');
    expect(taskLabel({ command: 'run', file: 'scripts\\train.mjs' })).toBe('run train.mjs');
  });

  it('package.json declares the task type with every field taskCliArgs reads', () => {
    const def = manifest.contributes.taskDefinitions.find((t: { type: string }) => t.type === 'modellab');
    expect(def.required).toEqual(['file']);
    expect(Object.keys(def.properties).sort()).toEqual(['args', 'backend', 'batchSize', 'command', 'epochs', 'file', 'resume', 'runsDir']);
  });
});

describe('the $model-lab problem matcher on the real CLI', () => {
  let dir: string;
  beforeAll(async () => {
    await ensureBuilt(['cli.js', 'trainer.js']);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lab-task-'));
    fs.mkdirSync(path.join(dir, 'models'));
    // A kernel larger than its feature map on line 7 (test/fixtures/trainer/kernelOnLine7.model.ts).
    fs.copyFileSync(path.join(__dirname, '../fixtures/trainer/kernelOnLine7.model.ts'), path.join(dir, 'models', 'kernel.model.ts'));
  });

  it('is the pattern package.json contributes', () => {
    const matcher = manifest.contributes.problemMatchers.find((m: { name: string }) => m.name === 'model-lab');
    expect(matcher.pattern.regexp).toBe(FAILURE_LINE_PATTERN);
    expect([matcher.pattern.file, matcher.pattern.line, matcher.pattern.column, matcher.pattern.message]).toEqual([1, 2, 3, 4]);
  });

  it('finds the failing line of a model whose kernel outgrows its feature map', () => {
    const r = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), 'train', 'models/kernel.model.ts', '--backend', 'wasm', '--runs-dir', 'runs'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(1);
    const re = new RegExp(FAILURE_LINE_PATTERN);
    const hits = r.stderr.split('\n').map((l) => re.exec(l)).filter((m): m is RegExpExecArray => m !== null);
    expect(hits, r.stderr).toHaveLength(1);
    const [, file, line, column, message] = hits[0];
    expect(path.resolve(dir, file)).toBe(path.join(dir, 'models', 'kernel.model.ts'));
    expect(line).toBe('7');
    expect(Number(column)).toBeGreaterThan(0);
    expect(message).not.toMatch(/kernel\.model\.ts:7/);
    expect(message).toMatch(/conv2d on line 7: the kernel \(15\) is larger than the 12×12 feature map that line 6 makes/);
    expect(r.stderr).not.toMatch(/dist[\\/](trainer|cli)\.js/);
  });
});
