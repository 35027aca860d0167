/**
 * What the hover on a `tf.layers.*` call says: what the layer does, its main arguments with this
 * call's values, and the shape arithmetic of this very call (src/protocol/layerCall.ts computes it),
 * in English and Simplified Chinese. Pure (no `vscode`): src/editor/layerCallHover.ts is the adapter.
 */
import { callArithmetic, declaredInputShape, SPATIAL, type ArgValue, type LayerCall } from '../protocol/layerCall';
import { type Shape } from '../protocol/layerMath';
import { formatSampleShape as formatShape } from '../protocol/format';

export interface LayerDoc {
  /** One or two sentences: what the layer does. */
  what: string;
  /** The main arguments and what each changes. */
  args: [name: string, meaning: string][];
}

export type Language = 'en' | 'zh-cn';

/** The words of a hover, in English or Simplified Chinese. */
export interface HoverWords {
  mainArgs: string;
  shapes: string;
  input: string;
  output: string;
  fromPrevious: string;
  fromInputShape: string;
  unknownInput: string;
  tooSmall: (axis: string, size: number, input: number) => string;
  axis: (i: number) => string;
  /** The one axis of a sequence. */
  steps: string;
  params: (n: string) => string;
  notWritten: string;
}

export const HOVER_WORDS: Record<Language, HoverWords> = {
  en: {
    mainArgs: 'Main arguments',
    shapes: 'Shapes in this model',
    input: 'input',
    output: 'output',
    fromPrevious: 'from the layer before',
    fromInputShape: 'from `inputShape`',
    unknownInput: 'The input shape is not known yet: save the file to build the model, or give this layer an `inputShape`.',
    tooSmall: (axis, size, input) => `**The window (${size}) is larger than the ${axis} of its input (${input})**: make the kernel or pool smaller, use \`padding: 'same'\`, or downsample less before it.`,
    axis: (i) => ['height', 'width', 'depth'][i] ?? `axis ${i + 1}`,
    steps: 'steps',
    params: (n) => `${n} parameters`,
    notWritten: 'default',
  },
  'zh-cn': {
    mainArgs: '主要参数',
    shapes: '本模型中的形状',
    input: '输入',
    output: '输出',
    fromPrevious: '来自上一层',
    fromInputShape: '来自 `inputShape`',
    unknownInput: '输入形状尚未知：保存文件以构建模型，或为该层指定 `inputShape`。',
    tooSmall: (axis, size, input) => `**窗口（${size}）大于输入的${axis}（${input}）**：请减小卷积核或池化窗口、使用 \`padding: 'same'\`，或在它之前少做一些下采样。`,
    axis: (i) => ['高度', '宽度', '深度'][i] ?? `第 ${i + 1} 维`,
    steps: '时间步',
    params: (n) => `${n} 个参数`,
    notWritten: '默认',
  },
};

type Docs = Record<string, Record<Language, LayerDoc>>;

const CONV_ARGS_EN: LayerDoc['args'] = [
  ['filters', 'how many feature maps it learns (the output channels)'],
  ['kernelSize', 'the size of the window each filter slides'],
  ['strides', 'how far the window moves each step (default 1; 2 halves the size)'],
  ['padding', "'valid' (default): no padding, the map shrinks by kernel − 1; 'same': padded to keep the size"],
  ['activation', "applied to each output, e.g. 'relu'"],
];
const CONV_ARGS_ZH: LayerDoc['args'] = [
  ['filters', '学习多少个特征图（输出通道数）'],
  ['kernelSize', '每个卷积核滑动窗口的大小'],
  ['strides', '窗口每步移动的距离（默认 1；2 会让尺寸减半）'],
  ['padding', "'valid'（默认）：不填充，特征图缩小 kernel − 1；'same'：填充以保持尺寸"],
  ['activation', "作用于每个输出，例如 'relu'"],
];
const POOL_ARGS_EN: LayerDoc['args'] = [
  ['poolSize', 'the window size (default 2)'],
  ['strides', 'how far the window moves (default: the pool size, so windows do not overlap)'],
  ['padding', "'valid' (default) or 'same'"],
];
const POOL_ARGS_ZH: LayerDoc['args'] = [
  ['poolSize', '窗口大小（默认 2）'],
  ['strides', '窗口每步移动的距离（默认等于窗口大小，窗口不重叠）'],
  ['padding', "'valid'（默认）或 'same'"],
];
const RNN_ARGS_EN: LayerDoc['args'] = [
  ['units', 'the size of the hidden state (and of each output)'],
  ['returnSequences', 'true: an output per time step (needed before another recurrent layer); false (default): only the last'],
  ['dropout', 'dropout on the inputs while training'],
];
const RNN_ARGS_ZH: LayerDoc['args'] = [
  ['units', '隐藏状态（以及每个输出）的大小'],
  ['returnSequences', 'true：每个时间步都输出（后面还有循环层时需要）；false（默认）：只输出最后一步'],
  ['dropout', '训练时对输入做的 dropout'],
];

