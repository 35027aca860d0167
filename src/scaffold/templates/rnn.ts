/**
 * Recurrent sequence models: LSTM, GRU or SimpleRNN stacks for text classification (names-gender),
 * character-level generation (names) and time-series forecasting (co2).
 */
import { configBlock, createModelSignature, fileHeader, fmtNum, fmtShape, joinLines, opts, q, sequentialBody, type Language, type ModelTemplate, type SeqStep, type Translate } from '../code';
import { bool, num, str, trainingParams, type ParamSpec, type Params } from '../params';
import { CO2_WINDOW, NAME_VOCAB_SIZE, NAMES_GENDER_LENGTH, NAMES_WINDOW } from './datasets';

export const CELLS = ['lstm', 'gru', 'simpleRNN'] as const;

const cellNote = (cell: string, tr: Translate): string =>
  cell === 'lstm'
    ? tr('LSTM: input, forget and output gates decide what its memory keeps, so it can carry information across many steps')
    : cell === 'gru'
      ? tr('GRU: like an LSTM with two gates and no separate memory cell; fewer weights, often just as good')
      : tr('SimpleRNN: one tanh layer fed its own previous output; cheap, but forgets quickly on long sequences');

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
function recurrentSteps(p: Params, timeSteps: number, tr: Translate, inputShape?: readonly number[]): SeqStep[] {
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
    const what = first ? cellNote(cell, tr) : tr('a second-level {0} reads the sequence of states of the layer below', cell);
    const out = returnSequences ? tr('Returns its state at every step, for the next recurrent layer') : tr('Returns only its final state: a summary of the whole sequence');
    const joined = bi ? tr('; forward and backward states joined (2 x {0})', units) : '';
    steps.push({ layer, shape: returnSequences ? [timeSteps, width] : [width], note: `${what}${tr('. ')}${out}${joined}` });
  }
  return steps;
}

