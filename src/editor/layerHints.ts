/**
 * What the editor shows beside a model file's code, computed from `model-lab summary --json`: one
 * hint per source line that made layers (its output shape and parameter count), the details for a
 * hover, and a build error turned into a diagnostic's place and message. Pure: no `vscode`, so the
 * mapping is tested on real summaries in milliseconds; src/editor/layerHintsController.ts draws it.
 *
 * Lines and columns here are 1-based, as the CLI prints them; the adapter converts.
 */
import * as path from 'node:path';
import { formatCount, formatShape, formatShapeCompact } from '../protocol/format';
import type { LayerRow, ModelSummary } from '../protocol/modelSummary';
import { parseErrorLocation, type SummaryError } from './summaryRunner';

export interface LayerHint {
  /** 1-based line of the model file. */
  line: number;
  /** 1-based column from which hovering the line shows `hover` (the first layer call on it). */
  column: number;
  /** The after-line text, e.g. `→ [batch, 24, 24, 8] · 208 params`. */
  text: string;
  /** The same in few columns, for narrow editors: `→ 24×24×8 · 208` (the hover keeps the detail). */
  compactText: string;
  /** Markdown (tables, code spans; no HTML, no command links). */
  hover: string;
  /** The layers behind the hint, in the model's order. */
  layers: LayerRow[];
}

export interface ErrorDiagnostic {
  /** 1-based line of the model file the diagnostic goes on. */
  line: number;
  /** 1-based; undefined = the whole line. */
  column?: number;
  message: string;
  /** `error` when the model file does not build; `warning` when building it hung or crashed the child. */
  severity: 'error' | 'warning';
}

/** File names the editor always treats as model files (the Train button's rule). */
export const MODEL_FILE_NAME = /\.model\.(?:ts|js|mjs|cjs)$/;
/** Other files are model files when they export createModel; only these extensions are bundled. */
const SCRIPT_FILE_NAME = /\.(?:ts|js|mjs|cjs|mts|cts)$/;

export function isModelFileName(fileName: string): boolean {
  return MODEL_FILE_NAME.test(fileName);
}

const EXPORTS_CREATE_MODEL = [
  /\bexport\s+(?:default\s+)?(?:async\s+)?function\s*\*?\s*createModel\b/,
  /\bexport\s+(?:const|let|var)\s+createModel\b/,
  /\bexport\s*\{[^}]*\bcreateModel\b[^}]*\}/,
  /\b(?:module\.)?exports\.createModel\s*=/,
  /\bmodule\.exports\s*=\s*\{[^}]*\bcreateModel\b/,
];

/**
 * A cheap look at a script's text: could it be a model file (a file the CLI can summarize) even
 * though its name does not say so? It must import tfjs and export createModel. Comments are not
 * stripped: a false yes costs one summary run (the adapter shows errors only for .model files).
 */
