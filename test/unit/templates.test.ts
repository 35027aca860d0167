// Every model template, rendered for a spread of parameters in TypeScript and JavaScript: the files
// type-check (one tsc run over all of them), build a model with exactly the independently computed
// number of weights and the output shapes their comments claim, and train one short epoch on their
// built-in dataset through the real trainer. Impossible parameters are refused with the reason.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunSpec, TrainerToHost } from '../../src/protocol/trainer';
import { expectedParamCount } from '../../src/scaffold/paramCount';
import { formatParamValue, parseParamInput } from '../../src/scaffold/paramInput';
import { defaultFileName, defaultParams, renderTemplate, templateDataset, validateParams, type Params, type Translate } from '../../src/scaffold/renderTemplate';
import { findTemplate, TEMPLATE_IDS } from '../../src/scaffold/templates';
import * as scaffoldDatasets from '../../src/scaffold/templates/datasets';
import { loadBackend } from '../../src/trainer/backends/loadBackend';
import { CO2_WINDOW } from '../../src/trainer/data/builtins/co2';
import { NAME_VOCAB, NAMES_GENDER_LENGTH, NAMES_WINDOW } from '../../src/trainer/data/builtins/names';
import { planFusedModel } from '../../src/trainer/backends/fused/plan';
import { loadModelFile } from '../../src/trainer/loadModelFile';
import { runTraining, silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { tscErrors } from './tscErrors';

type TF = typeof tfTypes;

interface Case {
  id: string;
  params: Params;
  /** Samples for the one training epoch: small, so conv nets stay quick. */
  limit: number;
}

// Defaults first for every template, then the corners: deep/shallow, batch norm, big kernels,
// bidirectional stacks, each recurrent cell, each dataset choice.
const CASES: Case[] = [
  { id: 'cnn-classifier', params: {}, limit: 128 },
  { id: 'cnn-classifier', params: { depth: 1, filters: 4, kernelSize: 5, dropout: 0 }, limit: 128 },
  { id: 'cnn-classifier', params: { depth: 3, filters: 4, kernelSize: 3, batchNorm: true, dropout: 0.5, denseUnits: 16 }, limit: 128 },
  { id: 'cnn-classifier', params: { depth: 2, filters: 2, kernelSize: 7, batchNorm: true }, limit: 128 },
  // Not MNIST's shape: built and type-checked, but no built-in dataset gives it, so it is not trained.
  { id: 'cnn-classifier', params: { inputShape: [32, 48, 3], classes: 5, depth: 2, kernelSize: 4 }, limit: 0 },
  { id: 'residual-cnn', params: {}, limit: 96 },
  { id: 'residual-cnn', params: { stages: 3, blocksPerStage: 2, filters: 4, kernelSize: 3 }, limit: 64 },
  { id: 'residual-cnn', params: { stages: 1, blocksPerStage: 1, filters: 4, kernelSize: 5 }, limit: 64 },
  { id: 'mlp-classifier', params: {}, limit: 150 },
  { id: 'mlp-classifier', params: { dataset: 'spiral', hiddenLayers: 3, units: 8, activation: 'tanh', dropout: 0.2 }, limit: 200 },
  { id: 'mlp-classifier', params: { dataset: 'xor', hiddenLayers: 1, units: 4, activation: 'elu' }, limit: 200 },
  { id: 'mlp-regressor', params: {}, limit: 200 },
  { id: 'mlp-regressor', params: { hiddenLayers: 4, units: 8, activation: 'sigmoid', dropout: 0.1 }, limit: 200 },
  { id: 'rnn-text-classifier', params: {}, limit: 256 },
  { id: 'rnn-text-classifier', params: { cell: 'gru', layers: 2, units: 8, bidirectional: true, embeddingSize: 4 }, limit: 128 },
  { id: 'rnn-text-classifier', params: { cell: 'simpleRNN', layers: 3, units: 6, embeddingSize: 3 }, limit: 128 },
  { id: 'char-generator', params: {}, limit: 256 },
  { id: 'char-generator', params: { cell: 'gru', units: 16, layers: 2 }, limit: 128 },
  { id: 'char-generator', params: { cell: 'simpleRNN', units: 8, bidirectional: true, embeddingSize: 5 }, limit: 128 },
  { id: 'time-series-forecaster', params: {}, limit: 128 },
  { id: 'time-series-forecaster', params: { cell: 'gru', layers: 2, units: 8, bidirectional: true }, limit: 128 },
  { id: 'time-series-forecaster', params: { cell: 'simpleRNN', layers: 3, units: 4 }, limit: 128 },
  { id: 'autoencoder-dense', params: {}, limit: 128 },
  { id: 'autoencoder-dense', params: { latentSize: 2, hiddenUnits: 16 }, limit: 128 },
  { id: 'autoencoder-conv', params: {}, limit: 64 },
  { id: 'autoencoder-conv', params: { latentSize: 4, filters: 2, kernelSize: 5 }, limit: 64 },
  { id: 'autoencoder-denoising', params: {}, limit: 64 },
  { id: 'autoencoder-denoising', params: { architecture: 'dense', latentSize: 16, hiddenUnits: 32 }, limit: 128 },
];

const LANGS = ['ts', 'js'] as const;
const caseName = (c: Case) => `${c.id} ${JSON.stringify(c.params)}`;

/**
 * Stand-in for vscode.l10n.t under a Chinese VS Code (a boundary this file does not own): the same
 * lookup in the shipped l10n/bundle.l10n.zh-cn.json, English when a key is missing, `{n}` filled.
 */
const ZH_BUNDLE = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../l10n/bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
const zhCn: Translate = (message, ...args) =>
  (ZH_BUNDLE[message] ?? message).replace(/\{(\d+)\}/g, (m, n: string) => (Number(n) < args.length ? String(args[Number(n)]) : m));
/** Every template in Chinese, each built and trained once (and type-checked with the English files). */
const ZH_CASES: Case[] = [
  { id: 'cnn-classifier', params: { batchNorm: true }, limit: 128 },
  { id: 'residual-cnn', params: { stages: 2, blocksPerStage: 1, filters: 4 }, limit: 64 },
  { id: 'mlp-classifier', params: { dropout: 0.2 }, limit: 150 },
  { id: 'mlp-regressor', params: {}, limit: 200 },
  { id: 'rnn-text-classifier', params: { cell: 'gru', layers: 2, units: 8, bidirectional: true, embeddingSize: 4 }, limit: 128 },
  { id: 'char-generator', params: { units: 16 }, limit: 128 },
  { id: 'time-series-forecaster', params: { cell: 'simpleRNN', layers: 2, units: 4 }, limit: 128 },
  { id: 'autoencoder-dense', params: { latentSize: 8, hiddenUnits: 16 }, limit: 128 },
  { id: 'autoencoder-conv', params: { latentSize: 4, filters: 2 }, limit: 64 },
  { id: 'autoencoder-denoising', params: {}, limit: 64 },
];
const zhFiles = new Map<number, string>();

let tf: TF;
let work: string;
let runsDir: string;
const files = new Map<string, string>(); // `${caseIndex}.${lang}` -> path

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-templates-'));
  runsDir = path.join(work, 'runs');
  for (const lang of LANGS) fs.mkdirSync(path.join(work, lang));
  CASES.forEach((c, i) => {
    for (const lang of LANGS) {
      const file = path.join(work, lang, `case${i}-${defaultFileName(c.id, lang)}`);
      fs.writeFileSync(file, renderTemplate(c.id, c.params, { language: lang }));
      files.set(`${i}.${lang}`, file);
    }
  });
  // The zh-CN renderings sit beside the English ones, so the one tsc run checks them too.
  ZH_CASES.forEach((c, j) => {
    const file = path.join(work, 'ts', `zh-case${j}-${defaultFileName(c.id, 'ts')}`);
    fs.writeFileSync(file, renderTemplate(c.id, c.params, { language: 'ts', translate: zhCn }));
    zhFiles.set(j, file);
  });
  // wasm: conv nets on the plain-JS cpu backend would make this file take minutes.
  const backend = await loadBackend('wasm');
  tf = backend.tf;
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('the cases cover every template, and every template has a defaults case', () => {
  expect(new Set(CASES.map((c) => c.id))).toEqual(new Set(TEMPLATE_IDS));
  expect(new Set(ZH_CASES.map((c) => c.id))).toEqual(new Set(TEMPLATE_IDS));
  for (const id of TEMPLATE_IDS) expect(CASES.some((c) => c.id === id && Object.keys(c.params).length === 0)).toBe(true);
  for (const c of CASES) expect(validateParams(c.id, c.params), caseName(c)).toEqual([]);
});

test('every rendered file (TS and JS with checkJs) type-checks in one strict tsc run', () => {
  const nodeModules = path.resolve(__dirname, '../../node_modules');
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'ES2022',
      moduleResolution: 'node',
      lib: ['ES2022'],
      types: [],
      strict: true,
      noEmit: true,
      allowJs: true,
      checkJs: true,
      skipLibCheck: true,
      noUnusedLocals: true,
      baseUrl: '.',
      // The temp folder has no node_modules: resolve tfjs from the repository's.
      paths: { '@tensorflow/*': [`${nodeModules}/@tensorflow/*`] },
      typeRoots: [`${nodeModules}/@types`],
    },
    include: ['../ts/*.ts', '../js/*.js'],
  };
  // In its own folder: esbuild reads the tsconfig above a model file, and these `paths` would make
  // it bundle tfjs into the model files the trainer loads from ../ts.
  const project = path.join(work, 'typecheck');
  fs.mkdirSync(project, { recursive: true });
  // One typo'd copy per language in the same run proves the check is live (and that checkJs checks
  // the JS files): those two errors, and nothing else, must be reported.
  for (const lang of LANGS)
    fs.writeFileSync(
      path.join(project, `broken-${lang}.${lang}`),
      renderTemplate('mlp-classifier', {}, { language: lang }).replace('tf.layers.dense(', 'tf.layers.dens('),
    );
  // (Different base names: tsc drops a .js file that has a .ts twin beside it.)
  tsconfig.include.push('broken-ts.ts', 'broken-js.js');
  fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  const errors = tscErrors(project, nodeModules);
  expect(errors).toEqual([
    expect.stringMatching(/broken-js\.js\(\d+,\d+\): error TS2551: Property 'dens' does not exist/),
    expect.stringMatching(/broken-ts\.ts\(\d+,\d+\): error TS2551: Property 'dens' does not exist/),
  ]);
});

