/**
 * The `model-lab` command line, parsed without touching the file system or the process, so every
 * accepted and rejected form is unit-tested. src/cli/main.ts does the checks that need the disk.
 * Node's own `util.parseArgs` splits the words (`--flag value`, `--flag=value`, `--`); this file
 * says what each command accepts and words the errors.
 */
import { parseArgs as splitArgs } from 'node:util';
import { BACKEND_CHOICES, EVAL_CHECKPOINTS, MAX_THREADS, type BackendChoice, type EvalCheckpoint, type ThreadsChoice } from '../protocol/trainer';
import { OPTIMIZER_NAMES, parseOverrideValue, type OptimizerName, type OverrideProblem } from '../protocol/runOverrides';
import { formatMessage, t, t as msg, type CliMessageId } from './messages';

export interface TrainArgs {
  command: 'train';
  /** As typed: relative to the current directory. */
  file: string;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  optimizer?: OptimizerName;
  validationSplit?: number;
  backend: BackendChoice;
  /** --threads N|auto (absent: auto). */
  threads?: ThreadsChoice;
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

/** `model-lab run SCRIPT [options] [-- ARG…]`: an ordinary tfjs script, its fit calls recorded as a run. */
export interface RunScriptArgs {
  command: 'run';
  file: string;
  backend: BackendChoice;
  runsDir?: string;
  json: boolean;
  /** The words after `--`: the script's own arguments (its process.argv after the file). */
  scriptArgs: string[];
}

/** `model-lab evaluate RUN [--checkpoint best|last|final] [--json] [--runs-dir DIR]` */
export interface EvaluateArgs {
  command: 'evaluate';
  /** As typed: a run folder, or a run id in the runs folder. */
  run: string;
  checkpoint: EvalCheckpoint;
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

/** The help text in English (what tests and docs quote); `usageText()` is the one in the CLI's language. */
export const USAGE = formatMessage('en', 'usage', BACKEND_CHOICES.join(' | '), MAX_THREADS);

/** The help text in the CLI's current language (src/cli/messages.ts). */
export function usageText(): string {
  return t('usage', BACKEND_CHOICES.join(' | '), MAX_THREADS);
}

const usageError = (message: string): CliCommand => ({ command: 'usageError', message });

/** How the CLI words each refused override value (src/protocol/runOverrides.ts says which problem). */
const OVERRIDE_PROBLEM_IDS: Record<OverrideProblem, CliMessageId> = {
  wholeNumber: 'args.needsWholeNumber',
  fraction: 'args.needsFraction',
  positiveNumber: 'args.needsPositive',
  optimizer: 'args.optimizerChoice',
};

/** A whole positive number as typed: no signs, fractions, exponents or spaces. */
function parsePositiveInt(flag: string, raw: string): number | string {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw)))
    return t('args.needsWholeNumber', flag, raw);
  return Number(raw);
}

type Flag = 'epochs' | 'batch-size' | 'learning-rate' | 'optimizer' | 'validation-split' | 'backend' | 'threads' | 'runs-dir' | 'resume' | 'limit' | 'checkpoint' | 'json';

