/**
 * Autoencoders on MNIST: squeeze each digit through a small latent code and rebuild it. Dense and
 * convolutional versions, and a denoising one that rebuilds clean digits from noisy ones. The
 * datasets 'mnist-autoencoder' / 'mnist-denoising' give the images as their own targets, because the
 * trainer fits xs -> ys.
 */
import { configBlock, createModelSignature, fileHeader, fmtNum, fmtShape, joinLines, opts, q, sequentialBody, english, type ModelTemplate, type SeqStep, type Translate } from '../code';
import { num, str, trainingParams, type ParamSpec, type Params } from '../params';

const PIXELS = 28 * 28;

const latentParam: ParamSpec = {
  kind: 'int',
  key: 'latentSize',
  label: 'Latent size',
  description: 'Numbers in the code each image is squeezed into',
  default: 32,
  min: 1,
  max: 4096,
};
const hiddenParam: ParamSpec = { kind: 'int', key: 'hiddenUnits', label: 'Hidden units', description: 'Units of the dense layer on each side of the code', default: 128, min: 1, max: 4096 };
const filtersParam: ParamSpec = { kind: 'int', key: 'filters', label: 'Filters', description: 'Filters of the first convolution; the second has twice as many', default: 8, min: 1, max: 256 };
const kernelParam: ParamSpec = { kind: 'int', key: 'kernelSize', label: 'Kernel size', description: 'Width and height of each filter', default: 3, min: 1, max: 15 };

function checkLatent(p: Params, tr: Translate = english): string[] {
  const latent = num(p, 'latentSize');
  return latent >= PIXELS
    ? [tr('Latent size {0} is not smaller than the {1} pixels of an image: the network could learn to copy its input instead of a compressed code. Use fewer than {1}.', latent, PIXELS)]
    : [];
}

function denseSteps(p: Params, tr: Translate): SeqStep[] {
  const hidden = num(p, 'hiddenUnits');
  const latent = num(p, 'latentSize');
  return [
    { layer: `tf.layers.flatten(${opts({ inputShape: '[28, 28, 1]' })})`, shape: [PIXELS], note: tr('the image as one vector of pixels') },
    { layer: `tf.layers.dense(${opts({ units: hidden, activation: q('relu') })})`, shape: [hidden], note: tr('encoder: combines pixels into features') },
    { layer: `tf.layers.dense(${opts({ units: latent, activation: q('relu'), name: q('code') })})`, shape: [latent], note: tr('the code: everything the decoder gets, {0} numbers for {1} pixels ({2}x smaller)', latent, PIXELS, Math.round(PIXELS / latent)) },
    { layer: `tf.layers.dense(${opts({ units: hidden, activation: q('relu') })})`, shape: [hidden], note: tr('decoder: expands the code again') },
    { layer: `tf.layers.dense(${opts({ units: PIXELS, activation: q('sigmoid') })})`, shape: [PIXELS], note: tr('one value per pixel; sigmoid keeps it in 0–1 like the real pixels') },
    { layer: `tf.layers.reshape(${opts({ targetShape: '[28, 28, 1]' })})`, shape: [28, 28, 1], note: tr('back to image shape, so it can be compared with the target image') },
  ];
}

function convErrors(p: Params, tr: Translate = english): string[] {
  const k = num(p, 'kernelSize');
  // The second convolution runs on the 14x14 map; a kernel wider than that only sees padding at its edges.
  return k > 14 ? [tr('The {0}x{0} kernel is larger than the 14x14 feature map after the first pooling. Use a kernel of at most 14.', k)] : [];
}

function convSteps(p: Params, tr: Translate): SeqStep[] {
  const f = num(p, 'filters');
  const k = num(p, 'kernelSize');
  const latent = num(p, 'latentSize');
  const same = q('same');
  return [
    { layer: `tf.layers.conv2d(${opts({ inputShape: '[28, 28, 1]', filters: f, kernelSize: k, padding: same, activation: q('relu') })})`, shape: [28, 28, f], note: tr("encoder: {0} filters find strokes ('same' padding keeps 28x28)", f) },
    { layer: `tf.layers.maxPooling2d(${opts({ poolSize: 2 })})`, shape: [14, 14, f], note: tr('halves the size') },
    { layer: `tf.layers.conv2d(${opts({ filters: 2 * f, kernelSize: k, padding: same, activation: q('relu') })})`, shape: [14, 14, 2 * f], note: tr('combines strokes into parts of digits') },
    { layer: `tf.layers.maxPooling2d(${opts({ poolSize: 2 })})`, shape: [7, 7, 2 * f], note: tr('halves it again') },
    { layer: 'tf.layers.flatten()', shape: [49 * 2 * f], note: tr('the feature maps as one vector') },
    { layer: `tf.layers.dense(${opts({ units: latent, activation: q('relu'), name: q('code') })})`, shape: [latent], note: tr('the code: {0} numbers per image', latent) },
    { layer: `tf.layers.dense(${opts({ units: 49 * 2 * f, activation: q('relu') })})`, shape: [49 * 2 * f], note: tr('decoder: expands the code to the size of the smallest feature maps') },
    { layer: `tf.layers.reshape(${opts({ targetShape: fmtShape([7, 7, 2 * f]) })})`, shape: [7, 7, 2 * f], note: tr('and gives it their shape') },
    {
      layer: `tf.layers.conv2dTranspose(${opts({ filters: f, kernelSize: k, strides: 2, padding: same, activation: q('relu') })})`,
      shape: [14, 14, f],
      note: tr('a transposed convolution with stride 2 doubles the size: a learned upsampling'),
    },
    {
      layer: `tf.layers.conv2dTranspose(${opts({ filters: 1, kernelSize: k, strides: 2, padding: same, activation: q('sigmoid') })})`,
      shape: [28, 28, 1],
      note: tr('back to a 28x28 image; sigmoid keeps pixels in 0–1'),
    },
  ];
}

