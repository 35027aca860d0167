/**
 * Data-parallel training steps for the fused executor: the trainer and N−1 worker threads (each with
 * its own wasm instance, fusedWorker.ts) compute the gradients of one shard of the batch each; the
 * trainer averages them weighted by shard size in its executor's gradient block (= the whole batch's
 * mean gradient, up to float rounding) and runs the optimizer update once, so the parameters and the
 * optimizer state exist in one place and checkpoints stay as they are.
 *
 * Waits poll for a moment (sharedStep.ts DEFAULT_SPIN_MS: a futex wake a step cost as much as the
 * step's serial part), then block with Atomics.wait (a promise per shard would cost more), but only
 * briefly: after SYNC_WAIT_MS the wait goes on asynchronously so a worker's exit or error
 * event can arrive, and after `timeoutMs` the step fails naming the worker. A failed step applies
 * nothing, so the model keeps the weights of the last finished step.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FusedExecutor, StepResult } from './executor';
import { CTRL, DEFAULT_SPIN_MS, readError, shardBytes, shardViews, spinUntil, type ShardViews, type SharedLayout, type WorkerInit } from './sharedStep';

/** How long a step blocks the trainer's thread before waiting asynchronously (so exit events can arrive). */
const SYNC_WAIT_MS = 200;
export const DEFAULT_STEP_TIMEOUT_MS = 120_000;
const START_TIMEOUT_MS = 30_000;

export interface PoolOptions {
  /** Threads in all, the trainer's included (≥ 2). */
  threads: number;
  /** The largest batch a step gets. */
  maxBatch: number;
  yRow: number;
  /** A step fails when a worker has not finished its shard after this long. */
  timeoutMs?: number;
  /** dist/fusedWorker.js by default (next to the bundle, or one folder up from dist/bench). */
  workerFile?: string;
  /** Milliseconds each side polls before it sleeps (DEFAULT_SPIN_MS; 0: sleep at once). */
  spinMs?: number;
  /** Test only: worker `index` hangs or exits when handed its shard number `at` (from 1). */
  fault?: { index: number; kind: 'hang' | 'exit'; at: number };
}

interface Member {
  index: number;
  worker: Worker;
  views: ShardViews;
  /** Set by the exit / error events: why this worker is gone. */
  gone?: string;
}

export class WorkerFailure extends Error {}

/** A batch handed to the workers and not yet collected. */
interface Pending {
  n: number;
  sizes: number[];
  y: ArrayLike<number>;
  handed: { m: Member; seq: number; n: number }[];
  /** A worker found gone at hand-off: collect fails naming it. */
  gone?: Member;
}

