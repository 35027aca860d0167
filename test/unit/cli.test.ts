import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalReport } from '../../src/protocol/evalReport';
import { parseTrainerToHost, type TrainerToHost } from '../../src/protocol/trainer';
import { readRun } from '../../src/training/runStore';
import { DIST, ensureBuilt, TINY_MODEL } from './builtTrainer';

const CLI = path.join(DIST, 'cli.js');
let dir: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs dist/cli.js as a real process; `onStdout` sees the output as it comes. */
function runCli(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: 'pipe'; onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? dir,
      stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'],
      // English unless a test asks otherwise: the CLI follows LANG and VS Code's locale (src/cli/messages.ts).
      env: { ...process.env, LC_ALL: '', LC_MESSAGES: '', LANG: 'C', VSCODE_NLS_CONFIG: '', ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (t: string) => {
      stdout += t;
      opts.onStdout?.(stdout, child);
    });
    child.stderr?.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');

beforeAll(async () => {
  await ensureBuilt(['cli.js', 'trainer.js']);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lab-cli-'));
  fs.writeFileSync(path.join(dir, 'tiny.model.ts'), TINY_MODEL);
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('model-lab train (real CLI, real trainer)', () => {
  it('--json: trains, prints only valid trainer messages on stdout, and saves the run', async () => {
    const runsDir = path.join(dir, 'json-runs');
    const r = await runCli(['train', 'tiny.model.ts', '--epochs', '1', '--backend', 'wasm', '--runs-dir', runsDir, '--json']);
    expect(r.code, r.stderr).toBe(0);

    const messages = lines(r.stdout).map((l) => parseTrainerToHost(JSON.parse(l)));
    expect(messages.every((m) => m !== undefined)).toBe(true);
    const types = (messages as TrainerToHost[]).map((m) => m.type);
    expect(types[0]).toBe('ready');
    expect(types).toContain('run');
    expect(types).toContain('batches');
    expect(types).toContain('epoch');
    const end = messages[messages.length - 1] as Extract<TrainerToHost, { type: 'end' }>;
    expect(end).toMatchObject({ type: 'end', status: 'completed' });
    expect((messages[0] as Extract<TrainerToHost, { type: 'ready' }>).backend.name).toBe('wasm');
    // After `run` and before the first batch: what trains the steps, as run.json records it.
    const executor = messages.find((m) => m?.type === 'executor') as Extract<TrainerToHost, { type: 'executor' }>;
    expect(types.indexOf('executor')).toBeGreaterThan(types.indexOf('run'));
    expect(types.indexOf('executor')).toBeLessThan(types.indexOf('batches'));
    expect(executor.backend).toMatchObject({ name: 'wasm', executor: 'fused' });
    expect(executor.backend.executorReason).toMatch(/layers fused into wasm kernels/);

    const run = messages.find((m) => m?.type === 'run') as Extract<TrainerToHost, { type: 'run' }>;
    expect(path.dirname(run.runDir)).toBe(runsDir);
    expect(run.config.epochs).toBe(1);
    for (const f of ['run.json', 'metrics.jsonl', 'model/model.json', 'model/weights.bin'])
      expect(fs.existsSync(path.join(run.runDir, f)), f).toBe(true);
    const saved = readRun(run.runDir);
    expect(saved.record.status).toBe('completed');
    expect(saved.record.backend).toEqual(executor.backend);
    expect(saved.metrics.filter((m) => m.type === 'epoch')).toHaveLength(1);
  });

  it('prints the backend, epoch summaries and the run folder, saving under ./.modellab/runs by default', async () => {
    const cwd = fs.mkdtempSync(path.join(dir, 'cwd-'));
    fs.writeFileSync(path.join(cwd, 'tiny.model.ts'), TINY_MODEL);
    const r = await runCli(['train', 'tiny.model.ts', '--backend=cpu', '--batch-size', '32'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toMatch(/^backend: cpu \(.+\)$/);
    expect(out).toContainEqual(expect.stringMatching(/^epoch 1\/1  loss \d+\.\d{4}  acc \d\.\d{4}  val_loss \d+\.\d{4}  val_acc \d\.\d{4}  \(\d+\.\d s\)$/));
    // Not a TTY: no carriage returns, progress as whole lines.
    expect(r.stdout).not.toContain('\r');
    const last = out[out.length - 1];
    expect(last).toMatch(/^Training completed\. Run saved in \.modellab\/runs\/[\w-]+$/);
    const runDir = path.join(cwd, last.replace('Training completed. Run saved in ', ''));
    expect(readRun(runDir).record.config.batchSize).toBe(32);
  });

  it('a model file with a syntax error: exit 1, and stderr ends with one line naming the file and line', async () => {
    fs.writeFileSync(
      path.join(dir, 'broken.model.ts'),
      "import * as tf from '@tensorflow/tfjs';\nexport const config = { dataset: 'mnist', limit: 64 };\nexport function createModel( {\n  return tf.sequential();\n}\n",
    );
    const runsDir = path.join(dir, 'broken-runs');
    const r = await runCli(['train', 'broken.model.ts', '--backend', 'cpu', '--runs-dir', runsDir]);
    expect(r.code).toBe(1);
    const errLines = lines(r.stderr);
    expect(errLines[errLines.length - 1]).toMatch(/^model-lab: training failed: .*broken\.model\.ts:\d+(:\d+)?: \S/);
    expect(lines(r.stdout).pop()).toMatch(/^Training failed\./);
    // The run folder records the failure in its end line too.
    const runs = fs.readdirSync(runsDir);
    expect(runs).toHaveLength(1);
    expect(readRun(path.join(runsDir, runs[0])).metrics.filter((m) => m.type === 'end')).toMatchObject([{ status: 'failed' }]);
  });

  it('Ctrl-C stops after the current batch: exit 0, run stopped, model saved', async () => {
    fs.writeFileSync(
      path.join(dir, 'long.model.ts'),
      TINY_MODEL.replace("{ dataset: 'mnist', limit: 256, epochs: 1, batchSize: 64 }", "{ dataset: 'mnist', limit: 4000, epochs: 100, batchSize: 8 }"),
    );
    let interrupted = false;
    const r = await runCli(['train', 'long.model.ts', '--backend', 'cpu', '--runs-dir', path.join(dir, 'long-runs'), '--json'], {
      onStdout: (text, child) => {
        if (!interrupted && text.includes('"type":"batches"')) {
          interrupted = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(interrupted).toBe(true);
    expect(r.code, r.stderr).toBe(0);
    const messages = lines(r.stdout).map((l) => JSON.parse(l) as TrainerToHost);
    expect(messages[messages.length - 1]).toMatchObject({ type: 'end', status: 'stopped' });
    const run = messages.find((m) => m.type === 'run') as Extract<TrainerToHost, { type: 'run' }>;
    expect(readRun(run.runDir).record.status).toBe('stopped');
    expect(fs.existsSync(path.join(run.runDir, 'model', 'model.json'))).toBe(true);
    expect(r.stderr).toContain('Stopping after the current batch');
  });
});

describe('model-lab train run control keys (real CLI, keys from a pipe through the test hook)', () => {
  it('p pauses, c checkpoints, p resumes, s stops: each answered by the trainer, the run ends stopped', async () => {
    fs.writeFileSync(
      path.join(dir, 'keys.model.ts'),
      TINY_MODEL.replace("{ dataset: 'mnist', limit: 256, epochs: 1, batchSize: 64 }", "{ dataset: 'mnist', limit: 4000, epochs: 100, batchSize: 8 }"),
    );
    // Each key is sent once the trainer has answered the one before it.
    const script: [RegExp, string][] = [
      [/"type":"batches"/, 'p'],
      [/"type":"paused"/, 'c'],
      [/"type":"checkpoint".*"reason":"request"/, 'p'],
      [/"type":"resumed"/, 's'],
    ];
    let step = 0;
    const r = await runCli(['train', 'keys.model.ts', '--backend', 'cpu', '--runs-dir', path.join(dir, 'keys-runs'), '--json'], {
      env: { MODEL_LAB_TEST_KEYS_FROM_PIPE: '1' },
      stdin: 'pipe',
      onStdout: (text, child) => {
        if (step < script.length && script[step][0].test(text)) child.stdin?.write(script[step++][1]);
      },
    });
    expect(step, r.stderr).toBe(script.length);
    expect(r.code, r.stderr).toBe(0);
    // --json: stdout stays pure JSON; the key notes go to stderr
    const messages = lines(r.stdout).map((l) => JSON.parse(l) as TrainerToHost);
    const types = messages.map((m) => m.type);
    expect(types.indexOf('paused')).toBeLessThan(types.indexOf('resumed'));
    expect(messages.some((m) => m.type === 'checkpoint' && m.checkpoint.reason === 'request')).toBe(true);
    expect(messages[messages.length - 1]).toMatchObject({ type: 'end', status: 'stopped' });
    expect(r.stderr).toContain('Stopping after the current batch');
    const run = messages.find((m) => m.type === 'run') as Extract<TrainerToHost, { type: 'run' }>;
    expect(readRun(run.runDir).record.status).toBe('stopped');
  });

  it('without a terminal or the hook, stdin is not read and no key hint is shown', async () => {
    const r = await runCli(['train', 'tiny.model.ts', '--backend', 'cpu', '--runs-dir', path.join(dir, 'nokeys-runs')], { stdin: 'pipe' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('keys: p pause/resume');
  });
});

describe('model-lab evaluate (real CLI)', () => {
  it('gives the same confusion matrix as the eval.json written at the end of training; --checkpoint best writes eval-best.json', async () => {
    const runsDir = path.join(dir, 'eval-runs');
    const t = await runCli(['train', 'tiny.model.ts', '--backend', 'cpu', '--runs-dir', runsDir]);
    expect(t.code, t.stderr).toBe(0);
    const [id] = fs.readdirSync(runsDir);
    const runDir = path.join(runsDir, id);
    const atEnd = JSON.parse(fs.readFileSync(path.join(runDir, 'eval.json'), 'utf8')) as EvalReport;

    const r = await runCli(['evaluate', runDir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as EvalReport;
    const first = report.outputs[0];
    const end0 = atEnd.outputs[0];
    if (first.kind !== 'classification' || end0.kind !== 'classification') throw new Error('not a classification report');
    expect(report.count).toBe(atEnd.count);
    expect(report.data).toBe(atEnd.data);
    expect(first.confusion).toEqual(end0.confusion);
    expect(first.accuracy).toBe(end0.accuracy);
    // eval.json is rewritten with the same numbers
    expect(JSON.parse(fs.readFileSync(path.join(runDir, 'eval.json'), 'utf8')).outputs[0].confusion).toEqual(end0.confusion);

    // a run id in --runs-dir, a checkpoint, and the readable summary
    const best = await runCli(['evaluate', id, '--runs-dir', runsDir, '--checkpoint', 'best']);
    expect(best.code, best.stderr).toBe(0);
    expect(best.stdout).toMatch(/^accuracy \d+\.\d% · macro precision/m);
    expect(best.stdout).toMatch(/^ {2}class +precision +recall +F1 +support$/m);
    expect(best.stdout).toContain(`written: ${path.join(runDir, 'eval-best.json')}`);
    expect(fs.existsSync(path.join(runDir, 'eval-best.json'))).toBe(true);

    const none = await runCli(['evaluate', 'no-such-run', '--runs-dir', runsDir]);
    expect(none.code).toBe(2);
    expect(lines(none.stderr)[0]).toMatch(/^model-lab: no run "no-such-run"/);
  });
});

describe('model-lab train --resume (real CLI, real trainer)', () => {
  it('continues a run from its checkpoint in a new run', async () => {
    const runsDir = path.join(dir, 'resume-runs');
    const first = await runCli(['train', 'tiny.model.ts', '--backend', 'cpu', '--epochs', '1', '--runs-dir', runsDir, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const firstRun = lines(first.stdout).map((l) => JSON.parse(l) as TrainerToHost).find((m) => m.type === 'run') as Extract<TrainerToHost, { type: 'run' }>;
    const saved = lines(first.stdout).map((l) => JSON.parse(l) as TrainerToHost).filter((m) => m.type === 'checkpoint');
    expect(saved.map((m) => m.type === 'checkpoint' && `${m.checkpoint.kind}:${m.checkpoint.reason}`)).toEqual(['last:epoch', 'best:improved']);
    expect(fs.existsSync(path.join(firstRun.runDir, 'checkpoints', 'last', 'checkpoint.json'))).toBe(true);

    const r = await runCli(['train', 'tiny.model.ts', '--backend', 'cpu', '--epochs', '2', '--runs-dir', runsDir, '--resume', firstRun.runId]);
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect(out).toContainEqual(expect.stringMatching(/^Resuming run [\w-]+ from its checkpoint after 1 epoch \(step 4\), optimizer state included\.$/));
    // only epoch 2 runs; the epoch summary shows the model's metrics, not the run stats
    expect(out).toContainEqual(expect.stringMatching(/^epoch 2\/2  loss \d+\.\d{4}  acc \d\.\d{4}  val_loss \d+\.\d{4}  val_acc \d\.\d{4}  \(\d+\.\d s\)$/));
    expect(out.some((l) => l.startsWith('epoch 1/2'))).toBe(false);
    const last = out[out.length - 1];
    const runDir = path.join(dir, last.replace('Training completed. Run saved in ', ''));
    expect(readRun(runDir).record.resumedFrom).toMatchObject({ runId: firstRun.runId, epochsCompleted: 1 });

    const bad = await runCli(['train', 'tiny.model.ts', '--runs-dir', runsDir, '--resume', 'no-such-run']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--resume: no run "no-such-run"');
  });

  it('takes the run folder as printed (absolute), or relative to the current folder; a wrong one lists what was tried', async () => {
    const runsDir = path.join(dir, 'resume-abs-runs');
    const first = await runCli(['train', 'tiny.model.ts', '--backend', 'cpu', '--epochs', '1', '--runs-dir', runsDir, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const firstRun = lines(first.stdout).map((l) => JSON.parse(l) as TrainerToHost).find((m) => m.type === 'run') as Extract<TrainerToHost, { type: 'run' }>;
    expect(path.isAbsolute(firstRun.runDir)).toBe(true);
    const model = path.join(dir, 'tiny.model.ts');
    // From another folder, with the default runs folder there (which does not hold the run).
    const elsewhere = fs.mkdtempSync(path.join(dir, 'elsewhere-'));
    const abs = await runCli(['train', model, '--backend', 'cpu', '--epochs', '2', '--resume', firstRun.runDir], { cwd: elsewhere });
    expect(abs.code, abs.stderr).toBe(0);
    expect(lines(abs.stdout)).toContainEqual(expect.stringMatching(/^Resuming run [\w-]+ from its checkpoint after 1 epoch/));
    const rel = await runCli(['train', model, '--backend', 'cpu', '--epochs', '2', '--resume', path.relative(elsewhere, firstRun.runDir)], { cwd: elsewhere });
    expect(rel.code, rel.stderr).toBe(0);
    const resumed = fs.readdirSync(path.join(elsewhere, '.modellab', 'runs')).map((id) => readRun(path.join(elsewhere, '.modellab', 'runs', id)).record.resumedFrom?.runId);
    expect(resumed).toEqual([firstRun.runId, firstRun.runId]);

    const missing = path.join(dir, 'no-such-folder');
    const bad = await runCli(['train', model, '--resume', missing], { cwd: elsewhere });
    expect(bad.code).toBe(2);
    expect(lines(bad.stderr)[0]).toBe(`model-lab: --resume: no run folder at ${missing}`);
    const badRel = await runCli(['train', model, '--resume', 'models'], { cwd: elsewhere });
    fs.mkdirSync(path.join(elsewhere, 'models'));
    const notRun = await runCli(['train', model, '--resume', 'models'], { cwd: elsewhere });
    const runs = path.join(elsewhere, '.modellab', 'runs');
    expect(lines(badRel.stderr)[0]).toBe(`model-lab: --resume: no run "models": looked for a run id in ${runs} and a folder relative to ${elsewhere}, tried ${path.join(runs, 'models')}, ${path.join(elsewhere, 'models')}`);
    expect(lines(notRun.stderr)[0]).toContain(`tried ${path.join(runs, 'models')}, ${path.join(elsewhere, 'models')} (a folder without run.json)`);
  });
});

describe('model-lab bad arguments (exit 2)', () => {
  it('a file that does not exist', async () => {
    const r = await runCli(['train', 'no-such.model.ts']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)[0]).toBe('model-lab: model file not found: no-such.model.ts');
    expect(r.stderr).toContain('Usage: model-lab train FILE');
    expect(r.stdout).toBe('');
  });

  it('an unknown flag, a bad number, a missing file and a folder as FILE', async () => {
    for (const [args, first] of [
      [['train', 'tiny.model.ts', '--lr', '3'], 'model-lab: unknown option --lr'],
      [['train', 'tiny.model.ts', '--epochs', 'two'], 'model-lab: --epochs needs a whole number of at least 1, not "two"'],
      [['train'], 'model-lab: missing FILE: model-lab train FILE'],
      [['train', '.'], 'model-lab: not a file: .'],
    ] as const) {
      const r = await runCli([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(lines(r.stderr)[0]).toBe(first);
    }
  });

  it('--help and --version exit 0 on stdout', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: model-lab train FILE');
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    const pkg = JSON.parse(fs.readFileSync(path.join(DIST, '..', 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
  });
});

describe('model-lab in Simplified Chinese (real CLI, real trainer)', () => {
  const zh = { LANG: 'zh_CN.UTF-8' };
  const cjk = /[\u4e00-\u9fff]/;

  it('LANG=zh_CN: Chinese usage and a Chinese error for a missing file; --lang en and VS Code\'s locale win over LANG', async () => {
    const r = await runCli(['train', 'no-such.model.ts'], { env: zh });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)[0]).toBe('model-lab: 找不到模型文件：no-such.model.ts');
    expect(r.stderr).toContain('用法：model-lab train FILE [选项]');
    expect(r.stderr).toContain('--epochs N        覆盖 config.epochs（轮数）');
    const help = await runCli(['--help'], { env: zh });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('在终端中训练时的按键：p 暂停/继续');
    const en = await runCli(['--lang', 'en', 'train', 'no-such.model.ts'], { env: zh });
    expect(lines(en.stderr)[0]).toBe('model-lab: model file not found: no-such.model.ts');
    // A task started by the extension carries VS Code's display language, whatever LANG says.
    const fromVsCode = await runCli(['train', '--epochs', 'two', 'tiny.model.ts'], { env: { LANG: 'en_US.UTF-8', VSCODE_NLS_CONFIG: JSON.stringify({ locale: 'zh-cn' }) } });
    expect(lines(fromVsCode.stderr)[0]).toBe('model-lab: --epochs 需要一个不小于 1 的整数，而不是“two”');
    const exportHelp = await runCli(['export', '--help'], { env: zh });
    expect(exportHelp.stdout).toContain('用法：model-lab export RUN... --tensorboard DIR');
    const exportBad = await runCli(['--lang', 'zh-cn', 'export', 'some-run'], { env: { LANG: 'en_US.UTF-8' } });
    expect(exportBad.code).toBe(2);
    expect(lines(exportBad.stderr)[0]).toBe('model-lab: export 需要 --tensorboard DIR：model-lab export RUN --tensorboard DIR');
    const bad = await runCli(['--lang', 'fr', '--help']);
    expect(bad.code).toBe(2);
    expect(lines(bad.stderr)[0]).toBe('model-lab: --lang must be en or zh-cn, not "fr"');
  });

  it('progress, epoch summaries and the last line in Chinese; --json output stays the same machine-readable lines', async () => {
    const cwd = fs.mkdtempSync(path.join(dir, 'zh-'));
    fs.writeFileSync(path.join(cwd, 'tiny.model.ts'), TINY_MODEL);
    const r = await runCli(['train', 'tiny.model.ts', '--backend=cpu', '--batch-size', '32'], { cwd, env: zh });
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toMatch(/^后端：cpu（.+）$/);
    expect(out).toContainEqual(expect.stringMatching(/^运行 [\w-]+：[\d,.]+[KM]? 个参数，1 轮，每轮 \d+ 个批次，批大小 32$/));
    expect(out).toContainEqual(expect.stringMatching(/^第 1\/1 轮  loss \d+\.\d{4}  acc \d\.\d{4}  val_loss \d+\.\d{4}  val_acc \d\.\d{4}  （\d+\.\d 秒）$/));
    expect(out[out.length - 1]).toMatch(/^训练完成。运行已保存到 \.modellab\/runs\/[\w-]+$/);

    const json = await runCli(['train', 'tiny.model.ts', '--backend=cpu', '--json'], { cwd, env: zh });
    expect(json.code, json.stderr).toBe(0);
    const messages = lines(json.stdout).map((l) => parseTrainerToHost(JSON.parse(l)));
    expect(messages.every((m) => m !== undefined)).toBe(true);
    expect(messages.map((m) => m?.type)).toContain('end');
    expect(json.stdout).not.toMatch(cjk);
  });

  it('a failure: the last stdout line in Chinese, the stderr line still starts with the file:line: the problem matcher reads', async () => {
    fs.writeFileSync(
      path.join(dir, 'broken-zh.model.ts'),
      "import * as tf from '@tensorflow/tfjs';\nexport const config = { dataset: 'mnist', limit: 64 };\nexport function createModel( {\n  return tf.sequential();\n}\n",
    );
    const r = await runCli(['train', 'broken-zh.model.ts', '--backend', 'cpu', '--runs-dir', path.join(dir, 'broken-zh-runs')], { env: zh });
    expect(r.code).toBe(1);
    const errLines = lines(r.stderr);
    const pkg = JSON.parse(fs.readFileSync(path.join(DIST, '..', 'package.json'), 'utf8')) as { contributes: { problemMatchers: { name: string; pattern: { regexp: string } }[] } };
    const matcher = new RegExp(pkg.contributes.problemMatchers.find((p) => p.name === 'model-lab')!.pattern.regexp);
    expect(errLines[errLines.length - 1]).toMatch(matcher);
    expect(errLines[errLines.length - 1]).toMatch(/^model-lab: training failed: .*broken-zh\.model\.ts:\d+(:\d+)?: \S/);
    expect(lines(r.stdout).pop()).toMatch(/^训练失败。/);
  });
});
