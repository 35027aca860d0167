/**
 * The `model-lab` command line, parsed without touching the file system or the process, so every
 * accepted and rejected form is unit-tested. src/cli.ts does the checks that need the disk.
 */
import { BACKEND_CHOICES, type BackendChoice } from './protocol/trainer';

export interface TrainArgs {
  command: 'train';
  /** As typed: relative to the current directory. */
  file: string;
  epochs?: number;
  batchSize?: number;
  backend: BackendChoice;
  /** As typed; default `<cwd>/.modellab/runs`. */
  runsDir?: string;
  /** As typed: a run folder or a run id under the runs folder, to continue from its checkpoint. */
  resume?: string;
  json: boolean;
}

/** `model-lab summary FILE [--json]` */
export interface SummaryArgs {
  command: 'summary';
  file: string;
  json: boolean;
}

/** `model-lab preview FILE [--json] [--limit N]`: the model file's dataset, as the trainer loads it. */
export interface PreviewArgs {
  command: 'preview';
  file: string;
  json: boolean;
  limit?: number;
}

/** `model-lab run SCRIPT`: an ordinary tfjs script, its fit calls recorded as a run. */
export interface RunScriptArgs {
  command: 'run';
  file: string;
  backend: BackendChoice;
  runsDir?: string;
  json: boolean;
  /** Everything after `--`: the script's own arguments (its process.argv after SCRIPT). */
  scriptArgs: string[];
}

/** `model-lab evaluate RUN [--checkpoint best|last|final] [--json] [--runs-dir DIR]` */
export interface EvaluateArgs {
  command: 'evaluate';
  /** As typed: a run folder, or a run id in the runs folder. */
  run: string;
  checkpoint: 'final' | 'best' | 'last';
  json: boolean;
  runsDir?: string;
}

export type CliCommand =
  | TrainArgs
  | EvaluateArgs
  | SummaryArgs
  | RunScriptArgs
  | PreviewArgs
  | { command: 'help' }
  | { command: 'version' }
  /** The arguments make no sense: print `message` and the usage, exit 2. */
  | { command: 'usageError'; message: string };

export const USAGE = `Usage: model-lab train FILE [options]
       model-lab run SCRIPT [--backend B] [--runs-dir DIR] [--json] [-- ARGS...]
       model-lab summary FILE [--json]
       model-lab preview FILE [--json] [--limit N]
       model-lab evaluate RUN [--checkpoint best|last|final] [--json] [--runs-dir DIR]
       model-lab --help | --version

Trains the model in FILE (a .ts or .js file that exports createModel() and config) in a child
process and saves the run under the runs folder.

Options:
  --epochs N        override config.epochs
  --batch-size N    override config.batchSize
  --backend B       ${BACKEND_CHOICES.join(' | ')} (default: auto = tfjs-node if it loads, else wasm, else cpu)
  --runs-dir DIR    where runs are saved (default: ./.modellab/runs)
  --resume RUN      continue RUN (a run folder, or a run id in the runs folder) from its last
                    checkpoint, optimizer state included, as a new run; --epochs is the total
  --json            print every trainer message as one JSON line on stdout, nothing else
  -h, --help        show this help
  -v, --version     print the version

run: runs an ordinary tfjs training script unmodified and records every model.fit /
model.fitDataset it makes as one run, with live metrics.
summary: the model's layers, output shapes and parameter counts, without training.
preview: the model file's dataset as the trainer loads it: shapes, class balance, sample images,
the first rows with column statistics, decoded text or the head of a series.
evaluate: the saved model of RUN (a run folder or id; --checkpoint best|last for a checkpoint)
judged again on the run's validation data; writes eval.json (eval-best.json, eval-last.json).

Keys while training in a terminal: p pause/resume, c checkpoint now, s or q stop.

Ctrl-C stops after the current batch and saves a checkpoint and the model; a second Ctrl-C kills
the trainer.
Exit status: 0 completed or stopped, 1 failed or crashed, 2 bad arguments.`;

const usageError = (message: string): CliCommand => ({ command: 'usageError', message });

/** A whole positive number as typed: no signs, fractions, exponents or spaces. */
function parsePositiveInt(flag: string, raw: string): number | string {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw)))
    return `${flag} needs a whole number of at least 1, not "${raw}"`;
  return Number(raw);
}

const VALUE_FLAGS = ['--epochs', '--batch-size', '--backend', '--runs-dir', '--resume'] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];