export function defaultWorkerFile(): string {
  for (const dir of [__dirname, path.join(__dirname, '..')]) {
    const f = path.join(dir, 'fusedWorker.js');
    if (fs.existsSync(f)) return f;
  }
  throw new Error(`Model Lab's training worker (fusedWorker.js) is missing next to ${__dirname} (run npm run build)`);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class GradientWorkerPool {
  readonly threads: number;
  private readonly members: Member[];
  private readonly params: Float32Array;
  private readonly layout: SharedLayout;
  private readonly timeoutMs: number;
  private readonly maxBatch: number;
  /** Samples moved from the trainer's shard to the workers' (negative: the other way), see nextShift. */
  private shift = 0;
  private readonly maxShift: number;
  private steps = 0;
  private closed = false;
  private pending: Pending | undefined;

  private constructor(layout: SharedLayout, members: Member[], params: Float32Array, timeoutMs: number, maxBatch: number, maxShift: number) {
    this.layout = layout;
    this.members = members;
    this.params = params;
    this.timeoutMs = timeoutMs;
    this.threads = members.length + 1;
    this.maxBatch = maxBatch;
    this.maxShift = maxShift;
  }

  /** Starts threads − 1 workers for `exec`'s plan and waits until each has its wasm instance. */
  static async start(exec: FusedExecutor, opts: PoolOptions): Promise<GradientWorkerPool> {
    if (!Number.isInteger(opts.threads) || opts.threads < 2) throw new Error(`a worker pool needs at least 2 threads, not ${opts.threads}`);
    const maxShift = shiftLimit(opts.maxBatch, opts.threads);
    const layout: SharedLayout = {
      spinMs: opts.spinMs ?? DEFAULT_SPIN_MS,
      plan: exec.plan,
      shardMax: Math.ceil(opts.maxBatch / opts.threads) + maxShift,
      yRow: opts.yRow,
      paramCount: exec.paramCount,
      variant: exec.engine.variant,
    };
    const paramsBuf = new SharedArrayBuffer(4 * exec.paramCount);
    const file = opts.workerFile ?? defaultWorkerFile();
    const members: Member[] = [];
    try {
      for (let i = 1; i < opts.threads; i++) {
        const shard = new SharedArrayBuffer(shardBytes(layout));
        const init: WorkerInit = { ...layout, index: i, shard, params: paramsBuf };
        const views = shardViews(shard, layout);
        if (opts.fault?.index === i) {
          views.ctrl[CTRL.fault] = opts.fault.kind === 'hang' ? 1 : 2;
          views.ctrl[CTRL.faultAt] = opts.fault.at;
        }
        const worker = new Worker(file, { workerData: init, stdout: false, stderr: false });
        // A worker must never keep the trainer alive (stop, crash paths): the pool ends them explicitly.
        worker.unref();
        const m: Member = { index: i, worker, views };
        members.push(m);
        worker.on('error', (e) => (m.gone ??= `failed: ${e instanceof Error ? e.message : String(e)}`));
        worker.on('exit', (code) => (m.gone ??= `exited (code ${code})`));
      }
      await Promise.all(members.map((m) => readyOf(m, opts.threads)));
    } catch (e) {
      for (const m of members) void m.worker.terminate();
      throw e;
    }
    return new GradientWorkerPool(layout, members, new Float32Array(paramsBuf), opts.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS, opts.maxBatch, maxShift);
  }

  private name(m: Member): string {
    return `training worker ${m.index} of ${this.threads - 1}`;
  }

  /**
   * Gradients of the n samples in exec's input buffer (labels y), split over the threads and averaged
   * into exec's gradient block; returns the batch's loss and accuracy (shard-size-weighted means).
   * Does not update the parameters: the caller runs exec.applyGradients once.
   */
  async computeGradients(exec: FusedExecutor, n: number, y: ArrayLike<number>): Promise<StepResult> {
    this.handOff(exec, n, y);
    return this.collect(exec);
  }

  /**
   * The first half of computeGradients: hands the workers their shards of the n samples in exec's
   * input buffer (with exec's current parameters) and returns at once, so the trainer's per-batch
   * work (metrics, callbacks, a yield) runs while they compute. Until collect, exec's input buffer
   * and `y` must keep the trainer's own shard (the first samples). A worker already gone is reported
   * by collect, so a step that cannot finish fails where a step fails.
   */
  handOff(exec: FusedExecutor, n: number, y: ArrayLike<number>): void {
    if (this.closed) throw new Error('the training workers were already shut down');
    if (this.pending) throw new Error('a batch was handed to the training workers before the previous one was collected');
    if (n > this.maxBatch) throw new Error(`a batch of ${n} is larger than the ${this.maxBatch} the workers were sized for`);
    this.steps++;
    const sizes = shardSizes(n, this.threads, this.shift);
    const pending: Pending = { n, sizes, y, handed: [] };
    this.pending = pending;
    pending.gone = this.members.find((m) => m.gone);
    if (pending.gone) return;
    const xRow = exec.plan.inputSize;
    const yRow = this.layout.yRow;
    const x = exec.inputView(n);
    const yArr = y as Float32Array;
    this.params.set(exec.paramView());
    let from = sizes[0];
    for (const m of this.members) {
      const size = sizes[m.index];
      if (size > 0) {
        m.views.x.set(x.subarray(from * xRow, (from + size) * xRow));
        m.views.y.set(yArr.subarray(from * yRow, (from + size) * yRow));
        Atomics.store(m.views.ctrl, CTRL.n, size);
        const seq = Atomics.add(m.views.ctrl, CTRL.seq, 1) + 1;
        Atomics.notify(m.views.ctrl, CTRL.seq);
        pending.handed.push({ m, seq, n: size });
      }
      from += size;
    }
  }

  /** Whether a handed-off batch waits for collect. */
  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** The second half of computeGradients: the trainer's own shard, then each worker's, averaged into exec's gradient block. */
  async collect(exec: FusedExecutor): Promise<StepResult> {
    const p = this.pending;
    if (!p) throw new Error('no batch was handed to the training workers');
    this.pending = undefined;
    if (this.closed) throw new Error('the training workers were already shut down');
    if (p.gone) throw this.failure(p.gone, p.gone.gone!);
    const { n, sizes } = p;
    const yRow = this.layout.yRow;
    const started = performance.now();
    const mine = exec.computeGradients(sizes[0], (p.y as Float32Array).subarray(0, sizes[0] * yRow));
    const computed = performance.now();
    let ahead = true;
    const g = exec.gradView();
    const w0 = sizes[0] / n;
    let loss = mine.loss * w0;
    let acc = mine.acc === undefined ? undefined : mine.acc * w0;
    const values = mine.values?.map((x) => x * w0);
    let scaled = p.handed.length === 0 || w0 === 1;
    for (const h of p.handed) {
      ahead &&= Atomics.load(h.m.views.ctrl, CTRL.done) >= h.seq;
      await this.waitFor(h.m, h.seq);
      const v = h.m.views;
      if (Atomics.load(v.ctrl, CTRL.status) !== 0) throw this.failure(h.m, `failed: ${readError(v.error)}`);
      const wi = h.n / n;
      const gi = v.grads;
      // One pass over the parameters: scale the trainer's own share while adding the first worker's.
      if (!scaled) {
        for (let i = 0; i < g.length; i++) g[i] = g[i] * w0 + gi[i] * wi;
        scaled = true;
      } else for (let i = 0; i < g.length; i++) g[i] += gi[i] * wi;
      loss += v.result[0] * wi;
      if (acc !== undefined) acc += v.result[1] * wi;
      values?.forEach((x, j) => (values[j] = x + v.result[2 + j] * wi));
    }
    if (p.handed.length > 0 && sizes[0] > 0)
      this.shift = nextShift(this.shift, { workersAhead: ahead, waitedMs: performance.now() - computed, msPerSample: (computed - started) / sizes[0], limit: this.maxShift });
    return { loss, ...(acc !== undefined && { acc }), ...(values && { values }) };
  }

  /** Blocks briefly, then waits asynchronously (so exit events arrive) until the worker finished `seq`. */
  private async waitFor(m: Member, seq: number): Promise<void> {
    const ctrl = m.views.ctrl;
    const start = Date.now();
    const done = () => Atomics.load(ctrl, CTRL.done) >= seq;
    if (spinUntil(done, Math.min(this.layout.spinMs, this.timeoutMs))) return;
    const firstWait = Math.min(SYNC_WAIT_MS, this.timeoutMs);
    while (!done() && Date.now() - start < firstWait) Atomics.wait(ctrl, CTRL.done, Atomics.load(ctrl, CTRL.done), firstWait - (Date.now() - start));
    while (!done()) {
      if (m.gone) throw this.failure(m, m.gone);
      const waited = Date.now() - start;
      if (waited >= this.timeoutMs) throw this.failure(m, `did not finish its shard within ${this.timeoutMs >= 1000 ? `${Math.round(this.timeoutMs / 1000)} s` : `${this.timeoutMs} ms`}`, true);
      await sleep(Math.min(20, this.timeoutMs - waited));
    }
  }

  private failure(m: Member, what: string, timedOut = false): WorkerFailure {
    const err = new WorkerFailure(
      `Model Lab's ${this.name(m)} ${what} during training step ${this.steps}${timedOut ? ' (the machine may be overloaded; --threads 1 trains without workers)' : ''}; the model keeps the weights of the last finished step.`,
    );
    void this.close();
    return err;
  }

  /** Ends every worker (also after a failure); safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const m of this.members) {
      Atomics.store(m.views.ctrl, CTRL.quit, 1);
      Atomics.notify(m.views.ctrl, CTRL.seq);
      Atomics.notify(m.views.ctrl, CTRL.quit);
    }
    await Promise.all(this.members.map((m) => m.worker.terminate().catch(() => undefined)));
  }
}

/**
 * Shard sizes, the trainer's first: as even as possible (earlier shards one larger), then `shift`
 * samples moved from the trainer's shard to the workers' (or back when negative), the trainer
 * keeping at least one.
 */
export function shardSizes(n: number, threads: number, shift = 0): number[] {
  const even = (m: number, parts: number) => Array.from({ length: parts }, (_, i) => Math.floor(m / parts) + (i < m % parts ? 1 : 0));
  if (shift === 0 || threads < 2 || n < 2) return even(n, threads);
  const mine = Math.min(n - 1, Math.max(1, Math.ceil(n / threads) - shift));
  return [mine, ...even(n - mine, threads - 1)];
}

/** Most samples the balance moves between the trainer and its workers: an eighth of a shard (at least 1). */
export function shiftLimit(maxBatch: number, threads: number): number {
  return Math.max(1, Math.floor(Math.ceil(maxBatch / threads) / 8));
}

/**
 * The next step's balance. With the batch handed off before the trainer's per-batch work (metrics,
 * callbacks, the yield), the workers start earlier than the trainer's own shard and would sit idle
 * at the end of each step: when they were done before the trainer came to wait for them, one more
 * sample goes their way; when the trainer waited longer than half a sample's time, one comes back.
 */
export function nextShift(shift: number, s: { workersAhead: boolean; waitedMs: number; msPerSample: number; limit: number }): number {
  if (s.workersAhead) return Math.min(s.limit, shift + 1);
  if (s.waitedMs > s.msPerSample / 2) return Math.max(-s.limit, shift - 1);
  return shift;
}

function readyOf(m: Member, threads: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`training worker ${m.index} of ${threads - 1} did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`training worker ${m.index} of ${threads - 1} could not start: ${why}`));
    };
    m.worker.once('message', (msg: unknown) => {
      clearTimeout(timer);
      if ((msg as { type?: string })?.type === 'ready') resolve();
      else fail(`it sent ${JSON.stringify(msg)}`);
    });
    m.worker.once('error', (e) => fail(e instanceof Error ? e.message : String(e)));
    m.worker.once('exit', (code) => fail(`it exited (code ${code})`));
  });
}