export const LAYER_DOCS: Docs = {
  conv2d: {
    en: { what: 'A 2-D convolution: slides small learned filters over an image or feature map, each producing one output channel that responds to a local pattern (an edge, a stroke, a texture).', args: CONV_ARGS_EN },
    'zh-cn': { what: '二维卷积：在图像或特征图上滑动可学习的小卷积核，每个卷积核产生一个输出通道，对局部模式（边缘、笔画、纹理）作出响应。', args: CONV_ARGS_ZH },
  },
  conv1d: {
    en: { what: 'A 1-D convolution over a sequence: each filter looks at `kernelSize` neighbouring steps.', args: CONV_ARGS_EN },
    'zh-cn': { what: '序列上的一维卷积：每个卷积核查看相邻的 `kernelSize` 个时间步。', args: CONV_ARGS_ZH },
  },
  conv2dTranspose: {
    en: { what: 'A transposed ("up") convolution: the reverse of conv2d\'s downsampling, used in decoders to grow a feature map.', args: CONV_ARGS_EN },
    'zh-cn': { what: '转置卷积（上采样卷积）：与 conv2d 的下采样相反，常用于解码器中放大特征图。', args: CONV_ARGS_ZH },
  },
  depthwiseConv2d: {
    en: { what: 'A depthwise convolution: one filter per input channel, channels kept apart (cheap spatial filtering).', args: [['kernelSize', 'the window size'], ['depthMultiplier', 'output channels per input channel (default 1)'], ['strides', 'step of the window'], ['padding', "'valid' or 'same'"]] },
    'zh-cn': { what: '深度卷积：每个输入通道一个卷积核，通道之间互不混合（代价很低的空间滤波）。', args: [['kernelSize', '窗口大小'], ['depthMultiplier', '每个输入通道的输出通道数（默认 1）'], ['strides', '窗口步长'], ['padding', "'valid' 或 'same'"]] },
  },
  separableConv2d: {
    en: { what: 'A depthwise convolution followed by a 1×1 convolution that mixes channels: much like conv2d with far fewer parameters.', args: CONV_ARGS_EN },
    'zh-cn': { what: '深度卷积后接 1×1 卷积来混合通道：效果接近 conv2d，参数却少得多。', args: CONV_ARGS_ZH },
  },
  maxPooling2d: {
    en: { what: 'Keeps the largest value of each window: shrinks the feature map (by the pool size, by default) and keeps the strongest responses.', args: POOL_ARGS_EN },
    'zh-cn': { what: '保留每个窗口中的最大值：缩小特征图（默认按窗口大小缩小），保留最强的响应。', args: POOL_ARGS_ZH },
  },
  averagePooling2d: {
    en: { what: 'Averages each window: shrinks the feature map smoothly.', args: POOL_ARGS_EN },
    'zh-cn': { what: '对每个窗口取平均：平滑地缩小特征图。', args: POOL_ARGS_ZH },
  },
  maxPooling1d: {
    en: { what: 'Keeps the largest value of each window of time steps.', args: POOL_ARGS_EN },
    'zh-cn': { what: '保留每个时间步窗口中的最大值。', args: POOL_ARGS_ZH },
  },
  averagePooling1d: {
    en: { what: 'Averages each window of time steps.', args: POOL_ARGS_EN },
    'zh-cn': { what: '对每个时间步窗口取平均。', args: POOL_ARGS_ZH },
  },
  globalAveragePooling2d: {
    en: { what: 'Averages each channel over the whole map: [h, w, c] → [c]. A light alternative to flatten before the classifier.', args: [] },
    'zh-cn': { what: '对每个通道在整张特征图上取平均：[h, w, c] → [c]。是分类器前 flatten 的轻量替代。', args: [] },
  },
  globalMaxPooling2d: {
    en: { what: 'Keeps the largest value of each channel over the whole map: [h, w, c] → [c].', args: [] },
    'zh-cn': { what: '保留每个通道在整张特征图上的最大值：[h, w, c] → [c]。', args: [] },
  },
  dense: {
    en: { what: 'A fully connected layer: every output is a weighted sum of all inputs plus a bias, then the activation.', args: [['units', 'how many outputs'], ['activation', "e.g. 'relu' inside the network, 'softmax' for class probabilities, none for regression"], ['useBias', 'add a learned bias (default true)']] },
    'zh-cn': { what: '全连接层：每个输出都是所有输入的加权和加上偏置，再经过激活函数。', args: [['units', '输出个数'], ['activation', "例如网络内部用 'relu'，类别概率用 'softmax'，回归不用激活"], ['useBias', '是否加可学习的偏置（默认 true）']] },
  },
  flatten: {
    en: { what: 'Lays a feature map out as one long vector (no parameters), so dense layers can follow.', args: [] },
    'zh-cn': { what: '把特征图展开成一个长向量（没有参数），以便后面接全连接层。', args: [] },
  },
  dropout: {
    en: { what: 'While training, sets a random fraction of its inputs to zero (and scales the rest), so the network cannot rely on any one unit: less overfitting. Does nothing at prediction time.', args: [['rate', 'the fraction dropped, e.g. 0.2']] },
    'zh-cn': { what: '训练时随机把一部分输入置零（并放大其余部分），使网络不能依赖某一个单元，从而减少过拟合。预测时不起作用。', args: [['rate', '被丢弃的比例，例如 0.2']] },
  },
  batchNormalization: {
    en: { what: 'Normalises each channel to zero mean and unit variance over the batch, then scales and shifts it with learned values: faster, steadier training.', args: [['momentum', 'how slowly the running mean and variance follow the batches (default 0.99)'], ['epsilon', 'added to the variance to avoid dividing by zero']] },
    'zh-cn': { what: '在批次内把每个通道归一化为均值 0、方差 1，再用可学习的值缩放和平移：训练更快、更稳定。', args: [['momentum', '滑动均值和方差跟随批次的缓慢程度（默认 0.99）'], ['epsilon', '加到方差上以避免除以零']] },
  },
  layerNormalization: {
    en: { what: 'Normalises each sample over its features (not over the batch).', args: [['epsilon', 'added to the variance']] },
    'zh-cn': { what: '对每个样本在其特征维度上做归一化（而不是在批次上）。', args: [['epsilon', '加到方差上的小数']] },
  },
  lstm: {
    en: { what: 'A long short-term memory layer: reads a sequence step by step, keeping a memory cell with gates that decide what to keep, forget and output.', args: RNN_ARGS_EN },
    'zh-cn': { what: '长短期记忆（LSTM）层：逐步读取序列，用带门控的记忆单元决定保留、遗忘和输出什么。', args: RNN_ARGS_ZH },
  },
  gru: {
    en: { what: 'A gated recurrent unit: like an LSTM with fewer gates and parameters.', args: RNN_ARGS_EN },
    'zh-cn': { what: '门控循环单元（GRU）：类似 LSTM，但门更少、参数更少。', args: RNN_ARGS_ZH },
  },
  simpleRNN: {
    en: { what: 'The plainest recurrent layer: a hidden state updated from each step. Forgets long contexts quickly.', args: RNN_ARGS_EN },
    'zh-cn': { what: '最简单的循环层：每一步都根据输入更新隐藏状态。长距离上下文很快就会被遗忘。', args: RNN_ARGS_ZH },
  },
  bidirectional: {
    en: { what: 'Runs the wrapped recurrent layer forwards and backwards over the sequence and joins both outputs.', args: [['layer', 'the recurrent layer to wrap'], ['mergeMode', "how the two directions are joined: 'concat' (default), 'sum', 'mul', 'ave'"]] },
    'zh-cn': { what: '让包装的循环层分别正向和反向读取序列，并把两个方向的输出合并。', args: [['layer', '被包装的循环层'], ['mergeMode', "两个方向的合并方式：'concat'（默认）、'sum'、'mul'、'ave'"]] },
  },
  embedding: {
    en: { what: 'Turns integer ids (words, characters) into learned vectors.', args: [['inputDim', 'how many different ids (the vocabulary size)'], ['outputDim', 'the length of each vector'], ['inputLength', 'the sequence length, when fixed']] },
    'zh-cn': { what: '把整数 ID（词、字符）变成可学习的向量。', args: [['inputDim', '不同 ID 的个数（词表大小）'], ['outputDim', '每个向量的长度'], ['inputLength', '序列长度（固定时）']] },
  },
  reshape: {
    en: { what: 'Gives the same values another shape (no parameters).', args: [['targetShape', 'the new shape without the batch axis; the sizes must multiply to the same total']] },
    'zh-cn': { what: '把同样的数值换成另一种形状（没有参数）。', args: [['targetShape', '不含批次维的新形状；各维相乘必须与原来的总数相同']] },
  },
  upSampling2d: {
    en: { what: 'Repeats rows and columns to enlarge a feature map (no parameters).', args: [['size', 'the factor per axis (default 2)']] },
    'zh-cn': { what: '重复行和列来放大特征图（没有参数）。', args: [['size', '每个维度的放大倍数（默认 2）']] },
  },
  activation: {
    en: { what: 'Applies an activation function to every value.', args: [['activation', "e.g. 'relu', 'sigmoid', 'softmax'"]] },
    'zh-cn': { what: '对每个值应用激活函数。', args: [['activation', "例如 'relu'、'sigmoid'、'softmax'"]] },
  },
  add: {
    en: { what: 'Adds its inputs element by element (all must have the same shape): the join of a residual connection.', args: [] },
    'zh-cn': { what: '逐元素相加各输入（形状必须相同）：残差连接的汇合点。', args: [] },
  },
  concatenate: {
    en: { what: 'Joins its inputs along an axis (the last by default).', args: [['axis', 'the axis to join on (default −1)']] },
    'zh-cn': { what: '沿某个维度拼接各输入（默认最后一维）。', args: [['axis', '拼接的维度（默认 −1）']] },
  },
};

