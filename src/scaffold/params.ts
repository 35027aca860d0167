/**
 * Template parameters: what each one is, its default and its allowed range. The wizard builds its
 * inputs from these specs, and validateParams checks values against them before any template sees
 * them, so templates can trust types and ranges and only check what depends on several parameters.
 */

export type ParamValue = number | boolean | string | number[];
export type Params = Record<string, ParamValue>;

interface BaseSpec {
  key: string;
  label: string;
  /** One line for the wizard's prompt. */
  description: string;
}

export interface IntSpec extends BaseSpec {
  kind: 'int';
  default: number;
  min: number;
  max: number;
}

export interface NumberSpec extends BaseSpec {
  kind: 'number';
  default: number;
  min: number;
  max: number;
  /** True when `max` itself is not allowed (dropout 1 would drop everything). */
  maxExclusive?: boolean;
}

export interface BooleanSpec extends BaseSpec {
  kind: 'boolean';
  default: boolean;
}

export interface ChoiceSpec extends BaseSpec {
  kind: 'choice';
  default: string;
  options: readonly string[];
}

/** A fixed-length list of whole numbers, e.g. an image shape [height, width, channels]. */
export interface ShapeSpec extends BaseSpec {
  kind: 'shape';
  default: readonly number[];
  length: number;
  min: number;
  max: number;
}

export type ParamSpec = IntSpec | NumberSpec | BooleanSpec | ChoiceSpec | ShapeSpec;

import { english, type Translate } from './code';

/** The parameters every template shares: how long and how fast it trains. */
export function trainingParams(defaults: { epochs: number; batchSize: number; learningRate: number }): ParamSpec[] {
  return [
    { kind: 'int', key: 'epochs', label: 'Epochs', description: 'Passes over the training data', default: defaults.epochs, min: 1, max: 10_000 },
    { kind: 'int', key: 'batchSize', label: 'Batch size', description: 'Samples per gradient step', default: defaults.batchSize, min: 1, max: 65_536 },
    {
      kind: 'number',
      key: 'learningRate',
      label: 'Learning rate',
      description: 'Step size of the Adam optimizer',
      default: defaults.learningRate,
      min: 1e-6,
      max: 1,
    },
  ];
}

/** The defaults of every spec. Arrays are copied so callers may change them. */
export function defaultsOf(specs: readonly ParamSpec[]): Params {
  const out: Params = {};
  for (const s of specs) out[s.key] = Array.isArray(s.default) ? [...s.default] : (s.default as ParamValue);
  return out;
}

/** One reason per value that does not fit its spec; unknown keys are refused so typos are not silently ignored. */
export function checkAgainstSpecs(specs: readonly ParamSpec[], params: Params, tr: Translate = english): string[] {
  const errors: string[] = [];
  const known = new Set(specs.map((s) => s.key));
  for (const key of Object.keys(params)) if (!known.has(key)) errors.push(tr('Unknown parameter "{0}" (known: {1})', key, [...known].join(', ')));
  for (const s of specs) {
    const v = params[s.key];
    const name = `${tr(s.label)} (${s.key})`;
    switch (s.kind) {
      case 'int':
        if (typeof v !== 'number' || !Number.isInteger(v)) errors.push(tr('{0} must be a whole number (got {1})', name, JSON.stringify(v)));
        else if (v < s.min || v > s.max) errors.push(tr('{0} must be from {1} to {2} (got {3})', name, s.min, s.max, v));
        break;
      case 'number':
        if (typeof v !== 'number' || !Number.isFinite(v)) errors.push(tr('{0} must be a number (got {1})', name, JSON.stringify(v)));
        else if (v < s.min || v > s.max || (s.maxExclusive && v === s.max))
          errors.push(s.maxExclusive ? tr('{0} must be from {1} up to (not including) {2} (got {3})', name, s.min, s.max, v) : tr('{0} must be from {1} to {2} (got {3})', name, s.min, s.max, v));
        break;
      case 'boolean':
        if (typeof v !== 'boolean') errors.push(tr('{0} must be true or false (got {1})', name, JSON.stringify(v)));
        break;
      case 'choice':
        if (typeof v !== 'string' || !s.options.includes(v)) errors.push(tr('{0} must be one of {1} (got {2})', name, s.options.join(', '), JSON.stringify(v)));
        break;
      case 'shape':
        if (!Array.isArray(v) || v.length !== s.length || !v.every((d) => typeof d === 'number' && Number.isInteger(d)))
          errors.push(tr('{0} must be {1} whole numbers (got {2})', name, s.length, JSON.stringify(v)));
        else if (v.some((d) => d < s.min || d > s.max)) errors.push(tr('{0}: each size must be from {1} to {2} (got [{3}])', name, s.min, s.max, v.join(', ')));
        break;
    }
  }
  return errors;
}

/** Typed readers for templates, called only after checkAgainstSpecs passed. */
export const num = (p: Params, key: string): number => p[key] as number;
export const bool = (p: Params, key: string): boolean => p[key] as boolean;
export const str = (p: Params, key: string): string => p[key] as string;
export const shape = (p: Params, key: string): number[] => p[key] as number[];