export function mayBeModelFile(fileName: string, text: string): boolean {
  if (isModelFileName(fileName)) return true;
  if (!SCRIPT_FILE_NAME.test(fileName) || /\.d\.[cm]?ts$/.test(fileName)) return false;
  if (fileName.split(/[\\/]/).includes('node_modules')) return false;
  // `createModel` is a common name (ORMs have one): only a file that uses tfjs is a model file.
  return /['"]@tensorflow\/tfjs[\w-]*['"]/.test(text) && EXPORTS_CREATE_MODEL.some((re) => re.test(text));
}

const CREATE_MODEL_DEFINITION = [
  /\b(?:async\s+)?function\s*\*?\s*createModel\s*[(<]/,
  /\b(?:const|let|var)\s+createModel\s*[:=]/,
  /\bexports\.createModel\s*=/,
  /^\s*(?:async\s+)?createModel\s*\(/, // a method in `module.exports = { createModel() {…} }`
  /\bexport\s+default\s+(?:async\s+)?function\b/,
];

/** 1-based line where createModel (or a default-exported function) is defined, if the text shows one. */
export function findCreateModelLine(source: string): number | undefined {
  const lines = source.split(/\r?\n/);
  for (const re of CREATE_MODEL_DEFINITION) {
    const i = lines.findIndex((l) => re.test(l));
    if (i >= 0) return i + 1;
  }
  return undefined;
}

type Shape = (number | null)[];

/**
 * The words around the numbers, English by default; the adapter passes vscode.l10n.t's
 * translations. `{0}`, `{1}`, … are filled in order.
 */
export interface HintWords {
  params: string;
  param: string;
  /** Several layers on one line: `×{0} … last {1}` (count, shape of the last). */
  repeated: string;
  madeElsewhere: string;
  /** The model's total: `model: {0}` (a parameter count). */
  model: string;
  shared: string;
  hoverTitle: string;
  layerColumn: string;
  shapeColumn: string;
  paramsColumn: string;
  nonTrainable: string;
  madeAt: string;
  /** `Model {0} ({1}): {2}` (name, class, parameter count). */
  modelLine: string;
  unplacedTitle: string;
}

export const ENGLISH_HINT_WORDS: HintWords = {
  params: '{0} params',
  param: '{0} param',
  repeated: '×{0} … last {1}',
  madeElsewhere: '(made elsewhere)',
  model: 'model: {0}',
  shared: '(shared)',
  hoverTitle: 'built from the saved file',
  layerColumn: 'Layer (type)',
  shapeColumn: 'Output shape',
  paramsColumn: 'Params',
  nonTrainable: '{0} non-trainable',
  madeAt: 'made at {0}',
  modelLine: 'Model {0} ({1}): {2}',
  unplacedTitle: 'Layers without a line in this file:',
};

const fill = (template: string, ...args: (string | number)[]) => template.replace(/\{(\d+)\}/g, (m, i: string) => (args[Number(i)] !== undefined ? String(args[Number(i)]) : m));

/** `[batch, 24, 24, 8]`; a layer with several outputs: `[batch, 4] [batch, 1]`; one used at several nodes: `(shared)`. */
export function shapeText(s: LayerRow['outputShape'], words: HintWords = ENGLISH_HINT_WORDS): string {
  if (s.length === 0) return words.shared;
  return formatShape(s);
}

const thousands = formatCount;
const paramsText = (n: number, w: HintWords) => fill(n === 1 ? w.param : w.params, thousands(n));
const mdCell = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');
const sameFile = (a: string, b: string) => path.resolve(a) === path.resolve(b);

/** The after-line text for the layers made on one line. Zero parameters are left out: a pooling layer shows its shape only. */
export function hintText(layers: LayerRow[], w: HintWords = ENGLISH_HINT_WORDS): string {
  const params = layers.reduce((n, l) => n + l.params, 0);
  const tail = params > 0 ? ` · ${paramsText(params, w)}` : '';
  if (layers.length === 1) return `→ ${shapeText(layers[0].outputShape, w)}${tail}`;
  return `→ ${fill(w.repeated, layers.length, shapeText(layers[layers.length - 1].outputShape, w))}${tail}`;
}

/** A parameter count in at most ~5 characters: `208`, `32.9k`, `1.2M`. */
export function compactCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0).replace(/\.0$/, '')}k`;
  return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0).replace(/\.0$/, '')}M`;
}

const compactShape = (s: LayerRow['outputShape'], w: HintWords) => (s.length === 0 ? w.shared : formatShapeCompact(s));

/** hintText in few columns: `→ 24×24×8 · 208`; several layers on a line: `→ ×3 … 4×4×32 · 12.5k`. */
export function compactHintText(layers: LayerRow[], w: HintWords = ENGLISH_HINT_WORDS): string {
  const params = layers.reduce((n, l) => n + l.params, 0);
  const tail = params > 0 ? ` · ${compactCount(params)}` : '';
  const last = compactShape(layers[layers.length - 1].outputShape, w);
  return layers.length === 1 ? `→ ${last}${tail}` : `→ ×${layers.length} … ${last}${tail}`;
}

/** `modelLab.layerHints.style`. */
export type HintStyle = 'auto' | 'full' | 'compact';

/** What the adapter knows about the editor's width: VS Code tells no pixel width, so the column the user keeps lines within. */
export interface HintLayout {
  style: HintStyle;
  /** The column past which a hint counts as too long: the word-wrap column when wrapping is bounded, else the first ruler, else 80. */
  limitColumn: number;
  /** `editor.tabSize`, to count a tab's columns. */
  tabSize: number;
}

/** The columns a line takes on screen, tabs expanded. */
export function displayWidth(line: string, tabSize: number): number {
  let col = 0;
  for (const ch of line.trimEnd()) col = ch === '\t' ? col + tabSize - (col % tabSize) : col + 1;
  return col;
}

/** The decoration's left margin (2em) in columns, about. */
const HINT_MARGIN_COLUMNS = 2;

/**
 * Full or compact for a document's hints, one choice for all of them so the column of hints reads
 * alike: `auto` picks compact when any full hint would pass `limitColumn` after its line (where a
 * half-width editor, with the panel beside it, cuts it off or runs it under the minimap).
 * `lineText(line)` gives a 1-based line's text.
 */
