/**
 * A model's summary without training: layers, output shapes, trainable and non-trainable parameter
 * counts, and the line in the model file where each layer was made. Only the model is built (no data
 * is loaded), so the editor can show it on save. The line comes from a stack captured in a wrapper
 * around each `tf.layers.*` factory handed to the model file, mapped through the bundle's source map.
 *
 * What can be summarized: `createModel()` or a default-exported builder (given `config.modelOptions`
 * when the file sets it, else its own defaults), `export default { createModel }`, and a module that
 * exports a built model. Custom layers (`class X extends tf.layers.Layer`) work. A training script
 * (exports nothing) is refused before any of it runs, so its training and file writes never happen.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import type * as tfTypes from '@tensorflow/tfjs';
import { RunFailure, toRunError, type StackMapper } from './errors';
import { bundleFile } from './loadModelFile';
import { formatShape, readableLayerName } from '../protocol/format';
import type { LayerRow, ModelSummary, SourceLocation } from '../protocol/modelSummary';
import { msg } from './messages';

type TF = typeof tfTypes;

const isClass = (f: unknown) => typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));

/**
 * A stand-in for `tf` whose `tf.layers.*` factories and `tf.input` note the call site of every layer
 * they make. Everything else (and layer classes such as tf.layers.Layer, for `extends`) is the real tf.
 */
export function withLayerLocations(tf: TF): { importTf: TF; stackOf(layer: object): string | undefined; made(): readonly object[] } {
  const stacks = new WeakMap<object, string>();
  // In the order the model file made them: what built before a failing layer, for a partial summary.
  const made: object[] = [];
  const capture = (target: object | undefined, wrapper: (...a: unknown[]) => unknown) => {
    if (!target || typeof target !== 'object') return;
    made.push(target);
    const holder: { stack?: string } = {};
    // Starts the stack at the caller of the wrapper: the model file's line.
    Error.captureStackTrace(holder, wrapper);
    if (holder.stack) stacks.set(target, holder.stack);
  };
  const realLayers = tf.layers as unknown as Record<string, unknown>;
  const layers: Record<string, unknown> = {};
  for (const key of Object.keys(realLayers)) {
    const v = realLayers[key];
    // tf.layers.Layer, RNN, RNNCell are (ES5-compiled) classes for `extends`: wrapping one would give
    // a subclass a prototype without Layer's methods ("(intermediate value).apply is not a function").
    if (typeof v !== 'function' || isClass(v) || /^[A-Z]/.test(key)) {
      layers[key] = v;
      continue;
    }
    const real = v as (...a: unknown[]) => unknown;
    const wrapper = function (this: unknown, ...args: unknown[]) {
      const layer = real.apply(this, args);
      capture(layer as object, wrapper);
      return layer;
    };
    layers[key] = wrapper;
  }
  const input = function (this: unknown, ...args: unknown[]) {
    const t = (tf.input as (...a: unknown[]) => { sourceLayer?: object }).apply(this, args);
    capture(t?.sourceLayer, input);
    return t;
  };
  const importTf = new Proxy(tf, {
    get(target, key, receiver) {
      if (key === 'layers') return layers;
      if (key === 'input') return input;
      return Reflect.get(target, key, receiver);
    },
  });
  return { importTf, stackOf: (layer) => stacks.get(layer), made: () => made };
}