function embeddingStep(p: Params, length: number, tr: Translate): SeqStep {
  const e = num(p, 'embeddingSize');
  return {
    layer: `tf.layers.embedding(${opts({ inputDim: NAME_VOCAB_SIZE, outputDim: e, inputShape: fmtShape([length]) })})`,
    shape: [length, e],
    note: tr('each of the {0} character ids (0–{1}) becomes a learned vector of {2} numbers', length, NAME_VOCAB_SIZE - 1, e),
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
  render(p, lang, tr) {
    const steps = [embeddingStep(p, NAMES_GENDER_LENGTH, tr), ...recurrentSteps(p, NAMES_GENDER_LENGTH, tr)];
    steps.push({ layer: `tf.layers.dense(${opts({ units: 1, activation: q('sigmoid') })})`, shape: [1], note: tr('the probability that the name is female (label 1); sigmoid squeezes it into 0–1') });
    return joinLines([
      ...fileHeader(
        tr('A recurrent network that classifies text: is a first name female or male?'),
        [
          tr('Each name arrives as {0} character ids, padded with 0 on the left so the last letters (the most telling:', NAMES_GENDER_LENGTH),
          tr('-a, -o, -ine) sit next to the output. Comments show each output shape per name.'),
        ],
        tr,
      ),
      ...configBlock(
        {
          dataset: 'names-gender',
          datasetNote: tr('about 8,000 English first names, 1 = female, 0 = male (names in both lists left out)'),
          epochs: num(p, 'epochs'),
          batchSize: num(p, 'batchSize'),
          validationSplit: 0.2,
        },
        tr,
      ),
      '',
      ...createModelSignature(lang),
      ...sequentialBody(steps, compileLine(p, 'binaryCrossentropy', "'accuracy'")),
    ]);
  },
};

function sampler(lang: Language, tr: Translate): string[] {
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
    `/** ${tr("The 'names' vocabulary: id 0 ('.') marks the start and the end of a name.")} */`,
    "export const VOCAB = '.-abcdefghijklmnopqrstuvwxyz';",
    '',
    `// ${tr('After training, load the saved model (tf.loadLayersModel) and write new names one letter at a')}`,
    `// ${tr('time: predict the next letter, draw one from the probabilities, append it, slide the window.')}`,
    `// ${tr('A lower temperature picks likely letters; a higher one is more adventurous.')}`,
    ...sig,
    `  const context${lang === 'ts' ? ': number[]' : ''} = new Array(${NAMES_WINDOW}).fill(0);`,
    "  let name = '';",
    '  for (let i = 0; i < maxLength; i++) {',
    '    const next = tf.tidy(() => {',
    `      const probs = ${lang === 'ts' ? `model.predict(tf.tensor2d([context], [1, ${NAMES_WINDOW}])) as tf.Tensor2D` : `/** @type {tf.Tensor2D} */ (model.predict(tf.tensor2d([context], [1, ${NAMES_WINDOW}])))`};`,
    '      const logits = tf.div(tf.log(tf.add(probs, 1e-7)), temperature);',
    `      return tf.multinomial(${lang === 'ts' ? 'logits as tf.Tensor2D' : '/** @type {tf.Tensor2D} */ (logits)'}, 1).dataSync()[0];`,
    '    });',
    `    if (next === 0) break; // ${tr('the model says the name ends here')}`,
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
  render(p, lang, tr) {
    const steps = [embeddingStep(p, NAMES_WINDOW, tr), ...recurrentSteps(p, NAMES_WINDOW, tr)];
    steps.push({
      layer: `tf.layers.dense(${opts({ units: NAME_VOCAB_SIZE, activation: q('softmax') })})`,
      shape: [NAME_VOCAB_SIZE],
      note: tr('the probability of each of the {0} characters coming next', NAME_VOCAB_SIZE),
    });
    return joinLines([
      ...fileHeader(
        tr('A character-level language model that learns to write first names.'),
        [
          tr("It sees the last {0} characters (ids, '.' = start/padding) and predicts the next one, ending with '.'.", NAMES_WINDOW),
          (bool(p, 'bidirectional') ? tr('Bidirectional reads the context window both ways; generation still goes left to right. ') : '') +
            tr('Comments show each output shape per sample.'),
        ],
        tr,
      ),
      ...configBlock(
        {
          dataset: 'names',
          datasetNote: tr('next-character samples from about 8,400 English first names'),
          epochs: num(p, 'epochs'),
          batchSize: num(p, 'batchSize'),
          validationSplit: 0.1,
          validationNote: tr('windows of names the model never trains on'),
        },
        tr,
      ),
      '',
      ...createModelSignature(lang),
      ...sequentialBody(steps, compileLine(p, 'categoricalCrossentropy', "'accuracy'")),
      '',
      ...sampler(lang, tr),
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
  render(p, lang, tr) {
    const steps = recurrentSteps(p, CO2_WINDOW, tr, [CO2_WINDOW, 1]);
    steps.push({ layer: `tf.layers.dense(${opts({ units: 1 })})`, shape: [1], note: tr('next month, in the same scaled units as the input (no activation: any value)') });
    return joinLines([
      ...fileHeader(
        tr('A recurrent network that forecasts a time series: monthly CO2 at Mauna Loa.'),
        [
          tr('Input: the last {0} months (one number each, scaled to mean 0 and std 1). Output: the month after.', CO2_WINDOW),
          tr('Comments show each output shape per sample ([time steps, features]).'),
        ],
        tr,
      ),
      ...configBlock(
        {
          dataset: 'co2',
          datasetNote: tr('monthly CO2 since 1958, windows of {0} months -> the next month', CO2_WINDOW),
          epochs: num(p, 'epochs'),
          batchSize: num(p, 'batchSize'),
          validationSplit: 0.2,
          validationNote: tr('the most recent 20%: windows stay in time order, so it validates on the future'),
        },
        tr,
      ),
      '',
      ...createModelSignature(lang),
      ...sequentialBody(steps, compileLine(p, 'meanSquaredError', "'mae'")),
    ]);
  },
};
