/**
 * Recurrent sequence models: LSTM, GRU or SimpleRNN stacks for text classification (names-gender),
 * character-level generation (names) and time-series forecasting (co2).
 */
import { configBlock, createModelSignature, fileHeader, fmtNum, fmtShape, joinLines, opts, q, sequentialBody, type Language, type ModelTemplate, type SeqStep } from '../code';
import { bool, num, str, trainingParams, type ParamSpec, type Params } from '../params';
import { CO2_WINDOW, NAME_VOCAB_SIZE, NAMES_GENDER_LENGTH, NAMES_WINDOW } from './datasets';

export const CELLS = ['lstm', 'gru', 'simpleRNN'] as const;

const CELL_NOTE: Record<string, string> = {
  lstm: 'LSTM: input, forget and output gates decide what its memory keeps, so it can carry information across many steps',
  gru: 'GRU: like an LSTM with two gates and no separate memory cell; fewer weights, often just as good',
  simpleRNN: 'SimpleRNN: one tanh layer fed its own previous output; cheap, but forgets quickly on long sequences',
};

function rnnParams(defaults: { units: number; embedding?: number }): ParamSpec[] {
  const out: ParamSpec[] = [
    { kind: 'choice', key: 'cell', label: 'Recurrent cell', description: 'LSTM, GRU or SimpleRNN', default: 'lstm', options: CELLS },
    { kind: 'int', key: 'layers', label: 'Recurrent layers', description: 'Stacked recurrent layers', default: 1, min: 1, max: 4 },
    { kind: 'int', key: 'units', label: 'Units', description: 'Size of each recurrent layer\'s state', default: defaults.units, min: 1, max: 1024 },
    { kind: 'boolean', key: 'bidirectional', label: 'Bidirectional', description: 'Also read each sequence backwards and join both states', default: false },
  ];
  if (defaults.embedding !== undefined)
    out.push({ kind: 'int', key: 'embeddingSize', label: 'Embedding size', description: 'Length of the learned vector for each character', default: defaults.embedding, min: 1, max: 512 });
  return out;
}

/** Stacked recurrent layers; every one but the last returns the whole sequence for the next to read. */
function recurrentSteps(p: Params, timeSteps: number, inputShape?: readonly number[]): SeqStep[] {
  const cell = str(p, 'cell');
  const layers = num(p, 'layers');
  const units = num(p, 'units');
  const bi = bool(p, 'bidirectional');
  const width = bi ? 2 * units : units;
  const steps: SeqStep[] = [];
  for (let i = 0; i < layers; i++) {
    const returnSequences = i < layers - 1;
    const first = i === 0;
    const shapeOpt = first && inputShape ? fmtShape(inputShape) : undefined;
    const inner = `tf.layers.${cell}(${opts({ units, returnSequences: returnSequences || undefined, inputShape: bi ? undefined : shapeOpt })})`;
    const layer = bi ? `tf.layers.bidirectional(${opts({ layer: inner, mergeMode: q('concat'), inputShape: shapeOpt })})` : inner;
    const what = first ? CELL_NOTE[cell] : `a second-level ${cell} reads the sequence of states of the layer below`;
    const out = returnSequences ? 'its state at every step, for the next recurrent layer' : 'only its final state: a summary of the whole sequence';
    steps.push({ layer, shape: returnSequences ? [timeSteps, width] : [width], note: `${what}. Returns ${out}${bi ? `; forward and backward states joined (2 x ${units})` : ''}` });
  }
  return steps;
}

function embeddingStep(p: Params, length: number): SeqStep {
  const e = num(p, 'embeddingSize');
  return {
    layer: `tf.layers.embedding(${opts({ inputDim: NAME_VOCAB_SIZE, outputDim: e, inputShape: fmtShape([length]) })})`,
    shape: [length, e],
    note: `each of the ${length} character ids (0–${NAME_VOCAB_SIZE - 1}) becomes a learned vector of ${e} numbers`,
  };
}

const compileLine = (p: Params, loss: string, metrics: string) =>
  `model.compile({ optimizer: tf.train.adam(${fmtNum(num(p, 'learningRate'))}), loss: '${loss}', metrics: [${metrics}] });`;

export const rnnTextClassifier: ModelTemplate = {
  id: 'rnn-text-classifier',
  label: 'RNN text classifier (LSTM/GRU)',
  detail: 'Reads a name letter by letter and guesses female or male (names-gender)',
  params: [...rnnParams({ units: 32, embedding: 16 }), ...trainingParams({ epochs: 5, batchSize: 64, learningRate: 0.005 })],
  keyParams: ['cell', 'units', 'layers', 'bidirectional', 'embeddingSize'],
  dataset: () => 'names-gender',
  check: () => [],
  render(p, lang) {
    const steps = [embeddingStep(p, NAMES_GENDER_LENGTH), ...recurrentSteps(p, NAMES_GENDER_LENGTH)];
    steps.push({ layer: `tf.layers.dense(${opts({ units: 1, activation: q('sigmoid') })})`, shape: [1], note: 'the probability that the name is female (label 1); sigmoid squeezes it into 0–1' });
    return joinLines([
      ...fileHeader('A recurrent network that classifies text: is a first name female or male?', [
        `Each name arrives as ${NAMES_GENDER_LENGTH} character ids, padded with 0 on the left so the last letters (the most telling:`,
        '-a, -o, -ine) sit next to the output. Comments show each output shape per name.',
      ]),
      ...configBlock({
        dataset: 'names-gender',
        datasetNote: 'about 8,000 English first names, 1 = female, 0 = male (names in both lists left out)',
        epochs: num(p, 'epochs'),
        batchSize: num(p, 'batchSize'),
        validationSplit: 0.2,
      }),
      '',
      ...createModelSignature(lang),
      ...sequentialBody(steps, compileLine(p, 'binaryCrossentropy', "'accuracy'")),
    ]);
  },
};

