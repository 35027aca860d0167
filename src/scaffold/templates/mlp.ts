/** Multi-layer perceptrons for tabular data: classification (iris) and regression (sine). */
import { configBlock, createModelSignature, fileHeader, fmtNum, fmtShape, joinLines, opts, q, sequentialBody, type ModelTemplate, type SeqStep, type Translate } from '../code';
import { num, str, trainingParams, type ParamSpec, type Params } from '../params';
import { TABULAR_CLASSIFICATION, TABULAR_REGRESSION } from './datasets';

const ACTIVATIONS = ['relu', 'tanh', 'elu', 'sigmoid'] as const;

function hiddenParams(defaults: { layers: number; units: number }): ParamSpec[] {
  return [
    { kind: 'int', key: 'hiddenLayers', label: 'Hidden layers', description: 'Dense layers between input and output', default: defaults.layers, min: 1, max: 8 },
    { kind: 'int', key: 'units', label: 'Units per layer', description: 'Neurons in each hidden layer', default: defaults.units, min: 1, max: 4096 },
    { kind: 'choice', key: 'activation', label: 'Activation', description: 'Non-linearity of the hidden layers', default: 'relu', options: ACTIVATIONS },
    { kind: 'number', key: 'dropout', label: 'Dropout', description: 'Fraction dropped after each hidden layer while training (0 = none)', default: 0, min: 0, max: 1, maxExclusive: true },
  ];
}

function hiddenSteps(p: Params, features: number, tr: Translate): SeqStep[] {
  const steps: SeqStep[] = [];
  const units = num(p, 'units');
  const act = str(p, 'activation');
  const dropout = num(p, 'dropout');
  for (let i = 0; i < num(p, 'hiddenLayers'); i++) {
    steps.push({
      layer: `tf.layers.dense(${opts({ inputShape: i === 0 ? fmtShape([features]) : undefined, units, activation: q(act) })})`,
      shape: [units],
      note:
        i === 0
          ? features === 1
            ? tr('each of {0} units weighs the 1 input feature; {1} makes the model non-linear', units, act)
            : tr('each of {0} units weighs all {1} input features; {2} makes the model non-linear', units, features, act)
          : tr('combines the {0} features of the layer before into new ones', units),
    });
    if (dropout > 0)
      steps.push({ layer: `tf.layers.dropout(${opts({ rate: dropout })})`, shape: [units], note: tr('while training, zeroes a random {0}% of the units', Math.round(dropout * 100)) });
  }
  return steps;
}

export const mlpClassifier: ModelTemplate = {
  id: 'mlp-classifier',
  label: 'MLP classifier (tabular)',
  detail: 'Dense layers that sort rows of numbers into classes (iris flowers)',
  params: [
    { kind: 'choice', key: 'dataset', label: 'Dataset', description: 'Built-in tabular dataset', default: 'iris', options: Object.keys(TABULAR_CLASSIFICATION) },
    ...hiddenParams({ layers: 2, units: 16 }),
    ...trainingParams({ epochs: 40, batchSize: 16, learningRate: 0.01 }),
  ],
  keyParams: ['dataset', 'hiddenLayers', 'units', 'activation'],
  dataset: (p) => str(p, 'dataset'),
  check: () => [],
  render(p, lang, tr) {
    const ds = TABULAR_CLASSIFICATION[str(p, 'dataset')];
    const steps = hiddenSteps(p, ds.features, tr);
    steps.push({ layer: `tf.layers.dense(${opts({ units: ds.classes, activation: q('softmax') })})`, shape: [ds.classes], note: tr('one probability per class ({0}); they sum to 1', ds.classes) });
    return joinLines([
      ...fileHeader(
        tr('A multi-layer perceptron that classifies rows of a table.'),
        [
          ds.features === 1
            ? tr('Input: 1 number per sample. Hidden dense layers learn combinations of it; softmax')
            : tr('Input: {0} numbers per sample. Hidden dense layers learn combinations of them; softmax', ds.features),
          tr('turns the last layer into class probabilities. Comments show each output shape per sample.'),
        ],
        tr,
      ),
      ...configBlock(
        {
          dataset: str(p, 'dataset'),
          datasetNote: tr(ds.note),
          epochs: num(p, 'epochs'),
          batchSize: num(p, 'batchSize'),
          validationSplit: 0.2,
        },
        tr,
      ),
      '',
      ...createModelSignature(lang),
      ...sequentialBody(steps, `model.compile({ optimizer: tf.train.adam(${fmtNum(num(p, 'learningRate'))}), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });`),
    ]);
  },
};

export const mlpRegressor: ModelTemplate = {
  id: 'mlp-regressor',
  label: 'MLP regressor (tabular)',
  detail: 'Dense layers that predict a number (noisy sine curve)',
  params: [
    { kind: 'choice', key: 'dataset', label: 'Dataset', description: 'Built-in regression dataset', default: 'sine', options: Object.keys(TABULAR_REGRESSION) },
    ...hiddenParams({ layers: 2, units: 32 }),
    ...trainingParams({ epochs: 100, batchSize: 32, learningRate: 0.01 }),
  ],
  keyParams: ['hiddenLayers', 'units', 'activation'],
  dataset: (p) => str(p, 'dataset'),
  check: () => [],
  render(p, lang, tr) {
    const ds = TABULAR_REGRESSION[str(p, 'dataset')];
    const steps = hiddenSteps(p, ds.features, tr);
    steps.push({ layer: `tf.layers.dense(${opts({ units: 1 })})`, shape: [1], note: tr('the prediction: no activation, so any real number can come out') });
    return joinLines([
      ...fileHeader(
        tr('A multi-layer perceptron that predicts a number (regression).'),
        [
          tr('Hidden dense layers bend a straight line into the curve in the data; the last layer has one'),
          tr('unit and no activation. The loss is the mean squared error. Comments show output shapes.'),
        ],
        tr,
      ),
      ...configBlock({ dataset: str(p, 'dataset'), datasetNote: tr(ds.note), epochs: num(p, 'epochs'), batchSize: num(p, 'batchSize'), validationSplit: 0.2 }, tr),
      '',
      ...createModelSignature(lang),
      ...sequentialBody(steps, `model.compile({ optimizer: tf.train.adam(${fmtNum(num(p, 'learningRate'))}), loss: 'meanSquaredError', metrics: ['mae'] });`),
    ]);
  },
};
