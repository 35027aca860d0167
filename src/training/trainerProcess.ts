/**
 * The one owner of every forked trainer process: training runs, script runs, and the serving
 * children that answer the editor's requests (layer-hint summaries, dataset previews, evaluations).
 * It starts the child, validates what it says, stops it (a run: the message, and a kill only when the
 * user asks again; a serving child: message, then SIGTERM, then SIGKILL), makes sure every run ends exactly once even when the child dies without saying so, and matches each
 * request's `response` by id. Pure Node (no `vscode`): the extension and the CLI share it. Nothing
 * else in the host forks a trainer or spawns the CLI.
 */
import { fork, type ChildProcess } from 'node:child_process';
import {
  parseTrainerToHost,
  type EndStatus,
  type HostToTrainer,
  type RunError,
  type RunSpec,
  type TrainerRequest,
  type TrainerRequestKind,
  type TrainerResultOf,
  type TrainerToHost,
} from '../protocol/trainer';
import { pathOutsideRuns } from './confineTrainerMessage';
import { markCrashed } from './runStore';

export interface Disposable {
  dispose(): void;
}

/** A minimal typed event: listeners run in order; one that throws does not stop the others. */
export class Emitter<T extends unknown[]> {
  private listeners: ((...args: T) => void)[] = [];

  on(listener: (...args: T) => void): Disposable {
    this.listeners.push(listener);
    return {
      dispose: () => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      },
    };
  }

  fire(...args: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(...args);
      } catch (e) {
        // A listener's bug must not cost the run its `end`; surface it without throwing into Node's IPC code.
        console.error('[model-lab] a trainer listener threw:', e);
      }
    }
  }

  clear(): void {
    this.listeners = [];
  }
}

export interface TrainerProcessOptions {
  /** Absolute path of the trainer entry (dist/trainer.js). */
  trainerScript: string;
  /** The Node binary; default process.execPath (inside VS Code that is Electron, run as Node). */
  execPath?: string;
  /** The child's whole environment; default process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * A serving child: how long it gets after `stop` before SIGTERM. Any child: how long after SIGTERM
   * (or after its `end`) before SIGKILL. A run's `stop` never escalates: its batch may take minutes.
   */
  stopGraceMs?: number;
  /** How long the child gets to say `ready` (or end) before it counts as crashed. */
  readyTimeoutMs?: number;
  /**
   * Puts the child in its own process group (POSIX), so a Ctrl-C in the terminal reaches only the
   * CLI, which turns it into a graceful `stop` instead of the child dying mid-batch.
   */
  detached?: boolean;
  /** The child's working folder; default this process's. */
  cwd?: string;
}

/** Why a request got no result: the trainer's own error (`failed`), an answer we cannot read (`invalid`), or what happened to its child. */
export type TrainerRequestFailure = 'failed' | 'invalid' | 'timeout' | 'crashed' | 'refused';

/** A request that got no result; `runError` is the trainer's error (file and line where known) or ours. */
export class TrainerRequestError extends Error {
  constructor(
    readonly reason: TrainerRequestFailure,
    readonly runError: RunError,
  ) {
    super(runError.message);
    this.name = 'TrainerRequestError';
  }
}

export interface RequestOptions {
  /** After this long without an answer the child is killed and the request fails with `timeout`. Default: no limit. */
  timeoutMs?: number;
}

interface Pending {
  kind: TrainerRequestKind;
  resolve(result: unknown): void;
  reject(e: TrainerRequestError): void;
  timer?: NodeJS.Timeout;
}

export interface TrainerEnd {
  status: EndStatus;
  error?: RunError;
  runDir?: string;
}

type State = 'idle' | 'starting' | 'running' | 'ended';
/** A child forked for one run (`start`), or to answer requests (`request`). */
type Mode = 'run' | 'serve';

const DEFAULT_STOP_GRACE_MS = 5000;
const DEFAULT_READY_TIMEOUT_MS = 60_000;
/** How long after `exit` we wait for the IPC channel and pipes to drain before ending anyway. */
const CLOSE_AFTER_EXIT_MS = 2000;
const STDERR_TAIL_CHARS = 8192;

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/**
 * The line of a dead process's stderr most likely to say why it died: the last `SomeError: …` line
 * if there is one (Node prints the stack and its own version after it), else the last line that is
 * not a stack frame, a brace or Node's version banner.
 */
