/**
 * Between the trainer (runScript.ts, which owns the run folder and talks to the host) and the script
 * host (scriptHost.ts, the child process in which the user's script is the main program). Both
 * ends are Model Lab's trainer room; the host never sees these messages.
 */
import type { BackendChoice, BackendInfo, RunError, TrainerToHost } from '../../protocol/trainer';

/** What the script host needs to run the script. */
export interface ScriptHostSpec {
  /** Absolute path of the script. */
  scriptFile: string;
  /** The script's own arguments: it sees `process.argv = [node, scriptFile, ...scriptArgs]`. */
  scriptArgs: string[];
  /** The run folder (already created by the trainer): metrics.jsonl, model/, checkpoints/. */
  runDir: string;
  /** The backend the trainer picked, so the script runs on the same one. */
  backend: BackendChoice;
  backendInfo: BackendInfo;
  workspaceDir?: string;
}

/** The script host's progress, sent whenever it changes; the trainer ends the run from the last one and the exit code. */
export interface ScriptState {
  /** model.fit / fitDataset calls so far. */
  fits: number;
  /** A stop was obeyed by a fit. */
  stopped: boolean;
  /** The last epoch recorded (run numbering), -1 before any. */
  epoch: number;
  /** The last error a fit call rejected with, even if the script caught it. */
  fitError?: RunError;
  /** A fit succeeded after the last fitError (the script recovered and trained). */
  fitSucceededAfterError: boolean;
}

/** Script host → trainer. */
export type ScriptToTrainer =
  /** A message for the host, relayed as is (`run` also updates run.json). */
  | { kind: 'emit'; message: TrainerToHost }
  | { kind: 'state'; state: ScriptState }
  /** What the script threw (or rejected with) that nothing caught, mapped to its sources; the host then exits 1. */
  | { kind: 'uncaught'; error: RunError };

/** Trainer → script host. */
export type TrainerToScript =
  | { kind: 'start'; spec: ScriptHostSpec }
  | { kind: 'control'; action: 'stop' | 'pause' | 'resume' | 'checkpoint' };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Validates a message from the script host (a process running user code); drops anything else. */
export function parseScriptToTrainer(m: unknown): ScriptToTrainer | undefined {
  if (!isObj(m)) return undefined;
  switch (m.kind) {
    case 'emit':
      return isObj(m.message) && typeof m.message.type === 'string' ? (m as ScriptToTrainer) : undefined;
    case 'state':
      return isObj(m.state) && typeof m.state.fits === 'number' && typeof m.state.stopped === 'boolean' ? (m as ScriptToTrainer) : undefined;
    case 'uncaught':
      return isObj(m.error) && typeof m.error.message === 'string' ? (m as ScriptToTrainer) : undefined;
    default:
      return undefined;
  }
}

export function parseTrainerToScript(m: unknown): TrainerToScript | undefined {
  if (!isObj(m)) return undefined;
  if (m.kind === 'start' && isObj(m.spec) && typeof m.spec.scriptFile === 'string' && typeof m.spec.runDir === 'string' && Array.isArray(m.spec.scriptArgs))
    return m as TrainerToScript;
  if (m.kind === 'control' && ['stop', 'pause', 'resume', 'checkpoint'].includes(m.action as string)) return m as TrainerToScript;
  return undefined;
}
