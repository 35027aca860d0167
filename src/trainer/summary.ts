/**
 * A model's summary without training: layers, output shapes, trainable and non-trainable parameter
 * counts, and the line in the model file where each layer was made. Only createModel() runs (no data
 * is loaded), so the editor can show it on save. The line comes from a stack captured in a wrapper
 * around each `tf.layers.*` factory handed to the model file, mapped through the bundle's source map.
 */
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { StackMapper } from './errors';
import { loadModelContract } from './modelContract';
import type { LayerRow, ModelSummary, SourceLocation } from '../protocol/modelSummary';

type TF = typeof tfTypes;
type Shape = (number | null)[];

const isClass = (f: unknown) => typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));

/**
 * A stand-in for `tf` whose `tf.layers.*` factories and `tf.input` note the call site of every layer
 * they make. Everything else (and layer classes such as tf.layers.Layer, for `extends`) is the real tf.
 */
export function withLayerLocations(tf: TF): { importTf: TF; stackOf(layer: object): string | undefined } {
  const stacks = new WeakMap<object, string>();
  const capture = (target: object | undefined, wrapper: (...a: unknown[]) => unknown) => {
    if (!target || typeof target !== 'object') return;
    const holder: { stack?: string } = {};
    // Starts the stack at the caller of the wrapper: the model file's line.
    Error.captureStackTrace(holder, wrapper);
    if (holder.stack) stacks.set(target, holder.stack);
  };
  const realLayers = tf.layers as unknown as Record<string, unknown>;
  const layers: Record<string, unknown> = {};
  for (const key of Object.keys(realLayers)) {
    const v = realLayers[key];
    if (typeof v !== 'function' || isClass(v)) {
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
  return { importTf, stackOf: (layer) => stacks.get(layer) };
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

/** Summarizes a built model; `locate` gives a layer's source location when known. */
export function summarizeModel(model: tfTypes.LayersModel, file: string, locate?: (layer: object) => SourceLocation | undefined): ModelSummary {
  const layers: LayerRow[] = model.layers.map((l) => {
    let outputShape: LayerRow['outputShape'];
    try {
      outputShape = l.outputShape as LayerRow['outputShape'];
    } catch {
      outputShape = []; // a layer used at several nodes has no single output shape
    }
    const trainableParams = l.trainableWeights.reduce((n, w) => n + sizeOf(w), 0);
    const nonTrainableParams = l.nonTrainableWeights.reduce((n, w) => n + sizeOf(w), 0);
    const row: LayerRow = { name: l.name, className: l.getClassName(), outputShape, params: trainableParams + nonTrainableParams, trainableParams, nonTrainableParams };
    const location = locate?.(l);
    if (location) row.location = location;
    return row;
  });
  const sum = (k: 'trainableParams' | 'nonTrainableParams') => layers.reduce((n, l) => n + l[k], 0);
  const io = (ts: tfTypes.SymbolicTensor[]) => ts.map((t) => ({ name: t.sourceLayer?.name ?? t.name, shape: [...t.shape] }));
  return {
    file,
    modelName: model.name,
    modelClass: model.getClassName(),
    inputs: io(model.inputs),
    outputs: io(model.outputs),
    layers,
    totalParams: sum('trainableParams') + sum('nonTrainableParams'),
    trainableParams: sum('trainableParams'),
    nonTrainableParams: sum('nonTrainableParams'),
    compiled: model.optimizer != null,
  };
}

/** Loads the model file, builds its model (nothing else) and summarizes it. Throws RunFailure like training does. */
export async function summarizeModelFile(tf: TF, modelFile: string): Promise<ModelSummary> {
  const tracker = withLayerLocations(tf);
  const contract = await loadModelContract(tf, modelFile, { importTf: tracker.importTf });
  const model = await contract.createModel();
  try {
    return summarizeModel(model, contract.file, (layer) => {
      const stack = tracker.stackOf(layer);
      return stack ? firstUserFrame(stack, contract.mapStack) : undefined;
    });
  } finally {
    const optimizer = model.optimizer;
    model.dispose();
    optimizer?.dispose();
  }
}

const shapeText = (s: LayerRow['outputShape']): string =>
  s.length > 0 && Array.isArray(s[0]) ? (s as Shape[]).map(shapeText).join(' ') : `[${(s as Shape).map((d) => (d === null ? 'null' : String(d))).join(',')}]`;

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
  return [
    `Model "${s.modelName}" (${s.modelClass}) from ${path.relative(cwd, s.file) || s.file}`,
    rule,
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `Total params: ${thousands(s.totalParams)}`,
    `Trainable params: ${thousands(s.trainableParams)}`,
    `Non-trainable params: ${thousands(s.nonTrainableParams)}`,
    s.compiled ? 'Compiled by createModel().' : 'Not compiled by createModel(): training compiles it from config.',
  ].join('\n');
}