/** Parses `process.argv.slice(2)`. Accepts `--flag value` and `--flag=value`; `--` ends the options. */
export function parseArgs(argv: readonly string[]): CliCommand {
  if (argv.some((a) => a === '-h' || a === '--help')) return { command: 'help' };
  if (argv.some((a) => a === '-v' || a === '--version')) return { command: 'version' };
  if (argv.length === 0) return usageError('missing command: model-lab train FILE');
  const [command, ...rest] = argv;
  if (command === 'summary') {
    const files = rest.filter((a) => a !== '--json');
    const bad = rest.find((a) => a.startsWith('-') && a !== '--json');
    if (bad) return usageError(`unknown option ${bad}: summary takes FILE and --json only`);
    if (files.length !== 1) return usageError('summary takes one FILE: model-lab summary FILE [--json]');
    return { command: 'summary', file: files[0], json: rest.includes('--json') };
  }
  if (command === 'preview') {
    const out: PreviewArgs = { command: 'preview', file: '', json: false };
    const files: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const arg = rest[i];
      if (arg === '--json') out.json = true;
      else if (arg === '--limit' || arg.startsWith('--limit=')) {
        const value = arg === '--limit' ? rest[++i] : arg.slice('--limit='.length);
        if (value === undefined || value === '') return usageError('--limit needs a value');
        const n = parsePositiveInt('--limit', value);
        if (typeof n === 'string') return usageError(n);
        out.limit = n;
      } else if (arg.startsWith('-')) return usageError(`unknown option ${arg}: preview takes FILE, --json and --limit N`);
      else files.push(arg);
    }
    if (files.length !== 1) return usageError('preview takes one FILE: model-lab preview FILE [--json] [--limit N]');
    out.file = files[0];
    return out;
  }
  if (command === 'evaluate') {
    const out: EvaluateArgs = { command: 'evaluate', run: '', checkpoint: 'final', json: false };
    const runs: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const arg = rest[i];
      if (arg === '--json') out.json = true;
      else if (arg === '--checkpoint' || arg.startsWith('--checkpoint=') || arg === '--runs-dir' || arg.startsWith('--runs-dir=')) {
        const flag = arg.startsWith('--checkpoint') ? '--checkpoint' : '--runs-dir';
        const value = arg === flag ? rest[++i] : arg.slice(flag.length + 1);
        if (value === undefined || value === '') return usageError(`${flag} needs a value`);
        if (flag === '--runs-dir') out.runsDir = value;
        else if (value === 'final' || value === 'best' || value === 'last') out.checkpoint = value;
        else return usageError(`--checkpoint must be best, last or final, not "${value}"`);
      } else if (arg.startsWith('-')) return usageError(`unknown option ${arg}: evaluate takes RUN, --checkpoint, --json and --runs-dir`);
      else runs.push(arg);
    }
    if (runs.length !== 1) return usageError('evaluate takes one RUN: model-lab evaluate RUN [--checkpoint best|last|final] [--json]');
    out.run = runs[0];
    return out;
  }
  if (command === 'run') {
    const dashes = rest.indexOf('--');
    const scriptArgs = dashes < 0 ? [] : rest.slice(dashes + 1);
    const t = parseArgs(['train', ...(dashes < 0 ? rest : rest.slice(0, dashes))]);
    if (t.command !== 'train') return t.command === 'usageError' ? usageError(t.message.replace('model-lab train FILE', 'model-lab run SCRIPT')) : t;
    if (t.epochs !== undefined || t.batchSize !== undefined || t.resume !== undefined)
      return usageError('run: the script sets its own epochs and batch size (--epochs, --batch-size and --resume are for train)');
    return { command: 'run', file: t.file, backend: t.backend, runsDir: t.runsDir, json: t.json, scriptArgs };
  }
  if (command !== 'train') {
    return command.startsWith('-')
      ? usageError(`unknown option ${command}; the command comes first: model-lab train FILE`)
      : usageError(`unknown command "${command}"; the commands are train, run, summary, preview and evaluate`);
  }

  const out: TrainArgs = { command: 'train', file: '', backend: 'auto', json: false };
  const seen = new Set<string>();
  let file: string | undefined;
  let optionsEnded = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (optionsEnded || !arg.startsWith('-') || arg === '-') {
      if (file !== undefined) return usageError(`unexpected argument "${arg}": train takes one FILE`);
      file = arg;
      continue;
    }
    if (arg === '--') {
      optionsEnded = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (flag === '--json') {
      if (eq > 0) return usageError('--json takes no value');
      out.json = true;
      continue;
    }
    if (!(VALUE_FLAGS as readonly string[]).includes(flag)) return usageError(`unknown option ${flag}`);
    if (seen.has(flag)) return usageError(`${flag} is given twice`);
    seen.add(flag);
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (i + 1 < rest.length && !rest[i + 1].startsWith('--')) value = rest[++i];
    if (value === undefined || value === '') return usageError(`${flag} needs a value`);

    switch (flag as ValueFlag) {
      case '--epochs':
      case '--batch-size': {
        const n = parsePositiveInt(flag, value);
        if (typeof n === 'string') return usageError(n);
        if (flag === '--epochs') out.epochs = n;
        else out.batchSize = n;
        break;
      }
      case '--backend':
        if (!(BACKEND_CHOICES as readonly string[]).includes(value))
          return usageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, not "${value}"`);
        out.backend = value as BackendChoice;
        break;
      case '--runs-dir':
        out.runsDir = value;
        break;
      case '--resume':
        out.resume = value;
        break;
    }
  }
  if (file === undefined || file === '') return usageError('missing FILE: model-lab train FILE');
  out.file = file;
  return out;
}