export function useCompactHints(hints: readonly LayerHint[], lineText: (line: number) => string | undefined, layout: HintLayout): boolean {
  if (layout.style !== 'auto') return layout.style === 'compact';
  return hints.some((h) => {
    const text = lineText(h.line);
    return text !== undefined && displayWidth(text, layout.tabSize) + HINT_MARGIN_COLUMNS + h.text.length > layout.limitColumn;
  });
}

/**
 * The limit column from the editor's settings: a bounded word wrap's column, else the first ruler
 * (a number or `{ column }`), else 80.
 */
export function hintLimitColumn(wordWrap: string | undefined, wordWrapColumn: number | undefined, rulers: unknown): number {
  if ((wordWrap === 'wordWrapColumn' || wordWrap === 'bounded') && typeof wordWrapColumn === 'number' && wordWrapColumn > 0) return wordWrapColumn;
  const first = Array.isArray(rulers) ? rulers[0] : undefined;
  const ruler = typeof first === 'number' ? first : typeof first === 'object' && first !== null && typeof (first as { column?: unknown }).column === 'number' ? (first as { column: number }).column : undefined;
  return ruler !== undefined && ruler > 0 ? ruler : 80;
}

function layerTable(layers: LayerRow[], file: string, w: HintWords): string[] {
  const rows = layers.map((l) => {
    const params = l.nonTrainableParams > 0 ? `${thousands(l.params)} (${fill(w.nonTrainable, thousands(l.nonTrainableParams))})` : thousands(l.params);
    const where = l.location && !sameFile(l.location.file, file) ? ` · ${fill(w.madeAt, `${path.basename(l.location.file)}:${l.location.line}`)}` : '';
    return `| ${mdCell(l.name)} (${mdCell(l.className)})${mdCell(where)} | \`${mdCell(shapeText(l.outputShape, w))}\` | ${params} |`;
  });
  return [`| ${mdCell(w.layerColumn)} | ${mdCell(w.shapeColumn)} | ${mdCell(w.paramsColumn)} |`, '|---|---|--:|', ...rows];
}

