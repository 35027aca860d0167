/**
 * Small helpers every template uses to write its file: the same structure for TypeScript and
 * JavaScript, with types in TS and JSDoc in JS (so `checkJs` users still get checked code).
 */
import { formatSampleShape } from '../protocol/format';
import type { ParamSpec, Params } from './params';

export type Language = 'ts' | 'js';

/**
 * Puts a template's words in the user's language: the same contract as `vscode.l10n.t` (English
 * message as the key, `{0}` placeholders), which the New Model adapter passes; scaffold code stays
 * free of `vscode`. Every literal given to `tr(…)` here is checked against the zh-CN bundle.
 */
export type Translate = (message: string, ...args: (string | number | boolean)[]) => string;

/** The English text with its placeholders filled: what a template writes without a translator. */
export const english: Translate = (message, ...args) =>
  message.replace(/\{(\d+)\}/g, (m, n: string) => (Number(n) < args.length ? String(args[Number(n)]) : m));

export interface RenderOptions {
  language: Language;
  /** Default: English. */
  translate?: Translate;
}

export interface ModelTemplate {
  id: string;
  /** Shown in the wizard's template list. */
  label: string;
  /** One line under the label. */
  detail: string;
  params: readonly ParamSpec[];
  /** Asked one by one in the wizard; the others keep their defaults. */
  keyParams: readonly string[];
  /** The dataset the rendered config names for these parameters. */
  dataset(p: Params): string;
  /**
   * Reasons these (range-checked) parameters cannot make a model, found by computing each layer's
   * output shape; [] when they can.
   */
  check(p: Params, tr: Translate): string[];
  /** The file text; only called when check() returned []. */
  render(p: Params, language: Language, tr: Translate): string;
}

/** A shape literal for the code (`inputShape: [28, 28, 1]`); comments show shapes with formatSampleShape. */
export function fmtShape(dims: readonly number[]): string {
  return `[${dims.join(', ')}]`;
}

/** A JS number literal that reads well (0.001, not 1e-3; 0.25, not 0.25000000000000006). */
export function fmtNum(n: number): string {
  const s = String(Number(n.toPrecision(12)));
  return s.includes('e-') ? n.toFixed(12).replace(/0+$/, '') : s;
}

/** `: Type` in TypeScript, nothing in JavaScript. */
export function ann(lang: Language, type: string): string {
  return lang === 'ts' ? `: ${type}` : '';
}

/** A cast: `expr as T` in TypeScript, a JSDoc type cast in JavaScript. */
export function cast(lang: Language, expr: string, type: string): string {
  return lang === 'ts' ? `${expr} as ${type}` : `/** @type {${type}} */ (${expr})`;
}

export interface ConfigSpec {
  dataset: string;
  datasetNote: string;
  epochs: number;
  batchSize: number;
  validationSplit: number;
  validationNote?: string;
}

export function configBlock(c: ConfigSpec, tr: Translate = english): string[] {
  return [
    `/** ${tr('How Model Lab trains this model. Anything here can be overridden from the CLI (--epochs, --batch-size).')} */`,
    'export const config = {',
    `  dataset: '${c.dataset}', // ${c.datasetNote}`,
    `  epochs: ${c.epochs},`,
    `  batchSize: ${c.batchSize},`,
    `  validationSplit: ${fmtNum(c.validationSplit)},${c.validationNote ? ` // ${c.validationNote}` : ''}`,
    '};',
  ];
}

/** The top of every file: what it is, how to train it, the import. */
export function fileHeader(title: string, lines: readonly string[], tr: Translate = english): string[] {
  return [
    `// ${title}`,
    ...lines.map((l) => (l === '' ? '//' : `// ${l}`)),
    `// ${tr('Train it with "Model Lab: Train Model" (or the ▶ button in the editor title).')}`,
    "import * as tf from '@tensorflow/tfjs';",
    '',
  ];
}

/** `export function createModel()` with its return type in either language. */
export function createModelSignature(lang: Language): string[] {
  return lang === 'ts'
    ? ['export function createModel(): tf.LayersModel {']
    : ['/** @returns {tf.LayersModel} */', 'export function createModel() {'];
}

/** One layer of a sequential model: the comment above it says what it does and the shape it makes. */
export interface SeqStep {
  /** The layer expression, e.g. `tf.layers.flatten()`. */
  layer: string;
  /** Output shape without the batch dimension. */
  shape: readonly number[];
  /** Why the layer is there. */
  note: string;
}

export function sequentialBody(steps: readonly SeqStep[], compile: string): string[] {
  const out = ['  const model = tf.sequential();'];
  for (const s of steps) {
    out.push(`  // -> ${formatSampleShape(s.shape)}: ${s.note}`);
    out.push(`  model.add(${s.layer});`);
  }
  out.push(`  ${compile}`, '  return model;', '}');
  return out;
}

/** Object literal for layer options, skipping undefined values. */
export function opts(o: Record<string, string | number | boolean | undefined>): string {
  const parts = Object.entries(o)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : typeof v === 'number' ? fmtNum(v) : String(v)}`);
  return `{ ${parts.join(', ')} }`;
}

/** A string literal for `opts`. */
export const q = (s: string): string => `'${s}'`;

export function joinLines(lines: readonly string[]): string {
  return lines.join('\n').replace(/\n{3,}/g, '\n\n') + '\n';
}
