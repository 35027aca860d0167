/**
 * Runs `model-lab summary FILE --json` (dist/cli.js) in a child process for the editor's layer hints.
 * Pure Node (no `vscode`). A model file is executed to build its model, so this never runs in the
 * extension host itself: a hanging or crashing createModel() costs a child, not the editor.
 *
 * Per file: at most one summary in flight. A request for content already being summarized joins
 * it; a request for new content supersedes the older one (its child is killed, its promise
 * resolves `cancelled`). Finished results are cached by (file, sha256 of the file's bytes), so
 * re-opening or re-saving unchanged content spawns nothing. Only a file's own bytes are hashed: a
 * change in a helper it imports is seen on the next save of the model file or with `force`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelSummary } from '../trainer/summary';
import { lastErrorLine } from '../training/trainerProcess';

/** Why a summary could not be made. `build` is the model file's fault; the others are ours or the machine's. */
export type SummaryErrorReason = 'build' | 'timeout' | 'crashed' | 'spawn' | 'output' | 'read';

export interface SummaryError {
  reason: SummaryErrorReason;
  /** One line for the user, without the `file:line:col:` the CLI puts in front (those are below). */
  message: string;
  /** Absolute path of the file the error is in, when the CLI named one. */
  file?: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  /** The CLI's stderr (tail) or other detail, for a log. */
  details?: string;
}

export type SummaryOutcome =
  | { kind: 'summary'; file: string; hash: string; summary: ModelSummary; cached: boolean; pid?: number }
  | { kind: 'error'; file: string; hash?: string; error: SummaryError; cached: boolean; pid?: number }
  /** A newer request for other content replaced this one, cancel(file) was called, or the runner was disposed. */
  | { kind: 'cancelled'; file: string; reason: 'superseded' | 'cancelled' | 'disposed'; pid?: number };

export interface SummaryRunnerOptions {
  /** Absolute path of the CLI bundle (dist/cli.js). */
  cliScript: string;
  /**
   * The Node binary, or a function read at each spawn (a setting may change). Undefined = the
   * current process's, with ELECTRON_RUN_AS_NODE=1 when that is Electron (inside VS Code).
   */
  execPath?: string | ((file: string) => string | undefined);
  /** The child's environment; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** A child still running after this long is killed and the request ends with reason `timeout`. Default 30 s. */
  timeoutMs?: number;
  /** How many finished results to keep (least recently used go first). Default 64. */
  cacheSize?: number;
  /** Told of every child started (for a log, and for tests that count spawns). */
  onDidSpawn?: (file: string, pid: number | undefined) => void;
}

export interface SummarizeOptions {
  /** Skip the cache and do not join a run in flight: always start a new child (it supersedes the old one). */
  force?: boolean;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_CACHE_SIZE = 64;
const STDERR_TAIL_CHARS = 8192;
/** Most summaries are a few kB; a runaway stdout must not grow without bound. */
const STDOUT_LIMIT_CHARS = 16 * 1024 * 1024;
/** After `exit`, how long we wait for the pipes to close (a grandchild may hold them) before settling. */
const CLOSE_AFTER_EXIT_MS = 2000;

interface InFlight {
  hash: string;
  promise: Promise<SummaryOutcome>;
  /** Ends the run now: kills the child; the promise resolves `cancelled` with this reason once it is gone. */
  cancel(reason: 'superseded' | 'cancelled' | 'disposed'): void;
}

export const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

function hashOf(file: string): string | undefined {
  try {
    return sha256(fs.readFileSync(file));
  } catch {
    return undefined;
  }
}

export class SummaryRunner {
  private readonly opts: SummaryRunnerOptions & { timeoutMs: number; cacheSize: number };
  private readonly inFlight = new Map<string, InFlight>();
  /** Insertion order = recency (a hit is re-inserted). Key: file + NUL + hash. */
  private readonly cache = new Map<string, Extract<SummaryOutcome, { kind: 'summary' | 'error' }>>();
  private disposed = false;

  constructor(opts: SummaryRunnerOptions) {
    // `?? default`, not a spread: an explicit `timeoutMs: undefined` must not become setTimeout(NaN).
    this.opts = { ...opts, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, cacheSize: opts.cacheSize ?? DEFAULT_CACHE_SIZE };
  }

  /** The summary of `file` as it is on disk now (absolute path), or why there is none. Never rejects. */
  summarize(file: string, options: SummarizeOptions = {}): Promise<SummaryOutcome> {
    file = path.resolve(file);
    if (this.disposed) return Promise.resolve({ kind: 'cancelled', file, reason: 'disposed' });
    let hash: string;
    try {
      hash = sha256(fs.readFileSync(file));
    } catch (e) {
      const message = `Could not read ${path.basename(file)}: ${e instanceof Error ? e.message : String(e)}`;
      return Promise.resolve({ kind: 'error', file, cached: false, error: { reason: 'read', message, file } });
    }
    const key = `${file}\0${hash}`;
    if (!options.force) {
      const hit = this.cache.get(key);
      if (hit) {
        this.cache.delete(key);
        this.cache.set(key, hit);
        return Promise.resolve({ ...hit, cached: true });
      }
      const running = this.inFlight.get(file);
      if (running && running.hash === hash) return running.promise;
    }
    this.inFlight.get(file)?.cancel('superseded');
    const run = this.start(file, hash);
    this.inFlight.set(file, run);
    void run.promise.then((outcome) => {
      if (this.inFlight.get(file) === run) this.inFlight.delete(file);
      // A file saved again while its child ran may have been read by it in either version: not cached.
      if (outcome.kind !== 'cancelled' && isCacheable(outcome) && !this.disposed && hashOf(file) === hash) this.remember(key, outcome);
    });
    return run.promise;
  }

