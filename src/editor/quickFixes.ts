/**
 * The model-file problems with an obvious fix, found from a summary and the file's text: a dense
 * layer fed a 4-D feature map (add `flatten()` before it), a model whose input does not take the
 * shape of its built-in dataset (set `inputShape` to it), and a kernel or pool window larger than
 * its feature map (shrink it). Each problem is a diagnostic's line, words and data; each fix is a
 * text edit in the same 1-based lines. Pure: no `vscode`; src/editor/quickFixProvider.ts offers them.
 */
import { callArithmetic, findLayerCall, SPATIAL } from '../protocol/layerCall';
import { formatShape } from '../protocol/format';
import type { ModelSummary } from '../protocol/modelSummary';

export type FixKind = 'add-flatten' | 'set-input-shape' | 'shrink-window';

/** Replace columns [startColumn, endColumn) of `line` (1-based) with `newText`; equal columns insert. */
export interface LineTextEdit {
  line: number;
  startColumn: number;
  endColumn: number;
  newText: string;
}

export interface ModelFix {
  kind: FixKind;
  /** The 1-based line of the diagnostic the fix belongs to. */
  line: number;
  title: string;
  edit: LineTextEdit;
}

/** A problem the summary shows that a build does not report (the model builds, training would fail or learn nothing). */
export interface ModelProblem {
  kind: Exclude<FixKind, 'shrink-window'>;
  line: number;
  message: string;
  fix?: ModelFix;
}

/** The words, English by default; the adapter passes vscode.l10n.t's. `{0}`, `{1}`, … are filled in order. */
export interface FixWords {
  /** line, input shape, positions, output shape */
  denseFed4d: string;
  addFlatten: string;
  /** input shape, dataset, dataset shape */
  inputMismatch: string;
  /** shape, dataset */
  setInputShape: string;
  /** argument, value, feature map */
  shrinkWindow: string;
}

export const ENGLISH_FIX_WORDS: FixWords = {
  denseFed4d: 'dense on line {0} gets a {1} feature map and works on each of its {2} positions apart (output {3}): a classifier needs tf.layers.flatten() before it',
  addFlatten: 'Add tf.layers.flatten() before this dense layer',
  inputMismatch: "The model takes {0} but its dataset '{1}' gives {2}: training would stop at the first batch",
  setInputShape: "Set the input shape to {0} (the shape of '{1}')",
  shrinkWindow: 'Use {0}: {1} (the largest that fits the {2} feature map)',
};

const fill = (t: string, ...a: (string | number)[]) => t.replace(/\{(\d+)\}/g, (m, i: string) => (a[Number(i)] !== undefined ? String(a[Number(i)]) : m));

/**
 * The sample shape (no batch axis) of the built-in datasets known without loading them: a model
 * file naming one of these in `config.dataset` must take this shape. (test/unit/quickFixes.test.ts
 * checks the table against the real loaders.)
 */
export const BUILTIN_SAMPLE_SHAPES: Readonly<Record<string, readonly number[]>> = {
  mnist: [28, 28, 1],
  'mnist-full': [28, 28, 1],
  'fashion-mnist': [28, 28, 1],
  'mnist-autoencoder': [28, 28, 1],
  'mnist-denoising': [28, 28, 1],
  iris: [4],
  spiral: [2],
  blobs: [2],
  xor: [2],
  sine: [1],
};

type Shape = readonly (number | null)[];
const isSingle = (s: Shape | readonly Shape[]): s is Shape => s.length > 0 && !Array.isArray(s[0]);
const lineAt = (lines: readonly string[], line: number) => lines[line - 1] ?? '';

/** Problems in a model that built (or built in part): dense layers fed 4-D maps, an input the dataset does not fit. */
export function findModelProblems(summary: ModelSummary, source: string, w: FixWords = ENGLISH_FIX_WORDS): ModelProblem[] {
  const lines = source.split(/\r?\n/);
  const problems: ModelProblem[] = [];
  const last = summary.layers.at(-1)?.outputShape;
  // Only when nothing later collapses the positions: a dense layer on a sequence ([batch, steps, features]) is normal.
  const endsSpatial = summary.outputs[0] ? summary.outputs[0].shape.length >= 3 : last !== undefined && isSingle(last) && last.length >= 3;
  for (let i = 0; i < summary.layers.length && endsSpatial; i++) {
    const layer = summary.layers[i];
    // The first layer's input is the model's (a Sequential's input layer is not in its layers).
    const input = i === 0 ? summary.inputs[0]?.shape : summary.layers[i - 1].outputShape;
    if (layer.className !== 'Dense' || !layer.location || !input || !isSingle(input) || input.length < 4 || !isSingle(layer.outputShape)) continue;
    const line = layer.location.line;
    const positions = input.slice(1, -1).map((d) => (d === null ? '?' : String(d))).join('×');
    const problem: ModelProblem = { kind: 'add-flatten', line, message: fill(w.denseFed4d, line, formatShape(input), positions, formatShape(layer.outputShape)) };
    // Not before the first layer: its inputShape would then belong to the flatten (the message says what to do).
    const edit = i === 0 ? undefined : insertFlattenBefore(lineAt(lines, line), line);
    if (edit) problem.fix = { kind: 'add-flatten', line, title: w.addFlatten, edit };
    problems.push(problem);
    break; // the first one; its fix changes every shape after it
  }
  const mismatch = inputShapeProblem(summary, lines, w);
  if (mismatch) problems.push(mismatch);
  return problems;
}

