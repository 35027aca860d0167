/**
 * The `modellab` task type (tasks.json): what a task definition may say, and the CLI command line it
 * runs. Pure, so it is tested without VS Code; src/commands/tasks.ts is the adapter.
 *
 *   { "type": "modellab", "file": "models/mnist-cnn.model.ts", "epochs": 2, "backend": "wasm" }
 *   { "type": "modellab", "command": "run", "file": "scripts/train.mjs", "args": ["--epochs", "2"] }
 */
import { BACKEND_CHOICES, type BackendChoice } from '../protocol/trainer';

export const TASK_TYPE = 'modellab';
export const TASK_COMMANDS = ['train', 'run', 'evaluate'] as const;
export type TaskCommand = (typeof TASK_COMMANDS)[number];

export interface ModelLabTaskDefinition {
  type: typeof TASK_TYPE;
  /** train (default): a model file; run: a training script; evaluate: a run folder or id. */
  command?: TaskCommand;
  /** The model file, script or run, relative to the workspace folder (or absolute). */
  file: string;
  epochs?: number;
  batchSize?: number;
  backend?: BackendChoice;
  /** Continue this run (folder or id) from its last checkpoint. */
  resume?: string;
  /** Runs folder, relative to the workspace folder. */
  runsDir?: string;
  /** Arguments for the script of `command: "run"` (its own process.argv). */
  args?: string[];
}

/** The CLI arguments for a definition, or the reason it cannot run (names the field at fault). */
export function taskCliArgs(raw: Record<string, unknown>): { args: string[] } | { error: string } {
  const command = raw.command ?? 'train';
  if (typeof command !== 'string' || !(TASK_COMMANDS as readonly string[]).includes(command))
    return { error: `"command" must be one of ${TASK_COMMANDS.join(', ')}, not ${JSON.stringify(command)}` };
  if (typeof raw.file !== 'string' || raw.file.trim() === '') return { error: '"file" is required: the model file, script or run to use' };
  const args: string[] = [command, raw.file];
  const positive = (key: 'epochs' | 'batchSize', flag: string): string | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) return `"${key}" must be a whole number of at least 1, not ${JSON.stringify(v)}`;
    if (command !== 'train') return `"${key}" applies to "command": "train" only`;
    args.push(flag, String(v));
    return undefined;
  };
  const bad = positive('epochs', '--epochs') ?? positive('batchSize', '--batch-size');
  if (bad) return { error: bad };
  if (raw.backend !== undefined) {
    if (typeof raw.backend !== 'string' || !(BACKEND_CHOICES as readonly string[]).includes(raw.backend))
      return { error: `"backend" must be one of ${BACKEND_CHOICES.join(', ')}, not ${JSON.stringify(raw.backend)}` };
    if (command === 'evaluate') return { error: '"backend" does not apply to "command": "evaluate"' };
    args.push('--backend', raw.backend);
  }
  if (raw.resume !== undefined) {
    if (typeof raw.resume !== 'string' || raw.resume === '') return { error: '"resume" must name a run folder or run id' };
    if (command !== 'train') return { error: '"resume" applies to "command": "train" only' };
    args.push('--resume', raw.resume);
  }
  if (raw.runsDir !== undefined) {
    if (typeof raw.runsDir !== 'string' || raw.runsDir === '') return { error: '"runsDir" must be a folder' };
    args.push('--runs-dir', raw.runsDir);
  }
  if (raw.args !== undefined) {
    if (!Array.isArray(raw.args) || raw.args.some((a) => typeof a !== 'string')) return { error: '"args" must be a list of strings' };
    if (command !== 'run') return { error: '"args" applies to "command": "run" only' };
    if (raw.args.length > 0) args.push('--', ...(raw.args as string[]));
  }
  return { args };
}

/** The name a task shows in "Run Task": `train mnist-cnn.model.ts`. */
export function taskLabel(def: Pick<ModelLabTaskDefinition, 'command' | 'file'>): string {
  const base = def.file.split(/[\\/]/).pop() ?? def.file;
  return `${def.command ?? 'train'} ${base}`;
}

/**
 * The problem matcher's pattern for the CLI's failure line, kept here beside its test:
 * `model-lab: training failed: models/cnn.model.ts:19:5: kernel 15 is larger than …`.
 */
export const FAILURE_LINE_PATTERN = '^model-lab: (?:training failed|trainer crashed): (.+?):(\\d+)(?::(\\d+))?: (.*)$';
