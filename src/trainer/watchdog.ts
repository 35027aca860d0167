/**
 * A watchdog on its own thread (worker_threads), so it works while the main thread is stuck in
 * synchronous code (a model file's endless loop, a 20-second custom layer): Node has no
 * parent-death signal, and a blocked main thread never sees its IPC channel close.
 * - Parent watch: when the parent process is gone (our ppid changed), the main thread gets
 *   PARENT_GRACE_MS to finish the batch and save (main.ts stops on `disconnect`); a main thread that
 *   has not ticked for STUCK_MS cannot, so the process is SIGKILLed at once. No orphan survives.
 * - Deadlines: `deadline(ms, message)` SIGKILLs the process when `clear()` has not been called in
 *   time, after writing `message` to stderr (fd 2 directly: the main thread may be blocked), where
 *   the host reads why its child died.
 */
import { Worker } from 'node:worker_threads';

const CHECK_MS = 200;
const STUCK_MS = 2000;
const PARENT_GRACE_MS = 30_000;

// Plain JavaScript run with `eval: true`: the bundle has no separate worker file to point at.
const WATCHDOG_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { ppid, beats, checkMs, stuckMs, graceMs } = workerData;
const beat = new Int32Array(beats);
let deadline = 0, message = '', lastBeat = Atomics.load(beat, 0), lastBeatAt = Date.now(), parentGoneAt = 0;
parentPort.on('message', (m) => { deadline = m.deadline; message = m.message || ''; });
const die = (text) => {
  if (text) { try { fs.writeSync(2, text + '\\n'); } catch {} }
  process.kill(process.pid, 'SIGKILL');
};
setInterval(() => {
  const now = Date.now();
  const b = Atomics.load(beat, 0);
  if (b !== lastBeat) { lastBeat = b; lastBeatAt = now; }
  if (deadline > 0 && now >= deadline) die(message);
  if (ppid !== undefined && process.ppid !== ppid) {
    parentGoneAt = parentGoneAt || now;
    if (now - lastBeatAt >= stuckMs || now - parentGoneAt >= graceMs) die('model-lab trainer: the process that started it is gone; exiting.');
  }
}, checkMs);
`;

export interface Watchdog {
  /** SIGKILLs this process `ms` from now unless clear() comes first, writing `message` to stderr first. */
  deadline(ms: number, message: string): void;
  clear(): void;
  stop(): void;
}

/** Starts the watchdog thread; `watchParent` also kills the process when its parent dies. Never keeps the process alive. */
export function startWatchdog(opts: { watchParent: boolean }): Watchdog {
  const beats = new SharedArrayBuffer(4);
  const beat = new Int32Array(beats);
  const ticker = setInterval(() => Atomics.add(beat, 0, 1), CHECK_MS);
  ticker.unref();
  const worker = new Worker(WATCHDOG_SOURCE, {
    eval: true,
    workerData: { ppid: opts.watchParent ? process.ppid : undefined, beats, checkMs: CHECK_MS, stuckMs: STUCK_MS, graceMs: PARENT_GRACE_MS },
    // The watchdog needs none of the main thread's stdio.
    stdout: true,
    stderr: true,
    resourceLimits: { maxOldGenerationSizeMb: 16 },
  });
  worker.unref();
  // A watchdog that cannot start must not take the run with it.
  worker.on('error', (e) => process.stderr.write(`model-lab: the watchdog thread failed: ${e instanceof Error ? e.message : String(e)}\n`));
  return {
    deadline: (ms, message) => worker.postMessage({ deadline: Date.now() + ms, message }),
    clear: () => worker.postMessage({ deadline: 0, message: '' }),
    stop: () => {
      clearInterval(ticker);
      void worker.terminate();
    },
  };
}

/** Seconds from an environment variable (positive number), else the default; for the timeouts users can raise. */
export function secondsFromEnv(name: string, fallbackSeconds: number, env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallbackSeconds;
}

/** How long a model file may take to load and build its model (MODEL_LAB_LOAD_TIMEOUT_S, default 60 s). */
export const LOAD_TIMEOUT_ENV = 'MODEL_LAB_LOAD_TIMEOUT_S';
/** How long `model-lab summary` / `preview` may take (MODEL_LAB_SUMMARY_TIMEOUT_S, default 30 s). */
export const SUMMARY_TIMEOUT_ENV = 'MODEL_LAB_SUMMARY_TIMEOUT_S';