export function lastErrorLine(stderr: string): string | undefined {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter(
      (l) =>
        l.trim() !== '' &&
        !/^\s+at\s/.test(l) &&
        !/^Node\.js v\d/.test(l) &&
        !/^\s*[{}[\]]\s*$/.test(l) &&
        // V8's native backtrace after a fatal error: "9: 0x195e476 [/usr/bin/node]"
        !/^\s*\d+: 0x[0-9a-f]+/i.test(l),
    );
  // V8 out of heap: "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"
  const fatal = [...lines].reverse().find((l) => /FATAL ERROR: /.test(l));
  if (fatal) return fatal.trim().replace(/^.*?FATAL ERROR: /, 'V8 fatal error: ');
  const errorHeader = /^(?:Uncaught )?(?:[A-Za-z_$][\w$.]*)?(?:Error|Exception)(?: \[[\w-]+\])?:\s/;
  const pick = [...lines].reverse().find((l) => errorHeader.test(l.trim())) ?? lines[lines.length - 1];
  if (pick === undefined) return undefined;
  const one = pick.trim();
  return one.length > 300 ? one.slice(0, 297) + '...' : one;
}

/** How a dead child is described to the user. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `Trainer was killed by ${signal}`;
  if (code !== null) return `Trainer exited with code ${code}`;
  return 'Trainer exited';
}

/**
 * One trainer child process, for one run or for requests. For a run: create, subscribe,
 * `start(spec)`; `ended` settles once the run is over and the process is gone. Exactly one `end`
 * reaches `onMessage` listeners: the trainer's own, or one made up here (status `crashed`) when the
 * child dies, hangs before `ready`, or closes its channel without one; then the run folder is marked
 * crashed too. For requests: `request(...)` forks a serving child on first use; each request is
 * answered by the `response` with its id, or fails with a TrainerRequestError when it times out (the
 * child is killed: make a new TrainerProcess for the next request) or the child dies; `stop()` lets
 * a serving child finish its answers and exit.
 */
export class TrainerProcess implements Disposable {
  readonly ended: Promise<TrainerEnd>;

  private readonly opts: Required<Omit<TrainerProcessOptions, 'execPath' | 'env' | 'detached' | 'cwd'>> &
    Pick<TrainerProcessOptions, 'execPath' | 'env' | 'detached' | 'cwd'>;
  private readonly messages = new Emitter<[TrainerToHost]>();
  private readonly output = new Emitter<[string, 'stdout' | 'stderr']>();
  private resolveEnded!: (end: TrainerEnd) => void;
  private child: ChildProcess | undefined;
  private state: State = 'idle';
  private mode: Mode | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private runDir: string | undefined;
  /** The runs folder of the run started (paths in its messages must stay inside). */
  private runsDir: string | undefined;
  private endMessage: Extract<TrainerToHost, { type: 'end' }> | undefined;
  private stderrTail = '';
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Set when we decide the child is dead to us (timeout, lost channel, kill); says why. */
  private crashReason: string | undefined;
  private timers = new Set<NodeJS.Timeout>();
  private readyTimer: NodeJS.Timeout | undefined;
  private escalating = false;
  private stopping = false;
  private disposed = false;