function sampler(lang: Language): string[] {
  const sig =
    lang === 'ts'
      ? ['export function sampleName(model: tf.LayersModel, temperature = 0.8, maxLength = 20): string {']
      : [
          '/**',
          ' * @param {tf.LayersModel} model',
          ' * @param {number} [temperature]',
          ' * @param {number} [maxLength]',
          ' * @returns {string}',
          ' */',
          'export function sampleName(model, temperature = 0.8, maxLength = 20) {',
        ];
  return [
    `/** The 'names' vocabulary: id 0 ('.') marks the start and the end of a name. */`,
    "export const VOCAB = '.-abcdefghijklmnopqrstuvwxyz';",
    '',
    '// After training, load the saved model (tf.loadLayersModel) and write new names one letter at a',
    '// time: predict the next letter, draw one from the probabilities, append it, slide the window.',
    '// A lower temperature picks likely letters; a higher one is more adventurous.',
    ...sig,
    `  const context${lang === 'ts' ? ': number[]' : ''} = new Array(${NAMES_WINDOW}).fill(0);`,
    "  let name = '';",
    '  for (let i = 0; i < maxLength; i++) {',
    '    const next = tf.tidy(() => {',
    `      const probs = ${lang === 'ts' ? `model.predict(tf.tensor2d([context], [1, ${NAMES_WINDOW}])) as tf.Tensor2D` : `/** @type {tf.Tensor2D} */ (model.predict(tf.tensor2d([context], [1, ${NAMES_WINDOW}])))`};`,
    '      const logits = tf.div(tf.log(tf.add(probs, 1e-7)), temperature);',
    `      return tf.multinomial(${lang === 'ts' ? 'logits as tf.Tensor2D' : '/** @type {tf.Tensor2D} */ (logits)'}, 1).dataSync()[0];`,
    '    });',
    '    if (next === 0) break; // the model says the name ends here',
    '    name += VOCAB[next];',
    '    context.shift();',
    '    context.push(next);',
    '  }',
    '  return name;',
    '}',
  ];
}

export const charGenerator: ModelTemplate = {
  id: 'char-generator',
  label: 'Character-level text generator (LSTM/GRU)',
  detail: 'Learns to spell new first names one letter at a time (names)',
  params: [...rnnParams({ units: 64, embedding: 16 }), ...trainingParams({ epochs: 10, batchSize: 128, learningRate: 0.005 })],
  keyParams: ['cell', 'units', 'layers', 'bidirectional', 'embeddingSize'],
  dataset: () => 'names',
  check: () => [],
  render(p, lang) {
    const steps = [embeddingStep(p, NAMES_WINDOW), ...recurrentSteps(p, NAMES_WINDOW)];
    steps.push({
      layer: `tf.layers.dense(${opts({ units: NAME_VOCAB_SIZE, activation: q('softmax') })})`,
      shape: [NAME_VOCAB_SIZE],
      note: `the probability of each of the ${NAME_VOCAB_SIZE} characters coming next`,
    });
    return joinLines([
      ...fileHeader('A character-level language model that learns to write first names.', [
        `It sees the last ${NAMES_WINDOW} characters (ids, '.' = start/padding) and predicts the next one, ending with '.'.`,
        `${bool(p, 'bidirectional') ? 'Bidirectional reads the context window both ways; generation still goes left to right. ' : ''}Comments show each output shape per sample.`,
      ]),
      ...configBlock({
        dataset: 'names',
        datasetNote: 'next-character samples from about 8,400 English first names',
        epochs: num(p, 'epochs'),
        batchSize: num(p, 'batchSize'),
        validationSplit: 0.1,
        validationNote: 'windows of names the model never trains on',
      }),
      '',
      ...createModelSignature(lang),
      ...sequentialBody(steps, compileLine(p, 'categoricalCrossentropy', "'accuracy'")),
      '',
      ...sampler(lang),
    ]);
  },
};

export const timeSeriesForecaster: ModelTemplate = {
  id: 'time-series-forecaster',
  label: 'Time-series forecaster (LSTM/GRU)',
  detail: 'Predicts next month\'s CO2 at Mauna Loa from the last 12 months (co2)',
  params: [...rnnParams({ units: 32 }), ...trainingParams({ epochs: 20, batchSize: 32, learningRate: 0.005 })],
  keyParams: ['cell', 'units', 'layers', 'bidirectional'],
  dataset: () => 'co2',
  check: () => [],
  render(p, lang) {
    const steps = recurrentSteps(p, CO2_WINDOW, [CO2_WINDOW, 1]);
    steps.push({ layer: `tf.layers.dense(${opts({ units: 1 })})`, shape: [1], note: 'next month, in the same scaled units as the input (no activation: any value)' });
    return joinLines([
      ...fileHeader('A recurrent network that forecasts a time series: monthly CO2 at Mauna Loa.', [
        `Input: the last ${CO2_WINDOW} months (one number each, scaled to mean 0 and std 1). Output: the month after.`,
        'Comments show each output shape per sample ([time steps, features]).',
      ]),
      ...configBlock({
        dataset: 'co2',
        datasetNote: `monthly CO2 since 1958, windows of ${CO2_WINDOW} months -> the next month`,
        epochs: num(p, 'epochs'),
        batchSize: num(p, 'batchSize'),
        validationSplit: 0.2,
        validationNote: 'the most recent 20%: windows stay in time order, so it validates on the future',
      }),
      '',
      ...createModelSignature(lang),
      ...sequentialBody(steps, compileLine(p, 'meanSquaredError', "'mae'")),
    ]);
  },
};
