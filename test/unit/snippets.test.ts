// The snippet files: valid JSON(C), clear `ml-` prefixes and tab stops in reading order, and every
// body, expanded as VS Code would with its defaults, compiles — TypeScript and JavaScript (checkJs)
// with one strict tsc run, Python with py_compile — and runs: every tfjs one (file:// paths pointed
// into a temp folder) and every PyTorch one (/usr/bin/python3 with torch). Keras is not installed
// here, so the Keras ones are only compiled.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { planFusedModel } from '../../src/trainer/backends/fused/plan';
import { registerFileRouters } from '../../src/trainer/fsModelIo';
import { bundleFile } from '../../src/trainer/loadModelFile';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { tscErrors } from './tscErrors';

const root = path.resolve(__dirname, '../..');
const snippetDir = path.join(root, 'snippets');

interface Snippet {
  scope: string;
  prefix: string;
  description: string;
  body: string[];
}

/** JSON with // and /* *\/ comments (what VS Code accepts in .code-snippets), strings respected. */
export function parseJsonc(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2) + 1;
      if (i === 0) throw new SyntaxError('unterminated /* comment');
    } else out += c;
  }
  return JSON.parse(out);
}

// ---- VS Code snippet syntax -> text, placeholders at their defaults ----

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'tabstop'; n: number }
  | { kind: 'placeholder'; n: number; children: Node[] }
  | { kind: 'choice'; n: number; options: string[] };

