/**
 * `model-lab run SCRIPT -- ARGS…`: runs an ordinary tfjs training script, unmodified, and records
 * it as a run. The script runs in its own child process (script/scriptHost.ts) where it is the
 * main program, exactly as under `node SCRIPT ARGS…` with tfjs-node: its argv, its
 * `process.exit(code)`, its end when Node finds nothing left to do. Its fit calls are recorded
 * there through the same TrainingCallbacks as a model file's fit. This side owns the run folder
 * (run.json), relays the child's messages and the host's controls, and ends the run from the
 * child's exit code and last reported state.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { BackendInfo, EndStatus, RunError, RunSpec, TrainerToHost } from '../protocol/trainer';
import { makeRunId, RunWriter } from './runWriter';
import type { TrainingControl } from './control';
import { endRun } from './endRun';
import { cleanRunsFolder } from './cleanup';
import { toRunError } from './errors';
import { trainerVersions } from './runTraining';
import { SCRIPT_DATASET } from './script/fitRecorder';
import { parseScriptToTrainer, type ScriptState, type TrainerToScript } from './script/scriptProtocol';
import { msg } from './messages';

type TF = typeof tfTypes;

/** What a script run needs from a RunSpec: `modelFile` is the script. */
export type ScriptSpec = Pick<RunSpec, 'modelFile' | 'runsDir' | 'runId' | 'workspaceDir' | 'scriptArgs'>;

export interface ScriptRunOptions {
  /** The script host bundle; default dist/scriptHost.js next to this bundle. */
  hostScript?: string;
}

/** How often the host's controls (a poll-only TrainingControl) are looked at and passed on. */
const CONTROL_POLL_MS = 25;
/** After SIGTERM reached the trainer (a stop the script outlived), how long the script gets before SIGKILL. */
const TERM_GRACE_MS = 1000;
/** Node's exit code for a top-level await that never settled. */
const UNSETTLED_TLA_EXIT = 13;

