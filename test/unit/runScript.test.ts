import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MetricLine } from '../../src/protocol/runFolder';
import type { EndStatus, TrainerToHost } from '../../src/protocol/trainer';
import { RunControl, type TrainingControl } from '../../src/trainer/control';
import { loadModel } from '../../src/trainer/fsModelIo';
import { runScript } from '../../src/trainer/runScript';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { TrainerProcess } from '../../src/training/trainerProcess';
import { readRun } from '../../src/training/runStore';
import { HISTOGRAMS_FILE, parseHistogramLines } from '../../src/protocol/runFolder';
import { DIST, ensureBuilt } from './builtTrainer';
import { decodeEvent, readRecords } from './tfrecordReader';

/** batch_loss@1, batch_loss@2, epoch_loss@1, …: in the order a 2-epoch fit of 2 batches logs them. */
const order = (s: string): number => ['batch_loss@1', 'batch_loss@2', 'epoch_loss@1', 'batch_loss@3', 'batch_loss@4', 'epoch_loss@2'].indexOf(s);

const scripts = path.resolve(__dirname, '../fixtures/scripts');
const hostScript = path.join(DIST, 'scriptHost.js');
const CLI = path.join(DIST, 'cli.js');
let dir: string;
let runsDir: string;

beforeAll(async () => {
  await ensureBuilt(['scriptHost.js', 'cli.js', 'trainer.js']);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-script-'));
  runsDir = path.join(dir, 'runs');
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type End = Extract<TrainerToHost, { type: 'end' }>;

/** runScript as the trainer calls it: the script runs in the real script host (dist/scriptHost.js). */
async function run(file: string, args: string[] = [], control: TrainingControl = new RunControl(), onMessage?: (m: TrainerToHost, all: TrainerToHost[]) => void) {
  const messages: TrainerToHost[] = [];
  const status: EndStatus = await runScript(
    tf,
    { name: 'cpu', reason: 'unit test' },
    { modelFile: path.join(scripts, file), runsDir, scriptArgs: args },
    (m) => {
      messages.push(JSON.parse(JSON.stringify(m)));
      onMessage?.(m, messages);
    },
    control,
    { hostScript },
  );
  const end = messages[messages.length - 1] as End;
  expect(end.type).toBe('end');
  const lines = end.runDir ? readRun(end.runDir).metrics : [];
  return { status, messages, end, lines, runDir: end.runDir ?? '' };
}

const ofType = <T extends MetricLine['type']>(lines: MetricLine[], type: T) => lines.filter((l) => l.type === type) as Extract<MetricLine, { type: T }>[];
const logsOf = (messages: TrainerToHost[]) => messages.flatMap((m) => (m.type === 'log' ? [m.message] : []));

/** The real CLI as a user types it. */
function startCli(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}
const runCli = (args: string[]) => startCli(args).done;

describe('runScript: an unmodified tfjs script, run as its own main program', () => {
  test("two fit calls with the script's own callbacks: both theirs and ours run, epochs continue, the model is saved", async () => {
    const report = path.join(dir, 'twoFits.json');
    const r = await run('twoFits.script.ts', ['--report', report]);
    expect(r.end.error).toBeUndefined();
    expect(r.status).toBe('completed');

    // Theirs: tfjs numbers each fit's epochs from 0; their batch callback saw the second fit's 2 batches.
    const seen = JSON.parse(fs.readFileSync(report, 'utf8')) as { epochs: number[]; batches: number; histories: number[] };
    expect(seen.epochs).toEqual([0, 1]);
    expect(seen.batches).toBe(2);
    expect(seen.histories).toEqual([2, 1]); // fit still returns the script's History

    // Ours: 3 epochs numbered across both calls, 2 batches each, steps continuous.
    expect(ofType(r.lines, 'epoch').map((e) => e.epoch)).toEqual([0, 1, 2]);
    const batches = ofType(r.lines, 'batch');
    expect(batches.map((b) => [b.epoch, b.batch, b.step])).toEqual([[0, 0, 0], [0, 1, 1], [1, 0, 2], [1, 1, 3], [2, 0, 4], [2, 1, 5]]);
    for (const b of batches) expect(Number.isFinite(b.loss)).toBe(true);
    const streamed = r.messages.flatMap((m) => (m.type === 'batches' ? m.points.map((p) => p.step) : []));
    expect(streamed).toEqual([0, 1, 2, 3, 4, 5]);

    const runMsg = r.messages.filter((m) => m.type === 'run');
    expect(runMsg).toHaveLength(1);
    expect(runMsg[0]).toMatchObject({ batchesPerEpoch: 2, totalParams: 3, config: { epochs: 2, batchSize: 4 } });
    // Each fit call says which of the run's epochs it runs, so totals grow with the calls.
    expect(r.messages.filter((m) => m.type === 'fit')).toEqual([
      { type: 'fit', fit: 1, firstEpoch: 0, epochs: 2, batchesPerEpoch: 2 },
      { type: 'fit', fit: 2, firstEpoch: 2, epochs: 1, batchesPerEpoch: 2 },
    ]);
    expect(logsOf(r.messages).some((l) => l.includes('model.fit call 2') && l.includes('epochs 3–3'))).toBe(true);

    const model = await loadModel(tf, path.join(r.runDir, 'model'));
    expect(model.countParams()).toBe(3);
    model.dispose();
    expect(readRun(r.runDir).record).toMatchObject({ status: 'completed', totalParams: 3, batchesPerEpoch: 2 });
    // Weight histograms for a script too: one line per epoch of the run, across both fit calls.
    const hist = parseHistogramLines(fs.readFileSync(path.join(r.runDir, HISTOGRAMS_FILE), 'utf8'));
    expect(hist.map((l) => l.epoch)).toEqual([0, 1, 2]);
    expect(hist[0].weights.reduce((a, w) => a + w.counts.reduce((x, y) => x + y, 0), 0)).toBe(3);
    // Train Again runs the script again with the same arguments.
    expect(readRun(r.runDir).record).toMatchObject({ mode: 'script', scriptArgs: ['--report', report] });
  });

  test('an ESM script using fitDataset after a timer is waited for and recorded', async () => {
    const report = path.join(dir, 'fitDataset.json');
    const r = await run('fitDataset.script.mjs', ['--report', report]);
    expect(r.status).toBe('completed');
    expect(ofType(r.lines, 'epoch').map((e) => e.epoch)).toEqual([0, 1, 2]);
    const [first] = ofType(r.lines, 'epoch');
    for (const k of ['loss', 'mae', 'val_loss', 'val_mae']) expect(typeof first[k]).toBe('number');
    expect(ofType(r.lines, 'batch')).toHaveLength(6);
    expect((JSON.parse(fs.readFileSync(report, 'utf8')) as { loss: number[] }).loss).toHaveLength(3);
    expect(fs.existsSync(path.join(r.runDir, 'model', 'model.json'))).toBe(true);
  });

  test('fitDataset over a generator of unknown size, then fit: batches are learnt, epochs numbered across both', async () => {
    const r = await run('generatorDataset.script.mjs');
    expect(r.status).toBe('completed');
    expect(r.messages.filter((m) => m.type === 'fit')).toEqual([
      { type: 'fit', fit: 1, firstEpoch: 0, epochs: 2, batchesPerEpoch: 0 },
      { type: 'fit', fit: 2, firstEpoch: 2, epochs: 3, batchesPerEpoch: 2 },
    ]);
    expect(ofType(r.lines, 'epoch').map((e) => e.epoch)).toEqual([0, 1, 2, 3, 4]);
    const batches = ofType(r.lines, 'batch');
    expect(batches.filter((b) => b.epoch === 1).map((b) => b.batch)).toEqual([0, 1, 2, 3, 4]);
    expect(batches.map((b) => b.step)).toEqual([...Array(16).keys()]);
    // Once the first epoch showed 5 batches, the second one is a complete epoch: it gets its checkpoint.
    const checkpoints = r.messages.flatMap((m) => (m.type === 'checkpoint' && m.checkpoint.reason === 'epoch' ? [m.checkpoint.epochsCompleted] : []));
    expect(checkpoints).toEqual([1, 2, 3, 4, 5]);
  });

  test('a script that never calls fit fails saying so', async () => {
    const r = await run('noFit.script.js');
    expect(r.status).toBe('failed');
    expect(r.end.error?.message).toBe('noFit.script.js finished without calling model.fit or model.fitDataset');
    expect(ofType(r.lines, 'end')[0]).toMatchObject({ status: 'failed' });
  });

  test('a script that throws mid-epoch fails with its own file:line and keeps the metrics so far', async () => {
    const file = path.join(scripts, 'throwsMidEpoch.script.ts');
    const r = await run('throwsMidEpoch.script.ts');
    expect(r.status).toBe('failed');
    expect(r.end.error).toMatchObject({ file, line: 11 });
    expect(r.end.error?.message).toMatch(/^the script gave up at epoch 2 \(throwsMidEpoch\.script\.ts:11:\d+\)$/);
    // Epoch 0 completed; epoch 1's batches ran before its end threw.
    expect(ofType(r.lines, 'epoch').map((e) => e.epoch)).toEqual([0]);
    expect(ofType(r.lines, 'batch').map((b) => b.epoch)).toEqual([0, 0, 1, 1]);
    expect(readRun(r.runDir).record).toMatchObject({ status: 'failed', error: { line: 11 } });
  });

  test('stop ends the run "stopped" after the current batch, with a stop checkpoint and the model saved', async () => {
    const control = new RunControl();
    const r = await run('manyBatches.script.js', [], control, (m) => {
      if (m.type === 'batches') control.stop();
    });
    expect(r.status).toBe('stopped');
    const batches = ofType(r.lines, 'batch');
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.length).toBeLessThan(200);
    const stopCheckpoint = r.messages.find((m) => m.type === 'checkpoint' && m.checkpoint.reason === 'stop') as Extract<TrainerToHost, { type: 'checkpoint' }>;
    expect(stopCheckpoint.checkpoint.step).toBe(batches[batches.length - 1].step);
    expect(fs.existsSync(path.join(r.runDir, 'model', 'model.json'))).toBe(true);
    expect(readRun(r.runDir).record.status).toBe('stopped');
  });

  test("pause holds the script's fit until resume, with paused/resumed messages; checkpoint-now works while paused", async () => {
    const control = new RunControl();
    const r = await run('manyBatches.script.js', [], control, (m, all) => {
      if (m.type === 'batches' && !all.some((x) => x.type === 'paused')) control.pause();
      if (m.type === 'paused') {
        control.checkpoint();
        setTimeout(() => control.resume(), 150);
      }
    });
    expect(r.status).toBe('completed');
    const kinds = r.messages.map((m) => (m.type === 'checkpoint' ? `checkpoint:${m.checkpoint.reason}` : m.type)).filter((t) => ['paused', 'resumed', 'checkpoint:request'].includes(t));
    expect(kinds).toEqual(['paused', 'checkpoint:request', 'resumed']);
    const paused = r.messages.find((m) => m.type === 'paused') as Extract<TrainerToHost, { type: 'paused' }>;
    const resumed = r.messages.find((m) => m.type === 'resumed') as Extract<TrainerToHost, { type: 'resumed' }>;
    expect(resumed).toMatchObject({ epoch: paused.epoch, batch: paused.batch, step: paused.step });
    expect(resumed.pausedMs).toBeGreaterThan(0);
    const request = r.messages.find((m) => m.type === 'checkpoint' && m.checkpoint.reason === 'request') as Extract<TrainerToHost, { type: 'checkpoint' }>;
    expect(request.checkpoint.step).toBe(paused.step);
    // Nothing lost: every batch of the 25 epochs is recorded once.
    expect(ofType(r.lines, 'batch').map((b) => b.step)).toEqual([...Array(200).keys()]);
  });

  test('a stop while paused ends the run "stopped" at the paused batch', async () => {
    const control = new RunControl();
    let pausedStep = -1;
    const r = await run('manyBatches.script.js', [], control, (m, all) => {
      if (m.type === 'batches' && !all.some((x) => x.type === 'paused')) control.pause();
      if (m.type === 'paused') {
        pausedStep = m.step;
        setTimeout(() => control.stop(), 50);
      }
    });
    expect(r.status).toBe('stopped');
    expect(r.messages.some((m) => m.type === 'resumed')).toBe(false);
    const batches = ofType(r.lines, 'batch');
    expect(batches[batches.length - 1].step).toBe(pausedStep);
  });
});

describe('model-lab run: a script behaves as under node with tfjs-node (real CLI, trainer and script host)', () => {
  test('ESM with top-level await: argv after --, the main guard, import.meta.url, file:// and tf.io.fileSystem save/load', async () => {
    const out = path.join(dir, 'esm-out');
    fs.mkdirSync(out);
    const script = path.join(scripts, 'esmMain.script.mjs');
    const r = await runCli(['run', script, '--runs-dir', runsDir, '--', out, '3']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('epoch 3/3');
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as Record<string, unknown>;
    expect(report.argv).toEqual([script, out, '3']);
    expect(report.url).toBe(`file://${script}`);
    // tfjs-node's layout, and the reloaded models predict what the trained one does.
    for (const f of ['saved/model.json', 'saved/weights.bin', 'viaFileSystem/model.json', 'viaFileSystem/weights.bin']) expect(fs.existsSync(path.join(out, f))).toBe(true);
    expect(report.reloaded).toEqual(report.predictions);
    expect(report.reloadedViaFileSystem).toEqual(report.predictions);
  });

  test('an ESM script whose usage check exits 2 without arguments ends the run failed with that code, usage printed once', async () => {
    const r = await runCli(['run', path.join(scripts, 'esmMain.script.mjs'), '--runs-dir', runsDir]);
    expect(r.code).toBe(1);
    expect(r.stderr.match(/usage: esmMain\.script\.mjs OUT_DIR EPOCHS/g)).toHaveLength(1);
    expect(r.stderr).toContain('esmMain.script.mjs exited with code 2');
  });

  test('CommonJS: require.main === module, process.argv[1] is the script, process.exit(3) ends it (a try/catch cannot catch it)', async () => {
    const report = path.join(dir, 'cjs.json');
    const script = path.join(scripts, 'cjsExit.script.cjs');
    const r = await runCli(['run', script, '--runs-dir', runsDir, '--json', '--', report, '3']);
    expect(r.code).toBe(1);
    const text = fs.readFileSync(report, 'utf8');
    expect(JSON.parse(text.split('\n')[0])).toEqual({ isMain: true, argv1: script, filename: script });
    expect(text).not.toContain('caught');
    expect(text).not.toContain('still running');
    const end = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as TrainerToHost).pop() as End;
    expect(end).toMatchObject({ type: 'end', status: 'failed', error: { message: 'cjsExit.script.cjs exited with code 3' } });
    expect(readRun(end.runDir!).record.status).toBe('failed');
    // The epoch trained before the exit is kept.
    expect(ofType(readRun(end.runDir!).metrics, 'epoch')).toHaveLength(1);
  });

  test('process.exit(0) after training ends the run completed', async () => {
    const report = path.join(dir, 'cjs0.json');
    const r = await runCli(['run', path.join(scripts, 'cjsExit.script.cjs'), '--runs-dir', runsDir, '--', report, '0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Training completed');
  });

  test('synchronous zlib after training does not keep the run from ending', async () => {
    const report = path.join(dir, 'zlib.txt');
    const r = await runCli(['run', path.join(scripts, 'syncZlib.script.js'), '--runs-dir', runsDir, '--', report]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(report, 'utf8')).toMatch(/^\{"loss":\[/);
  });

  test("stack traces name the user's TypeScript file, line and function, never a bundle", async () => {
    const report = path.join(dir, 'stack.txt');
    const script = path.join(scripts, 'stack.script.ts');
    const r = await runCli(['run', script, '--runs-dir', runsDir, '--', report]);
    expect(r.code).toBe(1);
    const printed = fs.readFileSync(report, 'utf8');
    expect(printed).toContain(`at train (${script}:14:11)`);
    for (const text of [printed, r.stderr]) {
      expect(text).not.toMatch(/modellab\.cjs|dist\/(trainer|scriptHost)\.js|train2/);
    }
    expect(r.stderr).toMatch(/model-lab: training failed: \S*stack\.script\.ts:14:11: train gave up with 2 units/);
  });

  test("tfjs-node's Node-only APIs: setBackend('tensorflow') falls back, decode/encode PNG and JPEG, tensorBoard, SavedModel named", async () => {
    const report = path.join(dir, 'apis.json');
    const r = await runCli(['run', path.join(scripts, 'tfjsNodeApis.script.mjs'), '--runs-dir', runsDir, '--backend', 'wasm', '--', report]);
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(fs.readFileSync(report, 'utf8')) as Record<string, unknown>;
    expect(got).toMatchObject({ setBackend: true, backend: 'wasm', gray: [2, 2, 1], jpeg: { shape: [8, 8, 3] } });
    expect(got.png).toEqual({ shape: [2, 2, 3], values: [0, 50, 100, 150, 200, 250, 10, 20, 30, 40, 50, 60] });
    expect(Math.abs((got.jpeg as { mean: number }).mean - 128)).toBeLessThan(2);
    expect(got.savedModel).toMatch(/^tf\.node\.loadSavedModel needs TensorFlow C\+\+/);
    expect(r.stderr).toContain("tf.setBackend('tensorflow'): TensorFlow C++ (@tensorflow/tfjs-node) is not available here; the script stays on the wasm backend.");
    expect(r.stdout).toContain(`tf.node.tensorBoard: writing TensorBoard event files to ${path.join(dir, 'tb-logs')}`);
    // tfjs-node's layout and names: train/ with batch_loss per batch and epoch_loss per epoch.
    const trainDir = path.join(dir, 'tb-logs', 'train');
    const files = fs.readdirSync(trainDir).filter((f) => f.startsWith('events.out.tfevents.'));
    expect(files).toHaveLength(1);
    const events = readRecords(new Uint8Array(fs.readFileSync(path.join(trainDir, files[0])))).map(decodeEvent);
    const scalars = events.flatMap((e) => e.values.filter((v) => v.simpleValue !== undefined).map((v) => `${v.tag}@${e.step}`));
    expect(scalars).toEqual(['batch_loss@1', 'batch_loss@2', 'batch_loss@3', 'batch_loss@4', 'epoch_loss@1', 'epoch_loss@2'].sort((a, b) => order(a) - order(b)));
  });

  test('several fits and a generator fitDataset show the run\'s epochs right (no "epoch 3/2", no "of 0 batches of 0")', async () => {
    const r = await runCli(['run', path.join(scripts, 'generatorDataset.script.mjs'), '--runs-dir', runsDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('of 0 batches');
    expect(r.stdout).toMatch(/run \S+: 2 parameters, 2 epochs\n/);
    const epochLines = r.stdout.split('\n').filter((l) => /^epoch \d+\/\d+  /.test(l)).map((l) => l.split('  ')[0]);
    expect(epochLines).toEqual(['epoch 1/2', 'epoch 2/2', 'epoch 3/5', 'epoch 4/5', 'epoch 5/5']);
  });

  test('one Ctrl-C during a 6 s batch waits for it, saves, and records "stopped" (no kill after 5 s)', async () => {
    const marker = path.join(dir, 'long-batch');
    const cli = startCli(['run', path.join(scripts, 'longBatch.script.js'), '--runs-dir', runsDir, '--', marker]);
    let signalled = false;
    // The script writes the marker as its first batch begins; that batch then holds for 6 s.
    const poll = setInterval(() => {
      if (!signalled && fs.existsSync(marker)) {
        signalled = true;
        cli.child.kill('SIGINT');
      }
    }, 50);
    const r = await cli.done;
    clearInterval(poll);
    expect(signalled).toBe(true);
    expect(r.stderr).toContain('Stopping after the current batch');
    expect(r.stderr).not.toContain('Killing');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Training stopped');
    const runDir = /Run saved in (\S+)/.exec(r.stdout)![1];
    const { record, metrics } = readRun(path.resolve(dir, runDir));
    expect(record.status).toBe('stopped');
    expect(ofType(metrics, 'batch')).toHaveLength(1);
    expect(fs.existsSync(path.resolve(dir, runDir, 'checkpoints', 'last', 'model.json'))).toBe(true);
  }, 30_000);

  test("the editor's Stop on a script busy in a 6 s batch waits for it (no SIGTERM after the grace): stopped, the batch and checkpoint saved", async () => {
    const marker = path.join(dir, 'long-batch-editor');
    // A grace of 1 s applies only to serving children now: a run's Stop never escalates.
    const tp = new TrainerProcess({ trainerScript: path.join(DIST, 'trainer.js'), stopGraceMs: 1000 });
    const messages: TrainerToHost[] = [];
    tp.onMessage((m) => messages.push(m));
    tp.start({ modelFile: path.join(scripts, 'longBatch.script.js'), mode: 'script', scriptArgs: [marker], runsDir, backend: 'wasm' });
    const poll = setInterval(() => {
      if (fs.existsSync(marker)) {
        clearInterval(poll);
        tp.stop();
      }
    }, 50);
    const end = await tp.ended;
    clearInterval(poll);
    tp.dispose();
    expect(end.status).toBe('stopped');
    expect(end.error).toBeUndefined();
    const { record, metrics } = readRun(end.runDir!);
    expect(record.status).toBe('stopped');
    expect(ofType(metrics, 'batch')).toHaveLength(1);
    expect(fs.existsSync(path.join(end.runDir!, 'checkpoints', 'last', 'model.json'))).toBe(true);
    expect(messages.filter((m) => m.type === 'end')).toHaveLength(1);
  }, 30_000);
});
