/**
 * The trainer child process (dist/trainer.js, started with child_process.fork). Waits for `start`,
 * brings up the backend, says `ready`, runs the training and ends with `end`, then exits 0.
 * Everything that crosses the IPC channel from the host is validated; bad messages are dropped.
 */
import { parseHostToTrainer, type RunSpec, type TrainerToHost } from '../protocol/trainer';
import { loadBackend } from './backends/loadBackend';
import { toRunError } from './errors';
import { runTraining, silenceTfjsNodeBanner, trainerVersions } from './runTraining';

let stopRequested = false;
let started = false;
let endSent = false;
const inFlight = new Set<Promise<void>>();

function send(m: TrainerToHost): void {
  if (m.type === 'end') endSent = true;
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
  let backend;
  try {
    backend = await loadBackend(spec.backend, { workspaceDir: spec.workspaceDir });
  } catch (e) {
    send({ type: 'end', status: 'failed', error: toRunError(e) });
    return finish(0);
  }
  const { tf, info } = backend;
  silenceTfjsNodeBanner(tf);
  send({ type: 'ready', backend: info, versions: trainerVersions(tf) });
  await runTraining(tf, info, spec, send, { stopRequested: () => stopRequested });
  return finish(0);
}

function main(): void {
  if (!process.send) {
    process.stderr.write('model-lab trainer: start me with child_process.fork (an IPC channel is needed).\n');
    process.exit(2);
  }
  process.on('message', (raw: unknown) => {
    const msg = parseHostToTrainer(raw);
    if (!msg) {
      process.stderr.write(`model-lab trainer: dropped a malformed message: ${JSON.stringify(raw)?.slice(0, 200)}\n`);
      return;
    }
    if (msg.type === 'stop') {
      stopRequested = true;
      if (!started) void finish(0); // nothing to stop yet
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
    stopRequested = true;
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