function createWriter(tf: TF, backendInfo: BackendInfo, spec: ScriptSpec, scriptFile: string): RunWriter {
  for (let attempt = 0; ; attempt++) {
    const runId = spec.runId ?? makeRunId(scriptFile, new Date());
    try {
      return RunWriter.create(spec.runsDir, runId, {
        id: runId,
        modelFile: scriptFile,
        config: { epochs: 0, batchSize: 0, validationSplit: 0, shuffle: false, dataset: SCRIPT_DATASET },
        backend: backendInfo,
        versions: trainerVersions(tf),
        startedAt: new Date().toISOString(),
        status: 'running',
        // So Train Again runs the script again with the same arguments.
        mode: 'script',
        scriptArgs: spec.scriptArgs ?? [],
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || spec.runId !== undefined || attempt > 20) throw e;
    }
  }
}

/**
 * Runs the script as one run. Emits `started`, `run` at its first fit call, `batches`, `epoch`,
 * `log`, `paused`/`resumed`, `checkpoint`, and last `end` (always). Never rejects: a throw, a
 * non-zero exit or no fit call at all ends the run `failed`, keeping the metrics recorded so far.
 */
export async function runScript(
  tf: TF,
  backendInfo: BackendInfo,
  spec: ScriptSpec,
  emit: (m: TrainerToHost) => void,
  control: TrainingControl,
  opts: ScriptRunOptions = {},
): Promise<EndStatus> {
  const scriptFile = path.resolve(spec.modelFile);
  const name = path.basename(scriptFile);
  let writer: RunWriter | undefined;
  let status: EndStatus = 'failed';
  let error: RunError | undefined;
  let state: ScriptState = { fits: 0, stopped: false, epoch: -1, fitSucceededAfterError: false };
  try {
    cleanRunsFolder(spec.runsDir);
    writer = createWriter(tf, backendInfo, spec, scriptFile);
    emit({ type: 'started', runId: writer.current.id, runDir: writer.dir });
    const w = writer;
    let uncaught: RunError | undefined;
    let termed = false;
    const hostScript = opts.hostScript ?? path.join(__dirname, 'scriptHost.js');
    const child: ChildProcess = fork(hostScript, [], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
    const tell = (m: TrainerToScript) => {
      if (child.connected) child.send(m, (e) => e && undefined);
    };
    child.on('message', (raw) => {
      const m = parseScriptToTrainer(raw);
      if (!m) return;
      if (m.kind === 'state') state = m.state;
      else if (m.kind === 'uncaught') uncaught = m.error;
      else {
        const msg = m.message;
        // run.json has one writer, this process: the child's first fit fills in what it learnt.
        if (msg.type === 'run') w.updateRecord({ config: msg.config, layers: msg.layers, totalParams: msg.totalParams, batchesPerEpoch: msg.batchesPerEpoch });
        emit(msg);
      }
    });
    tell({
      kind: 'start',
      spec: { scriptFile, scriptArgs: spec.scriptArgs ?? [], runDir: w.dir, backend: backendInfo.name, backendInfo, workspaceDir: spec.workspaceDir },
    });

    // The host's controls, passed on as they change (pause and resume both ways, stop and checkpoint once each).
    let sentStop = false;
    let sentPause = false;
    const poll = setInterval(() => {
      if (!sentStop && control.stopRequested()) {
        sentStop = true;
        tell({ kind: 'control', action: 'stop' });
      }
      const pause = control.pauseRequested?.() ?? false;
      if (!sentStop && pause !== sentPause) {
        sentPause = pause;
        tell({ kind: 'control', action: pause ? 'pause' : 'resume' });
      }
      if (control.takeCheckpointRequest?.()) tell({ kind: 'control', action: 'checkpoint' });
    }, CONTROL_POLL_MS);

    // The host's last resort after a stop (SIGTERM) ends the script, but the run is still recorded as what it was.
    const onTerm = () => {
      termed = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), TERM_GRACE_MS).unref();
    };
    process.on('SIGTERM', onTerm);

    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal }));
      child.on('error', (e) => {
        uncaught ??= toRunError(e, { during: 'Could not start the script host' });
        resolve({ code: null, signal: null });
      });
    });
    clearInterval(poll);
    process.off('SIGTERM', onTerm);

    const stopAsked = control.stopRequested();
    const fitError = state.fitError;
    if (termed) {
      status = stopAsked ? 'stopped' : 'failed';
      error = {
        message: stopAsked
          ? msg('script.stopped', name)
          : msg('script.sigterm', name),
        file: scriptFile,
      };
    } else if (uncaught) {
      status = 'failed';
      error = uncaught;
    } else if (exit.signal) {
      status = 'failed';
      error = { message: msg('script.killed', name, exit.signal), file: scriptFile };
    } else if (exit.code === UNSETTLED_TLA_EXIT) {
      status = 'failed';
      error = { message: msg('script.unsettled', name), file: scriptFile };
    } else if (exit.code !== 0) {
      status = 'failed';
      error = { message: fitError ? msg('script.exitCodeAfterFit', name, String(exit.code), fitError.message) : msg('script.exitCode', name, String(exit.code)), file: scriptFile, ...(fitError?.details && { details: fitError.details }) };
      if (fitError?.line !== undefined) Object.assign(error, { line: fitError.line, column: fitError.column });
    } else if (state.fits === 0) {
      status = 'failed';
      error = { message: msg('script.noFit', name), file: scriptFile };
    } else if (fitError && !state.fitSucceededAfterError) {
      // The script caught its fit's error and went on without training again: the run did not train.
      status = 'failed';
      error = fitError;
    } else {
      status = state.stopped || stopAsked ? 'stopped' : 'completed';
    }
  } catch (e) {
    status = 'failed';
    error = toRunError(e, { modelFile: scriptFile });
  }
  return endRun(writer, emit, { status, error, epoch: Math.max(0, state.epoch) });
}