/** Parses snippet syntax (tab stops, nested placeholders, choices, escapes); variables are refused. */
export function parseSnippet(s: string): Node[] {
  let i = 0;
  const parse = (inPlaceholder: boolean): Node[] => {
    const nodes: Node[] = [];
    let text = '';
    const flush = () => {
      if (text) nodes.push({ kind: 'text', text });
      text = '';
    };
    while (i < s.length) {
      const c = s[i];
      if (c === '\\' && i + 1 < s.length && '$}\\'.includes(s[i + 1])) {
        text += s[i + 1];
        i += 2;
      } else if (inPlaceholder && c === '}') {
        i++;
        flush();
        return nodes;
      } else if (c === '$') {
        const simple = /^\$(\d+)/.exec(s.slice(i));
        const braced = /^\$\{(\d+)([:|}])/.exec(s.slice(i));
        if (simple) {
          flush();
          nodes.push({ kind: 'tabstop', n: Number(simple[1]) });
          i += simple[0].length;
        } else if (braced) {
          flush();
          const n = Number(braced[1]);
          i += braced[0].length;
          if (braced[2] === '}') nodes.push({ kind: 'tabstop', n });
          else if (braced[2] === ':') nodes.push({ kind: 'placeholder', n, children: parse(true) });
          else {
            const end = s.indexOf('|}', i);
            if (end < 0) throw new SyntaxError(`unterminated choice in ${s}`);
            nodes.push({ kind: 'choice', n, options: s.slice(i, end).split(',') });
            i = end + 2;
          }
        } else if (/^\$\{?[A-Za-z_]/.test(s.slice(i))) {
          throw new SyntaxError(`snippet variables are not used in Model Lab snippets: ${s.slice(i, i + 20)}`);
        } else {
          text += c; // a lone $ is literal
          i++;
        }
      } else {
        text += c;
        i++;
      }
    }
    if (inPlaceholder) throw new SyntaxError(`unterminated placeholder in ${s}`);
    flush();
    return nodes;
  };
  return parse(false);
}

/** The text VS Code inserts when every stop keeps its default: mirrors take the first default, a choice its first option. */
export function expandSnippet(body: string): string {
  const nodes = parseSnippet(body);
  const values = new Map<number, string>();
  const render = (ns: Node[]): string =>
    ns
      .map((n) => {
        if (n.kind === 'text') return n.text;
        if (n.kind === 'placeholder' || n.kind === 'choice') return values.get(n.n) ?? '';
        return values.get(n.n) ?? '';
      })
      .join('');
  const collect = (ns: Node[]) => {
    for (const n of ns) {
      if (n.kind === 'placeholder') {
        collect(n.children);
        if (!values.has(n.n)) values.set(n.n, render(n.children));
      } else if (n.kind === 'choice' && !values.has(n.n)) values.set(n.n, n.options[0]);
    }
  };
  collect(nodes);
  return render(nodes);
}

/** Tab stops in order of first appearance, with every default each one is given. */
function tabStops(body: string): { order: number[]; defaults: Map<number, Set<string>> } {
  const order: number[] = [];
  const defaults = new Map<number, Set<string>>();
  const walk = (ns: Node[]) => {
    for (const n of ns) {
      if (n.kind === 'text') continue;
      if (!order.includes(n.n)) order.push(n.n);
      if (n.kind === 'placeholder') {
        const d = defaults.get(n.n) ?? new Set<string>();
        d.add(JSON.stringify(n.children));
        defaults.set(n.n, d);
        walk(n.children);
      } else if (n.kind === 'choice') {
        const d = defaults.get(n.n) ?? new Set<string>();
        d.add(n.options.join('|'));
        defaults.set(n.n, d);
      }
    }
  };
  walk(parseSnippet(body));
  return { order, defaults };
}

const files = fs.readdirSync(snippetDir).filter((f) => f.endsWith('.code-snippets'));
const all: { file: string; name: string; snippet: Snippet }[] = [];
for (const file of files) {
  const parsed = parseJsonc(fs.readFileSync(path.join(snippetDir, file), 'utf8')) as Record<string, Snippet>;
  for (const [name, snippet] of Object.entries(parsed)) all.push({ file, name, snippet });
}
const bodyOf = (s: Snippet) => s.body.join('\n');

// ---- how each tfjs snippet is compiled and run ----

interface Harness {
  /** A whole module (imports, exports) rather than a fragment. */
  file?: boolean;
  /** Code before the fragment: the values it refers to, built for real (no `any`, no declare). */
  prelude?: string;
  /** Code after it, returning what the test checks. */
  epilogue?: string;
  /** Checks on what run() returned. */
  check: (result: unknown) => void | Promise<void>;
  /** Points the snippet's default file:// path (and the prelude's) into the test's temp folder. */
  rewrite?: (code: string) => string;
}

const outShape = (m: unknown) => (m as tf.LayersModel).outputs[0].shape;
const modelFrom = (epilogue = 'return model;') => epilogue;
const compiledModel = (inputs: number, units: number, activation: string, loss: string) =>
  `const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [${inputs}], units: ${units}, activation: '${activation}' })] });\n` +
  `model.compile({ optimizer: 'adam', loss: '${loss}' });`;
const residualCheck = {
  epilogue: 'const input = tf.input({ shape: [8, 8, 4] });\nreturn tf.model({ inputs: input, outputs: residualBlock(input, 8) });',
  check: (m: unknown) => {
    expect(outShape(m)).toEqual([null, 8, 8, 8]);
    expect((m as tf.LayersModel).layers.map((l) => l.getClassName())).toContain('Add');
  },
};
const modelFileCheck = {
  file: true,
  check: async (exports: unknown) => {
    const e = exports as { createModel: () => tf.LayersModel; config: { dataset: string } };
    expect(e.config.dataset).toBe('mnist');
    const model = e.createModel();
    expect(model.inputs[0].shape).toEqual([null, 28, 28, 1]);
    expect(outShape(model)).toEqual([null, 10]);
  },
};
const customLayerCheck = {
  epilogue: 'return tf.sequential({ layers: [new ScaleLayer({ inputShape: [3] })] });',
  check: async (m: unknown) => {
    const model = m as tf.LayersModel;
    expect(model.countParams()).toBe(1);
    const x = tf.tensor2d([[1, 2, 3]]);
    expect(Array.from((model.predict(x) as tf.Tensor).dataSync())).toEqual([1, 2, 3]);
    // getConfig + registerClass: the model survives a save/load round trip through model.json.
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    expect(JSON.stringify(saved?.modelTopology)).toContain('"class_name":"ScaleLayer"');
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.layers[0].getClassName()).toBe('ScaleLayer');
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual([1, 2, 3]);
  },
};
const trainLoopCheck: Harness = {
  prelude: 'const xs = tf.randomNormal([64, 3], 0, 1, "float32", 2);\nconst ys = tf.matMul(xs, tf.tensor2d([[1], [-2], [3]]));',
  epilogue: 'return w;',
  check: (w) => {
    // 200 Adam steps on exact linear data recover the weights.
    const got = Array.from((w as tf.Variable).dataSync());
    [1, -2, 3].forEach((want, i) => expect(got[i]).toBeCloseTo(want, 0));
  },
};
/** The temp folder the file:// snippets read and write (set in beforeAll). */
let work: string;
const inWork = (from: string, to: string) => (code: string) => code.split(from).join(`file://${work}/${to}`);
const csvCheck: Harness = {
  rewrite: inWork('file://./data.csv', 'data.csv'),
  epilogue: 'return batches.toArray();',
  check: async (b) => {
    const got = b as { xs: tf.Tensor; ys: tf.Tensor }[];
    expect(got.map((x) => [x.xs.shape, x.ys.shape])).toEqual([[[3, 2], [3, 1]]]);
    expect(Array.from(got[0].xs.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(got[0].ys.dataSync())).toEqual([0, 1, 0]);
  },
};
const twoFeatures = 'const xs = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]);\nconst ys = tf.tensor2d([[0], [1], [0], [1], [0]]);';

const HARNESS: Record<string, Harness> = {
  'Model Lab model file (TypeScript)': modelFileCheck,
  'Model Lab model file (JavaScript)': modelFileCheck,
  'Sequential model': { epilogue: modelFrom(), check: (m) => expect(outShape(m)).toEqual([null, 3]) },
  'Functional model (TypeScript)': { epilogue: modelFrom(), check: (m) => expect(outShape(m)).toEqual([null, 3]) },
  'Functional model (JavaScript)': { epilogue: modelFrom(), check: (m) => expect(outShape(m)).toEqual([null, 3]) },
  'Conv + pool block': {
    prelude: 'const model = tf.sequential();\nmodel.add(tf.layers.inputLayer({ inputShape: [28, 28, 1] }));',
    epilogue: modelFrom(),
    check: (m) => expect(outShape(m)).toEqual([null, 14, 14, 32]),
  },
  'Depthwise separable block': {
    prelude: 'const model = tf.sequential();\nmodel.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: "same" }));',
    epilogue: modelFrom(),
    check: (m) => {
      expect(outShape(m)).toEqual([null, 28, 28, 64]);
      // Depthwise 3x3 over 16 channels, its batch norm, 16x64 pointwise, its batch norm (after the conv's 160).
      expect((m as tf.LayersModel).countParams()).toBe(160 + 9 * 16 + 4 * 16 + 16 * 64 + 4 * 64);
      // And the block trains on the fused executor, not tfjs's fit.
      const model = m as tf.Sequential;
      model.add(tf.layers.globalAveragePooling2d({}));
      model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
      model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      expect(planFusedModel(model).reason).toBeUndefined();
    },
  },
  'Residual block (TypeScript)': residualCheck,
  'Residual block (JavaScript)': residualCheck,
  'Recurrent stack (LSTM/GRU)': { prelude: 'const model = tf.sequential();', epilogue: modelFrom(), check: (m) => expect(outShape(m)).toEqual([null, 32]) },
  'Bidirectional recurrent layer': {
    prelude: 'const model = tf.sequential();\nmodel.add(tf.layers.inputLayer({ inputShape: [10, 4] }));',
    epilogue: modelFrom(),
    check: (m) => expect(outShape(m)).toEqual([null, 64]),
  },
  Embedding: { prelude: 'const model = tf.sequential();', epilogue: modelFrom(), check: (m) => expect(outShape(m)).toEqual([null, 20, 16]) },
  'Dense autoencoder': {
    epilogue: 'return autoencoder;',
    check: (m) => {
      expect(outShape(m)).toEqual([null, 784]);
      expect((m as tf.LayersModel).getLayer('code').outputShape).toEqual([null, 32]);
    },
  },
  Compile: {
    prelude: 'const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3, activation: "softmax" })] });',
    epilogue: modelFrom(),
    check: (m) => expect((m as tf.LayersModel).optimizer).toBeInstanceOf(tf.AdamOptimizer),
  },
  'Fit with callbacks': {
    prelude:
      compiledModel(4, 3, 'softmax', 'categoricalCrossentropy') +
      '\nconst xs = tf.randomNormal([40, 4], 0, 1, "float32", 1);\nconst ys = tf.oneHot(tf.tensor1d(Array.from({ length: 40 }, (_, i) => i % 3), "int32"), 3);',
    epilogue: 'return history;',
    check: (h) => {
      const loss = (h as tf.History).history.loss as number[];
      expect(loss.length).toBeGreaterThanOrEqual(4); // early stopping needs patience + 1 epochs at least
      expect((h as tf.History).history.val_loss).toHaveLength(loss.length);
    },
  },
  'fitDataset with a generator': {
    prelude: compiledModel(1, 1, 'linear', 'meanSquaredError'),
    epilogue: 'return history;',
    check: (h) => expect((h as tf.History).history.loss).toHaveLength(5),
  },
  'Custom layer (TypeScript)': customLayerCheck,
  'Custom layer (JavaScript)': customLayerCheck,
  'Custom training loop (TypeScript)': trainLoopCheck,
  'Custom training loop (JavaScript)': trainLoopCheck,
  'tf.tidy': {
    prelude: 'const before = tf.memory().numTensors;',
    epilogue: 'return { result, kept: tf.memory().numTensors - before };',
    check: (r) => {
      const { result, kept } = r as { result: tf.Tensor; kept: number };
      expect(result.shape).toEqual([]);
      expect(kept).toBe(1); // only the returned tensor outlives the tidy
    },
  },
  'Save a model': {
    prelude: 'const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1 })] });',
    rewrite: inWork('file://./my-model', 'saved-model'),
    epilogue: 'return null;',
    check: () => {
      // tfjs-node's layout: model.json naming weights.bin next to it.
      const json = JSON.parse(fs.readFileSync(path.join(work, 'saved-model', 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
      expect(json.weightsManifest[0].paths).toEqual(['./weights.bin']);
      expect(fs.statSync(path.join(work, 'saved-model', 'weights.bin')).size).toBe(2 * 4);
    },
  },
  'Load a model': {
    prelude: "const saved = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1, kernelInitializer: 'ones' })] });\nawait saved.save('file://./.modellab/runs/RUN_ID/model');",
    rewrite: inWork('file://./.modellab/runs/RUN_ID/model', 'to-load'),
    epilogue: 'return model;',
    check: (m) => expect(Array.from(((m as tf.LayersModel).predict(tf.tensor2d([[3]])) as tf.Tensor).dataSync())).toEqual([3]),
  },
  'Data from CSV (TypeScript)': csvCheck,
  'Data from CSV (JavaScript)': csvCheck,
  'Early stopping': {
    // Zeros in, zeros out: the loss never improves, so patience 3 ends fit after 4 of the 100 epochs.
    prelude: compiledModel(1, 1, 'linear', 'meanSquaredError') + "\nmodel.layers[0].setWeights([tf.zeros([1, 1]), tf.zeros([1])]);\nconst xs = tf.zeros([10, 1]);\nconst ys = tf.zeros([10, 1]);",
    epilogue: 'return history;',
    check: (h) => expect((h as tf.History).history.loss).toHaveLength(4),
  },
  'Dense + batch norm': {
    prelude: 'const model = tf.sequential();\nmodel.add(tf.layers.inputLayer({ inputShape: [8] }));',
    epilogue: modelFrom(),
    check: (m) => {
      expect(outShape(m)).toEqual([null, 64]);
      expect((m as tf.LayersModel).layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Dense', 'BatchNormalization', 'Activation']);
    },
  },
  'Global pooling head': {
    prelude: "const model = tf.sequential();\nmodel.add(tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3 }));",
    epilogue: modelFrom(),
    check: (m) => {
      expect(outShape(m)).toEqual([null, 10]);
      expect((m as tf.LayersModel).countParams()).toBe(4 * 9 + 4 + 4 * 10 + 10);
    },
  },
  'Dataset from arrays': {
    prelude:
      compiledModel(2, 1, 'linear', 'meanSquaredError') +
      '\nconst features = Array.from({ length: 64 }, (_, i) => [i / 64, 1 - i / 64]);\nconst labels = features.map(([a, b]) => [a - b]);',
    epilogue: 'return history;',
    check: (h) => expect((h as tf.History).history.loss).toHaveLength(5),
  },
  'Confusion matrix': {
    prelude: 'const trueIds = tf.tensor1d([0, 1, 2, 2, 1]);\nconst predictedIds = tf.tensor1d([0, 2, 2, 2, 1]);',
    epilogue: 'return matrix;',
    check: (m) => expect(m).toEqual([[1, 0, 0], [0, 1, 1], [0, 0, 2]]),
  },
  'One-hot labels': {
    epilogue: 'return labels;',
    check: (t) => expect((t as tf.Tensor).arraySync()).toEqual([[1, 0, 0], [0, 0, 1], [0, 1, 0]]),
  },
  'Standardize features': {
    prelude: twoFeatures,
    epilogue: 'return tf.moments(standardized, 0);',
    check: (m) => {
      const { mean, variance } = m as { mean: tf.Tensor; variance: tf.Tensor };
      for (const v of mean.dataSync()) expect(v).toBeCloseTo(0, 5);
      for (const v of variance.dataSync()) expect(v).toBeCloseTo(1, 4);
    },
  },
  'Train/validation split': {
    prelude: twoFeatures,
    epilogue: 'return { trainXs, valXs, trainYs, valYs };',
    check: (r) => {
      const p = r as Record<'trainXs' | 'valXs' | 'trainYs' | 'valYs', tf.Tensor2D>;
      expect([p.trainXs.shape, p.valXs.shape, p.trainYs.shape, p.valYs.shape]).toEqual([[4, 2], [1, 2], [4, 1], [1, 1]]);
      // Rows stay paired: each x row [2k+1, 2k+2] keeps its label k % 2.
      const rows = [...p.trainXs.arraySync(), ...p.valXs.arraySync()];
      const labels = [...p.trainYs.arraySync(), ...p.valYs.arraySync()].map((l) => l[0]);
      rows.forEach((row, i) => expect(labels[i]).toBe(((row[0] - 1) / 2) % 2));
      expect(rows.map((row) => row[0]).sort((a, b) => a - b)).toEqual([1, 3, 5, 7, 9]);
    },
  },
  'Predict classes': {
    prelude: "const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 2, useBias: false, weights: [tf.tensor2d([[1, 0], [0, 1]])] })] });\nconst xs = tf.tensor2d([[5, 1], [0, 2]]);",
    epilogue: 'return classes;',
    check: (c) => expect(Array.from((c as tf.Tensor).dataSync())).toEqual([0, 1]),
  },
  Evaluate: {
    prelude:
      "const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1, kernelInitializer: 'zeros' })] });\n" +
      "model.compile({ optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['mae'] });\nconst testXs = tf.ones([4, 1]);\nconst testYs = tf.fill([4, 1], 2);",
    epilogue: 'return [testLoss, testMetrics];',
    check: (r) => expect(r).toEqual([4, [2]]), // predictions are 0: squared error 4, absolute error 2
  },
  'Freeze layers': {
    prelude: "const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 4 }), tf.layers.dense({ units: 2 })] });",
    epilogue: 'return model;',
    check: (m) => {
      const model = m as tf.LayersModel;
      expect(model.layers.map((l) => l.trainable)).toEqual([false, true]);
      expect(model.trainableWeights.map((w) => w.shape)).toEqual([[4, 2], [2]]);
      expect(model.optimizer).toBeInstanceOf(tf.AdamOptimizer);
    },
  },
  'Regularized dense layer': {
    prelude: 'const model = tf.sequential();\nmodel.add(tf.layers.inputLayer({ inputShape: [8] }));',
    epilogue: 'return model;',
    check: (m) => {
      const model = m as tf.LayersModel;
      expect(model.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Dense', 'Dropout']);
      expect(JSON.stringify(model.layers[1].getConfig().kernelRegularizer)).toContain('"l2":0.0001');
      expect(outShape(model)).toEqual([null, 64]);
    },
  },
};

function harnessSource(name: string, snippet: Snippet): string {
  const h = HARNESS[name];
  const body = expandSnippet(bodyOf(snippet));
  const source = h.file ? body : ["import * as tf from '@tensorflow/tfjs';", '', 'export async function run() {', h.prelude ?? '', body, h.epilogue ?? '', '}', ''].join('\n');
  return h.rewrite ? h.rewrite(source) : source;
}

const tfjsSnippets = all.filter((s) => /typescript|javascript/.test(s.snippet.scope));
const pythonSnippets = all.filter((s) => s.snippet.scope === 'python');
const harnessFile = (i: number, lang: 'ts' | 'js') => path.join(work, lang, `snippet${i}.${lang}`);
const langsOf = (s: Snippet) => (['ts', 'js'] as const).filter((l) => s.scope.split(',').includes(l === 'ts' ? 'typescript' : 'javascript'));

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-snippets-'));
  for (const d of ['ts', 'js', 'py']) fs.mkdirSync(path.join(work, d));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
  // What scripts get under model-lab run (and tfjs-node has itself): file:// save and load.
  registerFileRouters(tf);
  fs.writeFileSync(path.join(work, 'data.csv'), 'a,b,label\n1,2,0\n3,4,1\n5,6,0\n');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('snippet files', () => {
  test('the expected files exist and each parses', () => {
    expect(files.sort()).toEqual(['keras.code-snippets', 'pytorch.code-snippets', 'tfjs-javascript.code-snippets', 'tfjs-typescript.code-snippets', 'tfjs.code-snippets']);
    // A snippet shared by both languages is one entry; TS and JS versions that differ count twice.
    expect(tfjsSnippets.length).toBeGreaterThanOrEqual(30);
    expect(pythonSnippets.length).toBeGreaterThanOrEqual(8);
    expect(pythonSnippets.filter((s) => s.file === 'keras.code-snippets').length).toBeGreaterThanOrEqual(4);
    expect(pythonSnippets.filter((s) => s.file === 'pytorch.code-snippets').length).toBeGreaterThanOrEqual(4);
  });

  test('each language is offered only its own versions: a .ts file never gets a JavaScript snippet (as package.json contributes them)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: { snippets: { language: string; path: string }[] } };
    const offered = new Map<string, { name: string; snippet: Snippet }[]>();
    for (const c of pkg.contributes.snippets) {
      const file = path.basename(c.path);
      expect(files, c.path).toContain(file);
      // VS Code offers every entry of a file contributed for a language, whatever its `scope` says.
      offered.set(c.language, [...(offered.get(c.language) ?? []), ...all.filter((s) => s.file === file)]);
    }
    for (const [language, list] of offered) {
      for (const { name, snippet } of list) expect(snippet.scope.split(','), `${language}: ${name}`).toContain(language);
      const prefixes = list.map((s) => s.snippet.prefix);
      expect(prefixes.filter((p, i) => prefixes.indexOf(p) !== i), `${language}: a prefix offered twice`).toEqual([]);
    }
    const ts = offered.get('typescript')!.map((s) => s.name);
    expect(ts).toContain('Custom layer (TypeScript)');
    expect(ts).not.toContain('Custom layer (JavaScript)');
    expect(offered.get('javascript')!.map((s) => s.name)).toContain('Data from CSV (JavaScript)');
    // Every file is contributed for some language.
    expect(new Set(pkg.contributes.snippets.map((c) => path.basename(c.path)))).toEqual(new Set(files));
  });

  test.each(all.map((s) => [`${s.file}: ${s.name}`, s] as const))('%s: prefix, description, scope, tab stops in order', (_n, { snippet }) => {
    expect(snippet.prefix).toMatch(/^ml-[a-z0-9-]+$/);
    expect(snippet.description.length).toBeGreaterThan(15);
    expect(Array.isArray(snippet.body) && snippet.body.every((l) => typeof l === 'string')).toBe(true);
    for (const s of snippet.scope.split(',')) expect(['typescript', 'javascript', 'python']).toContain(s);
    const { order, defaults } = tabStops(bodyOf(snippet));
    const numbered = order.filter((n) => n > 0);
    // Tab moves forward through the text: stops are numbered 1..N in the order they first appear.
    expect(numbered).toEqual(numbered.map((_, i) => i + 1));
    // A stop repeated (a mirror) must not be given two different defaults.
    for (const [n, d] of defaults) expect(d.size, `tab stop ${n}`).toBe(1);
    expect(bodyOf(snippet).trimEnd().endsWith('$0')).toBe(true);
  });

  test('a prefix is used twice only for the TypeScript and JavaScript versions of one snippet', () => {
    const seen = new Map<string, string[]>();
    for (const { snippet } of all) for (const s of snippet.scope.split(',')) seen.set(`${s}:${snippet.prefix}`, [...(seen.get(`${s}:${snippet.prefix}`) ?? []), snippet.prefix]);
    for (const [key, list] of seen) expect(list, key).toHaveLength(1);
  });

  test('every tfjs snippet has a harness, and every harness a snippet', () => {
    expect(tfjsSnippets.map((s) => s.name).sort()).toEqual(Object.keys(HARNESS).sort());
  });
});

describe('expansion', () => {
  test('defaults, mirrors, nested placeholders, choices and escapes expand as VS Code inserts them', () => {
    expect(expandSnippet('a ${1:x} b $1 ${1} ${2|p,q|} ${3:outer ${4:inner}} $4 \\${5} \\} $0')).toBe('a x b x x p outer inner inner ${5} } ');
    expect(expandSnippet('$1 then ${1:late}')).toBe('late then late');
    expect(() => expandSnippet('${TM_FILENAME}')).toThrow(/variables/);
    expect(() => expandSnippet('${1:open')).toThrow(/unterminated/);
  });
});

test('TS and JS snippets expand to code that passes one strict tsc run (checkJs), which does catch errors', () => {
  tfjsSnippets.forEach(({ name, snippet }, i) => {
    for (const lang of langsOf(snippet)) fs.writeFileSync(harnessFile(i, lang), harnessSource(name, snippet));
  });
  const project = path.join(work, 'typecheck');
  fs.mkdirSync(project);
  // The same mistakes a user could make, one per language, in the same run: they must be reported.
  fs.writeFileSync(path.join(project, 'broken-ts.ts'), "import * as tf from '@tensorflow/tfjs';\nexport const m = tf.sequential();\nm.add(tf.layers.dense({ units: '8' }));\n");
  fs.writeFileSync(path.join(project, 'broken-js.js'), "import * as tf from '@tensorflow/tfjs';\nexport const m = tf.sequential();\nm.add(tf.layers.dense({ units: '8' }));\n");
  const nodeModules = path.join(root, 'node_modules');
  fs.writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'ES2022',
        moduleResolution: 'node',
        lib: ['ES2022', 'DOM'], // console and the browser-only save targets are part of tfjs's API surface
        types: [],
        strict: true,
        noEmit: true,
        allowJs: true,
        checkJs: true,
        skipLibCheck: true,
        baseUrl: '.',
        paths: { '@tensorflow/*': [`${nodeModules}/@tensorflow/*`] },
      },
      include: ['../ts/*.ts', '../js/*.js', 'broken-ts.ts', 'broken-js.js'],
    }),
  );
  const errors = tscErrors(project, nodeModules);
  expect(errors).toEqual([
    expect.stringMatching(/broken-js\.js\(3,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/),
    expect.stringMatching(/broken-ts\.ts\(3,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/),
  ]);
});

describe('tfjs snippets run', () => {
  const runnable = tfjsSnippets.map((s, i) => [s.name, s, i] as const);
  test.each(runnable)('%s', async (name, { snippet }, i) => {
    const h = HARNESS[name];
    for (const lang of langsOf(snippet)) {
      const file = harnessFile(i, lang);
      if (!fs.existsSync(file)) fs.writeFileSync(file, harnessSource(name, snippet));
      const exports = (await bundleFile(tf, file)).evaluate() as { run?: () => Promise<unknown> };
      await h.check(h.file ? exports : await exports.run!());
    }
  });
});

test('Python snippets (Keras, PyTorch) expand to code that py_compile accepts, which does catch errors', () => {
  const written = pythonSnippets.map(({ snippet }, i) => {
    const file = path.join(work, 'py', `snippet${i}.py`);
    fs.writeFileSync(file, expandSnippet(bodyOf(snippet)));
    return file;
  });
  expect(() => execFileSync('python3', ['-m', 'py_compile', ...written], { encoding: 'utf8', stdio: 'pipe' })).not.toThrow();
  const broken = path.join(work, 'py', 'broken.py');
  fs.writeFileSync(broken, expandSnippet(bodyOf(pythonSnippets[0].snippet)).replace('keras.Sequential([', 'keras.Sequential(['.slice(0, -1)));
  expect(() => execFileSync('python3', ['-m', 'py_compile', broken], { encoding: 'utf8', stdio: 'pipe' })).toThrow(/SyntaxError|Error/);
});

/**
 * PyTorch snippets run on /usr/bin/python3 (Debian's python3-torch): code before and after each
 * builds its inputs and asserts what it made. Keras (TensorFlow) is not installable here, so the
 * Keras snippets get py_compile only.
 */
const TORCH_HARNESS: Record<string, { prelude?: string; epilogue: string }> = {
  'PyTorch CNN': { epilogue: 'out = ConvNet()(torch.zeros(2, 1, 28, 28))\nassert tuple(out.shape) == (2, 10), out.shape' },
  'PyTorch LSTM classifier': { epilogue: 'out = TextClassifier()(torch.randint(1, 100, (3, 12)))\nassert tuple(out.shape) == (3, 2), out.shape' },
  'PyTorch autoencoder': { epilogue: 'x = torch.rand(4, 1, 28, 28)\nout = AutoEncoder()(x)\nassert out.shape == x.shape and float(out.min()) >= 0 and float(out.max()) <= 1' },
  'PyTorch training loop': {
    prelude:
      'import torch\nfrom torch.utils.data import DataLoader, TensorDataset\ntorch.manual_seed(0)\nX = torch.randn(256, 2)\nY = (X[:, 0] > 0).long()\n' +
      'train_loader = DataLoader(TensorDataset(X[:192], Y[:192]), batch_size=16, shuffle=True)\nval_loader = DataLoader(TensorDataset(X[192:], Y[192:]), batch_size=64)\n' +
      'model = torch.nn.Sequential(torch.nn.Linear(2, 2))\nbefore = sum(torch.nn.functional.cross_entropy(model(x), y).item() * len(x) for x, y in val_loader) / 64',
    epilogue: 'assert total / count < before, (before, total / count)',
  },
  'PyTorch Dataset and DataLoader': {
    prelude: 'import torch\nfeatures = torch.arange(50, dtype=torch.float32).reshape(50, 1)\ntargets = torch.arange(50)',
    epilogue:
      'assert (len(train_set), len(val_set)) == (40, 10)\nseen = torch.cat([y for _, y in train_loader] + [y for _, y in val_loader])\n' +
      'assert sorted(seen.tolist()) == list(range(50))\nx, y = next(iter(train_loader))\nassert x.shape == (32, 1) and torch.equal(x[:, 0].long(), y)',
  },
};

const hasTorch = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();

describe('PyTorch snippets run', () => {
  test('every PyTorch snippet has a harness', () => {
    expect(pythonSnippets.filter((s) => s.file === 'pytorch.code-snippets').map((s) => s.name).sort()).toEqual(Object.keys(TORCH_HARNESS).sort());
  });
  // Without torch (apt-get install python3-torch) these are reported skipped, never passed.
  test.skipIf(!hasTorch).each(Object.keys(TORCH_HARNESS))('%s', (name) => {
    const { snippet } = pythonSnippets.find((s) => s.name === name)!;
    const h = TORCH_HARNESS[name];
    const file = path.join(work, 'py', `${name.replace(/\W+/g, '_')}.py`);
    fs.writeFileSync(file, [h.prelude ?? '', expandSnippet(bodyOf(snippet)), h.epilogue, 'print("SNIPPET OK")', ''].join('\n'));
    const out = execFileSync('/usr/bin/python3', [file], { encoding: 'utf8', stdio: 'pipe', timeout: 120_000, env: { ...process.env, OMP_NUM_THREADS: '1' } });
    expect(out).toContain('SNIPPET OK');
  }, 120_000);
});

test('the Keras snippets use the Keras optimizer API and the PyTorch ones torch.optim with parameters()', () => {
  const keras = pythonSnippets.filter((s) => s.file === 'keras.code-snippets').map((s) => bodyOf(s.snippet)).join('\n');
  const torch = pythonSnippets.filter((s) => s.file === 'pytorch.code-snippets').map((s) => bodyOf(s.snippet)).join('\n');
  expect(keras).toMatch(/keras\.optimizers\.\$\{\d+\|Adam/);
  expect(keras).toMatch(/learning_rate=/);
  expect(keras).not.toMatch(/\blr=/);
  expect(torch).toMatch(/torch\.optim\.\$\{\d+\|Adam[^}]*\}\(\$\{1:model\}\.parameters\(\), lr=/);
  expect(torch).toMatch(/optimizer\.zero_grad\(\)[\s\S]*loss\.backward\(\)[\s\S]*optimizer\.step\(\)/);
});