/** The first frame of a mapped stack that is the user's code: an absolute path outside node_modules. */
export function firstUserFrame(stack: string, mapStack: StackMapper): SourceLocation | undefined {
  for (const line of mapStack(stack).split('\n')) {
    if (!/^\s+at /.test(line)) continue;
    const m = /\(?((?:[A-Za-z]:)?[^\s()]+?):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!m) continue;
    const file = m[1].startsWith('file://') ? m[1].slice(7) : m[1];
    if (!path.isAbsolute(file) || file.includes(`${path.sep}node_modules${path.sep}`) || file.endsWith('.modellab.cjs')) continue;
    return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

const sizeOf = (w: { shape: readonly (number | null)[] }) => w.shape.reduce<number>((a, b) => a * (b ?? 1), 1);

function layerRow(l: tfTypes.layers.Layer, locate?: (layer: object) => SourceLocation | undefined): LayerRow {
  let outputShape: LayerRow['outputShape'];
  try {
    outputShape = l.outputShape as LayerRow['outputShape'];
  } catch {
    outputShape = []; // a layer used at several nodes has no single output shape
  }
  const trainableParams = l.trainableWeights.reduce((n, w) => n + sizeOf(w), 0);
  const nonTrainableParams = l.nonTrainableWeights.reduce((n, w) => n + sizeOf(w), 0);
  const className = l.getClassName();
  const row: LayerRow = { name: readableLayerName(l.name, className), className, outputShape, params: trainableParams + nonTrainableParams, trainableParams, nonTrainableParams };
  const location = locate?.(l);
  if (location) row.location = location;
  return row;
}

const totals = (layers: LayerRow[]) => {
  const sum = (k: 'trainableParams' | 'nonTrainableParams') => layers.reduce((n, l) => n + l[k], 0);
  return { totalParams: sum('trainableParams') + sum('nonTrainableParams'), trainableParams: sum('trainableParams'), nonTrainableParams: sum('nonTrainableParams') };
};

/** Summarizes a built model; `locate` gives a layer's source location when known. */
export function summarizeModel(model: tfTypes.LayersModel, file: string, locate?: (layer: object) => SourceLocation | undefined): ModelSummary {
  const layers = model.layers.map((l) => layerRow(l, locate));
  const io = (ts: tfTypes.SymbolicTensor[]) => ts.map((t) => ({ name: t.sourceLayer ? readableLayerName(t.sourceLayer.name, t.sourceLayer.getClassName()) : t.name, shape: [...t.shape] }));
  return {
    file,
    modelName: model.name,
    modelClass: model.getClassName(),
    inputs: io(model.inputs),
    outputs: io(model.outputs),
    layers,
    ...totals(layers),
    compiled: model.optimizer != null,
  };
}

/**
 * A layer that was applied to a tensor (so it has an output shape and its weights) and whose shape
 * makes sense: it built. A too-large kernel gets its node (with a negative size) before tfjs throws.
 */
const hasBuilt = (l: object): l is tfTypes.layers.Layer => {
  const layer = l as Partial<tfTypes.layers.Layer>;
  if (!Array.isArray(layer.inboundNodes) || layer.inboundNodes.length === 0 || typeof layer.getClassName !== 'function') return false;
  try {
    const shape = layer.outputShape as unknown[];
    return !shape.flat(2).some((d) => typeof d === 'number' && d < 0);
  } catch {
    return true; // used at several nodes: built, with no single shape
  }
};

/** The layers made before createModel() failed that built, summarized with the failure; undefined when none did. */
function partialSummary(made: readonly object[], file: string, error: ModelSummary['buildError'] & object, locate: (layer: object) => SourceLocation | undefined): ModelSummary | undefined {
  const built = made.filter(hasBuilt);
  if (built.length === 0) return undefined;
  const layers = built.map((l) => layerRow(l, locate));
  const out: ModelSummary = { file, modelName: '', modelClass: '', inputs: [], outputs: [], layers, ...totals(layers), compiled: false, buildError: error };
  for (const l of built) {
    try {
      l.dispose();
    } catch {
      // already disposed with a model that did build
    }
  }
  return out;
}

const isLayersModel = (v: unknown): v is tfTypes.LayersModel => {
  const o = v as Partial<tfTypes.LayersModel> | null;
  return typeof o === 'object' && o !== null && typeof o.fit === 'function' && typeof o.compile === 'function' && Array.isArray(o.layers);
};

/** Export names that can give a model; a module with none of them (and no CommonJS exports) is a script. */
const MODEL_EXPORTS = ['createModel', 'default', 'model', 'config'];

/**
 * Refuses a file that exports nothing a summary can use, without running it: ES modules by the
 * exports esbuild finds, CommonJS by whether the source assigns exports at all.
 */
async function refuseScripts(file: string): Promise<void> {
  let exportsFound: string[] | undefined;
  let format: string | undefined;
  try {
    const r = await esbuild.build({ entryPoints: [file], absWorkingDir: path.dirname(file), bundle: true, packages: 'external', platform: 'node', format: 'esm', write: false, metafile: true, logLevel: 'silent', outdir: path.dirname(file) });
    const out = Object.values(r.metafile.outputs).find((o) => o.entryPoint !== undefined);
    exportsFound = out?.exports;
    const input = Object.entries(r.metafile.inputs).find(([k]) => path.resolve(path.dirname(file), k) === file);
    format = input?.[1].format;
  } catch {
    return; // a syntax error: bundleFile reports it with its line
  }
  const base = path.basename(file);
  if (format === 'cjs') {
    if (/\b(module\.exports|exports\.[A-Za-z_$]|exports\[)/.test(fs.readFileSync(file, 'utf8'))) return;
  } else if (exportsFound === undefined || exportsFound.some((e) => MODEL_EXPORTS.includes(e))) {
    return;
  } else if (exportsFound.length > 0) {
    // Other exports may still hold a built model (`export const net = tf.sequential(…)`): evaluated, then looked for.
    return;
  }
  throw new RunFailure({
    message: msg('summary.script', base),
    file,
  });
}

/** The model a module gives: createModel / default builder (with config.modelOptions if set), or an exported built model. */
async function buildModel(exp: unknown, file: string, mapStack: StackMapper): Promise<tfTypes.LayersModel> {
  const named = (typeof exp === 'object' && exp !== null ? exp : {}) as Record<string, unknown>;
  const def = named.default as Record<string, unknown> | undefined;
  const fromDefault = typeof def === 'object' && def !== null && !isLayersModel(def) ? def : undefined;
  const pick = (k: string) => (named[k] !== undefined ? named[k] : fromDefault?.[k]);
  const config = pick('config') as Record<string, unknown> | undefined;
  const base = path.basename(file);
  const builder = [pick('createModel'), typeof exp === 'function' ? exp : undefined, typeof def === 'function' ? def : undefined].find((f) => typeof f === 'function') as
    | ((options?: unknown) => unknown)
    | undefined;
  let model: unknown;
  if (builder) {
    const given = config && typeof config === 'object' ? config.modelOptions : undefined;
    // A builder with a parameter but no default for it gets {} so `options.units ?? 64` reads its default.
    const options = given !== undefined ? given : builder.length > 0 ? {} : undefined;
    try {
      model = await builder(options);
    } catch (e) {
      const how = given !== undefined ? msg('summary.withModelOptions') : options !== undefined ? msg('summary.withEmpty') : '';
      throw new RunFailure(toRunError(e, { modelFile: file, mapStack, during: how ? msg('summary.createFailedWith', how) : msg('model.createFailed', 'createModel()') }));
    }
  } else {
    model = [named.model, def, ...Object.values(named)].find(isLayersModel);
  }
  if (!isLayersModel(model)) {
    const found = Object.keys(named).filter((k) => k !== '__esModule');
    throw new RunFailure({
      message: builder
        ? msg('summary.notLayersModel', base)
        : msg('summary.noModel', base, found.length ? found.join(', ') : msg('model.noExports')),
      file,
    });
  }
  return model;
}

/** `config.dataset` of a module (named or in a default export), when it is a name. */
function configuredDataset(exp: unknown): string | undefined {
  const named = (typeof exp === 'object' && exp !== null ? exp : {}) as Record<string, unknown>;
  const def = named.default as Record<string, unknown> | undefined;
  const config = (named.config ?? (typeof def === 'object' && def !== null ? def.config : undefined)) as { dataset?: unknown } | undefined;
  return typeof config?.dataset === 'string' ? config.dataset : undefined;
}

/** Loads the model file, builds its model (nothing else) and summarizes it. Throws RunFailure like training does. */
export async function summarizeModelFile(tf: TF, modelFile: string): Promise<ModelSummary> {
  const file = path.resolve(modelFile);
  await refuseScripts(file);
  const tracker = withLayerLocations(tf);
  const bundled = await bundleFile(tracker.importTf, file);
  let exp: unknown;
  try {
    exp = bundled.evaluate();
  } catch (e) {
    throw new RunFailure(toRunError(e, { modelFile: file, mapStack: bundled.mapStack, during: msg('model.loadingFailed', path.basename(file)) }));
  }
  const dataset = configuredDataset(exp);
  const withDataset = (s: ModelSummary): ModelSummary => (dataset !== undefined ? { ...s, dataset } : s);
  const locate = (layer: object) => {
    const stack = tracker.stackOf(layer);
    return stack ? firstUserFrame(stack, bundled.mapStack) : undefined;
  };
  let model: tfTypes.LayersModel;
  try {
    model = await buildModel(exp, file, bundled.mapStack);
  } catch (e) {
    // The layers that built before the failing one keep their hints; the failure goes on its line.
    if (!(e instanceof RunFailure)) throw e;
    const { message, file: errFile, line, column } = e.runError;
    const partial = partialSummary(tracker.made(), file, { message, ...(errFile && { file: errFile }), ...(line !== undefined && { line }), ...(column !== undefined && { column }) }, locate);
    if (!partial) throw e;
    return withDataset(partial);
  }
  try {
    return withDataset(summarizeModel(model, file, locate));
  } finally {
    const optimizer = model.optimizer;
    model.dispose();
    optimizer?.dispose();
  }
}

const shapeText = (s: LayerRow['outputShape']): string => (s.length === 0 ? '(shared)' : formatShape(s));

const thousands = (n: number) => n.toLocaleString('en-US');

/** A Keras-like table: one row per layer, then the totals. Paths are shown relative to `cwd`. */
export function formatSummaryTable(s: ModelSummary, cwd = process.cwd()): string {
  const rows = s.layers.map((l) => [
    `${l.name} (${l.className})`,
    shapeText(l.outputShape),
    thousands(l.params),
    l.location ? `${path.relative(cwd, l.location.file) || path.basename(l.location.file)}:${l.location.line}` : '',
  ]);
  const header = ['Layer (type)', 'Output shape', 'Params', 'Source'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const rule = '─'.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
  const from = path.relative(cwd, s.file) || s.file;
  return [
    s.buildError ? `The layers of ${from} that built before createModel() failed` : `Model "${s.modelName}" (${s.modelClass}) from ${from}`,
    rule,
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `Total params: ${thousands(s.totalParams)}`,
    `Trainable params: ${thousands(s.trainableParams)}`,
    `Non-trainable params: ${thousands(s.nonTrainableParams)}`,
    s.buildError ? `Then: ${s.buildError.message}` : s.compiled ? 'Compiled by createModel().' : 'Not compiled by createModel(): training compiles it from config.',
  ].join('\n');
}