  constructor(opts: TrainerProcessOptions) {
    this.opts = {
      stopGraceMs: DEFAULT_STOP_GRACE_MS,
      readyTimeoutMs: DEFAULT_READY_TIMEOUT_MS,
      ...opts,
    };
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  /** Every validated message from the trainer, ending with exactly one `end`. */
  onMessage(listener: (m: TrainerToHost) => void): Disposable {
    return this.messages.on(listener);
  }

  /** The child's stdout/stderr as it comes, plus our own warnings (on 'stderr', one line each). */
  onOutput(listener: (text: string, stream: 'stdout' | 'stderr') => void): Disposable {
    return this.output.on(listener);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** True from start() until the run has ended. */
  get running(): boolean {
    return this.state === 'starting' || this.state === 'running';
  }

  start(spec: RunSpec): void {
    if (this.state !== 'idle' || this.disposed) throw new Error('TrainerProcess.start() can be called only once, before dispose()');
    this.mode = 'run';
    this.runsDir = spec.runsDir;
    if (!this.fork()) return;
    this.send({ type: 'start', spec });
  }

  /**
   * Asks a serving trainer child (forked on the first call) for a summary, a preview or an
   * evaluation; resolves with the answer of the same kind. Never on a process that runs training.
   */
  request<K extends TrainerRequestKind>(request: Extract<TrainerRequest, { kind: K }>, opts: RequestOptions = {}): Promise<TrainerResultOf<K>> {
    if (this.disposed || this.state === 'ended' || this.mode === 'run')
      return Promise.reject(new TrainerRequestError('refused', { message: 'This trainer process takes no more requests' }));
    if (this.state === 'idle') {
      this.mode = 'serve';
      if (!this.fork()) return Promise.reject(new TrainerRequestError('crashed', this.endError()));
    }
    const id = this.nextId++;
    return new Promise<TrainerResultOf<K>>((resolve, reject) => {
      const pending: Pending = { kind: request.kind, resolve: resolve as (r: unknown) => void, reject };
      if (opts.timeoutMs !== undefined) {
        pending.timer = setTimeout(() => {
          this.pending.delete(id);
          const s = seconds(opts.timeoutMs!);
          reject(new TrainerRequestError('timeout', { message: `The trainer did not answer the ${request.kind} request within ${s}` }));
          // A child stuck in user code cannot be interrupted: it goes, and with it anything else it was doing.
          this.crashReason ??= `Trainer did not answer within ${s}`;
          this.signal('SIGKILL');
        }, opts.timeoutMs);
      }
      this.pending.set(id, pending);
      this.send({ type: 'request', id, request } as HostToTrainer);
    });
  }

  /** Forks the child and wires it up; false (the process has ended) when it could not be started. */
  private fork(): boolean {
    this.state = 'starting';
    const env = { ...(this.opts.env ?? process.env) };
    // Inside VS Code process.execPath is Electron; this makes it behave as plain Node.
    if (this.opts.execPath === undefined && process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
    let child: ChildProcess;
    try {
      child = fork(this.opts.trainerScript, [], {
        execPath: this.opts.execPath ?? process.execPath,
        // Not the parent's flags: an inspector port or a test runner's loader must not leak into the trainer.
        execArgv: [],
        env,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        detached: this.opts.detached === true && process.platform !== 'win32',
        serialization: 'json',
        ...(this.opts.cwd !== undefined && { cwd: this.opts.cwd }),
      });
    } catch (e) {
      this.finish(`Could not start the trainer: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
    this.child = child;

    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => this.output.fire(text, 'stdout'));
    child.stderr?.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_CHARS);
      this.output.fire(text, 'stderr');
    });
    child.on('message', (raw: unknown) => this.receive(raw));
    child.on('error', (err) => {
      if (child.pid === undefined) this.finish(`Could not start the trainer: ${err.message}`);
      else this.warn(`trainer process error: ${err.message}`);
    });
    child.on('disconnect', () => {
      if (this.state === 'ended' || this.exit) return;
      // Usually the child is exiting and `exit` follows at once; if it stays alive without a channel,
      // nobody can stop it any more, so it goes.
      this.escalate(Math.min(1000, this.opts.stopGraceMs), 'Trainer closed its IPC channel without ending the run');
    });
    child.on('exit', (code, signal) => {
      this.exit = { code, signal };
      this.clearTimers();
      // `close` normally follows once the channel and pipes drain; a grandchild holding a pipe open
      // must not keep the run open forever.
      this.later(CLOSE_AFTER_EXIT_MS, () => this.finish());
    });
    child.on('close', (code, signal) => {
      this.exit ??= { code, signal };
      this.finish();
    });

    this.readyTimer = this.later(this.opts.readyTimeoutMs, () => {
      this.escalate(0, `Trainer was not ready within ${seconds(this.opts.readyTimeoutMs)}`);
    });
    return true;
  }

  /**
   * Asks the trainer to end after the current batch, then save and evaluate as usual: a run waits for
   * that however long the batch takes (no timer kills a working trainer; `kill()` is the user's
   * second Stop). A serving child, which has nothing to lose, escalates to SIGTERM then SIGKILL
   * after the grace unless `escalate: false`.
   */
  stop(opts: { escalate?: boolean } = {}): void {
    if (!this.running || !this.child) return;
    this.stopping = true;
    this.send({ type: 'stop' });
    const escalate = opts.escalate ?? this.mode === 'serve';
    if (escalate) this.escalate(this.opts.stopGraceMs, `Trainer did not stop within ${seconds(this.opts.stopGraceMs)}`);
  }

  /** True once stop() was asked of a run that has not ended yet: the batch in progress is finishing. */
  get stopRequested(): boolean {
    return this.stopping && this.running;
  }

  /** Asks the trainer to hold after the current batch; it answers `paused`. A paused trainer still obeys stop(). */
  pause(): void {
    if (this.running) this.send({ type: 'pause' });
  }

  /** Continues a paused run; the trainer answers `resumed`. */
  resume(): void {
    if (this.running) this.send({ type: 'resume' });
  }

  /** "Checkpoint now": checkpoints/last is written after the current batch (also while paused) and reported by a `checkpoint` message. */
  checkpoint(): void {
    if (this.running) this.send({ type: 'checkpoint' });
  }

  /** Kills the child now (the run ends `crashed` unless it already ended). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.child || this.exit) return;
    if (this.state !== 'ended' && !this.endMessage) this.crashReason ??= this.stopping ? 'Killed while finishing the batch after Stop' : 'Training was interrupted';
    this.signal(signal);
    if (signal !== 'SIGKILL') this.escalate(this.opts.stopGraceMs);
  }

  /** Kills the child now, `reason` saying why to whatever was waiting on it (open requests, the run). */
  cancelWith(reason: string): void {
    if (!this.child || this.exit) return;
    this.crashReason ??= reason;
    this.signal('SIGKILL');
  }

  /** Kills the child if it is still running; the synthesized `end` is still delivered, then listeners go. */
  dispose(): void {
    this.disposed = true;
    if (this.child && !this.exit) {
      this.crashReason ??= 'Trainer was killed because its owner shut down';
      this.signal('SIGKILL');
      // The host may be going away before `close` arrives: record the crash in the run folder now.
      if (this.runDir && !this.endMessage) this.markRunCrashed(this.runDir, this.crashReason);
    }
    if (this.state === 'ended') {
      this.messages.clear();
      this.output.clear();
    }
  }

  private receive(raw: unknown): void {
    if (this.state === 'ended' || this.endMessage) return;
    let why = '';
    const m = parseTrainerToHost(raw, (w) => (why = w));
    if (!m) {
      let text: string;
      try {
        text = JSON.stringify(raw) ?? String(raw);
      } catch {
        text = String(raw);
      }
      this.warn(`dropped a malformed message from the trainer (${why}): ${text.length > 200 ? text.slice(0, 200) + '...' : text}`);
      // A request whose answer is malformed fails now instead of waiting for a timeout.
      const id = (raw as { type?: unknown; id?: unknown } | null)?.type === 'response' ? (raw as { id: unknown }).id : undefined;
      const p = typeof id === 'number' ? this.pending.get(id) : undefined;
      if (p) {
        this.settle(id as number);
        p.reject(new TrainerRequestError('invalid', { message: `The trainer's answer to the ${p.kind} request is not one this version can read (${why})` }));
      }
      return;
    }
    const outside = this.runsDir === undefined ? undefined : pathOutsideRuns(m, this.runsDir, this.runDir);
    if (outside) {
      this.warn(`dropped a message from the trainer (${outside})`);
      // The end still ends the run (without the path), so the run does not hang on a bad field.
      if (m.type !== 'end') return;
      delete m.runDir;
    }
    switch (m.type) {
      case 'response': {
        const p = this.pending.get(m.id);
        if (!p) {
          this.warn(`dropped an answer to no open request (id ${m.id})`);
          return;
        }
        this.settle(m.id);
        if (!m.ok) p.reject(new TrainerRequestError('failed', m.error));
        else if (m.result.kind !== p.kind)
          p.reject(new TrainerRequestError('invalid', { message: `The trainer answered a ${p.kind} request with a ${m.result.kind} result` }));
        else p.resolve(m.result);
        return;
      }
      case 'ready':
        this.clearReadyTimer();
        if (this.state === 'starting') this.state = 'running';
        break;
      case 'started':
      case 'run':
        this.runDir = m.runDir;
        break;
      case 'end':
        this.clearReadyTimer();
        this.endMessage = m;
        this.messages.fire(m);
        // The trainer exits by itself after `end`; one that lingers is cleaned up.
        this.escalate(this.opts.stopGraceMs);
        return;
    }
    this.messages.fire(m);
  }

  private settle(id: number): void {
    const p = this.pending.get(id);
    if (p?.timer) clearTimeout(p.timer);
    this.pending.delete(id);
  }

  /** Why the child is gone, from what we know: our reason, its exit, the last line of its stderr. */
  private endError(reason?: string): RunError {
    const why = reason ?? this.crashReason;
    const exit = this.exit ? describeExit(this.exit.code, this.exit.signal) : undefined;
    const lastLine = lastErrorLine(this.stderrTail);
    let message = why && exit ? `${why} (${exit[0].toLowerCase()}${exit.slice(1)})` : (why ?? exit ?? 'Trainer ended without a result');
    if (lastLine) message += `: ${lastLine}`;
    const error: RunError = { message };
    if (this.stderrTail.trim()) error.details = this.stderrTail.trim();
    return error;
  }

  /** Ends the process once: delivers the synthesized `end` if the trainer sent none, fails open requests, resolves `ended`. */
  private finish(reason?: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.clearTimers();
    let end: TrainerEnd;
    if (this.endMessage) {
      const { status, error, runDir } = this.endMessage;
      end = { status, error, runDir: runDir ?? this.runDir };
    } else if (this.mode === 'serve' && !reason && !this.crashReason && this.exit?.code === 0) {
      // A serving child that was asked to stop and did.
      end = { status: 'completed' };
      this.messages.fire({ type: 'end', ...end });
    } else {
      const error = this.endError(reason);
      end = { status: 'crashed', error, runDir: this.runDir };
      if (this.runDir) this.markRunCrashed(this.runDir, error.message);
      this.messages.fire({ type: 'end', ...end });
    }
    for (const [id, p] of [...this.pending]) {
      this.settle(id);
      p.reject(new TrainerRequestError('crashed', end.error ?? { message: `The trainer exited before answering the ${p.kind} request` }));
    }
    this.resolveEnded(end);
    if (this.disposed) {
      this.messages.clear();
      this.output.clear();
    }
  }

  private markRunCrashed(runDir: string, reason: string): void {
    try {
      markCrashed(runDir, reason);
    } catch (e) {
      this.warn(`could not mark run ${runDir} as crashed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private send(msg: HostToTrainer): void {
    const child = this.child;
    if (!child?.connected) return;
    try {
      child.send(msg, (err) => {
        if (err) this.warn(`could not send '${msg.type}' to the trainer: ${err.message}`);
      });
    } catch (e) {
      this.warn(`could not send '${msg.type}' to the trainer: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * After `delayMs`: SIGTERM; after another grace: SIGKILL; after one more: give up waiting for the
   * exit and end the run anyway. `reason` explains the crash if the child is still there by then.
   */
  private escalate(delayMs: number, reason?: string): void {
    if (this.escalating || !this.child || this.exit) return;
    this.escalating = true;
    const grace = this.opts.stopGraceMs;
    this.later(delayMs, () => {
      if (!this.endMessage && reason) this.crashReason ??= reason;
      this.signal('SIGTERM');
      this.later(grace, () => {
        this.signal('SIGKILL');
        this.later(grace, () => this.finish());
      });
    });
  }

  private signal(sig: NodeJS.Signals): void {
    const child = this.child;
    if (!child || this.exit) return;
    try {
      child.kill(sig);
    } catch (e) {
      this.warn(`could not send ${sig} to the trainer: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private warn(text: string): void {
    this.output.fire(`[model-lab] ${text}\n`, 'stderr');
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private clearReadyTimer(): void {
    if (this.readyTimer) {
      clearTimeout(this.readyTimer);
      this.timers.delete(this.readyTimer);
      this.readyTimer = undefined;
    }
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.readyTimer = undefined;
  }
}

/**
 * One request to a fresh serving trainer child, which is gone when this settles: the answer, or a
 * TrainerRequestError. `signal` aborts it (the child is killed; the error's reason is `crashed`,
 * its message says it was cancelled).
 */
export async function askTrainer<K extends TrainerRequestKind>(
  opts: TrainerProcessOptions,
  request: Extract<TrainerRequest, { kind: K }>,
  requestOpts: RequestOptions & { signal?: AbortSignal } = {},
): Promise<TrainerResultOf<K>> {
  const proc = new TrainerProcess(opts);
  const onAbort = () => proc.cancelWith(`The ${request.kind} was cancelled`);
  requestOpts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await proc.request(request, requestOpts);
  } finally {
    requestOpts.signal?.removeEventListener('abort', onAbort);
    proc.stop();
    await proc.ended;
    proc.dispose();
  }
}
