/** A small residual CNN written with the functional API: tf.input, layer.apply, tf.layers.add, tf.model. */
import { formatSampleShape } from '../../protocol/format';
import { cast, configBlock, fileHeader, fmtNum, fmtShape, joinLines, english, type Language, type ModelTemplate, type Translate } from '../code';
import { num, shape, trainingParams, type Params } from '../params';
import { imageDatasetFor } from './datasets';

interface Block {
  stage: number;
  /** Channels in and out; a projection shortcut is needed when they differ. */
  cin: number;
  cout: number;
  h: number;
  w: number;
  poolBefore: boolean;
  hBefore: number;
  wBefore: number;
}

/** 'same' padding keeps the size inside a stage (the skip connection needs equal shapes); pooling halves it between stages. */
function planResidual(p: Params, tr: Translate = english): { errors: string[]; blocks: Block[]; stem: { h: number; w: number; f: number } } {
  const [h0, w0] = shape(p, 'inputShape');
  const k = num(p, 'kernelSize');
  const stages = num(p, 'stages');
  const perStage = num(p, 'blocksPerStage');
  const f0 = num(p, 'filters');
  const errors: string[] = [];
  const blocks: Block[] = [];
  if (k > h0 || k > w0) errors.push(tr('The {0}x{0} kernel is larger than the {1}x{2} input image. Use a smaller kernel.', k, h0, w0));
  let h = h0;
  let w = w0;
  let c = f0;
  for (let s = 0; s < stages && !errors.length; s++) {
    const f = f0 * 2 ** s;
    const hBefore = h;
    const wBefore = w;
    if (s > 0) {
      if (h < 2 || w < 2) {
        errors.push(tr('Stage {0} of {1}: 2x2 pooling of the {2}x{3} feature map would leave less than 1x1. Use fewer stages or a larger input.', s + 1, stages, h, w));
        break;
      }
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
      if (k > h || k > w) {
        errors.push(tr('Stage {0} of {1}: the {2}x{2} kernel is larger than its {3}x{4} feature map (each stage halves the size). Use a smaller kernel or fewer stages.', s + 1, stages, k, h, w));
        break;
      }
    }
    for (let b = 0; b < perStage; b++) {
      blocks.push({ stage: s, cin: c, cout: f, h, w, poolBefore: s > 0 && b === 0, hBefore, wBefore });
      c = f;
    }
  }
  return { errors, blocks, stem: { h: h0, w: w0, f: f0 } };
}

function blockFunction(lang: Language, tr: Translate): string[] {
  const st = 'tf.SymbolicTensor';
  const apply = (layer: string, x: string) => cast(lang, `${layer}.apply(${x})`, st);
  return [
    '/**',
    ` * ${tr('One residual block: two convolutions learn a correction that is ADDED to the input, so the block')}`,
    ` * ${tr('only has to learn what to change. The straight path lets gradients reach early layers undamped,')}`,
    ` * ${tr('which is why deep residual networks train where plain ones stall.')}`,
    ...(lang === 'js' ? [' * @param {tf.SymbolicTensor} x', ' * @param {number} filters', ' * @param {number} kernelSize', ' * @returns {tf.SymbolicTensor}'] : []),
    ' */',
    lang === 'ts'
      ? `function residualBlock(x: ${st}, filters: number, kernelSize: number): ${st} {`
      : 'function residualBlock(x, filters, kernelSize) {',
    `  // ${tr('Batch norm after each convolution; no bias there, since batch norm adds its own shift.')}`,
    `  let y = ${apply("tf.layers.conv2d({ filters, kernelSize, padding: 'same', useBias: false })", 'x')};`,
    `  y = ${apply('tf.layers.batchNormalization()', 'y')};`,
    `  y = ${apply("tf.layers.activation({ activation: 'relu' })", 'y')};`,
    `  y = ${apply("tf.layers.conv2d({ filters, kernelSize, padding: 'same', useBias: false })", 'y')};`,
    `  y = ${apply('tf.layers.batchNormalization()', 'y')};`,
    `  // ${tr('The shortcut must have the same shape to be added: a 1x1 convolution changes its channel count.')}`,
    '  const channels = x.shape[x.shape.length - 1];',
    `  const shortcut = channels === filters ? x : ${apply('tf.layers.conv2d({ filters, kernelSize: 1 })', 'x')};`,
    `  const sum = ${apply('tf.layers.add()', '[y, shortcut]')};`,
    `  return ${apply("tf.layers.activation({ activation: 'relu' })", 'sum')};`,
    '}',
  ];
}

