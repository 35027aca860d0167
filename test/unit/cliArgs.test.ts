import { describe, expect, it, test } from 'vitest';
import { parseArgs, USAGE } from '../../src/cli/args';

const usageError = (argv: string[]) => {
  const r = parseArgs(argv);
  if (r.command !== 'usageError') throw new Error(`expected a usage error for ${JSON.stringify(argv)}, got ${JSON.stringify(r)}`);
  return r.message;
};

describe('parseArgs', () => {
  it('reads train FILE with defaults', () => {
    expect(parseArgs(['train', 'examples/mnist-cnn.model.ts'])).toEqual({
      command: 'train',
      file: 'examples/mnist-cnn.model.ts',
      backend: 'auto',
      json: false,
    });
  });

  it('reads every option, before or after FILE, as --flag value or --flag=value', () => {
    expect(
      parseArgs(['train', '--epochs', '2', 'm.ts', '--batch-size=32', '--backend', 'wasm', '--runs-dir', '/tmp/runs', '--json']),
    ).toEqual({ command: 'train', file: 'm.ts', epochs: 2, batchSize: 32, backend: 'wasm', runsDir: '/tmp/runs', json: true });
  });

  it('takes a FILE that looks like an option after --', () => {
    expect(parseArgs(['train', '--epochs', '1', '--', '--odd.ts'])).toMatchObject({ file: '--odd.ts', epochs: 1 });
  });

  it('answers --help and --version wherever they appear', () => {
    expect(parseArgs(['--help'])).toEqual({ command: 'help' });
    expect(parseArgs(['train', 'x.ts', '-h'])).toEqual({ command: 'help' });
    expect(parseArgs(['--version'])).toEqual({ command: 'version' });
    expect(parseArgs(['-v'])).toEqual({ command: 'version' });
  });

  it('rejects a missing command, an unknown command and a missing FILE', () => {
    expect(usageError([])).toMatch(/missing command/);
    expect(usageError(['fit', 'x.ts'])).toBe('unknown command "fit"; the commands are train, run, summary, preview and evaluate');
    expect(usageError(['--epochs', '2'])).toMatch(/^unknown option --epochs; the command comes first/);
    expect(usageError(['train'])).toBe('missing FILE: model-lab train FILE');
    expect(usageError(['train', '--json'])).toBe('missing FILE: model-lab train FILE');
  });

  it('rejects unknown flags, a second FILE, repeated flags and a value on --json', () => {
    expect(usageError(['train', 'x.ts', '--epoch', '2'])).toBe('unknown option --epoch');
    expect(usageError(['train', 'x.ts', '-e', '2'])).toBe('unknown option -e');
    expect(usageError(['train', 'x.ts', 'y.ts'])).toBe('unexpected argument "y.ts": train takes one FILE');
    expect(usageError(['train', 'x.ts', '--epochs', '2', '--epochs', '3'])).toBe('--epochs is given twice');
    expect(usageError(['train', 'x.ts', '--json=yes'])).toBe('--json takes no value');
  });

  it.each([['0'], ['-1'], ['2.5'], ['1e3'], ['abc'], [' 3'], ['99999999999999999999']])('rejects --epochs %j', (v) => {
    expect(usageError(['train', 'x.ts', '--epochs', v])).toBe(`--epochs needs a whole number of at least 1, not "${v}"`);
  });

  it('rejects a bad --batch-size the same way, and flags without their value', () => {
    expect(usageError(['train', 'x.ts', '--batch-size=0'])).toBe('--batch-size needs a whole number of at least 1, not "0"');
    expect(usageError(['train', 'x.ts', '--epochs'])).toBe('--epochs needs a value');
    expect(usageError(['train', 'x.ts', '--epochs', '--json'])).toBe('--epochs needs a value');
    expect(usageError(['train', 'x.ts', '--runs-dir='])).toBe('--runs-dir needs a value');
  });

  it('reads --resume RUN as typed, a run id or a folder', () => {
    expect(parseArgs(['train', 'x.ts', '--resume', '20261128-190501-x'])).toMatchObject({ command: 'train', file: 'x.ts', resume: '20261128-190501-x' });
    expect(parseArgs(['train', '--resume=runs/a', 'x.ts', '--epochs', '4'])).toMatchObject({ file: 'x.ts', resume: 'runs/a', epochs: 4 });
    expect(usageError(['train', 'x.ts', '--resume'])).toBe('--resume needs a value');
  });

  it('accepts only the known backends', () => {
    for (const b of ['auto', 'tensorflow', 'wasm', 'cpu']) expect(parseArgs(['train', 'x.ts', '--backend', b])).toMatchObject({ backend: b });
    expect(usageError(['train', 'x.ts', '--backend', 'webgl'])).toBe('--backend must be one of auto, tensorflow, wasm, cpu, not "webgl"');
  });

  it('reads --threads as auto or a whole number from 1 to 16', () => {
    expect(parseArgs(['train', 'x.ts', '--threads', '2'])).toMatchObject({ command: 'train', threads: 2 });
    expect(parseArgs(['train', 'x.ts', '--threads=auto'])).toMatchObject({ threads: 'auto' });
    expect(parseArgs(['train', 'x.ts'])).not.toHaveProperty('threads');
    for (const bad of ['0', '17', '1.5', 'two', '-1'])
      expect(usageError(['train', 'x.ts', `--threads=${bad}`])).toBe(`--threads needs auto or a whole number from 1 to 16, not "${bad}"`);
  });

  it('documents every flag it accepts in the usage text', () => {
    for (const flag of ['--epochs', '--batch-size', '--backend', '--threads', '--runs-dir', '--resume', '--json', '--help', '--version'])
      expect(USAGE).toContain(flag);
  });
});

