// The fault suite: real CLI and trainer processes killed at random moments and at the checkpoint
// swap, a Stop during 20-second batches, a full disk, two runs at once, a model file that never
// loads. After every kill: each metric line the CLI printed (--json) before the kill is in
// metrics.jsonl, the run resumes from a complete checkpoint, no process of the suite is left in the
// process table (/proc), and a run whose processes all died is not left `running`.
// `npm run test:faults` (part of `npm run test:all`); FAULT_KILLS sets the number of random kills.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrainerToHost, type TrainerToHost } from '../../src/protocol/trainer';
import { findCheckpointDir, readCheckpointInfo } from '../../src/trainer/checkpoints';
import { readRun } from '../../src/training/runStore';
import { DIST, ensureBuilt, ROOT } from '../unit/builtTrainer';

const CLI = path.join(DIST, 'cli.js');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'faults');
/** Marks every process this suite starts (in its environment), so /proc tells which ones are ours. */
const SUITE_ID = crypto.randomBytes(6).toString('hex');
const RANDOM_KILLS = Number(process.env.FAULT_KILLS ?? 24);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
const tally = { kills: 0, killsAtSwap: 0, resumes: 0, metricLinesChecked: 0, lost: 0, orphans: 0 };

beforeAll(async () => {
  await ensureBuilt(['cli.js', 'trainer.js']);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lab-faults-'));
  for (const f of fs.readdirSync(FIXTURES)) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
  // The model files require @tensorflow/tfjs: resolve it from the project.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
});

afterAll(() => {
  // What the numbers are for BENCHMARKS.md.
  console.log(`[fault suite] ${JSON.stringify(tally)}`);
  for (const pid of suiteProcesses()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Pids of live processes carrying this suite's id in their environment. */
function suiteProcesses(): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      if (/\) Z /.test(stat)) continue; // a zombie waiting for its parent to reap it runs nothing
      if (fs.readFileSync(`/proc/${name}/environ`, 'utf8').includes(`FAULT_SUITE_ID=${SUITE_ID}`)) out.push(Number(name));
    } catch {
      // exited while we looked, or not ours to read
    }
  }
  return out;
}

function childrenOf(pid: number): number[] {
  try {
    return fs
      .readdirSync(`/proc/${pid}/task`)
      .flatMap((t) => fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/))
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

const alive = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
};

async function waitFor(what: string, ms: number, cond: () => boolean): Promise<void> {
  for (let t = 0; !cond(); t += 50) {
    if (t > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface CliRun {
  child: ChildProcess;
  messages: TrainerToHost[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = dir): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FAULT_SUITE_ID: SUITE_ID, ...env },
  });
  const messages: TrainerToHost[] = [];
  let buf = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (t: string) => {
    buf += t;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const m = line.startsWith('{') ? parseTrainerToHost(JSON.parse(line)) : undefined;
      if (m) messages.push(m);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, messages, stderr: () => stderr, exited };
}

function describeProcess(pid: number): string {
  try {
    return `${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()}`;
  } catch {
    return `${pid} (gone)`;
  }
}

/** No process started by the suite is left (a helper whose parent died may take a moment to see its pipe close). */
async function expectNoSuiteProcess(): Promise<void> {
  try {
    await waitFor('every process of the suite to exit', 10_000, () => suiteProcesses().length === 0);
  } catch {
    tally.orphans++;
  }
  expect(suiteProcesses().map(describeProcess), 'no process of the suite is left').toEqual([]);
}

const ofType = <T extends TrainerToHost['type']>(ms: TrainerToHost[], type: T) => ms.filter((m): m is Extract<TrainerToHost, { type: T }> => m.type === type);

/** Every batch and epoch the CLI printed is a line of metrics.jsonl. */
function expectNothingLost(runDir: string, reported: TrainerToHost[]): void {
  const { metrics } = readRun(runDir);
  const batchSteps = new Set(metrics.flatMap((m) => (m.type === 'batch' ? [m.step] : [])));
  const epochs = new Set(metrics.flatMap((m) => (m.type === 'epoch' ? [m.epoch] : [])));
  const wantBatches = ofType(reported, 'batches').flatMap((m) => m.points.map((p) => p.step));
  const wantEpochs = ofType(reported, 'epoch').map((m) => m.point.epoch);
  const missing = [...wantBatches.filter((s) => !batchSteps.has(s)).map((s) => `batch step ${s}`), ...wantEpochs.filter((e) => !epochs.has(e)).map((e) => `epoch ${e}`)];
  tally.metricLinesChecked += wantBatches.length + wantEpochs.length;
  tally.lost += missing.length;
  expect(missing, `lines printed before the kill but missing from ${runDir}/metrics.jsonl`).toEqual([]);
}

