/**
 * Values a run takes instead of the model file's `config` (Train with Changes, `model-lab train
 * --epochs …`): their schema, how one typed value is read and checked, and how they are written
 * back as CLI flags. Shared by the host (quick input validation, command arguments), the CLI
 * (flags), the trainer (applies them) and run.json (records them). Pure: valibot only.
 */
import * as v from 'valibot';
import { fillPlaceholders } from './locale';

/** The optimizers a model file may name in `config.optimizer` (tfjs's tf.train factories). */
export const OPTIMIZER_NAMES = ['adam', 'sgd', 'rmsprop', 'adagrad', 'adadelta', 'adamax'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** The overrides a user can change for a new run, in the order they are asked. */
export const OVERRIDE_KEYS = ['epochs', 'batchSize', 'learningRate', 'optimizer', 'validationSplit'] as const;
export type OverrideKey = (typeof OVERRIDE_KEYS)[number];

/**
 * As carried in a RunSpec and recorded in run.json. Numbers are checked loosely here: the trainer
 * checks each against the model file and names the file and key in its error.
 */
export const RunOverridesSchema = v.object({
  epochs: v.optional(v.number()),
  batchSize: v.optional(v.number()),
  validationSplit: v.optional(v.number()),
  limit: v.optional(v.number()),
  learningRate: v.optional(v.number()),
  optimizer: v.optional(v.picklist(OPTIMIZER_NAMES)),
});
export type RunOverrides = v.InferOutput<typeof RunOverridesSchema>;

/** Why a typed value is refused; each caller words it in the user's language (host: vscode.l10n, CLI: its catalogue). */
export type OverrideProblem = 'wholeNumber' | 'fraction' | 'positiveNumber' | 'optimizer';

export type OverrideValue<K extends OverrideKey> = K extends 'optimizer' ? OptimizerName : number;

/** One typed value, read as the key wants it: `{ value }`, or `{ problem }` saying what is wrong. */
export function parseOverrideValue<K extends OverrideKey>(key: K, text: string): { value: OverrideValue<K> } | { problem: OverrideProblem } {
  const s = text.trim();
  if (key === 'optimizer') {
    const name = s.toLowerCase();
    return (OPTIMIZER_NAMES as readonly string[]).includes(name) ? { value: name as OverrideValue<K> } : { problem: 'optimizer' };
  }
  if (key === 'epochs' || key === 'batchSize') {
    // No signs, fractions, exponents or spaces: "1e3" epochs is more likely a typo than intent.
    const n = Number(s);
    return /^\d+$/.test(s) && n >= 1 && Number.isSafeInteger(n) ? { value: n as OverrideValue<K> } : { problem: 'wholeNumber' };
  }
  // Decimal or exponent notation (0.001, 1e-3); nothing else Number() accepts (hex, Infinity, '').
  const n = /^[+]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s) ? Number(s) : Number.NaN;
  if (key === 'validationSplit') return Number.isFinite(n) && n >= 0 && n < 1 ? { value: n as OverrideValue<K> } : { problem: 'fraction' };
  return Number.isFinite(n) && n > 0 ? { value: n as OverrideValue<K> } : { problem: 'positiveNumber' };
}

/**
 * Words an English message (`{0}` placeholders) in the user's language: on the host a wrapper of
 * vscode.l10n.t (the English texts are keys of l10n/bundle.l10n.zh-cn.json), as src/scaffold's
 * Translate; this module stays pure and needs no vscode.
 */
export type Translate = (message: string, ...args: (string | number | boolean)[]) => string;

const english: Translate = (message, ...args) => fillPlaceholders(message, args);

