/** CNN image classifier: blocks of convolution (+ batch norm) and pooling, then a dense head. */
import { configBlock, createModelSignature, english, fileHeader, fmtNum, fmtShape, joinLines, opts, q, sequentialBody, type ModelTemplate, type SeqStep, type Translate } from '../code';
import { bool, num, shape, trainingParams, type Params } from '../params';
import { imageDatasetFor } from './datasets';

interface CnnPlan {
  errors: string[];
  steps: SeqStep[];
}

/**
 * Valid (unpadded) convolutions, so each block shrinks the image by kernel−1 and the pooling halves
 * it; the shapes in the comments, and the reasons a setting is refused, follow from that.
 */
function planCnn(p: Params, tr: Translate = english): CnnPlan {
  const [h0, w0, c0] = shape(p, 'inputShape');
  const depth = num(p, 'depth');
  const k = num(p, 'kernelSize');
  const base = num(p, 'filters');
  const bn = bool(p, 'batchNorm');
  const dropout = num(p, 'dropout');
  const errors: string[] = [];
  const steps: SeqStep[] = [];
  let h = h0;
  let w = w0;
  let f = c0;
  for (let i = 0; i < depth; i++) {
    f = base * 2 ** i;
    if (k > h || k > w) {
      errors.push(
        tr(
          'Block {0} of {1}: the {2}x{2} kernel is larger than its {3}x{4} input (each block shrinks the image by kernel−1, then halves it). Use a smaller kernel, fewer blocks or a larger input.',
          i + 1,
          depth,
          k,
          h,
          w,
        ),
      );
      break;
    }
    h = h - k + 1;
    w = w - k + 1;
    const first = i === 0;
    const convOpts: Record<string, string | number | boolean | undefined> = {
      inputShape: first ? fmtShape([h0, w0, c0]) : undefined,
      filters: f,
      kernelSize: k,
      activation: bn ? undefined : q('relu'),
      useBias: bn ? false : undefined,
    };
    steps.push({
      layer: `tf.layers.conv2d(${opts(convOpts)})`,
      shape: [h, w, f],
      note: first
        ? tr('{0} filters of {1}x{1} slide over the image; each learns one small pattern (an edge, a stroke)', f, k) + (bn ? tr('. No bias: batch norm adds its own shift') : '')
        : tr('{0} filters combine the patterns of block {1} into larger parts', f, i) + (bn ? tr(' (no bias: batch norm shifts)') : ''),
    });
    if (bn) {
      steps.push({ layer: 'tf.layers.batchNormalization()', shape: [h, w, f], note: tr('normalises each filter over the batch, so training stays stable at higher learning rates') });
      steps.push({ layer: `tf.layers.activation(${opts({ activation: q('relu') })})`, shape: [h, w, f], note: tr('relu after the normalisation: negative responses become 0') });
    }
    if (h < 2 || w < 2) {
      errors.push(tr('Block {0} of {1}: 2x2 pooling of the {2}x{3} feature map would leave less than 1x1. Use fewer blocks, a smaller kernel or a larger input.', i + 1, depth, h, w));
      break;
    }
    h = Math.floor(h / 2);
    w = Math.floor(w / 2);
    steps.push({ layer: `tf.layers.maxPooling2d(${opts({ poolSize: 2 })})`, shape: [h, w, f], note: tr('keeps the strongest response in each 2x2 patch: half the size, and small shifts matter less') });
  }
  if (errors.length) return { errors, steps };
  steps.push({ layer: 'tf.layers.flatten()', shape: [h * w * f], note: tr('the {0}x{1}x{2} feature maps as one vector for the dense layers', h, w, f) });
  if (dropout > 0)
    steps.push({ layer: `tf.layers.dropout(${opts({ rate: dropout })})`, shape: [h * w * f], note: tr('while training, zeroes a random {0}% of the values so no single feature is relied on', Math.round(dropout * 100)) });
  const units = num(p, 'denseUnits');
  steps.push({ layer: `tf.layers.dense(${opts({ units, activation: q('relu') })})`, shape: [units], note: tr('combines all features found anywhere in the image') });
  const classes = num(p, 'classes');
  steps.push({ layer: `tf.layers.dense(${opts({ units: classes, activation: q('softmax') })})`, shape: [classes], note: tr('one probability per class; they sum to 1') });
  return { errors, steps };
}

export const cnnClassifier: ModelTemplate = {
  id: 'cnn-classifier',
  label: 'CNN image classifier',
  detail: 'Convolution + pooling blocks, then dense layers (MNIST digits)',
  params: [
    { kind: 'int', key: 'depth', label: 'Convolution blocks', description: 'Blocks of conv (+ batch norm) + 2x2 max pooling', default: 2, min: 1, max: 6 },
    { kind: 'int', key: 'filters', label: 'Filters', description: 'Filters in the first block; each next block doubles them', default: 16, min: 1, max: 512 },
    { kind: 'int', key: 'kernelSize', label: 'Kernel size', description: 'Width and height of each filter', default: 3, min: 1, max: 15 },
    { kind: 'boolean', key: 'batchNorm', label: 'Batch normalization', description: 'Normalise after each convolution', default: false },
    { kind: 'number', key: 'dropout', label: 'Dropout', description: 'Fraction of features dropped before the dense layer (0 = none)', default: 0.25, min: 0, max: 1, maxExclusive: true },
    { kind: 'int', key: 'denseUnits', label: 'Dense units', description: 'Units of the hidden dense layer', default: 64, min: 1, max: 4096 },
    { kind: 'shape', key: 'inputShape', label: 'Input shape', description: 'height, width, channels', default: [28, 28, 1], length: 3, min: 1, max: 1024 },
    { kind: 'int', key: 'classes', label: 'Classes', description: 'Number of classes to tell apart', default: 10, min: 2, max: 10_000 },
    ...trainingParams({ epochs: 3, batchSize: 64, learningRate: 0.001 }),
  ],
  keyParams: ['depth', 'filters', 'kernelSize', 'batchNorm', 'dropout'],
  dataset: (p) => imageDatasetFor(shape(p, 'inputShape'), num(p, 'classes')).name,
  check: (p, tr) => planCnn(p, tr).errors,
  render(p, lang, tr) {
    const { steps } = planCnn(p, tr);
    const ds = imageDatasetFor(shape(p, 'inputShape'), num(p, 'classes'), tr);
    return joinLines([
      ...fileHeader(
        tr('A convolutional network that classifies images.'),
        [
          tr('Convolutions find local patterns anywhere in the image; pooling shrinks the maps so later'),
          tr('blocks see larger areas; the dense layers at the end turn the patterns into class scores.'),
          tr("Each comment shows the layer's output shape (its first axis, batch, is the number of images in a batch)."),
        ],
        tr,
      ),
      ...configBlock({ dataset: ds.name, datasetNote: ds.note, epochs: num(p, 'epochs'), batchSize: num(p, 'batchSize'), validationSplit: 0.15 }, tr),
      '',
      ...createModelSignature(lang),
      ...sequentialBody(
        steps,
        `model.compile({ optimizer: tf.train.adam(${fmtNum(num(p, 'learningRate'))}), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });`,
      ),
    ]);
  },
};
