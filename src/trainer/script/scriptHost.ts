/**
 * The script host (dist/scriptHost.js): a child of the trainer in which the user's script is the
 * main program, so it runs as under `node SCRIPT`. `process.argv` is `[node, SCRIPT, ...ARGS]`;
 * `process.exit(code)` really exits with that code; the process ends when the script's own work
 * ends, as Node decides — the IPC channel is unref'd so it never keeps the process alive (except
 * while a fit is paused, which is Model Lab's doing). The trainer reads the exit code and the last
 * state sent here and ends the run with the status they give.
 */
import { startWatchdog } from '../watchdog';
import { inspect } from 'node:util';
import * as path from 'node:path';
import type { TrainerToHost } from '../../protocol/trainer';
import { loadBackend } from '../backends/loadBackend';
import { RunControl, type TrainingControl } from '../control';
import { RunFailure, toRunError } from '../errors';
import { silenceTfjsNodeBanner } from '../runTraining';
import { installFitRecorder } from './fitRecorder';
import { bundleScript, runBundledScript, TF_GLOBAL } from './loadScript';
import { parseTrainerToScript, type ScriptHostSpec, type ScriptState, type ScriptToTrainer } from './scriptProtocol';
import { tfjsNodeCompat } from './tfjsNodeCompat';
import { msg } from '../messages';

/** Exit code Node uses when a top-level await never settles. */
const UNSETTLED_TLA_EXIT = 13;
/** After the trainer went away and stop was obeyed, a script still running gets this long. */
const ORPHAN_EXIT_MS = 5000;

const control = new RunControl();
let spec: ScriptHostSpec | undefined;

const channel = () => (process as { channel?: { ref(): void; unref(): void } }).channel;
let refs = 0;
/** While a fit waits in a pause, the channel must keep the process alive (nothing of the script does). */
const holdOpen = (on: boolean) => {
  refs += on ? 1 : -1;
  if (refs === 1 && on) channel()?.ref();
  if (refs === 0 && !on) channel()?.unref();
};

function send(m: ScriptToTrainer, then?: () => void): void {
  if (!process.send || !process.connected) {
    then?.();
    return;
  }
  process.send(m, undefined, {}, () => then?.());
}

const emit = (message: TrainerToHost) => send({ kind: 'emit', message });

/** The fit callbacks' view of the control: a pause holds the channel open until it ends. */
const scriptControl: TrainingControl = {
  stopRequested: () => control.stopRequested(),
  pauseRequested: () => control.pauseRequested(),
  takeCheckpointRequest: () => control.takeCheckpointRequest(),
  whenResumed: async () => {
    holdOpen(true);
    try {
      await control.whenResumed();
    } finally {
      holdOpen(false);
    }
  },
};

async function start(s: ScriptHostSpec): Promise<void> {
  const { tf } = await loadBackend(s.backendInfo.name, { workspaceDir: s.workspaceDir });
  silenceTfjsNodeBanner(tf);
  const userTf = tfjsNodeCompat(tf, { log: (level, message) => emit({ type: 'log', level, message }) });
  (globalThis as Record<symbol, unknown>)[Symbol.for(TF_GLOBAL)] = userTf;
  const bundled = await bundleScript(s.scriptFile, Object.keys(userTf));

  installFitRecorder({
    tf,
    runDir: s.runDir,
    scriptName: path.basename(s.scriptFile),
    scriptFile: s.scriptFile,
    emit,
    control: scriptControl,
    onState: (state: ScriptState) => send({ kind: 'state', state }),
  });

  // From here on the script is the program: its uncaught errors end it as they end `node SCRIPT`
  // (printed, exit 1), and the trainer is told where they point.
  const onUncaught = (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? String(e)) : `Uncaught ${inspect(e)}`}\n`);
    const error = toRunError(e instanceof Error || typeof e === 'object' ? e : new Error(msg('script.threw', path.basename(s.scriptFile), String(e))), { modelFile: s.scriptFile });
    send({ kind: 'uncaught', error }, () => process.exit(1));
  };
  process.removeAllListeners('uncaughtException');
  process.removeAllListeners('unhandledRejection');
  process.on('uncaughtException', onUncaught);

  process.argv = [process.argv[0], s.scriptFile, ...s.scriptArgs];
  channel()?.unref();
  // An ESM top level still awaiting when nothing is left to run never settles: Node says so and exits 13.
  let settled = false;
  process.on('beforeExit', () => {
    if (settled) return;
    settled = true;
    process.stderr.write(`Warning: Detected unsettled top-level await in ${s.scriptFile}\n`);
    process.exitCode = UNSETTLED_TLA_EXIT;
  });
  try {
    await runBundledScript(bundled);
  } catch (e) {
    settled = true;
    onUncaught(e);
    return;
  }
  settled = true;
}

function main(): void {
  if (!process.send) {
    process.stderr.write('model-lab script host: started by the trainer only (an IPC channel is needed).\n');
    process.exit(2);
  }
  process.on('message', (raw: unknown) => {
    const msg = parseTrainerToScript(raw);
    if (!msg) return;
    if (msg.kind === 'start') {
      if (spec) return;
      spec = msg.spec;
      start(msg.spec).catch((e: unknown) => {
        // Before the script ran (backend, bundling): not the script's error, but still the run's.
        const error = e instanceof RunFailure ? e.runError : toRunError(e, { modelFile: msg.spec.scriptFile });
        send({ kind: 'uncaught', error }, () => process.exit(1));
      });
      return;
    }
    switch (msg.action) {
      case 'stop':
        control.stop();
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
    }
  });
  // A script stuck in synchronous code never sees `disconnect`: its own thread ends it when the trainer dies.
  try {
    startWatchdog({ watchParent: true });
  } catch {
    // no worker threads: the disconnect handler below still covers a script that yields
  }
  // The trainer went away: stop after the current batch; a script that keeps going is ended soon after.
  process.on('disconnect', () => {
    control.stop();
    setTimeout(() => process.exit(1), ORPHAN_EXIT_MS).unref();
  });
}

main();