  /** True while a child is summarizing `file`. */
  isRunning(file: string): boolean {
    return this.inFlight.has(path.resolve(file));
  }

  /** Kills the child summarizing `file`, if any; its request resolves `cancelled`. */
  cancel(file: string): void {
    this.inFlight.get(path.resolve(file))?.cancel('cancelled');
  }

  /** Forgets cached results (all, or one file's). */
  clearCache(file?: string): void {
    if (file === undefined) return this.cache.clear();
    const prefix = `${path.resolve(file)}\0`;
    for (const k of [...this.cache.keys()]) if (k.startsWith(prefix)) this.cache.delete(k);
  }

  /** Kills every child; their requests, and any made later, resolve `cancelled` (`disposed`). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const run of [...this.inFlight.values()]) run.cancel('disposed');
    this.cache.clear();
  }

  private remember(key: string, outcome: Extract<SummaryOutcome, { kind: 'summary' | 'error' }>): void {
    this.cache.delete(key);
    this.cache.set(key, outcome);
    while (this.cache.size > this.opts.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
  }

  private start(file: string, hash: string): InFlight {
    const configured = typeof this.opts.execPath === 'function' ? this.opts.execPath(file) : this.opts.execPath;
    const env = { ...(this.opts.env ?? process.env) };
    // Inside VS Code process.execPath is Electron; this makes it behave as plain Node (as TrainerProcess does).
    if (!configured && process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';

    let settle!: (o: SummaryOutcome) => void;
    const promise = new Promise<SummaryOutcome>((resolve) => (settle = resolve));
    let settled = false;
    let child: ChildProcess | undefined;
    let exited = false;
    let cancelledWith: 'superseded' | 'cancelled' | 'disposed' | undefined;
    let timedOut = false;
    let stdout = '';
    let stderr = '';
    const timers = new Set<NodeJS.Timeout>();
    const later = (ms: number, fn: () => void) => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    };
    const finish = (outcome: SummaryOutcome) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      settle(outcome);
    };
    const kill = () => {
      if (!child || exited) return;
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    };

    try {
      child = spawn(configured || process.execPath, [this.opts.cliScript, 'summary', file, '--json'], {
        cwd: path.dirname(file),
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (e) {
      finish({ kind: 'error', file, hash, cached: false, error: { reason: 'spawn', message: `Could not start the model summary: ${e instanceof Error ? e.message : String(e)}` } });
      return { hash, promise, cancel: () => undefined };
    }
    const pid = child.pid;
    this.opts.onDidSpawn?.(file, pid);

    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      stdout += text;
      if (stdout.length > STDOUT_LIMIT_CHARS) {
        stdout = stdout.slice(0, STDOUT_LIMIT_CHARS);
        kill();
      }
    });
    child.stderr?.on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_TAIL_CHARS);
    });

    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      if (cancelledWith) return finish({ kind: 'cancelled', file, reason: cancelledWith, pid });
      if (timedOut) {
        const message = `Building the model took longer than ${Math.round(this.opts.timeoutMs / 100) / 10} s; the summary was stopped`;
        return finish({ kind: 'error', file, hash, cached: false, pid, error: { reason: 'timeout', message, details: stderr.trim() || undefined } });
      }
      const parsed = parseSummaryOutput({ file, code, signal, stdout, stderr });
      finish(parsed.kind === 'summary' ? { kind: 'summary', file, hash, summary: parsed.summary, cached: false, pid } : { kind: 'error', file, hash, error: parsed.error, cached: false, pid });
    };

    child.on('error', (err) => {
      if (pid === undefined) {
        exited = true;
        if (cancelledWith) return finish({ kind: 'cancelled', file, reason: cancelledWith });
        finish({ kind: 'error', file, hash, cached: false, error: { reason: 'spawn', message: `Could not start the model summary: ${err.message}` } });
      }
    });
    child.on('exit', (code, signal) => {
      exited = true;
      later(CLOSE_AFTER_EXIT_MS, () => done(code, signal));
    });
    child.on('close', (code, signal) => {
      exited = true;
      done(code, signal);
    });
    later(this.opts.timeoutMs, () => {
      timedOut = true;
      kill();
    });

    return {
      hash,
      promise,
      cancel: (reason) => {
        if (settled || cancelledWith) return;
        cancelledWith = reason;
        // Settles on `close`, so a cancelled request means the child is gone.
        if (exited) done(null, null);
        else kill();
      },
    };
  }
}

/** A build error the CLI reports is a fact about this content; a timeout or a crash may not happen again. */
function isCacheable(outcome: SummaryOutcome): boolean {
  return outcome.kind === 'summary' || (outcome.kind === 'error' && outcome.error.reason === 'build');
}

const isShape = (v: unknown): boolean => Array.isArray(v) && v.every((d) => d === null || typeof d === 'number' || isShape(d));

/** A structural check of the CLI's JSON: enough that the hints code cannot trip on it. */
export function isModelSummary(v: unknown): v is ModelSummary {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  if (!Array.isArray(s.layers) || typeof s.totalParams !== 'number' || typeof s.file !== 'string') return false;
  return s.layers.every((l: unknown) => {
    if (typeof l !== 'object' || l === null) return false;
    const r = l as Record<string, unknown>;
    const loc = r.location as Record<string, unknown> | undefined;
    return (
      typeof r.name === 'string' &&
      typeof r.className === 'string' &&
      isShape(r.outputShape) &&
      typeof r.params === 'number' &&
      (loc === undefined || (typeof loc === 'object' && loc !== null && typeof loc.file === 'string' && typeof loc.line === 'number' && typeof loc.column === 'number'))
    );
  });
}

/** Resolves the basename the CLI prints against the model file: the model file itself, else a file beside it. */
function resolveNamedFile(name: string, modelFile: string): string | undefined {
  if (path.isAbsolute(name)) return name;
  if (name === path.basename(modelFile)) return modelFile;
  const beside = path.resolve(path.dirname(modelFile), name);
  return fs.existsSync(beside) ? beside : undefined;
}

/**
 * The error in the CLI's `model-lab: …` line. It comes in three shapes (src/trainer/errors.ts,
 * loadModelFile.ts): `file:line:col: message` (esbuild), `message (file:line:col)` (a throw mapped
 * to the user's frame) and `file: message` (no location).
 */
export function parseCliErrorLine(text: string, modelFile: string): SummaryError {
  const one = text.trim();
  let m = /^([^\s:][^:]*?):(\d+):(\d+):\s+([\s\S]*)$/.exec(one);
  if (m) return { reason: 'build', message: m[4], file: resolveNamedFile(m[1], modelFile), line: Number(m[2]), column: Number(m[3]) };
  m = /^([\s\S]*?)\s+\(([^()\s][^()]*?):(\d+):(\d+)\)$/.exec(one);
  if (m) return { reason: 'build', message: m[1], file: resolveNamedFile(m[2], modelFile), line: Number(m[3]), column: Number(m[4]) };
  m = /^([^\s:]+\.[cm]?[jt]sx?):\s+([\s\S]*)$/.exec(one);
  if (m) return { reason: 'build', message: m[2], file: resolveNamedFile(m[1], modelFile) };
  return { reason: 'build', message: one, file: modelFile };
}

/** What a finished `summary --json` child said: its JSON on stdout, or its error on stderr. */
export function parseSummaryOutput(r: { file: string; code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }): { kind: 'summary'; summary: ModelSummary } | { kind: 'error'; error: SummaryError } {
  const details = r.stderr.trim() || undefined;
  const out = r.stdout.trim();
  if (out) {
    // The JSON is the last line; a model file's own console.log may come before it.
    const last = out.slice(out.lastIndexOf('\n') + 1);
    try {
      const json: unknown = JSON.parse(last);
      if (r.code === 0 && isModelSummary(json)) return { kind: 'summary', summary: json };
      const e = (json as { error?: { message?: unknown; file?: unknown; line?: unknown; column?: unknown } } | null)?.error;
      if (e && typeof e.message === 'string') {
        const parsed = parseCliErrorLine(e.message, r.file);
        return {
          kind: 'error',
          error: {
            ...parsed,
            file: typeof e.file === 'string' ? e.file : parsed.file,
            line: typeof e.line === 'number' ? e.line : parsed.line,
            column: typeof e.column === 'number' ? e.column : parsed.column,
            details,
          },
        };
      }
    } catch {
      // not JSON: fall through to stderr
    }
  }
  const cliLines = r.stderr.split(/\r?\n/).filter((l) => l.startsWith('model-lab: '));
  if (r.code !== 0 && cliLines.length > 0) {
    return { kind: 'error', error: { ...parseCliErrorLine(cliLines[cliLines.length - 1].slice('model-lab: '.length), r.file), details } };
  }
  if (r.code === 0) {
    return { kind: 'error', error: { reason: 'output', message: 'The model summary printed no usable result', details: [details, out.slice(0, 2000)].filter(Boolean).join('\n') || undefined } };
  }
  const exit = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
  const last = lastErrorLine(r.stderr);
  return { kind: 'error', error: { reason: 'crashed', message: `The model summary ${exit}${last ? `: ${last}` : ''}`, file: r.file, details } };
}
