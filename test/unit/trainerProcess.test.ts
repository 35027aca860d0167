import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunSpec, TrainerToHost } from '../../src/protocol/trainer';
import type { RunRecord } from '../../src/protocol/runFolder';
import { RunWriter } from '../../src/trainer/runWriter';
import { readRun } from '../../src/training/runStore';
import { askTrainer, describeExit, lastErrorLine, TrainerProcess, TrainerRequestError, type TrainerProcessOptions } from '../../src/training/trainerProcess';
import { DIST, ensureBuilt, TINY_MODEL } from './builtTrainer';

/** A test double of the trainer at the process boundary: see the fixture's header. */
const FAKE_TRAINER = path.resolve(__dirname, '../fixtures/trainerProcess/fakeTrainer.js');

const tmpDirs: string[] = [];
const live: TrainerProcess[] = [];

function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lab-tp-'));
  tmpDirs.push(d);
  return d;
}

afterEach(() => {
  for (const tp of live.splice(0)) tp.dispose();
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const record = (id: string): RunRecord => ({
  id,
  modelFile: '/models/fake.model.ts',
  config: { epochs: 1, batchSize: 8, validationSplit: 0, shuffle: false, dataset: 'fake' },
  backend: { name: 'cpu', reason: 'fake trainer' },
  versions: { tfjs: '0.0.0', node: process.version, modelLab: '0.0.0' },
  startedAt: new Date().toISOString(),
  status: 'running',
});

/** Starts the fake trainer in `mode` against a run folder made by the real run store. */
function startFake(mode: string, opts: Partial<TrainerProcessOptions> = {}) {
  const runsDir = tmpDir();
  const runId = 'run-1';
  const writer = RunWriter.create(runsDir, runId, record(runId));
  writer.appendMetric({ type: 'batch', epoch: 0, batch: 0, step: 0, time: Date.now(), loss: 1 });
  const tp = new TrainerProcess({
    trainerScript: FAKE_TRAINER,
    env: { ...process.env, FAKE_TRAINER_MODE: mode },
    stopGraceMs: 300,
    ...opts,
  });
  live.push(tp);
  const messages: TrainerToHost[] = [];
  const output: { text: string; stream: 'stdout' | 'stderr' }[] = [];
  tp.onMessage((m) => messages.push(m));
  tp.onOutput((text, stream) => output.push({ text, stream }));
  const spec: RunSpec = { modelFile: '/models/fake.model.ts', runsDir, runId, backend: 'cpu' };
  tp.start(spec);
  return { tp, messages, output, runDir: writer.dir };
}

function nextMessage(tp: TrainerProcess, type: TrainerToHost['type']): Promise<TrainerToHost> {
  return new Promise((resolve) => {
    const sub = tp.onMessage((m) => {
      if (m.type === type) {
        sub.dispose();
        resolve(m);
      }
    });
  });
}

const ends = (messages: TrainerToHost[]) => messages.filter((m) => m.type === 'end');

describe('lastErrorLine', () => {
  it('picks the error line of a Node crash, not the stack, the object dump or the version banner', () => {
    const stderr = [
      'node:internal/modules/cjs/loader:1228',
      '  throw err;',
      '  ^',
      '',
      "Error: Cannot find module '/nowhere/trainer.js'",
      '    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)',
      '    at node:internal/main/run_main_module:28:49 {',
      "  code: 'MODULE_NOT_FOUND',",
      '  requireStack: []',
      '}',
      '',
      'Node.js v20.20.2',
      '',
    ].join('\n');
    expect(lastErrorLine(stderr)).toBe("Error: Cannot find module '/nowhere/trainer.js'");
  });

  it('falls back to the last plain line and handles empty output', () => {
    expect(lastErrorLine('loading...\nout of memory\n\n')).toBe('out of memory');
    expect(lastErrorLine('')).toBeUndefined();
    expect(lastErrorLine('TypeError [ERR_X]: bad thing\n    at f (a.js:1:1)\n')).toBe('TypeError [ERR_X]: bad thing');
  });

  it('describes exits by code or signal', () => {
    expect(describeExit(3, null)).toBe('Trainer exited with code 3');
    expect(describeExit(null, 'SIGKILL')).toBe('Trainer was killed by SIGKILL');
  });
});

// Each scenario settles in well under a second; a bug that loses the end must not hang for the global 120 s.
describe('TrainerProcess with a fake trainer', { timeout: 20_000 }, () => {
  it('passes a normal run through and resolves ended with the trainer’s own end', async () => {
    const { tp, messages, runDir } = startFake('complete');
    const end = await tp.ended;
    expect(end).toEqual({ status: 'completed', error: undefined, runDir });
    expect(messages.map((m) => m.type)).toEqual(['ready', 'run', 'batches', 'batches', 'epoch', 'end']);
    // The trainer ended the run itself: the store is left alone.
    expect(readRun(runDir).metrics.filter((m) => m.type === 'end')).toEqual([]);
    expect(tp.running).toBe(false);
  });

  it('turns a child that dies mid-run into exactly one crashed end and marks the run folder', async () => {
    const { tp, messages, runDir } = startFake('crash-mid-run');
    const end = await tp.ended;
    expect(end.status).toBe('crashed');
    expect(end.runDir).toBe(runDir);
    expect(end.error?.message).toBe('Trainer exited with code 1: Error: boom in batch 2');
    expect(end.error?.details).toContain('boom in batch 2');
    expect(messages.map((m) => m.type)).toEqual(['ready', 'run', 'batches', 'batches', 'end']);
    expect(ends(messages)).toEqual([{ type: 'end', status: 'crashed', error: end.error, runDir }]);

    const { record: rec, metrics } = readRun(runDir);
    const endLines = metrics.filter((m) => m.type === 'end');
    expect(endLines).toHaveLength(1);
    expect(endLines[0]).toMatchObject({ status: 'crashed', error: { message: end.error?.message } });
    expect(rec.status).toBe('crashed');
    // What the run had reported before the crash is still there.
    expect(metrics[0]).toMatchObject({ type: 'batch', loss: 1 });
  });

  it('drops malformed messages with a warning and delivers only the valid ones', async () => {
    const { tp, messages, output } = startFake('malformed');
    const end = await tp.ended;
    expect(end.status).toBe('completed');
    expect(messages.map((m) => m.type)).toEqual(['ready', 'log', 'end']);
    const warnings = output.filter((o) => o.stream === 'stderr' && o.text.includes('dropped a malformed message'));
    // Each warning names the message and the first thing wrong with it, where it is.
    expect(warnings.map((w) => w.text)).toEqual([
      '[model-lab] dropped a malformed message from the trainer (Invalid type: Expected Object but received "hello"): "hello"\n',
      '[model-lab] dropped a malformed message from the trainer (points.0.epoch: Invalid type: Expected number but received "one"): {"type":"batches","points":[{"epoch":"one"}]}\n',
      expect.stringMatching(/^\[model-lab\] dropped a malformed message from the trainer \(type: Invalid type: Expected \("ready" \|.* but received "mystery"\): \{"type":"mystery"\}\n$/),
      expect.stringMatching(/^\[model-lab\] dropped a malformed message from the trainer \(status: .* but received "exploded"\): \{"type":"end","status":"exploded"\}\n$/),
    ]);
  });

  it('stop() asks the trainer, which ends the run stopped', async () => {
    const { tp, messages, runDir } = startFake('graceful-stop');
    await nextMessage(tp, 'batches');
    tp.stop();
    const end = await tp.ended;
    expect(end).toEqual({ status: 'stopped', error: undefined, runDir });
    expect(ends(messages)).toHaveLength(1);
    expect(readRun(runDir).metrics.some((m) => m.type === 'end')).toBe(false);
  });

  it('stop() of a run waits for a batch that takes much longer than the grace period: nothing is killed', async () => {
    const { tp, messages, runDir } = startFake('slow-stop');
    await nextMessage(tp, 'batches');
    tp.stop();
    expect(tp.stopRequested).toBe(true);
    const end = await tp.ended;
    // 1.5 s after the stop, five times the 0.3 s grace: the trainer's own end, the batch kept.
    expect(end).toEqual({ status: 'stopped', error: undefined, runDir });
    expect(messages.filter((m) => m.type === 'batches')).toHaveLength(2);
    expect(tp.stopRequested).toBe(false);
  });

  it('kill() after stop() (the second Stop) ends a run that ignores the stop, recorded as crashed', async () => {
    const { tp, messages, runDir } = startFake('ignore-stop');
    await nextMessage(tp, 'batches');
    const pid = tp.pid!;
    tp.stop();
    await new Promise((r) => setTimeout(r, 900));
    expect(isAlive(pid)).toBe(true); // three graces later it still runs: nothing escalated
    tp.kill();
    const end = await tp.ended;
    expect(end.status).toBe('crashed');
    expect(end.error?.message).toBe('Killed while finishing the batch after Stop (trainer was killed by SIGKILL)');
    expect(ends(messages)).toHaveLength(1);
    expect(isAlive(pid)).toBe(false);
    expect(readRun(runDir).record.status).toBe('crashed');
  });

  it('kill(SIGTERM) escalates to SIGKILL when the trainer ignores SIGTERM', async () => {
    const { tp, messages, output } = startFake('ignore-sigterm');
    await nextMessage(tp, 'batches');
    const pid = tp.pid!;
    tp.kill('SIGTERM');
    const end = await tp.ended;
    expect(end.error?.message).toMatch(/^Training was interrupted \(trainer was killed by SIGKILL\)/);
    // It did receive the SIGTERM first.
    expect(output.some((o) => o.text.includes('ignoring SIGTERM'))).toBe(true);
    expect(ends(messages)).toHaveLength(1);
    expect(isAlive(pid)).toBe(false);
  });

  it('ends the run as crashed when the trainer is not ready in time', async () => {
    const { tp, messages } = startFake('never-ready', { readyTimeoutMs: 300 });
    const pid = tp.pid!;
    const end = await tp.ended;
    expect(end.status).toBe('crashed');
    expect(end.error?.message).toBe('Trainer was not ready within 0.3 s (trainer was killed by SIGTERM)');
    // No run message ever came, so there is no run folder to mark.
    expect(end.runDir).toBeUndefined();
    expect(messages).toEqual([{ type: 'end', status: 'crashed', error: end.error, runDir: undefined }]);
    expect(isAlive(pid)).toBe(false);
  });

  it('kills a trainer that closes its channel but keeps running', async () => {
    const { tp, messages, runDir } = startFake('disconnect');
    const pid = tp.pid!;
    const end = await tp.ended;
    expect(end.error?.message).toBe('Trainer closed its IPC channel without ending the run (trainer was killed by SIGTERM)');
    expect(ends(messages)).toHaveLength(1);
    expect(readRun(runDir).record.status).toBe('crashed');
    expect(isAlive(pid)).toBe(false);
  });

  it('keeps the trainer’s end when it exits badly afterwards, and cleans up one that lingers', async () => {
    const a = startFake('end-then-exit-nonzero');
    expect(await a.tp.ended).toMatchObject({ status: 'completed' });
    expect(ends(a.messages)).toHaveLength(1);

    const b = startFake('end-then-linger');
    const pid = b.tp.pid!;
    expect(await b.tp.ended).toMatchObject({ status: 'completed' });
    expect(ends(b.messages)).toHaveLength(1);
    expect(isAlive(pid)).toBe(false);
  });

  it('reports a trainer script that does not exist as crashed with Node’s reason', async () => {
    const tp = new TrainerProcess({ trainerScript: path.join(tmpDir(), 'missing.js') });
    live.push(tp);
    tp.start({ modelFile: '/m.ts', runsDir: tmpDir(), backend: 'cpu' });
    const end = await tp.ended;
    expect(end.status).toBe('crashed');
    expect(end.error?.message).toMatch(/^Trainer exited with code 1: Error: Cannot find module '.*missing\.js'$/);
  });

  it('reports a Node binary that cannot be started', async () => {
    const tp = new TrainerProcess({ trainerScript: FAKE_TRAINER, execPath: path.join(tmpDir(), 'no-such-node') });
    live.push(tp);
    const messages: TrainerToHost[] = [];
    tp.onMessage((m) => messages.push(m));
    tp.start({ modelFile: '/m.ts', runsDir: tmpDir(), backend: 'cpu' });
    const end = await tp.ended;
    expect(end.error?.message).toMatch(/^Could not start the trainer: spawn .*no-such-node ENOENT/);
    expect(ends(messages)).toHaveLength(1);
  });

  it('dispose() kills a running trainer, marks the run crashed and still delivers one end', async () => {
    const { tp, messages, runDir } = startFake('ignore-sigterm');
    await nextMessage(tp, 'batches');
    const pid = tp.pid!;
    tp.dispose();
    // Recorded at once, without waiting for the exit: the host may be going away.
    expect(readRun(runDir).record.status).toBe('crashed');
    const end = await tp.ended;
    expect(end.error?.message).toBe('Trainer was killed because its owner shut down (trainer was killed by SIGKILL)');
    expect(ends(messages)).toHaveLength(1);
    expect(readRun(runDir).metrics.filter((m) => m.type === 'end')).toHaveLength(1);
    expect(isAlive(pid)).toBe(false);
  });
});

describe('TrainerProcess with the real trainer (dist/trainer.js)', () => {
  beforeAll(() => ensureBuilt(['trainer.js']));

  it('trains a tiny model on the cpu backend: ready → run → batches → epoch → end completed', async () => {
    const dir = tmpDir();
    const modelFile = path.join(dir, 'tiny.model.ts');
    fs.writeFileSync(modelFile, TINY_MODEL);
    const runsDir = path.join(dir, 'runs');
    const tp = new TrainerProcess({ trainerScript: path.join(DIST, 'trainer.js') });
    live.push(tp);
    const messages: TrainerToHost[] = [];
    let output = '';
    tp.onMessage((m) => messages.push(m));
    tp.onOutput((text) => (output += text));
    tp.start({ modelFile, runsDir, backend: 'cpu', workspaceDir: dir });
    const end = await tp.ended;
    expect(end, output).toMatchObject({ status: 'completed' });

    const types = messages.map((m) => m.type);
    expect(types[0]).toBe('ready');
    expect(types.filter((t) => t === 'end')).toEqual(['end']);
    const order = ['ready', 'run', 'batches', 'epoch', 'end'].map((t) => types.indexOf(t as TrainerToHost['type']));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    const ready = messages[0] as Extract<TrainerToHost, { type: 'ready' }>;
    expect(ready.backend.name).toBe('cpu');
    const run = messages.find((m) => m.type === 'run') as Extract<TrainerToHost, { type: 'run' }>;
    expect(run.config).toMatchObject({ epochs: 1, batchSize: 64, limit: 256 });
    const points = messages.flatMap((m) => (m.type === 'batches' ? m.points : []));
    expect(points.length).toBe(run.batchesPerEpoch);
    expect(points.every((p) => Number.isFinite(p.metrics.loss))).toBe(true);
    const epoch = messages.find((m) => m.type === 'epoch') as Extract<TrainerToHost, { type: 'epoch' }>;
    expect(epoch.point.epoch).toBe(0);
    expect(Number.isFinite(epoch.point.metrics.loss)).toBe(true);

    const { record: rec, metrics } = readRun(run.runDir);
    expect(rec.status).toBe('completed');
    expect(metrics.filter((m) => m.type === 'end')).toMatchObject([{ status: 'completed' }]);
  });
  it('pause(), checkpoint() while paused, resume() and stop() reach the trainer over IPC', async () => {
    const dir = tmpDir();
    const modelFile = path.join(dir, 'long.model.ts');
    fs.writeFileSync(modelFile, TINY_MODEL.replace("{ dataset: 'mnist', limit: 256, epochs: 1, batchSize: 64 }", "{ dataset: 'mnist', limit: 2000, epochs: 50, batchSize: 8 }"));
    const tp = new TrainerProcess({ trainerScript: path.join(DIST, 'trainer.js') });
    live.push(tp);
    const messages: TrainerToHost[] = [];
    let output = '';
    tp.onOutput((text) => (output += text));
    // Each step waits for the trainer's answer to the one before.
    tp.onMessage((m) => {
      messages.push(m);
      if (m.type === 'batches' && !messages.some((x) => x.type === 'paused')) tp.pause();
      if (m.type === 'paused') tp.checkpoint();
      if (m.type === 'checkpoint' && m.checkpoint.reason === 'request') tp.resume();
      if (m.type === 'resumed') tp.stop();
    });
    tp.start({ modelFile, runsDir: path.join(dir, 'runs'), backend: 'cpu', workspaceDir: dir });
    const end = await tp.ended;
    expect(end, output).toMatchObject({ status: 'stopped' });
    const names = messages.map((m) => (m.type === 'checkpoint' ? `checkpoint:${m.checkpoint.reason}` : m.type)).filter((t) => t !== 'batches' && t !== 'log');
    // (the stopped epoch still reports its partial metrics, as tfjs calls onEpochEnd after a stop)
    // The stopped epoch still records its weight histograms (the weights the stop checkpoint saves).
    expect(names).toEqual(['ready', 'started', 'run', 'executor', 'paused', 'checkpoint:request', 'resumed', 'epoch', 'histograms', 'checkpoint:stop', 'end']);
    const paused = messages.find((m) => m.type === 'paused') as Extract<TrainerToHost, { type: 'paused' }>;
    const request = messages.find((m) => m.type === 'checkpoint') as Extract<TrainerToHost, { type: 'checkpoint' }>;
    // the checkpoint taken while paused holds exactly the batches trained before the pause
    expect(request.checkpoint.step).toBe(paused.step);
    expect(fs.readdirSync(request.dir).sort()).toEqual(['checkpoint.json', 'model.json', 'weights.bin']);
    const run = messages.find((m) => m.type === 'run') as Extract<TrainerToHost, { type: 'run' }>;
    expect(readRun(run.runDir).record.status).toBe('stopped');
  });
});

/** A serving fake trainer, for requests. */
function serveFake(mode: string) {
  const tp = new TrainerProcess({ trainerScript: FAKE_TRAINER, env: { ...process.env, FAKE_TRAINER_MODE: mode }, stopGraceMs: 300 });
  live.push(tp);
  return tp;
}

async function failure(p: Promise<unknown>): Promise<TrainerRequestError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TrainerRequestError) return e;
    throw e;
  }
  throw new Error('the request did not fail');
}