/** The templates whose every variant trains on the fused executor (the rest: a functional graph, recurrent layers). */
const FUSED_TEMPLATES = ['mlp-classifier', 'mlp-regressor', 'cnn-classifier', 'autoencoder-dense', 'autoencoder-conv', 'autoencoder-denoising'];

/** `// -> [batch, a, b]` comments in order, as arrays without the batch axis. */
function commentShapes(text: string): number[][] {
  return [...text.matchAll(/^\s*\/\/ -> \[batch, ([\d, ]+)\]/gm)].map((m) => m[1].split(',').map((s) => Number(s.trim())));
}

describe.each(CASES.map((c, i) => [caseName(c), c, i] as const))('%s', (_name, c, i) => {
  test.each(LANGS)('%s: builds a model with expectedParamCount weights and the commented shapes, fused or saying why not', async (lang) => {
    const file = files.get(`${i}.${lang}`)!;
    const loaded = await loadModelFile(tf, file);
    expect(loaded.config.dataset).toBe(templateDataset(c.id, c.params));
    const model = (await loaded.createModel()) as tfTypes.LayersModel;
    try {
      expect(model.countParams()).toBe(expectedParamCount(c.id, c.params));
      // Every template trains on the fused executor or says why it does not (the run's log, run.json and the panel show it).
      const planned = planFusedModel(model);
      if (FUSED_TEMPLATES.includes(c.id)) expect(planned.reason, 'why it is not fused').toBeUndefined();
      else expect(planned.reason).toMatch(c.id === 'residual-cnn' ? /^the model is a Model \(only Sequential models are fused\)$/ : /\((Embedding|LSTM|GRU|SimpleRNN|Bidirectional)\) is not a layer the fused executor covers/);
      // Sequential templates comment every layer; the residual one comments its blocks, checked by the output shape.
      const text = fs.readFileSync(file, 'utf8');
      const shapes = commentShapes(text);
      if (text.includes('const model = tf.sequential()')) expect(model.layers.map((l) => (l.outputShape as number[]).slice(1))).toEqual(shapes);
      else expect((model.outputs[0].shape as number[]).slice(1)).toEqual(shapes[shapes.length - 1]);
    } finally {
      model.dispose();
    }
  });

  // One language is enough to train: the JS file is the same model (same parameter count above).
  // Cases with limit 0 have no built-in dataset of their shape: they get no training test at all.
  if (c.limit > 0) {
    test('trains one epoch on its dataset through runTraining', async () => {
      const messages: TrainerToHost[] = [];
      const overrides = { epochs: 1, limit: c.limit, batchSize: 32 } as RunSpec['overrides'];
      const status = await runTraining(
        tf,
        { name: 'wasm', reason: 'unit test' },
        { modelFile: files.get(`${i}.ts`)!, runsDir, backend: 'wasm', overrides },
        (m) => messages.push(m),
        { stopRequested: () => false },
      );
      const end = messages[messages.length - 1];
      expect(end.type === 'end' && end.error?.message, 'error').toBe(undefined);
      expect(status).toBe('completed');
      const run = messages.find((m) => m.type === 'run');
      expect(run?.type === 'run' && run.totalParams).toBe(expectedParamCount(c.id, c.params));
      const epoch = messages.find((m) => m.type === 'epoch');
      expect(epoch?.type === 'epoch' && Number.isFinite(epoch.point.metrics.loss)).toBe(true);
    });
  }
});