/** What util.parseArgs is told about each flag; which command takes which is below. */
const FLAG_TYPES: Record<Flag, { type: 'string' | 'boolean' }> = {
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  'learning-rate': { type: 'string' },
  optimizer: { type: 'string' },
  'validation-split': { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  'runs-dir': { type: 'string' },
  resume: { type: 'string' },
  limit: { type: 'string' },
  checkpoint: { type: 'string' },
  json: { type: 'boolean' },
};

interface Split {
  /** Flag values as typed, each given once. */
  values: Partial<Record<Flag, string | true>>;
  /** Words before `--`. */
  positionals: string[];
  /** Words after `--`. */
  afterTerminator: string[];
}

/**
 * Splits one command's words with util.parseArgs (tokens, not its own errors, so the messages stay
 * ours): a flag the command does not take, a flag twice, a value missing or given to --json.
 */
function split(words: readonly string[], accepted: readonly Flag[], unknown: (raw: string) => string): Split | { error: string } {
  const options = Object.fromEntries(accepted.map((f) => [f, FLAG_TYPES[f]]));
  const { tokens } = splitArgs({ args: [...words], options, allowPositionals: true, strict: false, tokens: true });
  const out: Split = { values: {}, positionals: [], afterTerminator: [] };
  let terminated = false;
  for (const t of tokens) {
    if (t.kind === 'option-terminator') terminated = true;
    else if (t.kind === 'positional') (terminated ? out.afterTerminator : out.positionals).push(t.value);
    else {
      const flag = t.name as Flag;
      if (!(accepted as readonly string[]).includes(t.name)) return { error: unknown(t.rawName) };
      if (out.values[flag] !== undefined) return { error: msg('args.givenTwice', t.rawName) };
      if (FLAG_TYPES[flag].type === 'boolean') {
        if (t.value !== undefined) return { error: msg('args.takesNoValue', t.rawName) };
        out.values[flag] = true;
        continue;
      }
      // util.parseArgs takes the next word as the value even when it is another flag; a user who
      // typed `--epochs --json` forgot the number.
      const value = t.value;
      if (value === undefined || value === '' || (!t.inlineValue && value.startsWith('--'))) return { error: msg('args.needsValue', t.rawName) };
      out.values[flag] = value;
    }
  }
  return out;
}

const str = (v: string | true | undefined) => (typeof v === 'string' ? v : undefined);

/** --epochs and --batch-size, when given. */
function counts(values: Split['values'], flags: ('epochs' | 'batch-size' | 'limit')[]): Partial<Record<'epochs' | 'batch-size' | 'limit', number>> | string {
  const out: Partial<Record<'epochs' | 'batch-size' | 'limit', number>> = {};
  for (const f of flags) {
    const raw = str(values[f]);
    if (raw === undefined) continue;
    const n = parsePositiveInt(`--${f}`, raw);
    if (typeof n === 'string') return n;
    out[f] = n;
  }
  return out;
}

function backendOf(values: Split['values']): BackendChoice | string {
  const b = str(values.backend) ?? 'auto';
  return (BACKEND_CHOICES as readonly string[]).includes(b) ? (b as BackendChoice) : t('args.backendChoice', BACKEND_CHOICES.join(', '), b);
}

function threadsOf(values: Split['values']): ThreadsChoice | { error: string } | undefined {
  const raw = str(values.threads);
  if (raw === undefined || raw === 'auto') return raw;
  const n = parsePositiveInt('--threads', raw);
  if (typeof n === 'string' || n > MAX_THREADS) return { error: t('args.threadsChoice', MAX_THREADS, raw) };
  return n;
}

/** Parses `process.argv.slice(2)`. Accepts `--flag value` and `--flag=value`; `--` ends the options. */
export function parseArgs(argv: readonly string[]): CliCommand {
  const terminator = argv.indexOf('--');
  const before = terminator < 0 ? argv : argv.slice(0, terminator);
  if (before.some((a) => a === '-h' || a === '--help')) return { command: 'help' };
  if (before.some((a) => a === '-v' || a === '--version')) return { command: 'version' };
  if (argv.length === 0) return usageError(t('args.missingCommand'));
  const [command, ...rest] = argv;

  if (command === 'summary') {
    const s = split(rest, ['json'], (raw) => t('args.summaryUnknownOption', raw));
    if ('error' in s) return usageError(s.error);
    const files = [...s.positionals, ...s.afterTerminator];
    if (files.length !== 1) return usageError(t('args.summaryOneFile'));
    return { command: 'summary', file: files[0], json: s.values.json === true };
  }

  if (command === 'preview') {
    const s = split(rest, ['json', 'limit'], (raw) => t('args.previewUnknownOption', raw));
    if ('error' in s) return usageError(s.error);
    const n = counts(s.values, ['limit']);
    if (typeof n === 'string') return usageError(n);
    const files = [...s.positionals, ...s.afterTerminator];
    if (files.length !== 1) return usageError(t('args.previewOneFile'));
    return { command: 'preview', file: files[0], json: s.values.json === true, ...(n.limit !== undefined && { limit: n.limit }) };
  }

  if (command === 'evaluate') {
    const s = split(rest, ['json', 'checkpoint', 'runs-dir'], (raw) => t('args.evaluateUnknownOption', raw));
    if ('error' in s) return usageError(s.error);
    const checkpoint = str(s.values.checkpoint) ?? 'final';
    if (!(EVAL_CHECKPOINTS as readonly string[]).includes(checkpoint)) return usageError(t('args.checkpointChoice', checkpoint));
    const runs = [...s.positionals, ...s.afterTerminator];
    if (runs.length !== 1) return usageError(t('args.evaluateOneRun'));
    const runsDir = str(s.values['runs-dir']);
    return { command: 'evaluate', run: runs[0], checkpoint: checkpoint as EvalCheckpoint, json: s.values.json === true, ...(runsDir !== undefined && { runsDir }) };
  }

  if (command === 'run') {
    const trainOnly = ['epochs', 'batch-size', 'resume'];
    const s = split(rest, ['json', 'backend', 'runs-dir', 'epochs', 'batch-size', 'resume'], (raw) => t('args.unknownOption', raw));
    if ('error' in s) return usageError(s.error);
    if (trainOnly.some((f) => s.values[f as Flag] !== undefined))
      return usageError(t('args.runTrainOnly'));
    // `run -- --odd.js ARG…`: with no SCRIPT before `--`, the first word after it is the script.
    const words = s.positionals.length > 0 ? s.positionals : s.afterTerminator.slice(0, 1);
    const scriptArgs = s.positionals.length > 0 ? s.afterTerminator : s.afterTerminator.slice(1);
    if (words.length === 0 || words[0] === '') return usageError(t('args.missingScript'));
    if (words.length > 1) return usageError(t('args.runOneScript', words[1]));
    const backend = backendOf(s.values);
    if (!(BACKEND_CHOICES as readonly string[]).includes(backend)) return usageError(backend);
    const runsDir = str(s.values['runs-dir']);
    return { command: 'run', file: words[0], backend: backend as BackendChoice, ...(runsDir !== undefined && { runsDir }), json: s.values.json === true, scriptArgs };
  }

  if (command !== 'train') {
    return command.startsWith('-')
      ? usageError(t('args.commandFirst', command))
      : usageError(t('args.unknownCommand', command));
  }

  const s = split(rest, ['json', 'backend', 'threads', 'runs-dir', 'epochs', 'batch-size', 'learning-rate', 'optimizer', 'validation-split', 'resume'], (raw) => t('args.unknownOption', raw));
  if ('error' in s) return usageError(s.error);
  const threads = threadsOf(s.values);
  if (typeof threads === 'object') return usageError(threads.error);
  const tuned: Pick<TrainArgs, 'learningRate' | 'optimizer' | 'validationSplit'> = {};
  for (const [flag, key] of [['learning-rate', 'learningRate'], ['optimizer', 'optimizer'], ['validation-split', 'validationSplit']] as const) {
    const raw = str(s.values[flag]);
    if (raw === undefined) continue;
    const r = parseOverrideValue(key, raw);
    if ('problem' in r) return usageError(t(OVERRIDE_PROBLEM_IDS[r.problem], `--${flag}`, raw, OPTIMIZER_NAMES.join(', ')));
    (tuned as Record<string, unknown>)[key] = r.value;
  }
  const files = [...s.positionals, ...s.afterTerminator];
  if (files.length > 1) return usageError(t('args.trainOneFile', files[1]));
  const n = counts(s.values, ['epochs', 'batch-size']);
  if (typeof n === 'string') return usageError(n);
  const backend = backendOf(s.values);
  if (!(BACKEND_CHOICES as readonly string[]).includes(backend)) return usageError(backend);
  if (files.length === 0 || files[0] === '') return usageError(t('args.missingFile'));
  const runsDir = str(s.values['runs-dir']);
  const resume = str(s.values.resume);
  return {
    command: 'train',
    file: files[0],
    ...(n.epochs !== undefined && { epochs: n.epochs }),
    ...(n['batch-size'] !== undefined && { batchSize: n['batch-size'] }),
    ...tuned,
    backend: backend as BackendChoice,
    ...(threads !== undefined && { threads }),
    ...(runsDir !== undefined && { runsDir }),
    ...(resume !== undefined && { resume }),
    json: s.values.json === true,
  };
}