describe('summary and run commands', () => {
  test('summary takes one file and --json', () => {
    expect(parseArgs(['summary', 'm.ts', '--json'])).toEqual({ command: 'summary', file: 'm.ts', json: true });
    expect(parseArgs(['summary', 'm.ts'])).toEqual({ command: 'summary', file: 'm.ts', json: false });
    expect(parseArgs(['summary'])).toMatchObject({ command: 'usageError' });
    expect(parseArgs(['summary', 'a.ts', 'b.ts'])).toMatchObject({ command: 'usageError' });
    expect(parseArgs(['summary', 'a.ts', '--epochs', '2'])).toMatchObject({ command: 'usageError', message: expect.stringContaining('--epochs') });
  });
  test('run takes a script with backend, runs folder and --json, but not train-only flags', () => {
    expect(parseArgs(['run', 's.js', '--backend', 'cpu', '--runs-dir', 'r', '--json'])).toEqual({
      command: 'run', file: 's.js', backend: 'cpu', runsDir: 'r', json: true, scriptArgs: [],
    });
    expect(parseArgs(['run', 's.js', '--epochs', '3'])).toMatchObject({ command: 'usageError', message: expect.stringContaining('the script sets its own') });
    expect(parseArgs(['run'])).toMatchObject({ command: 'usageError', message: expect.stringContaining('model-lab run SCRIPT') });
  });
  test("run passes the words after -- to the script as they are, --help and flags included", () => {
    expect(parseArgs(['run', 's.js', '--backend', 'cpu', '--', '--epochs', '3', '--help', 'data.csv'])).toEqual({
      command: 'run', file: 's.js', backend: 'cpu', json: false, scriptArgs: ['--epochs', '3', '--help', 'data.csv'],
    });
    expect(parseArgs(['run', '--json', '--', '--odd.js', 'a'])).toEqual({ command: 'run', file: '--odd.js', backend: 'auto', json: true, scriptArgs: ['a'] });
    expect(parseArgs(['run', 's.js', 'extra'])).toEqual({
      command: 'usageError', message: 'unexpected argument "extra": run takes one SCRIPT; put the script\'s own arguments after --',
    });
    expect(USAGE).toContain('model-lab run SCRIPT [--backend B] [--runs-dir DIR] [--json] [-- ARG...]');
  });
});

describe('evaluate command', () => {
  test('takes one RUN, --checkpoint best|last|final, --json and --runs-dir', () => {
    expect(parseArgs(['evaluate', 'r1'])).toEqual({ command: 'evaluate', run: 'r1', checkpoint: 'final', json: false });
    expect(parseArgs(['evaluate', 'r1', '--checkpoint', 'best', '--json', '--runs-dir=runs'])).toEqual({
      command: 'evaluate', run: 'r1', checkpoint: 'best', json: true, runsDir: 'runs',
    });
    expect(parseArgs(['evaluate', '--checkpoint=last', 'r1'])).toMatchObject({ checkpoint: 'last' });
    expect(parseArgs(['evaluate', 'r1', '--checkpoint', 'worst'])).toEqual({ command: 'usageError', message: '--checkpoint must be best, last or final, not "worst"' });
    expect(parseArgs(['evaluate', 'r1', '--checkpoint'])).toEqual({ command: 'usageError', message: '--checkpoint needs a value' });
    expect(parseArgs(['evaluate'])).toMatchObject({ command: 'usageError', message: expect.stringContaining('evaluate takes one RUN') });
    expect(parseArgs(['evaluate', 'a', 'b'])).toMatchObject({ command: 'usageError' });
    expect(parseArgs(['evaluate', 'a', '--epochs', '2'])).toMatchObject({ command: 'usageError', message: expect.stringContaining('unknown option --epochs') });
    expect(USAGE).toContain('model-lab evaluate RUN');
  });
});
