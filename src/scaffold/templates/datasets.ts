/**
 * The built-in datasets templates name, with the shapes they give, so a template names one that
 * fits the model it writes. Kept here (not imported from the trainer) because scaffolding runs in the
 * extension host, which must not load the trainer's data code.
 */

import { english, type Translate } from '../code';

export interface DatasetChoice {
  name: string;
  /** The comment after `dataset:` in the rendered config. */
  note: string;
  /** True when the dataset really gives the shapes the model expects. */
  fits: boolean;
}

/** mnist for 28x28x1 / 10 classes; any other image shape needs the user's own data. */
export function imageDatasetFor(inputShape: readonly number[], classes: number, tr: Translate = english): DatasetChoice {
  if (inputShape.join() === '28,28,1' && classes === 10)
    return { name: 'mnist', note: tr('10,000 real handwritten digits, 28x28x1, 10 classes, shipped offline'), fits: true };
  return {
    name: 'mnist',
    note: tr("CHANGE ME: 'mnist' gives [N, 28, 28, 1] and 10 classes, this model expects [N, {0}] and {1}", inputShape.join(', '), classes),
    fits: false,
  };
}

/** Tabular classification sets: features in, one-hot classes out. Notes are English keys: `tr(note)` in the zh-CN bundle. */
export const TABULAR_CLASSIFICATION: Record<string, { features: number; classes: number; note: string }> = {
  iris: { features: 4, classes: 3, note: "Fisher's 150 iris flowers: 4 measurements -> 3 species (one-hot)" },
  spiral: { features: 2, classes: 3, note: 'generated: 3 interleaved spiral arms in 2D, a classic non-linear problem' },
  xor: { features: 2, classes: 2, note: 'generated: XOR of the signs of x and y, not separable by one line' },
};

/** Regression sets: features in, one number out. */
export const TABULAR_REGRESSION: Record<string, { features: number; note: string }> = {
  sine: { features: 1, note: 'generated: 500 noisy points of y = sin(x)' },
};

/** Character vocabulary of the 'names' datasets ('.', '-', a–z), as src/trainer/data/builtins/names.ts defines it. */
export const NAME_VOCAB_SIZE = 28;
/** Context window of 'names'. */
export const NAMES_WINDOW = 8;
/** Padded length of 'names-gender'. */
export const NAMES_GENDER_LENGTH = 15;
/** Months per window of 'co2'. */
export const CO2_WINDOW = 12;