type Target = 'trainer' | 'cli' | 'both';

/**
 * One run killed: starts the CLI (resuming `resume` when given), kills `target` after `delayMs`
 * (or when the trainer reports it paused at `pauseAt`), waits for every process to be gone, and
 * checks the run folder. Returns the run folder.
 */
async function killedRun(target: Target, opts: { resume?: string; delayMs?: number; pauseAt?: string; runsDir: string }): Promise<string> {
  const args = ['train', 'slow.model.js', '--backend', 'cpu', '--runs-dir', opts.runsDir, '--json', ...(opts.resume ? ['--resume', path.relative(dir, opts.resume)] : [])];
  const r = startCli(args, { FAULT_SLEEP_MS: String(10 + Math.floor(Math.random() * 40)), ...(opts.pauseAt && { MODEL_LAB_FAULT_PAUSE_AT: opts.pauseAt }) });
  await waitFor('the run to start', 60_000, () => ofType(r.messages, 'run').length > 0 || r.child.exitCode !== null);
  expect(ofType(r.messages, 'run'), r.stderr()).toHaveLength(1);
  if (opts.pauseAt) await waitFor(`the test hook at ${opts.pauseAt}`, 60_000, () => r.stderr().includes(`paused at ${opts.pauseAt!.split(':')[0]}`));
  else await sleep(opts.delayMs ?? 0);
  const trainers = childrenOf(r.child.pid!);
  expect(trainers.length, 'the CLI has its trainer child').toBeGreaterThan(0);
  const reported = [...r.messages];
  if (target !== 'cli') for (const pid of trainers) process.kill(pid, 'SIGKILL');
  if (target !== 'trainer') r.child.kill('SIGKILL');
  await r.exited;
  // A trainer whose CLI was killed finishes its batch and saves, or (stuck in synchronous code) is
  // ended by its watchdog thread; either way it is gone.
  try {
    await waitFor('the trainer to exit after its CLI was killed', 60_000, () => trainers.every((p) => !alive(p)));
  } catch (e) {
    tally.orphans++;
    throw e;
  }
  await expectNoSuiteProcess();
  tally.kills++;
  const runDir = ofType(r.messages, 'run')[0].runDir;
  if (target !== 'cli') expectNothingLost(runDir, reported);
  else expectNothingLost(runDir, reported); // the CLI's stdout ends at the kill: what it printed is what counts
  if (opts.resume) {
    const resumed = readRun(runDir).record.resumedFrom;
    expect(resumed?.runDir, 'the run resumed from the previous one').toBe(path.resolve(opts.resume));
    tally.resumes++;
  }
  return runDir;
}