describe('requests to a serving trainer', { timeout: 20_000 }, () => {
  it('matches each answer to its request by id, whatever order they come back in', async () => {
    const tp = serveFake('serve-reversed');
    const a = tp.request({ kind: 'summary', file: '/w/a.model.ts' });
    const b = tp.request({ kind: 'summary', file: '/w/b.model.ts' });
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.summary.file).toBe('/w/a.model.ts');
    expect(rb.summary.file).toBe('/w/b.model.ts');
  });

  it("gives the trainer's own error, with its place in the model file, as a failed request", async () => {
    const tp = serveFake('serve-error');
    const e = await failure(tp.request({ kind: 'summary', file: '/w/m.model.ts' }));
    expect(e.reason).toBe('failed');
    expect(e.runError).toEqual({ message: 'createModel() failed: bad units (m.model.ts:3:9)', file: '/w/m.model.ts', line: 3, column: 9 });
  });

  it('refuses an answer it cannot read, or of another kind, without waiting for a timeout', async () => {
    const malformed = await failure(serveFake('serve-malformed').request({ kind: 'summary', file: '/w/m.model.ts' }));
    expect(malformed.reason).toBe('invalid');
    expect(malformed.message).toMatch(/^The trainer's answer to the summary request is not one this version can read \(result\.summary\./);
    const wrongKind = await failure(serveFake('serve-wrong-kind').request({ kind: 'preview', file: '/w/m.model.ts' }));
    expect(wrongKind.reason).toBe('invalid');
    expect(wrongKind.message).toBe('The trainer answered a preview request with a summary result');
  });

  it('a request that times out kills its child; the other open request fails as crashed, and the process takes no more', async () => {
    const tp = serveFake('serve-hang');
    const slow = tp.request({ kind: 'summary', file: '/w/a.model.ts' }, { timeoutMs: 500 });
    const other = tp.request({ kind: 'preview', file: '/w/a.model.ts' });
    const pid = tp.pid!;
    const timedOut = await failure(slow);
    expect(timedOut.reason).toBe('timeout');
    expect(timedOut.message).toBe('The trainer did not answer the summary request within 0.5 s');
    const crashed = await failure(other);
    expect(crashed.reason).toBe('crashed');
    expect(crashed.message).toBe('Trainer did not answer within 0.5 s (trainer was killed by SIGKILL)');
    expect(isAlive(pid)).toBe(false);
    expect((await failure(tp.request({ kind: 'summary', file: '/w/a.model.ts' }))).reason).toBe('refused');
  });

  it('a child that dies while answering fails the request as crashed, with the last line of its stderr', async () => {
    const e = await failure(askTrainer({ trainerScript: FAKE_TRAINER, env: { ...process.env, FAKE_TRAINER_MODE: 'serve-crash' } }, { kind: 'evaluate', runDir: '/w/runs/r' }));
    expect(e.reason).toBe('crashed');
    expect(e.message).toBe('Trainer exited with code 3: Error: fake trainer fell over while answering');
  });

  it('askTrainer: an abort kills the child and says the request was cancelled', async () => {
    const abort = new AbortController();
    const p = askTrainer({ trainerScript: FAKE_TRAINER, env: { ...process.env, FAKE_TRAINER_MODE: 'serve-hang' } }, { kind: 'preview', file: '/w/m.model.ts' }, { signal: abort.signal });
    setTimeout(() => abort.abort(), 200);
    const e = await failure(p);
    expect(e.reason).toBe('crashed');
    expect(e.message).toBe('The preview was cancelled (trainer was killed by SIGKILL)');
  });

  it('a process that runs training answers no request', async () => {
    const { tp } = startFake('ignore-stop');
    expect((await failure(tp.request({ kind: 'summary', file: '/w/m.model.ts' }))).reason).toBe('refused');
  });
});

describe('requests to the real trainer (dist/trainer.js)', { timeout: 60_000 }, () => {
  it("answers a preview request with the model file's data, and an evaluate request for a folder that is no run with the reason", async () => {
    await ensureBuilt(['trainer.js']);
    const trainerScript = path.join(DIST, 'trainer.js');
    const modelFile = path.resolve(__dirname, '../../examples/early-stopping.model.ts');
    const { preview } = await askTrainer({ trainerScript }, { kind: 'preview', file: modelFile }, { timeoutMs: 50_000 });
    expect(preview).toMatchObject({ modelFile, dataset: 'iris', kind: 'tabular', count: 150, xShape: [150, 4] });
    expect(preview.classBalance?.map((c) => c.count)).toEqual([50, 50, 50]);

    const notARun = tmpDir();
    const e = await failure(askTrainer({ trainerScript }, { kind: 'evaluate', runDir: notARun }, { timeoutMs: 50_000 }));
    expect(e.reason).toBe('failed');
    expect(e.message).toBe(`${notARun} is not a run folder (no run.json)`);
  });
});
