/**
 * The trainer child process (dist/trainer.js, started with child_process.fork). Its first message
 * decides what it is:
 * - `start`: a run. Brings up the backend, says `ready`, runs the training and ends with `end`, then
 *   exits 0. `stop`, `pause`, `resume` and `checkpoint` reach the run through a RunControl.
 * - `request`: a serving trainer. Brings up tfjs on the cpu backend, says `ready`, then answers each
 *   request with one `response` carrying its `id`, until `stop` or the host goes away.
 * Everything that crosses the IPC channel from the host is validated; bad messages are dropped.
 */
import { parseHostToTrainer, type RunSpec, type Timings, type TrainerRequest, type TrainerToHost } from '../protocol/trainer';
import type * as tfTypes from '@tensorflow/tfjs';
import { loadBackend } from './backends/loadBackend';
import { RunControl } from './control';
import { toRunError } from './errors';
import { answerRequest, loadCpuTfjs } from './requests';
import { runScript } from './runScript';
import { runTraining, silenceTfjsNodeBanner, trainerVersions } from './runTraining';
import { startWatchdog, type Watchdog } from './watchdog';

const control = new RunControl();
let started = false;
let endSent = false;
const inFlight = new Set<Promise<void>>();
/** Startup marks (ms since this process started) for bench/firstBatch.ts, carried on `ready` and `run`. */
const timings: Timings = { timeOrigin: performance.timeOrigin, mainStart: performance.now() };

function send(m: TrainerToHost): void {
  if (m.type === 'end') endSent = true;
  // The first log of a run is the data description, sent once the model file is bundled and the data loaded.
  if (m.type === 'log') timings.firstLog ??= performance.now();
  if (m.type === 'run') m = { ...m, timings: { ...timings, run: performance.now() } };
  if (!process.send || !process.connected) return;
  const p = new Promise<void>((resolve) => {
    process.send!(m, undefined, {}, () => resolve());
  });
  inFlight.add(p);
  void p.then(() => inFlight.delete(p));
}

/** Lets every queued message reach the host, then leaves: the host treats exit 0 after `end` as normal. */
async function finish(code: number): Promise<never> {
  await Promise.all([...inFlight]);
  if (process.connected) process.disconnect();
  process.exit(code);
}

async function run(spec: RunSpec): Promise<void> {
  timings.startReceived = performance.now();
  let backend;
  try {
    backend = await loadBackend(spec.backend, { workspaceDir: spec.workspaceDir });
  } catch (e) {
    send({ type: 'end', status: 'failed', error: toRunError(e) });
    return finish(0);
  }
  const { tf, info } = backend;
  silenceTfjsNodeBanner(tf);
  timings.backendReady = performance.now();
  send({ type: 'ready', backend: info, versions: trainerVersions(tf), timings: { ...timings } });
  // A script run records the script's own fit calls; everything else about the process is the same.
  if (spec.mode === 'script') await runScript(tf, info, spec, send, control);
  else await runTraining(tf, info, spec, send, control, { ...(watchdog && { watchdog }) });
  return finish(0);
}

let serving: Promise<typeof tfTypes> | undefined;
let stopServing = false;
const answering = new Set<Promise<void>>();

/** A serving trainer: tfjs comes up once (then `ready`), each request gets exactly one `response`. */
function serve(id: number, request: TrainerRequest): void {
  serving ??= loadCpuTfjs().then((tf) => {
    send({ type: 'ready', backend: { name: 'cpu', reason: 'Requests are answered on the cpu backend' }, versions: trainerVersions(tf) });
    return tf;
  });
  const p = serving
    .then((tf) => answerRequest(tf, request))
    .then(
      (result) => send({ type: 'response', id, ok: true, result }),
      (e: unknown) => send({ type: 'response', id, ok: false, error: toRunError(e, { modelFile: request.kind === 'evaluate' ? undefined : request.file }) }),
    )
    .finally(() => {
      answering.delete(p);
      if (stopServing && answering.size === 0) void finish(0);
    });
  answering.add(p);
}

let watchdog: Watchdog | undefined;

function main(): void {
  if (!process.send) {
    process.stderr.write('model-lab trainer: start me with child_process.fork (an IPC channel is needed).\n');
    process.exit(2);
  }
  // Dies with its parent even inside synchronous code (its own thread watches), so no orphan trains on.
  try {
    watchdog = startWatchdog({ watchParent: true });
  } catch (e) {
    process.stderr.write(`model-lab trainer: no watchdog thread (${e instanceof Error ? e.message : String(e)})\n`);
  }
  process.on('message', (raw: unknown) => {
    let why = '';
    const msg = parseHostToTrainer(raw, (w) => (why = w));
    if (!msg) {
      process.stderr.write(`model-lab trainer: dropped a malformed message (${why}): ${JSON.stringify(raw)?.slice(0, 200)}\n`);
      return;
    }
    switch (msg.type) {
      case 'stop':
        control.stop();
        if (serving) {
          // Answers already asked for are still sent; then the serving trainer leaves.
          stopServing = true;
          if (answering.size === 0) void finish(0);
        } else if (!started) void finish(0); // nothing to stop yet
        return;
      case 'pause':
        control.pause();
        return;
      case 'resume':
        control.resume();
        return;
      case 'checkpoint':
        control.checkpoint();
        return;
      case 'request':
        if (started) {
          send({ type: 'response', id: msg.id, ok: false, error: { message: 'This trainer is running a training run; it answers no requests' } });
          return;
        }
        if (stopServing) return;
        serve(msg.id, msg.request);
        return;
    }
    if (serving) {
      process.stderr.write('model-lab trainer: ignored a start message sent to a serving trainer.\n');
      return;
    }
    if (started) {
      process.stderr.write('model-lab trainer: ignored a second start message.\n');
      return;
    }
    started = true;
    void run(msg.spec);
  });
  // The host went away: stop after the current batch so the model and the end line are still written.
  process.on('disconnect', () => {
    control.stop();
    if (!started) process.exit(0);
  });
  // A last resort for errors outside runTraining (it never rejects): report them instead of vanishing.
  const fatal = (e: unknown) => {
    process.stderr.write(`model-lab trainer: ${e instanceof Error ? e.stack : String(e)}\n`);
    if (!endSent) send({ type: 'end', status: 'failed', error: toRunError(e, { during: 'Trainer error' }) });
    void finish(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}

main();