export const residualCnn: ModelTemplate = {
  id: 'residual-cnn',
  label: 'Residual CNN (functional API)',
  detail: 'ResNet-style blocks with skip connections, built with tf.model and tf.layers.add (MNIST)',
  params: [
    { kind: 'int', key: 'stages', label: 'Stages', description: 'Groups of residual blocks; each after the first halves the size and doubles the filters', default: 2, min: 1, max: 5 },
    { kind: 'int', key: 'blocksPerStage', label: 'Blocks per stage', description: 'Residual blocks in each stage', default: 1, min: 1, max: 6 },
    { kind: 'int', key: 'filters', label: 'Filters', description: 'Filters of the first stage', default: 8, min: 1, max: 256 },
    { kind: 'int', key: 'kernelSize', label: 'Kernel size', description: 'Width and height of each filter', default: 3, min: 1, max: 15 },
    { kind: 'shape', key: 'inputShape', label: 'Input shape', description: 'height, width, channels', default: [28, 28, 1], length: 3, min: 1, max: 1024 },
    { kind: 'int', key: 'classes', label: 'Classes', description: 'Number of classes to tell apart', default: 10, min: 2, max: 10_000 },
    ...trainingParams({ epochs: 2, batchSize: 64, learningRate: 0.001 }),
  ],
  keyParams: ['stages', 'blocksPerStage', 'filters', 'kernelSize'],
  dataset: (p) => imageDatasetFor(shape(p, 'inputShape'), num(p, 'classes')).name,
  check: (p, tr) => planResidual(p, tr).errors,
  render(p, lang, tr) {
    const { blocks, stem } = planResidual(p);
    const [h0, w0, c0] = shape(p, 'inputShape');
    const k = num(p, 'kernelSize');
    const classes = num(p, 'classes');
    const ds = imageDatasetFor(shape(p, 'inputShape'), classes, tr);
    const st = 'tf.SymbolicTensor';
    const body: string[] = [];
    body.push(`  // ${formatSampleShape([h0, w0, c0])}: ${tr('the image')}`);
    body.push(`  const input = tf.input({ shape: ${fmtShape([h0, w0, c0])} });`);
    body.push(`  // -> ${formatSampleShape([stem.h, stem.w, stem.f])}: ${tr('a first convolution turns pixels into {0} feature maps', stem.f)}`);
    body.push(`  let x = ${cast(lang, `tf.layers.conv2d({ filters: ${stem.f}, kernelSize: ${k}, padding: 'same', activation: 'relu' }).apply(input)`, st)};`);
    for (const b of blocks) {
      if (b.poolBefore) {
        body.push(`  // -> ${formatSampleShape([b.h, b.w, b.cin])}: ${tr('stage {0} starts at half the size ({1}x{2} -> {3}x{4}), so its filters see twice as far', b.stage + 1, b.hBefore, b.wBefore, b.h, b.w)}`);
        body.push(`  x = ${cast(lang, 'tf.layers.maxPooling2d({ poolSize: 2 }).apply(x)', st)};`);
      }
      const proj = b.cin !== b.cout ? tr(' (1x1 projection on the shortcut: {0} -> {1} channels)', b.cin, b.cout) : '';
      body.push(`  // -> ${formatSampleShape([b.h, b.w, b.cout])}: ${tr('residual block, stage {0}', b.stage + 1)}${proj}`);
      body.push(`  x = residualBlock(x, ${b.cout}, ${k});`);
    }
    const last = blocks[blocks.length - 1];
    body.push(`  // -> ${formatSampleShape([last.cout])}: ${tr('the average of each feature map; no flatten, so the head stays small at any image size')}`);
    body.push(`  x = ${cast(lang, 'tf.layers.globalAveragePooling2d({}).apply(x)', st)};`);
    body.push(`  // -> ${formatSampleShape([classes])}: ${tr('one probability per class')}`);
    body.push(`  const output = ${cast(lang, `tf.layers.dense({ units: ${classes}, activation: 'softmax' }).apply(x)`, st)};`);
    body.push('  const model = tf.model({ inputs: input, outputs: output });');
    body.push(`  model.compile({ optimizer: tf.train.adam(${fmtNum(num(p, 'learningRate'))}), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });`);
    body.push('  return model;', '}');
    return joinLines([
      ...fileHeader(
        tr('A small residual network (ResNet-style), written with the functional API.'),
        [
          tr('tf.sequential() can only stack layers; a skip connection needs a layer with two inputs, so the'),
          tr('graph is built by applying layers to symbolic tensors and closing it with tf.model().'),
          tr('Each comment shows the output shape (its first axis, batch, is the number of images in a batch).'),
        ],
        tr,
      ),
      ...configBlock({ dataset: ds.name, datasetNote: ds.note, epochs: num(p, 'epochs'), batchSize: num(p, 'batchSize'), validationSplit: 0.15 }, tr),
      '',
      ...blockFunction(lang, tr),
      '',
      ...(lang === 'ts' ? ['export function createModel(): tf.LayersModel {'] : ['/** @returns {tf.LayersModel} */', 'export function createModel() {']),
      ...body,
    ]);
  },
};