const argText = (v: ArgValue): string =>
  v === null ? 'null'
  : Array.isArray(v) ? `[${v.map(argText).join(', ')}]`
  : typeof v === 'object' ? v.raw
  : typeof v === 'string' ? `'${v}'`
  : String(v);

/**
 * The hover's markdown: what the layer does, its main arguments with this call's values, and the
 * shape arithmetic when the input shape is known (`previousOutput` = the layer before's output
 * shape, without the batch axis). Undefined for factories without a description.
 */
export function describeLayerCall(call: LayerCall, previousOutput: Shape | undefined, lang: Language = 'en'): string | undefined {
  const doc = LAYER_DOCS[call.factory]?.[lang];
  if (!doc) return undefined;
  const w = HOVER_WORDS[lang];
  const lines: string[] = [`**tf.layers.${call.factory}** — ${doc.what}`, ''];
  if (doc.args.length > 0) {
    lines.push(`**${w.mainArgs}**`, '');
    for (const [name, meaning] of doc.args) {
      const v = call.args[name];
      lines.push(`- \`${name}\` = ${v === undefined ? `_${w.notWritten}_` : `\`${argText(v)}\``}: ${meaning}`);
    }
    lines.push('');
  }
  const declared = declaredInputShape(call);
  const input = declared ?? previousOutput;
  if (!input) {
    lines.push(w.unknownInput);
    return lines.join('\n');
  }
  const r = callArithmetic(call, input);
  const axisName = (axis: number | 'flatten') => (axis === 'flatten' ? 'flatten' : SPATIAL[call.factory]?.axes === 1 ? w.steps : w.axis(axis));
  lines.push(`**${w.shapes}**`, '');
  lines.push(`- ${w.input}: \`${formatShape(input)}\` (${declared ? w.fromInputShape : w.fromPrevious})`);
  for (const s of r.steps) lines.push(`- ${axisName(s.axis)}: ${s.result.formula}`);
  if (r.output) lines.push(`- ${w.output}: \`${formatShape(r.output)}\``);
  if (r.tooSmall) lines.push('', w.tooSmall(axisName(r.tooSmall.axis), r.tooSmall.window, r.tooSmall.input));
  return lines.join('\n');
}