/** The line to insert before a dense layer's line: `model.add(tf.layers.flatten());` or `tf.layers.flatten(),` in a layers array. */
export function insertFlattenBefore(lineText: string, line: number): LineTextEdit | undefined {
  const add = /^(\s*)([A-Za-z_$][\w$]*)\.add\(\s*(?:tf\.)?layers\.dense\(/.exec(lineText);
  const element = /^(\s*)(?:tf\.)?layers\.dense\(/.exec(lineText);
  const text = add ? `${add[1]}${add[2]}.add(tf.layers.flatten());\n` : element ? `${element[1]}tf.layers.flatten(),\n` : undefined;
  return text === undefined ? undefined : { line, startColumn: 1, endColumn: 1, newText: text };
}

function fits(model: Shape, data: readonly number[]): boolean {
  return model.length === data.length && model.every((d, i) => d === null || d === data[i]);
}

function inputShapeProblem(summary: ModelSummary, lines: readonly string[], w: FixWords): ModelProblem | undefined {
  const dataset = summary.dataset;
  const want = dataset !== undefined ? BUILTIN_SAMPLE_SHAPES[dataset] : undefined;
  const input = summary.inputs.length === 1 ? summary.inputs[0].shape.slice(1) : undefined;
  if (!want || !input || fits(input, want)) return undefined;
  // The line that declares the input: the first layer made in this file (its inputShape, or tf.input's shape).
  const first = summary.layers.find((l) => l.location && l.location.file === summary.file);
  if (!first?.location) return undefined;
  const line = first.location.line;
  const problem: ModelProblem = { kind: 'set-input-shape', line, message: fill(w.inputMismatch, formatShape([null, ...input]), dataset!, formatShape([null, ...want], 'N')) };
  const m = /\b(inputShape|shape)(\s*:\s*)\[[^\]]*\]/.exec(lineAt(lines, line));
  if (m) {
    const start = m.index + m[1].length + m[2].length;
    const end = m.index + m[0].length;
    problem.fix = { kind: 'set-input-shape', line, title: fill(w.setInputShape, `[${want.join(', ')}]`, dataset!), edit: { line, startColumn: start + 1, endColumn: end + 1, newText: `[${want.join(', ')}]` } };
  }
  return problem;
}

/** 1-based line → offset of its start in `source`. */
function lineStart(source: string, line: number): number | undefined {
  let at = 0;
  for (let i = 1; i < line; i++) {
    const nl = source.indexOf('\n', at);
    if (nl < 0) return undefined;
    at = nl + 1;
  }
  return at;
}

/**
 * For a build error on `line` whose layer call's kernel or pool window is larger than its input
 * (`inputNoBatch`, the shape the layer before makes), the edit that makes the window the largest that fits.
 */
export function shrinkWindowFix(source: string, line: number, inputNoBatch: Shape, w: FixWords = ENGLISH_FIX_WORDS): ModelFix | undefined {
  const start = lineStart(source, line);
  if (start === undefined) return undefined;
  const end = source.indexOf('\n', start);
  const text = source.slice(start, end < 0 ? undefined : end);
  const m = /layers\s*\.\s*[A-Za-z]/.exec(text);
  if (!m) return undefined;
  const call = findLayerCall(source, start + m.index + m[0].length);
  const spatial = call && SPATIAL[call.factory];
  if (!call || !spatial || spatial.kind === 'transposed') return undefined;
  const r = callArithmetic(call, inputNoBatch);
  if (!r.tooSmall) return undefined;
  const arg = spatial.kind === 'pool' ? 'poolSize' : 'kernelSize';
  const dilation = typeof call.args.dilationRate === 'number' ? call.args.dilationRate : 1;
  // The window's reach is k + (k − 1)(d − 1); the largest k with that ≤ the input.
  const sizes = inputNoBatch.slice(0, spatial.axes).map((d) => (d === null ? Infinity : Math.max(1, Math.floor((d - 1) / dilation) + 1)));
  const callText = source.slice(call.start, call.end);
  const a = new RegExp(`\\b${arg}(\\s*:\\s*)(\\[[^\\]]*\\]|\\d+)`).exec(callText);
  if (!a) return undefined;
  const value = /^\[/.test(a[2]) ? `[${sizes.map((s, i) => Math.min(s, nthNumber(a[2], i) ?? s)).join(', ')}]` : String(Math.min(...sizes));
  const valueStart = call.start + a.index + arg.length + a[1].length;
  // The argument may sit on a later line of a call written over several lines.
  const before = source.slice(start, valueStart);
  const argLine = line + (before.match(/\n/g) ?? []).length;
  const col = valueStart - (before.lastIndexOf('\n') >= 0 ? start + before.lastIndexOf('\n') + 1 : start) + 1;
  const map = spatial.axes === 1 ? String(inputNoBatch[0]) : inputNoBatch.slice(0, -1).join('×');
  return { kind: 'shrink-window', line, title: fill(w.shrinkWindow, arg, value, map), edit: { line: argLine, startColumn: col, endColumn: col + a[2].length, newText: value } };
}

function nthNumber(list: string, i: number): number | undefined {
  const n = list.slice(1, -1).split(',')[i];
  return n === undefined || n.trim() === '' ? undefined : Number(n);
}

/** Applies edits (in the lines of `source` before them all) to the text, as the editor would: for tests and previews. */
export function applyLineEdits(source: string, edits: readonly LineTextEdit[]): string {
  const lines = source.split('\n');
  for (const e of [...edits].sort((a, b) => b.line - a.line || b.startColumn - a.startColumn)) {
    const l = lines[e.line - 1] ?? '';
    lines[e.line - 1] = l.slice(0, e.startColumn - 1) + e.newText + l.slice(e.endColumn - 1);
  }
  return lines.join('\n');
}