/** The file without its comments: what runs. */
const codeOnly = (text: string) =>
  text
    .split('\n')
    .filter((l) => !/^\s*(\/\/|\/\*\*|\*)/.test(l))
    .map((l) => l.replace(/\s*\/\/.*$/, ''));

describe.each(ZH_CASES.map((c, j) => [caseName(c), c, j] as const))('in Simplified Chinese: %s', (_name, c, j) => {
  test('the comments are Chinese, the code is the English file\'s, and the model builds with the commented shapes', async () => {
    const file = zhFiles.get(j)!;
    const zh = fs.readFileSync(file, 'utf8');
    const en = renderTemplate(c.id, c.params, { language: 'ts' });
    const comments = zh.split('\n').filter((l) => /^\s*(\/\/|\/\*\*| \*)/.test(l) && /[a-z]{4,} [a-z]{4,} [a-z]{4,}/i.test(l.replace(/tf\.\w+\(\)|"[^"]*"/g, '')));
    // Every comment sentence is Chinese: no English sentence of three long words left.
    expect(comments.filter((l) => !/[\u4e00-\u9fff]/.test(l))).toEqual([]);
    expect(zh).toMatch(/^\/\/ .*[\u4e00-\u9fff]/);
    expect(zh).toContain('用“Model Lab: 训练模型”');
    expect(codeOnly(zh)).toEqual(codeOnly(en));
    expect(commentShapes(zh)).toEqual(commentShapes(en));
    const loaded = await loadModelFile(tf, file);
    const model = (await loaded.createModel()) as tfTypes.LayersModel;
    try {
      expect(model.countParams()).toBe(expectedParamCount(c.id, c.params));
    } finally {
      model.dispose();
    }
  });

  test('trains one epoch through runTraining', async () => {
    const messages: TrainerToHost[] = [];
    const overrides = { epochs: 1, limit: c.limit, batchSize: 32 } as RunSpec['overrides'];
    const status = await runTraining(tf, { name: 'wasm', reason: 'unit test' }, { modelFile: zhFiles.get(j)!, runsDir, backend: 'wasm', overrides }, (m) => messages.push(m), {
      stopRequested: () => false,
    });
    expect(status).toBe('completed');
    const epoch = messages.find((m) => m.type === 'epoch');
    expect(epoch?.type === 'epoch' && Number.isFinite(epoch.point.metrics.loss)).toBe(true);
  });
});

describe('impossible parameters are refused with the reason', () => {
  const refused: [string, Params, RegExp][] = [
    ['cnn-classifier', { depth: 4, kernelSize: 3 }, /Block 4 of 4: the 3x3 kernel is larger than its 1x1 input/],
    ['cnn-classifier', { depth: 1, kernelSize: 15, inputShape: [10, 10, 1] }, /Block 1 of 1: the 15x15 kernel is larger than its 10x10 input/],
    ['cnn-classifier', { depth: 3, kernelSize: 5 }, /Block 3 of 3: the 5x5 kernel is larger than its 4x4 input/],
    ['cnn-classifier', { depth: 2, kernelSize: 2, inputShape: [6, 6, 1] }, /Block 2 of 2: 2x2 pooling of the 1x1 feature map would leave less than 1x1/],
    ['cnn-classifier', { denseUnits: 0 }, /Dense units \(denseUnits\) must be from 1 to 4096 \(got 0\)/],
    ['cnn-classifier', { filters: 0 }, /Filters \(filters\) must be from 1/],
    ['cnn-classifier', { dropout: 1 }, /Dropout \(dropout\) must be from 0 up to \(not including\) 1/],
    ['cnn-classifier', { inputShape: [28, 28] }, /Input shape \(inputShape\) must be 3 whole numbers/],
    ['residual-cnn', { stages: 5, inputShape: [28, 28, 1] }, /Stage 5 of 5: the 3x3 kernel is larger than its 1x1 feature map/],
    ['residual-cnn', { stages: 3, kernelSize: 9 }, /Stage 3 of 3: the 9x9 kernel is larger than its 7x7 feature map/],
    ['residual-cnn', { stages: 2, kernelSize: 3, inputShape: [1, 1, 1] }, /The 3x3 kernel is larger than the 1x1 input image/],
    ['residual-cnn', { stages: 2, kernelSize: 1, inputShape: [1, 1, 3] }, /Stage 2 of 2: 2x2 pooling of the 1x1 feature map would leave less than 1x1/],
    ['rnn-text-classifier', { units: 0 }, /Units \(units\) must be from 1 to 1024 \(got 0\)/],
    ['rnn-text-classifier', { cell: 'transformer' }, /must be one of lstm, gru, simpleRNN/],
    ['char-generator', { embeddingSize: 0 }, /Embedding size \(embeddingSize\) must be from 1/],
    ['time-series-forecaster', { layers: 0 }, /Recurrent layers \(layers\) must be from 1 to 4/],
    ['mlp-classifier', { units: 2.5 }, /must be a whole number \(got 2.5\)/],
    ['mlp-classifier', { dataset: 'imagenet' }, /must be one of iris, spiral, xor/],
    ['mlp-regressor', { hiddenLayrs: 2 }, /Unknown parameter "hiddenLayrs"/],
    ['autoencoder-dense', { latentSize: 784 }, /Latent size 784 is not smaller than the 784 pixels/],
    ['autoencoder-dense', { latentSize: 0 }, /Latent size \(latentSize\) must be from 1/],
    ['autoencoder-conv', { kernelSize: 15 }, /The 15x15 kernel is larger than the 14x14 feature map/],
    ['autoencoder-denoising', { architecture: 'conv', kernelSize: 15 }, /larger than the 14x14 feature map/],
  ];
  test.each(refused)('%s %j', (id, params, reason) => {
    const errors = validateParams(id, params);
    expect(errors.join('\n')).toMatch(reason);
    expect(() => renderTemplate(id, params, { language: 'ts' })).toThrow(reason);
  });

  test('under a Chinese VS Code the reasons are Chinese, with the same numbers', () => {
    expect(validateParams('cnn-classifier', { depth: 4, kernelSize: 3 }, zhCn)).toEqual([
      '第 4 个块（共 4 个）：3x3 的卷积核大于它 1x1 的输入（每个块先把图像缩小“卷积核−1”，再减半）。请使用更小的卷积核、更少的块或更大的输入。',
    ]);
    expect(validateParams('residual-cnn', { stages: 3, kernelSize: 9 }, zhCn).join()).toMatch(/^第 3 阶段（共 3 个）：9x9 的卷积核大于它 7x7 的特征图/);
    expect(validateParams('autoencoder-dense', { latentSize: 784 }, zhCn).join()).toMatch(/^潜在维度 784 不小于一张图像的 784 个像素/);
    expect(validateParams('autoencoder-conv', { kernelSize: 15 }, zhCn)).toEqual(['15x15 的卷积核大于第一次池化后 14x14 的特征图。卷积核最大为 14。']);
    expect(validateParams('cnn-classifier', { denseUnits: 0 }, zhCn)).toEqual(['全连接单元数 (denseUnits) 必须在 1 到 4096 之间（得到 0）']);
  });

  test('the dense denoising autoencoder does not check the conv kernel it does not use', () => {
    expect(validateParams('autoencoder-denoising', { architecture: 'dense', kernelSize: 15 })).toEqual([]);
  });

  test('unknown templates and languages are refused', () => {
    expect(validateParams('gan', {})).toEqual([expect.stringMatching(/Unknown template "gan". Known templates: cnn-classifier, /)]);
    expect(() => renderTemplate('gan')).toThrow(/Unknown template "gan"/);
    expect(() => renderTemplate('cnn-classifier', {}, { language: 'py' as 'ts' })).toThrow(/language must be 'ts' or 'js'/);
  });
});

describe('schemas', () => {
  test.each(TEMPLATE_IDS)('%s: defaults are in range, key params exist, the JS file has no TypeScript syntax', (id) => {
    const t = findTemplate(id)!;
    expect(validateParams(id, defaultParams(id))).toEqual([]);
    const keys = t.params.map((s) => s.key);
    for (const k of t.keyParams) expect(keys).toContain(k);
    expect(new Set(keys).size).toBe(keys.length);
    const js = renderTemplate(id, {}, { language: 'js' });
    expect(js).not.toMatch(/\)\s*:\s*tf\.|\bas tf\.|: number\[\]/);
  });

  test("the scaffold's copies of dataset shapes agree with the trainer's loaders", () => {
    expect(scaffoldDatasets.NAME_VOCAB_SIZE).toBe(NAME_VOCAB.length);
    expect(scaffoldDatasets.NAMES_WINDOW).toBe(NAMES_WINDOW);
    expect(scaffoldDatasets.NAMES_GENDER_LENGTH).toBe(NAMES_GENDER_LENGTH);
    expect(scaffoldDatasets.CO2_WINDOW).toBe(CO2_WINDOW);
  });
});

describe("the wizard's input boxes", () => {
  const spec = (id: string, key: string) => findTemplate(id)!.params.find((p) => p.key === key)!;

  test('accept what a user types and refuse it with the reason', () => {
    expect(parseParamInput(spec('cnn-classifier', 'filters'), ' 32 ')).toEqual({ value: 32 });
    expect(parseParamInput(spec('cnn-classifier', 'filters'), '0')).toEqual({ error: 'Filters (filters) must be from 1 to 512 (got 0)' });
    expect(parseParamInput(spec('cnn-classifier', 'filters'), 'many')).toEqual({ error: 'Filters: enter a number' });
    expect(parseParamInput(spec('cnn-classifier', 'kernelSize'), '2.5').error).toMatch(/whole number/);
    expect(parseParamInput(spec('cnn-classifier', 'dropout'), '0.3')).toEqual({ value: 0.3 });
    expect(parseParamInput(spec('cnn-classifier', 'batchNorm'), 'Yes')).toEqual({ value: true });
    expect(parseParamInput(spec('cnn-classifier', 'batchNorm'), 'maybe').error).toMatch(/yes or no/);
    expect(parseParamInput(spec('cnn-classifier', 'inputShape'), '32 x 32 x 3')).toEqual({ value: [32, 32, 3] });
    expect(parseParamInput(spec('cnn-classifier', 'inputShape'), '32, 32').error).toMatch(/must be 3 whole numbers/);
    expect(parseParamInput(spec('rnn-text-classifier', 'cell'), 'gru')).toEqual({ value: 'gru' });
    expect(parseParamInput(spec('rnn-text-classifier', 'cell'), 'gru2').error).toMatch(/one of lstm, gru, simpleRNN/);
  });

  test('refuse in Simplified Chinese under a Chinese VS Code, naming the parameter as the prompt does', () => {
    expect(parseParamInput(spec('cnn-classifier', 'filters'), '0', zhCn)).toEqual({ error: '滤波器数 (filters) 必须在 1 到 512 之间（得到 0）' });
    expect(parseParamInput(spec('cnn-classifier', 'filters'), 'many', zhCn)).toEqual({ error: '滤波器数：请输入一个数字' });
    expect(parseParamInput(spec('cnn-classifier', 'dropout'), '1', zhCn).error).toBe('Dropout 比例 (dropout) 必须不小于 0 且小于 1（得到 1）');
    expect(parseParamInput(spec('cnn-classifier', 'inputShape'), '32, a', zhCn).error).toBe('输入形状：请输入 3 个整数，例如 28, 28, 1');
    expect(parseParamInput(spec('rnn-text-classifier', 'cell'), 'gru2', zhCn).error).toBe('循环单元 (cell) 必须是 lstm, gru, simpleRNN 之一（得到 "gru2"）');
    expect(parseParamInput(spec('cnn-classifier', 'filters'), ' 32 ', zhCn)).toEqual({ value: 32 });
  });

  test('show every default so that it parses back to itself', () => {
    for (const id of TEMPLATE_IDS)
      for (const s of findTemplate(id)!.params) expect(parseParamInput(s, formatParamValue(defaultParams(id)[s.key])), `${id}.${s.key}`).toEqual({ value: defaultParams(id)[s.key] });
  });
});
