/**
 * Asks a trainer child (TrainerProcess, serving the `summary` request) for a model file's summary,
 * for the editor's layer hints. Pure Node (no `vscode`). A model file is executed to build its
 * model, so this never runs in the extension host itself: a hanging or crashing createModel() costs
 * a child, not the editor.
 *
 * Per file: at most one summary in flight. A request for content already being summarized joins
 * it; a request for new content supersedes the older one (its child is killed, its promise
 * resolves `cancelled`). Finished results are cached by (file, sha256 of the file's bytes), so
 * re-opening or re-saving unchanged content spawns nothing. Only a file's own bytes are hashed: a
 * change in a helper it imports is seen on the next save of the model file or with `force`.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelSummary } from '../protocol/modelSummary';
import { TrainerProcess, TrainerRequestError } from '../training/trainerProcess';

/** Why a summary could not be made. `build` is the model file's fault; the others are ours or the machine's. */
export type SummaryErrorReason = 'build' | 'timeout' | 'crashed' | 'spawn' | 'output' | 'read';

export interface SummaryError {
  reason: SummaryErrorReason;
  /** One line for the user, without the `file:line:col:` the trainer puts in front (those are below). */
  message: string;
  /** Absolute path of the file the error is in, when the trainer named one. */
  file?: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  /** The trainer's stderr (tail) or other detail, for a log. */
  details?: string;
}

export type SummaryOutcome =
  | { kind: 'summary'; file: string; hash: string; summary: ModelSummary; cached: boolean; pid?: number }
  | { kind: 'error'; file: string; hash?: string; error: SummaryError; cached: boolean; pid?: number }
  /** A newer request for other content replaced this one, cancel(file) was called, or the runner was disposed. */
  | { kind: 'cancelled'; file: string; reason: 'superseded' | 'cancelled' | 'disposed'; pid?: number };

export interface SummaryRunnerOptions {
  /** Absolute path of the trainer bundle (dist/trainer.js). */
  trainerScript: string;
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
    // A fresh serving child per summary: layer names (tfjs counts them per process) and the model
    // file's own module state start clean each time, as in a training run.
    const proc = new TrainerProcess({
      trainerScript: this.opts.trainerScript,
      ...(configured && { execPath: configured }),
      ...(this.opts.env && { env: this.opts.env }),
      cwd: path.dirname(file),
    });
    let cancelledWith: 'superseded' | 'cancelled' | 'disposed' | undefined;
    const answer = proc.request({ kind: 'summary', file }, { timeoutMs: this.opts.timeoutMs });
    const pid = proc.pid;
    if (pid !== undefined) this.opts.onDidSpawn?.(file, pid);
    const promise = answer.then(
      (r): SummaryOutcome => ({ kind: 'summary', file, hash, summary: r.summary, cached: false, pid }),
      (e: unknown): SummaryOutcome => {
        if (cancelledWith) return { kind: 'cancelled', file, reason: cancelledWith, pid };
        return { kind: 'error', file, hash, cached: false, pid, error: this.summaryError(e, file, pid !== undefined) };
      },
    ).then(async (outcome) => {
      // Settles once the child is gone, so a finished or cancelled request leaves no process behind.
      proc.stop();
      await proc.ended;
      proc.dispose();
      return outcome;
    });
    return {
      hash,
      promise,
      cancel: (reason) => {
        if (cancelledWith) return;
        cancelledWith = reason;
        proc.dispose();
      },
    };
  }

  /** What a failed request means for the hints: the model file's fault (`build`) or the child's. */
  private summaryError(e: unknown, file: string, started: boolean): SummaryError {
    if (!(e instanceof TrainerRequestError)) return { reason: 'crashed', message: `The model summary failed: ${e instanceof Error ? e.message : String(e)}`, file };
    const err = e.runError;
    switch (e.reason) {
      case 'failed': {
        const parsed = parseErrorLocation(err.message, file);
        return { ...parsed, file: err.file ?? parsed.file, line: err.line ?? parsed.line, column: err.column ?? parsed.column, details: err.details };
      }
      case 'invalid':
        return { reason: 'output', message: 'The model summary gave no usable result', details: err.message };
      case 'timeout':
        return {
          reason: 'timeout',
          message: `Building the model took longer than ${Math.round(this.opts.timeoutMs / 100) / 10} s; the summary was stopped`,
          details: err.details,
        };
      default:
        if (!started) return { reason: 'spawn', message: `Could not start the model summary: ${err.message}` };
        return { reason: 'crashed', message: `The model summary crashed: ${err.message}`, file, details: err.details };
    }
  }
}

/** A build error is a fact about this content; a timeout or a crash may not happen again. */
function isCacheable(outcome: SummaryOutcome): boolean {
  return outcome.kind === 'summary' || (outcome.kind === 'error' && outcome.error.reason === 'build');
}

/** Resolves the basename the CLI prints against the model file: the model file itself, else a file beside it. */
function resolveNamedFile(name: string, modelFile: string): string | undefined {
  if (path.isAbsolute(name)) return name;
  if (name === path.basename(modelFile)) return modelFile;
  const beside = path.resolve(path.dirname(modelFile), name);
  return fs.existsSync(beside) ? beside : undefined;
}

/**
 * Where a trainer's error message points. It comes in three shapes (src/trainer/errors.ts,
 * loadModelFile.ts): `file:line:col: message` (esbuild), `message (file:line:col)` (a throw mapped
 * to the user's frame) and `file: message` (no location); the message is returned without it.
 */
export function parseErrorLocation(text: string, modelFile: string): SummaryError {
  const one = text.trim();
  let m = /^([^\s:][^:]*?):(\d+):(\d+):\s+([\s\S]*)$/.exec(one);
  if (m) return { reason: 'build', message: m[4], file: resolveNamedFile(m[1], modelFile), line: Number(m[2]), column: Number(m[3]) };
  m = /^([\s\S]*?)\s+\(([^()\s][^()]*?):(\d+):(\d+)\)$/.exec(one);
  if (m) return { reason: 'build', message: m[1], file: resolveNamedFile(m[2], modelFile), line: Number(m[3]), column: Number(m[4]) };
  m = /^([^\s:]+\.[cm]?[jt]sx?):\s+([\s\S]*)$/.exec(one);
  if (m) return { reason: 'build', message: m[2], file: resolveNamedFile(m[1], modelFile) };
  return { reason: 'build', message: one, file: modelFile };
}
