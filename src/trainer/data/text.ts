/**
 * Text for sequence models: a vocabulary (characters or words, capped, with <pad> and <unk>) and
 * either sliding windows with next-token targets (generation) or labelled documents padded to a
 * fixed length (classification, from a folder per class or a CSV text+label pair of columns).
 * Tokens become integer ids because Embedding layers take ids; the vocabulary is returned so it can
 * be stored with the run and used to decode generated ids back to text.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError, readInMemoryTextFile } from './dataError';
import { findColumn, readCsvTable } from './csv';
import type { ColumnRef } from './csvSchema';
import { ArrayData, DEFAULT_SEED, oneHot, permutation } from './split';
import { decodeUtf8 } from './utf8';
import { msg } from '../messages';

export type TokenLevel = 'char' | 'word';
export const PAD = '<pad>';
export const UNK = '<unk>';
/** Ids 0 and 1 are the same in every vocabulary, so padding and unknowns need no lookup. */
export const PAD_ID = 0;
export const UNK_ID = 1;

export interface Vocabulary {
  level: TokenLevel;
  lowercase: boolean;
  /** tokens[id]; tokens[0] = <pad>, tokens[1] = <unk>. */
  tokens: string[];
}

export interface TokenizeOptions {
  level?: TokenLevel;
  /** Default true for words (so "The" and "the" share an id), false for characters. */
  lowercase?: boolean;
}

/** Words and single punctuation marks; whitespace separates and is dropped. */
const WORD_RE = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]/gu;

export function tokenize(text: string, opts: TokenizeOptions = {}): string[] {
  const level = opts.level ?? 'char';
  const lower = opts.lowercase ?? level === 'word';
  const t = lower ? text.toLowerCase() : text;
  // Array.from splits by code point, so an emoji is one token, not two surrogate halves.
  return level === 'char' ? Array.from(t.replace(/\r\n/g, '\n')) : t.match(WORD_RE) ?? [];
}

/**
 * The `maxSize - 2` most frequent tokens (ties by code point order, so the ids are the same on
 * every machine) after <pad> and <unk>.
 */
export function buildVocabulary(tokenLists: Iterable<string[]>, opts: TokenizeOptions & { maxSize?: number } = {}): Vocabulary {
  const maxSize = opts.maxSize ?? 10000;
  if (!Number.isInteger(maxSize) || maxSize < 3) throw new RangeError(msg('text.wholeNumber', 'maxVocab', 3, maxSize));
  const freq = new Map<string, number>();
  for (const list of tokenLists) for (const t of list) freq.set(t, (freq.get(t) ?? 0) + 1);
  const ranked = [...freq].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, maxSize - 2);
  const level = opts.level ?? 'char';
  return { level, lowercase: opts.lowercase ?? level === 'word', tokens: [PAD, UNK, ...ranked.map(([t]) => t)] };
}

export function encodeTokens(tokens: string[], vocab: Vocabulary): Int32Array {
  const index = new Map(vocab.tokens.map((t, i) => [t, i]));
  return Int32Array.from(tokens, (t) => index.get(t) ?? UNK_ID);
}

/** Ids back to text (characters joined as they are, words with spaces). */
export function decodeIds(ids: ArrayLike<number>, vocab: Vocabulary): string {
  const parts: string[] = [];
  for (let i = 0; i < ids.length; i++) if (ids[i] !== PAD_ID) parts.push(vocab.tokens[ids[i]] ?? UNK);
  return parts.join(vocab.level === 'char' ? '' : ' ');
}

const TEXT_ADVICE = 'The text loader holds the whole corpus in memory: use a smaller file (its first part is a fair sample), or set MODEL_LAB_MAX_IN_MEMORY_MB to allow more';

export function readTextFile(file: string): string {
  return decodeUtf8(readInMemoryTextFile(file, 'a text file read into memory', TEXT_ADVICE), file, { tooLongAdvice: TEXT_ADVICE });
}

export interface TextData extends ArrayData {
  kind: 'sequence' | 'classification';
  vocab: Vocabulary;
  classNames?: string[];
  /** Class index per sample (classification). */
  labels?: Int32Array;
  /** A few decoded samples for a preview. */
  samples: string[];
  description: string;
}

export interface TextWindowOptions extends TokenizeOptions {
  /** Tokens of context per sample (default 40 characters or 10 words). */
  window?: number;
  /** Tokens between window starts (default 1). */
  step?: number;
  maxVocab?: number;
  /** 'onehot' (default, for categoricalCrossentropy) or 'index' ([N, 1] ids, for sparseCategoricalCrossentropy). */
  targets?: 'onehot' | 'index';
  /** Keep this many windows (after shuffling). */
  limit?: number;
  /** Shuffle windows (default true: tfjs' validationSplit takes the last samples, i.e. the end of the text). */
  shuffle?: boolean;
  seed?: number;
}