const compile = (p: Params) =>
  `model.compile({ optimizer: tf.train.adam(${fmtNum(num(p, 'learningRate'))}), loss: 'binaryCrossentropy', metrics: ['mse'] });`;

const explain = (tr: Translate) => [
  tr('The encoder squeezes each image into a small code; the decoder rebuilds the image from that code'),
  tr('alone. Trained to make output = input, the code must keep what matters about a digit. The loss'),
  tr('is per-pixel binary cross-entropy (pixels are 0–1). Comments show each output shape per image.'),
];

function cfg(dataset: string, note: string, p: Params, tr: Translate): string[] {
  return configBlock({ dataset, datasetNote: note, epochs: num(p, 'epochs'), batchSize: num(p, 'batchSize'), validationSplit: 0.1 }, tr);
}

const autoencoderNote = (tr: Translate) => tr('MNIST digits as both input and target (ys = xs)');
const denoisingNote = (tr: Translate) => tr('MNIST digits with Gaussian noise (std 0.3) as input, the clean digits as target');

export const denseAutoencoder: ModelTemplate = {
  id: 'autoencoder-dense',
  label: 'Autoencoder (dense)',
  detail: 'Compresses MNIST digits to a small code and rebuilds them (mnist-autoencoder)',
  params: [latentParam, hiddenParam, ...trainingParams({ epochs: 5, batchSize: 64, learningRate: 0.002 })],
  keyParams: ['latentSize', 'hiddenUnits'],
  dataset: () => 'mnist-autoencoder',
  check: (p, tr) => checkLatent(p, tr),
  render: (p, lang, tr) =>
    joinLines([
      ...fileHeader(tr('A dense autoencoder for handwritten digits.'), explain(tr), tr),
      ...cfg('mnist-autoencoder', autoencoderNote(tr), p, tr),
      '',
      ...createModelSignature(lang),
      ...sequentialBody(denseSteps(p, tr), compile(p)),
    ]),
};

export const convAutoencoder: ModelTemplate = {
  id: 'autoencoder-conv',
  label: 'Autoencoder (convolutional)',
  detail: 'Convolutions down to a code, transposed convolutions back up (mnist-autoencoder)',
  params: [latentParam, filtersParam, kernelParam, ...trainingParams({ epochs: 3, batchSize: 64, learningRate: 0.002 })],
  keyParams: ['latentSize', 'filters', 'kernelSize'],
  dataset: () => 'mnist-autoencoder',
  check: (p, tr) => [...checkLatent(p, tr), ...convErrors(p, tr)],
  render: (p, lang, tr) =>
    joinLines([
      ...fileHeader(tr('A convolutional autoencoder for handwritten digits.'), explain(tr), tr),
      ...cfg('mnist-autoencoder', autoencoderNote(tr), p, tr),
      '',
      ...createModelSignature(lang),
      ...sequentialBody(convSteps(p, tr), compile(p)),
    ]),
};

export const denoisingAutoencoder: ModelTemplate = {
  id: 'autoencoder-denoising',
  label: 'Denoising autoencoder',
  detail: 'Learns to remove noise from digits it has never seen clean (mnist-denoising)',
  params: [
    { kind: 'choice', key: 'architecture', label: 'Architecture', description: 'Dense layers or convolutions', default: 'conv', options: ['conv', 'dense'] },
    latentParam,
    hiddenParam,
    filtersParam,
    kernelParam,
    ...trainingParams({ epochs: 3, batchSize: 64, learningRate: 0.002 }),
  ],
  keyParams: ['architecture', 'latentSize'],
  dataset: () => 'mnist-denoising',
  check: (p, tr) => [...checkLatent(p, tr), ...(str(p, 'architecture') === 'conv' ? convErrors(p, tr) : [])],
  render: (p, lang, tr) =>
    joinLines([
      ...fileHeader(
        str(p, 'architecture') === 'conv' ? tr('A denoising autoencoder (convolutional) for handwritten digits.') : tr('A denoising autoencoder (dense) for handwritten digits.'),
        [
          tr('The input is a noisy digit, the target the clean one: to rebuild it, the code has to keep the'),
          tr('digit and drop the noise, so the network learns what digits look like rather than to copy.'),
          ...explain(tr).slice(2),
        ],
        tr,
      ),
      ...cfg('mnist-denoising', denoisingNote(tr), p, tr),
      '',
      ...createModelSignature(lang),
      ...sequentialBody(str(p, 'architecture') === 'conv' ? convSteps(p, tr) : denseSteps(p, tr), compile(p)),
    ]),
};