function modelLine(s: ModelSummary, w: HintWords): string {
  const nonTrainable = s.nonTrainableParams > 0 ? ` (${fill(w.nonTrainable, thousands(s.nonTrainableParams))})` : '';
  const io = (xs: { shape: Shape }[]) => xs.map((x) => `\`${shapeText(x.shape, w)}\``).join(', ');
  const ioText = s.inputs?.length && s.outputs?.length ? ` · ${io(s.inputs)} → ${io(s.outputs)}` : '';
  return `${fill(w.modelLine, `\`${mdCell(s.modelName)}\``, mdCell(s.modelClass), paramsText(s.totalParams, w))}${nonTrainable}${ioText}`;
}

export interface LayerHintsOptions {
  /** The model file's text as summarized, to find createModel's line for layers made elsewhere. */
  source?: string;
  /** The file the hints are for; default the summary's. */
  file?: string;
  words?: HintWords;
}

/**
 * One hint per line that made layers, in line order. Layers made in a loop (or several on one line)
 * share a hint. Layers with no source line in this file (made by a helper in another file, or not
 * through tf.layers.*) go to createModel's line, which also carries the model's total when no layer
 * was made there.
 */
export function layerHints(summary: ModelSummary, opts: LayerHintsOptions = {}): LayerHint[] {
  const file = opts.file ?? summary.file;
  const w = opts.words ?? ENGLISH_HINT_WORDS;
  const createModelLine = (opts.source !== undefined ? findCreateModelLine(opts.source) : undefined) ?? 1;
  const byLine = new Map<number, { layers: LayerRow[]; column: number }>();
  const unplaced: LayerRow[] = [];
  for (const layer of summary.layers) {
    const loc = layer.location;
    if (!loc || !sameFile(loc.file, file) || loc.line < 1) {
      unplaced.push(layer);
      continue;
    }
    const group = byLine.get(loc.line) ?? { layers: [], column: loc.column };
    group.layers.push(layer);
    group.column = Math.min(group.column, loc.column);
    byLine.set(loc.line, group);
  }
  const title = `**Model Lab** · ${w.hoverTitle}`;
  const hints: LayerHint[] = [];
  for (const [line, group] of byLine) {
    const layers = line === createModelLine ? [...group.layers, ...unplaced] : group.layers;
    const hover = [title, '', ...layerTable(layers, file, w)];
    if (line === createModelLine) hover.push('', modelLine(summary, w));
    hints.push({ line, column: Math.max(1, group.column), text: hintText(layers, w), compactText: compactHintText(layers, w), hover: hover.join('\n'), layers });
  }
  // A model that failed part way has no total worth showing; its error goes on the failing line.
  if (!byLine.has(createModelLine) && (!summary.buildError || unplaced.length > 0)) {
    const total = fill(w.model, paramsText(summary.totalParams, w));
    const text = unplaced.length > 0 ? `${hintText(unplaced, w)} ${w.madeElsewhere} · ${total}` : `→ ${total}`;
    const compactText = unplaced.length > 0 ? `${compactHintText(unplaced, w)} · Σ ${compactCount(summary.totalParams)}` : `→ Σ ${compactCount(summary.totalParams)}`;
    const hover = [title, '', modelLine(summary, w)];
    if (unplaced.length > 0) hover.push('', w.unplacedTitle, '', ...layerTable(unplaced, file, w));
    hints.push({ line: createModelLine, column: 1, text, compactText, hover: hover.join('\n'), layers: unplaced });
  }
  return hints.sort((a, b) => a.line - b.line);
}

/**
 * Where and how a failed summary is shown in the model file. Build errors in the file go on their
 * own line; errors in a file it imports, and errors without a line, go on createModel's line (the
 * message names the other file). A hang or a crash of the summary child is a warning there. Our
 * own failures (no Node, unreadable output) are not the file's fault: undefined, log them instead.
 */
export function errorDiagnostic(error: SummaryError, modelFile: string, source?: string): ErrorDiagnostic | undefined {
  if (error.reason === 'spawn' || error.reason === 'output' || error.reason === 'read') return undefined;
  const fallbackLine = (source !== undefined ? findCreateModelLine(source) : undefined) ?? 1;
  if (error.reason !== 'build') return { line: fallbackLine, message: error.message, severity: 'warning' };
  if (error.line !== undefined && error.line >= 1 && (error.file === undefined || sameFile(error.file, modelFile))) {
    return { line: error.line, column: error.column, message: error.message, severity: 'error' };
  }
  const where = error.file && !sameFile(error.file, modelFile) ? ` (${path.basename(error.file)}${error.line ? `:${error.line}${error.column ? `:${error.column}` : ''}` : ''})` : '';
  return { line: fallbackLine, message: `${error.message}${where}`, severity: 'error' };
}

/**
 * The build error a partial summary carries (createModel() threw after some layers built), as the
 * SummaryError a failed summary gives, so both reach the editor the same way.
 */
export function partialBuildError(summary: ModelSummary): SummaryError | undefined {
  const e = summary.buildError;
  if (!e) return undefined;
  const parsed = parseErrorLocation(e.message, summary.file);
  return { ...parsed, file: e.file ?? parsed.file, line: e.line ?? parsed.line, column: e.column ?? parsed.column };
}

/** The after-line text on the line that failed: why, in a few words (`maxChars` cuts it, the diagnostic has all). */
export function failureText(message: string, maxChars = 120): string {
  const one = message.replace(/\s+/g, ' ').trim();
  return `✗ ${one.length > maxChars ? `${one.slice(0, maxChars - 1)}…` : one}`;
}

/** One edit, in the lines of the text before it (1-based, inclusive), and how many line breaks it inserted. */
export interface LineEdit {
  startLine: number;
  /** 1-based column where the edit starts on startLine. */
  startColumn: number;
  endLine: number;
  insertedLineBreaks: number;
}

/**
 * Moves hints with edits made after the summary, so a hint stays beside its code until the next
 * save brings a fresh summary. Hints on lines an edit removed are dropped. Edits are in the
 * coordinates of the text before them all (as VS Code reports one change event's edits).
 */
export function shiftHints(hints: readonly LayerHint[], edits: readonly LineEdit[]): LayerHint[] {
  let out = [...hints];
  for (const e of [...edits].sort((a, b) => b.startLine - a.startLine)) {
    const delta = e.insertedLineBreaks - (e.endLine - e.startLine);
    if (delta === 0 && e.endLine === e.startLine) continue;
    out = out.flatMap((h) => {
      // A line break typed in front of the layer call on the hint's own line carries the call down.
      if (h.line === e.startLine && e.endLine === e.startLine && e.startColumn <= h.column) return [{ ...h, line: h.line + delta, column: 1 }];
      if (h.line <= e.startLine) return [h];
      if (h.line <= e.endLine) return [];
      return [{ ...h, line: h.line + delta }];
    });
  }
  return out;
}