/** Windows of `window` token ids → the id that follows each; xs [N, window], ys [N, V] or [N, 1]. */
export function textWindows(text: string, file: string, opts: TextWindowOptions = {}): TextData {
  const level = opts.level ?? 'char';
  const window = opts.window ?? (level === 'char' ? 40 : 10);
  const step = opts.step ?? 1;
  if (!Number.isInteger(window) || window < 1) throw new RangeError(msg('text.wholeNumber', 'window', 1, window));
  if (!Number.isInteger(step) || step < 1) throw new RangeError(msg('text.wholeNumber', 'step', 1, step));
  const tokens = tokenize(text, opts);
  if (tokens.length <= window) throw new DataError(msg(level === 'char' ? 'text.tooShort' : 'text.tooShortWords', tokens.length, window, window + 1), { file });
  const vocab = buildVocabulary([tokens], { ...opts, maxSize: opts.maxVocab });
  const ids = encodeTokens(tokens, vocab);
  const total = Math.floor((ids.length - window - 1) / step) + 1;
  const order = opts.shuffle === false ? Uint32Array.from({ length: total }, (_, i) => i) : permutation(total, opts.seed ?? DEFAULT_SEED);
  const n = opts.limit === undefined ? total : Math.max(1, Math.min(total, Math.floor(opts.limit)));
  const v = vocab.tokens.length;
  const x = new Float32Array(n * window);
  const next = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const start = order[k] * step;
    for (let j = 0; j < window; j++) x[k * window + j] = ids[start + j];
    next[k] = ids[start + window];
  }
  const indexTargets = opts.targets === 'index';
  return {
    x,
    y: indexTargets ? Float32Array.from(next) : oneHot(next, v),
    xShape: [n, window],
    yShape: indexTargets ? [n, 1] : [n, v],
    kind: 'sequence',
    vocab,
    samples: Array.from({ length: Math.min(3, n) }, (_, k) => decodeIds(x.subarray(k * window, (k + 1) * window), vocab) + ' → ' + decodeIds([next[k]], vocab)),
    description: `Text ${path.basename(file)}: ${tokens.length} ${level === 'char' ? 'characters' : 'words'}, vocabulary ${v}, ${n} windows of ${window} → next ${level}`,
  };
}

export function loadTextWindows(file: string, opts: TextWindowOptions = {}): TextData {
  return textWindows(readTextFile(file), file, opts);
}

export interface TextClassOptions extends TokenizeOptions {
  /** Tokens per document: longer ones are cut, shorter ones padded with <pad> at the end (default 100). */
  length?: number;
  maxVocab?: number;
  /** CSV source: text and label columns (default: first and last). */
  textColumn?: ColumnRef;
  labelColumn?: ColumnRef;
  limit?: number;
  shuffle?: boolean;
  seed?: number;
}

/** Documents and their class names → padded id rows and one-hot labels. */
export function encodeDocuments(docs: string[], classOf: string[], source: string, opts: TextClassOptions = {}): TextData {
  const length = opts.length ?? 100;
  if (!Number.isInteger(length) || length < 1) throw new RangeError(msg('text.wholeNumber', 'length', 1, length));
  if (docs.length === 0) throw new DataError(msg('text.noDocuments'), { file: source });
  const classNames = [...new Set(classOf)].sort();
  if (classNames.length < 2) throw new DataError(msg('text.oneClass', classNames[0]), { file: source });
  const classIndex = new Map(classNames.map((c, i) => [c, i]));
  const tokenLists = docs.map((d) => tokenize(d, opts));
  const vocab = buildVocabulary(tokenLists, { ...opts, maxSize: opts.maxVocab });
  const total = docs.length;
  const order = opts.shuffle === false ? Uint32Array.from({ length: total }, (_, i) => i) : permutation(total, opts.seed ?? DEFAULT_SEED);
  const n = opts.limit === undefined ? total : Math.max(1, Math.min(total, Math.floor(opts.limit)));
  const x = new Float32Array(n * length); // zeros = <pad>
  const labels = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = order[k];
    const ids = encodeTokens(tokenLists[i].slice(0, length), vocab);
    x.set(ids, k * length);
    labels[k] = classIndex.get(classOf[i])!;
  }
  const level = opts.level ?? 'char';
  return {
    x,
    y: oneHot(labels, classNames.length),
    xShape: [n, length],
    yShape: [n, classNames.length],
    kind: 'classification',
    vocab,
    classNames,
    labels,
    samples: Array.from({ length: Math.min(3, n) }, (_, k) => `[${classNames[labels[k]]}] ${decodeIds(x.subarray(k * length, (k + 1) * length), vocab)}`),
    description: `Text classes ${path.basename(source)}: ${n} documents, ${classNames.length} classes, vocabulary ${vocab.tokens.length} (${level}s), padded to ${length}`,
  };
}

/** `root/<class>/<file>`: every regular file under a class folder is one document. */
export function loadTextFolder(root: string, opts: TextClassOptions = {}): TextData {
  let classDirs: fs.Dirent[];
  try {
    classDirs = fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.'));
  } catch (e) {
    throw new DataError(msg('data.cannotReadFolder', (e as Error).message), { file: root, cause: e });
  }
  classDirs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (classDirs.length === 0) throw new DataError(msg('text.noClassFolders'), { file: root });
  const docs: string[] = [];
  const classOf: string[] = [];
  for (const d of classDirs) {
    const dir = path.join(root, d.name);
    const files = fs.readdirSync(dir, { withFileTypes: true }).filter((f) => f.isFile() && !f.name.startsWith('.')).map((f) => f.name).sort();
    if (files.length === 0) throw new DataError(msg('text.emptyClass', d.name), { file: dir });
    for (const f of files) {
      docs.push(readTextFile(path.join(dir, f)));
      classOf.push(d.name);
    }
  }
  return encodeDocuments(docs, classOf, root, opts);
}

/** A CSV with a text column and a label column. */
export function loadTextCsv(file: string, opts: TextClassOptions = {}): TextData {
  const table = readCsvTable(file);
  const t = findColumn(opts.textColumn ?? 0, table.columns, file, 'text');
  const l = findColumn(opts.labelColumn ?? -1, table.columns, file, 'label');
  const docs: string[] = [];
  const classOf: string[] = [];
  table.rows.forEach((r) => {
    if (r[l] === '') return; // no label: nothing to learn from
    docs.push(r[t]);
    classOf.push(r[l]);
  });
  return encodeDocuments(docs, classOf, file, opts);
}