/** The run's checkpoints/last as resume finds it: complete (checkpoint.json, model.json and weights.bin) or absent. */
function completeCheckpoint(runDir: string): string | undefined {
  const ck = findCheckpointDir(runDir, 'last');
  if (!fs.existsSync(path.join(ck, 'checkpoint.json'))) return undefined;
  readCheckpointInfo(ck);
  for (const f of ['model.json', 'weights.bin']) expect(fs.existsSync(path.join(ck, f)), `${ck}/${f}`).toBe(true);
  const manifest = JSON.parse(fs.readFileSync(path.join(ck, 'model.json'), 'utf8')).weightsManifest[0];
  const bytes = manifest.weights.reduce((n: number, w: { shape: number[] }) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
  expect(fs.statSync(path.join(ck, 'weights.bin')).size, `${ck}/weights.bin holds every weight`).toBe(bytes);
  return ck;
}

describe('kills at random moments and at the checkpoint swap (real CLI and trainer)', () => {
  it(`survives ${RANDOM_KILLS} SIGKILLs of the trainer, the CLI or both, and kills exactly between the swap's renames; every run resumes`, async () => {
    const runsDir = path.join(dir, 'kill-runs');
    const targets: Target[] = ['trainer', 'cli', 'both'];
    let previous: string | undefined;
    let prevTarget = '';
    const plan: { target: Target; pauseAt?: string }[] = [];
    for (let i = 0; i < RANDOM_KILLS; i++) plan.push({ target: targets[i % 3] });
    // Exactly in the window of finding 3: the old checkpoints/last moved aside, the new one not yet in place.
    plan.splice(3, 0, { target: 'trainer', pauseAt: 'checkpoint-swap:3' });
    plan.splice(8, 0, { target: 'both', pauseAt: 'checkpoint-swap:2' });
    plan.splice(13, 0, { target: 'cli', pauseAt: 'checkpoint-swap:4' });
    for (const step of plan) {
      const resume = previous && completeCheckpoint(previous) ? previous : undefined;
      const runDir = await killedRun(step.target, { runsDir, resume, delayMs: 200 + Math.floor(Math.random() * 1200), pauseAt: step.pauseAt });
      if (step.pauseAt) {
        tally.killsAtSwap++;
        // checkpoints/last is missing right now; the pointer names the complete new copy.
        expect(completeCheckpoint(runDir), 'a complete checkpoint is findable after a kill at the swap').toBeDefined();
      }
      if (previous) {
        const rec = readRun(previous).record;
        expect(rec.status, `${previous} (${prevTarget} killed) is not left running: ${JSON.stringify(rec.process)} ${fs.readFileSync(path.join(previous, 'metrics.jsonl'), 'utf8').slice(-300)}`).not.toBe('running');
      }
      prevTarget = step.target + (step.pauseAt ? ` at ${step.pauseAt}` : '');
      previous = runDir;
    }
    // The last run too: the next start in the folder marks it crashed when all its processes died.
    const done = startCli(['train', 'slow.model.js', '--backend', 'cpu', '--runs-dir', runsDir, '--epochs', '1', '--json']);
    expect((await done.exited).code, done.stderr()).toBe(0);
    expect(readRun(previous!).record.status).not.toBe('running');
    // No temp folder or file of a killed run is left once a run has started in the folder again.
    const leftovers = fs
      .readdirSync(runsDir)
      .flatMap((id) => [...fs.readdirSync(path.join(runsDir, id)), ...(fs.existsSync(path.join(runsDir, id, 'checkpoints')) ? fs.readdirSync(path.join(runsDir, id, 'checkpoints')) : [])])
      .filter((f) => /\.tmp/.test(f) || f === '.space-reserve');
    expect(leftovers).toEqual([]);
  }, 600_000);
});

describe('Stop during long batches', () => {
  it('Ctrl-C during a 20-second batch: the batch finishes, the model and checkpoint are saved, the run ends stopped (exit 0)', async () => {
    const runsDir = path.join(dir, 'stop-runs');
    const r = startCli(['train', 'slow.model.js', '--backend', 'cpu', '--runs-dir', runsDir, '--json'], { FAULT_SLEEP_MS: '20000' });
    await waitFor('the run to start', 60_000, () => ofType(r.messages, 'run').length > 0);
    await sleep(2000); // inside the first 20-second batch
    r.child.kill('SIGINT');
    const { code } = await r.exited;
    expect(code, r.stderr()).toBe(0);
    expect(r.stderr()).toContain('Stopping after the current batch');
    const runDir = ofType(r.messages, 'run')[0].runDir;
    const { record, metrics } = readRun(runDir);
    expect(record.status).toBe('stopped');
    expect(metrics.filter((m) => m.type === 'batch').length).toBeGreaterThanOrEqual(1);
    expect(readCheckpointInfo(findCheckpointDir(runDir, 'last')).reason).toBe('stop');
    expect(fs.existsSync(path.join(runDir, 'model', 'weights.bin'))).toBe(true);
    await expectNoSuiteProcess();
  }, 180_000);

  it('a second Ctrl-C kills the trainer: exit 130, the run recorded crashed with what was written before', async () => {
    const runsDir = path.join(dir, 'kill-again-runs');
    const r = startCli(['train', 'slow.model.js', '--backend', 'cpu', '--runs-dir', runsDir, '--json'], { FAULT_SLEEP_MS: '20000' });
    await waitFor('the run to start', 60_000, () => ofType(r.messages, 'run').length > 0);
    await sleep(1000);
    r.child.kill('SIGINT');
    await waitFor('the first Ctrl-C to be answered', 10_000, () => r.stderr().includes('Stopping after the current batch'));
    r.child.kill('SIGINT');
    expect((await r.exited).code, r.stderr()).toBe(130);
    expect(r.stderr()).toContain('Killing the trainer');
    const { record } = readRun(ofType(r.messages, 'run')[0].runDir);
    expect(record.status).toBe('crashed');
    expect(record.error?.message).toMatch(/^Killed while finishing the batch after Stop/);
    await expectNoSuiteProcess();
  }, 120_000);

  it('a CLI killed while its trainer is stuck in a synchronous 60-second batch leaves no orphan: the watchdog thread ends it', async () => {
    const runsDir = path.join(dir, 'orphan-runs');
    const r = startCli(['train', 'slow.model.js', '--backend', 'cpu', '--runs-dir', runsDir, '--json'], { FAULT_SLEEP_MS: '60000' });
    await waitFor('the run to start', 60_000, () => ofType(r.messages, 'run').length > 0);
    await sleep(1000);
    const trainers = childrenOf(r.child.pid!);
    expect(trainers.length).toBeGreaterThan(0);
    r.child.kill('SIGKILL');
    await r.exited;
    // Well before the batch could end: the process table has none of ours.
    await waitFor('the orphaned trainer to be killed by its watchdog', 20_000, () => trainers.every((p) => !alive(p)));
    expect(readRun(ofType(r.messages, 'run')[0].runDir).metrics.filter((m) => m.type === 'batch')).toEqual([]);
    await expectNoSuiteProcess();
  }, 120_000);
});

describe('hangs and a full disk', () => {
  it('a model file that never finishes loading times out naming the file (MODEL_LAB_LOAD_TIMEOUT_S)', async () => {
    const runsDir = path.join(dir, 'hang-runs');
    const r = startCli(['train', 'endlessLoad.model.js', '--backend', 'cpu', '--runs-dir', runsDir], { MODEL_LAB_LOAD_TIMEOUT_S: '3' });
    const { code } = await r.exited;
    expect(code).toBe(1);
    expect(r.stderr()).toContain(`${path.join(dir, 'endlessLoad.model.js')} did not finish loading within 3 s`);
    const [id] = fs.readdirSync(runsDir);
    expect(readRun(path.join(runsDir, id)).record.status).toBe('crashed');
    await expectNoSuiteProcess();
  }, 120_000);

  it('a summary that never finishes building times out naming the file: exit 1 when it waits, killed (137) when it spins', async () => {
    fs.writeFileSync(path.join(dir, 'waits.model.js'), 'exports.createModel = () => new Promise(() => {});\n');
    fs.writeFileSync(path.join(dir, 'spins.model.js'), 'exports.createModel = () => { for (;;) {} };\n');
    for (const [file, code, signal] of [['waits.model.js', 1, null], ['spins.model.js', null, 'SIGKILL']] as const) {
      const r = startCli(['summary', file], { MODEL_LAB_SUMMARY_TIMEOUT_S: '2' });
      expect(await r.exited).toEqual({ code, signal });
      expect(r.stderr()).toContain(`the summary of ${path.join(dir, file)} did not finish within 2 s`);
    }
    await expectNoSuiteProcess();
  }, 120_000);

  it('a full disk (2 MB tmpfs) ends the run failed, naming the file it could not write', async (ctx) => {
    const mnt = path.join(dir, 'tiny-disk');
    fs.mkdirSync(mnt);
    try {
      if (process.getuid?.() !== 0) throw new Error('not root');
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch (e) {
      console.log(`[fault suite] disk-full test skipped: cannot mount a 2 MB tmpfs (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); CI runs it as root`);
      ctx.skip();
      return;
    }
    try {
      const runsDir = path.join(mnt, 'runs');
      // 10×8192 + 1 weights with Adam's two slots: ~1 MB a checkpoint, so last and best cannot both fit in 2 MB.
      const r = startCli(['train', 'slow.model.js', '--backend', 'cpu', '--runs-dir', runsDir, '--epochs', '50'], { FAULT_UNITS: '8192' });
      const { code } = await r.exited;
      expect(code, r.stderr()).toBe(1);
      const [id] = fs.readdirSync(runsDir);
      const { record } = readRun(path.join(runsDir, id));
      expect(record.status).toBe('failed');
      expect(record.error?.message).toMatch(new RegExp(`^The disk is full: could not write ${runsDir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/${id}/\\S+ \\(ENOSPC\\)`));
      expect(r.stderr()).toContain('The disk is full: could not write');
    } finally {
      execFileSync('umount', [mnt]);
    }
  }, 180_000);

  it('two runs at once in one runs folder stay separate: own folders, own metrics, both complete', async () => {
    const runsDir = path.join(dir, 'two-runs');
    const a = startCli(['train', 'slow.model.js', '--backend', 'cpu', '--runs-dir', runsDir, '--epochs', '3', '--json'], { FAULT_SLEEP_MS: '5' });
    const b = startCli(['train', 'slow.model.js', '--backend', 'cpu', '--runs-dir', runsDir, '--epochs', '4', '--json'], { FAULT_SLEEP_MS: '5' });
    const [ea, eb] = await Promise.all([a.exited, b.exited]);
    expect([ea.code, eb.code], a.stderr() + b.stderr()).toEqual([0, 0]);
    const ra = ofType(a.messages, 'run')[0].runDir;
    const rb = ofType(b.messages, 'run')[0].runDir;
    expect(ra).not.toBe(rb);
    for (const [runDir, epochs, msgs] of [[ra, 3, a.messages], [rb, 4, b.messages]] as const) {
      const { record, metrics } = readRun(runDir);
      expect(record.status).toBe('completed');
      expect(metrics.filter((m) => m.type === 'epoch').map((m) => m.epoch)).toEqual([...Array(epochs).keys()]);
      expect(metrics.filter((m) => m.type === 'batch')).toHaveLength(epochs * 4);
      expectNothingLost(runDir, msgs);
    }
  }, 180_000);
});
