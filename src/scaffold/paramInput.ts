/**
 * What the wizard's input boxes accept, as pure functions: the text a user types for one parameter
 * -> a value or the reason it is refused (checked against the same spec validateParams uses).
 */
import { english, type Translate } from './code';
import { checkAgainstSpecs, type ParamSpec, type ParamValue } from './params';

export type ParsedInput = { value: ParamValue; error?: undefined } | { value?: undefined; error: string };

/** Parses one parameter typed as text: numbers, "yes/no/true/false", a choice, or "28, 28, 1" for a shape. */
export function parseParamInput(spec: ParamSpec, text: string, tr: Translate = english): ParsedInput {
  const t = text.trim();
  let value: ParamValue;
  switch (spec.kind) {
    case 'int':
    case 'number':
      if (t === '' || !Number.isFinite(Number(t))) return { error: tr('{0}: enter a number', tr(spec.label)) };
      value = Number(t);
      break;
    case 'boolean':
      if (/^(y|yes|true|on|1)$/i.test(t)) value = true;
      else if (/^(n|no|false|off|0)$/i.test(t)) value = false;
      else return { error: tr('{0}: enter yes or no', tr(spec.label)) };
      break;
    case 'choice':
      value = t;
      break;
    case 'shape': {
      const parts = t.split(/[\s,x×]+/).filter((s) => s !== '');
      if (parts.some((p) => !/^\d+$/.test(p))) return { error: tr('{0}: enter {1} whole numbers, e.g. {2}', tr(spec.label), spec.length, spec.default.join(', ')) };
      value = parts.map(Number);
      break;
    }
  }
  const errors = checkAgainstSpecs([spec], { [spec.key]: value }, tr);
  return errors.length ? { error: errors[0] } : { value };
}

/** How a value is shown back in an input box (the inverse of parseParamInput). */
export function formatParamValue(value: ParamValue): string {
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}