/** What each problem says (English by default: logs); `flag` names the option as the user typed it. */
export function overrideProblemText(problem: OverrideProblem, flag: string, raw: string, tr: Translate = english): string {
  switch (problem) {
    case 'wholeNumber':
      return tr('{0} needs a whole number of at least 1, not "{1}"', flag, raw);
    case 'fraction':
      return tr('{0} needs a number from 0 up to (not including) 1, not "{1}"', flag, raw);
    case 'positiveNumber':
      return tr('{0} needs a number greater than 0, not "{1}"', flag, raw);
    case 'optimizer':
      return tr('{0} must be one of {1}, not "{2}"', flag, OPTIMIZER_NAMES.join(', '), raw);
  }
}

/** The CLI flag of each override. */
export const OVERRIDE_FLAGS: Record<OverrideKey, string> = {
  epochs: '--epochs',
  batchSize: '--batch-size',
  learningRate: '--learning-rate',
  optimizer: '--optimizer',
  validationSplit: '--validation-split',
};

/**
 * Overrides given by a programmatic caller (a command's argument: tests, keybindings, other
 * extensions): each present key checked as if typed; `{ error }` names the first bad one.
 */
export function overridesFromUnknown(raw: unknown, tr: Translate = english): { overrides: RunOverrides } | { error: string } {
  if (raw === undefined || raw === null) return { overrides: {} };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { error: tr('overrides must be an object') };
  const o = raw as Record<string, unknown>;
  const out: RunOverrides = {};
  for (const key of OVERRIDE_KEYS) {
    const x = o[key];
    if (x === undefined) continue;
    const r = parseOverrideValue(key, String(x));
    if ('problem' in r || (key !== 'optimizer' && typeof x !== 'number')) return { error: overrideProblemText('problem' in r ? r.problem : 'positiveNumber', key, String(x), tr) };
    (out as Record<string, unknown>)[key] = r.value;
  }
  return { overrides: out };
}

/** Overrides as CLI flags, in OVERRIDE_KEYS order, for keys in `keys` (default all) that are set. */
export function overrideArgs(o: RunOverrides, keys: readonly OverrideKey[] = OVERRIDE_KEYS): string[] {
  const out: string[] = [];
  for (const k of keys) if (o[k] !== undefined) out.push(OVERRIDE_FLAGS[k], String(o[k]));
  return out;
}

/** Only the keys whose value differs from `base` (what Train with Changes records as changed). */
export function changedOverrides(next: RunOverrides, base: RunOverrides): RunOverrides {
  const out: RunOverrides = {};
  for (const k of OVERRIDE_KEYS) if (next[k] !== undefined && next[k] !== base[k]) (out as Record<string, unknown>)[k] = next[k];
  return out;
}

/** What run.json says about a run that Train with Changes needs (a RunRecord has it all). */
export interface RunSettings {
  config: { epochs: number; batchSize: number; validationSplit: number };
  optimizer?: { name: string; learningRate?: number };
  overrides?: RunOverrides;
}

/** What the run trained with, as the values Train with Changes starts from. */
export function runValues(record: RunSettings): RunOverrides {
  const c = record.config;
  const opt = record.optimizer?.name;
  return {
    epochs: c.epochs,
    batchSize: c.batchSize,
    validationSplit: c.validationSplit,
    ...((record.optimizer?.learningRate ?? record.overrides?.learningRate) !== undefined && {
      learningRate: record.optimizer?.learningRate ?? record.overrides?.learningRate,
    }),
    ...(opt && (OPTIMIZER_NAMES as readonly string[]).includes(opt) && { optimizer: opt as RunOverrides['optimizer'] }),
  };
}

/**
 * The overrides of the new run: the source run's own, with the values that now differ from what it
 * trained with on top (an unchanged value stays the file's to decide, as in the source run).
 */
export function nextOverrides(record: RunSettings, values: RunOverrides): RunOverrides {
  const changed = changedOverrides(values, runValues(record));
  // Another optimizer trains at the learning rate the user saw in the form, not at that optimizer's default.
  if (changed.optimizer !== undefined && values.learningRate !== undefined) changed.learningRate = values.learningRate;
  return { ...(record.overrides ?? {}), ...changed };
}

