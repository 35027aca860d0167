/**
 * Records a script's own `model.fit` / `model.fitDataset` calls as one run: while the script runs,
 * both are patched to add Model Lab's TrainingCallbacks (the very callbacks a model-file run uses:
 * metrics, pause/resume, "checkpoint now", stop with a checkpoint) after the script's own, with the
 * run's epochs and steps continuing across calls. After each call the model is saved in the run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { HistogramLine, LayerSummary, ResolvedConfig, TrainerToHost } from '../../protocol/trainer';
import { HISTOGRAMS_FILE, METRICS_FILE, MODEL_DIR, type MetricLine } from '../../protocol/runFolder';
import { parseCheckpointConfig } from '../callbacks';
import type { TrainingControl } from '../control';
import { toRunError, type StackMapper } from '../errors';
import { saveModel } from '../fsModelIo';
import { TrainingCallbacks, type MetricsSink } from '../trainingCallbacks';
import { fsyncFile, writeFailure } from '../durable';
import type { ScriptState } from './scriptProtocol';
import { msg } from '../messages';

type TF = typeof tfTypes;
type LayersModel = tfTypes.LayersModel;
type CallbackArg = tfTypes.ModelFitArgs['callbacks'];
type FitFn = (this: LayersModel, ...args: unknown[]) => Promise<tfTypes.History>;

/** The dataset a script run records: the script loads its own data. */
export const SCRIPT_DATASET = '(script)';

/** Marks fit args that already carry our callbacks, so Sequential.fit → LayersModel.fit records once. */
const PATCHED = Symbol('modelLab.fitPatched');

export interface FitRecorderOptions {
  tf: TF;
  runDir: string;
  scriptName: string;
  emit: (m: TrainerToHost) => void;
  control: TrainingControl;
  /** Sent whenever the state changes. */
  onState: (s: ScriptState) => void;
  mapStack?: StackMapper;
  scriptFile: string;
}

function layerSummaries(model: LayersModel): LayerSummary[] {
  return model.layers.map((l) => {
    let outputShape: LayerSummary['outputShape'];
    try {
      outputShape = l.outputShape as LayerSummary['outputShape'];
    } catch {
      outputShape = [];
    }
    return { name: l.name, className: l.getClassName(), outputShape, params: l.countParams() };
  });
}

const firstTensor = (x: unknown): tfTypes.Tensor | undefined => {
  if (x && typeof x === 'object' && Array.isArray((x as tfTypes.Tensor).shape)) return x as tfTypes.Tensor;
  if (Array.isArray(x)) return firstTensor(x[0]);
  if (x && typeof x === 'object') return firstTensor(Object.values(x)[0]);
  return undefined;
};

/** metrics.jsonl of a run folder the trainer created (it alone writes run.json). */
function metricsSink(runDir: string): MetricsSink {
  const file = path.join(runDir, METRICS_FILE);
  const histograms = path.join(runDir, HISTOGRAMS_FILE);
  return {
    dir: runDir,
    appendMetric: (line: MetricLine) => {
      try {
        fs.appendFileSync(file, JSON.stringify(line) + '\n');
      } catch (e) {
        throw writeFailure(e, file);
      }
    },
    sync: () => fsyncFile(file),
    appendHistograms: (line: HistogramLine) => {
      try {
        fs.appendFileSync(histograms, JSON.stringify(line) + '\n');
      } catch (e) {
        throw writeFailure(e, histograms);
      }
    },
  };
}

/** Patches fit/fitDataset on tf's model classes; `dispose()` puts the originals back. */
export function installFitRecorder(o: FitRecorderOptions): { state: ScriptState; dispose: () => void } {
  const { tf } = o;
  const sink = metricsSink(o.runDir);
  const log = (level: 'info' | 'warn', message: string) => o.emit({ type: 'log', level, message });
  const state: ScriptState = { fits: 0, stopped: false, epoch: -1, fitSucceededAfterError: false };
  const send = () => o.onState({ ...state });
  let nextEpoch = 0;
  let nextStep = 0;
  let runSent = false;
  let best: { monitor: string; value: number; epoch: number } | undefined;

  const BaseCallback = Object.getPrototypeOf(tf.Callback) as abstract new (...a: never[]) => object;
  /** The script's callbacks as tfjs would take them (one, a list, config objects), then ours. */
  const mergeCallbacks = (theirs: CallbackArg, ours: tfTypes.CustomCallbackArgs, yieldEvery: tfTypes.ModelFitArgs['yieldEvery']) => {
    const list: unknown[] = theirs == null ? [] : Array.isArray(theirs) ? theirs : [theirs];
    const asCallbacks = list.map((c) => (c instanceof BaseCallback ? c : new tf.CustomCallback(c as tfTypes.CustomCallbackArgs, yieldEvery)));
    return [...asCallbacks, new tf.CustomCallback(ours, yieldEvery)] as unknown as tfTypes.Callback[];
  };

  const describe = (kind: 'fit' | 'fitDataset', args: unknown[], fitArgs: Record<string, unknown>) => {
    const epochs = typeof fitArgs.epochs === 'number' ? fitArgs.epochs : 1;
    const initialEpoch = typeof fitArgs.initialEpoch === 'number' ? fitArgs.initialEpoch : 0;
    const validationSplit = typeof fitArgs.validationSplit === 'number' ? fitArgs.validationSplit : 0;
    let batchesPerEpoch = 0;
    let batchSize = 0;
    if (kind === 'fit') {
      batchSize = typeof fitArgs.batchSize === 'number' ? fitArgs.batchSize : 32;
      const n = firstTensor(args[0])?.shape[0] ?? 0;
      batchesPerEpoch = Math.ceil(Math.floor(n * (1 - (fitArgs.validationData ? 0 : validationSplit))) / batchSize);
    } else {
      const ds = args[0] as { size?: number | null };
      const given = fitArgs.batchesPerEpoch;
      // A dataset's size counts its elements, which are batches after .batch(); unknown (null) is learnt in the first epoch.
      batchesPerEpoch = typeof given === 'number' ? given : typeof ds?.size === 'number' && Number.isFinite(ds.size) && ds.size > 0 ? ds.size : 0;
    }
    const hasValidation = fitArgs.validationData != null || (kind === 'fit' && validationSplit > 0);
    return { epochs, initialEpoch, validationSplit, batchesPerEpoch, batchSize, hasValidation, runs: Math.max(0, epochs - initialEpoch) };
  };

  const patch = (kind: 'fit' | 'fitDataset', orig: FitFn): FitFn =>
    function (this: LayersModel, ...args: unknown[]) {
      const argIndex = kind === 'fit' ? 2 : 1;
      const fitArgs = (args[argIndex] ?? {}) as Record<string | symbol, unknown>;
      if (fitArgs[PATCHED]) return orig.apply(this, args);
      const model = this;
      const d = describe(kind, args, fitArgs as Record<string, unknown>);
      state.fits++;
      const first = nextEpoch;
      if (!runSent) {
        runSent = true;
        const config: ResolvedConfig = { epochs: d.runs, batchSize: d.batchSize, validationSplit: d.validationSplit, shuffle: fitArgs.shuffle !== false, dataset: SCRIPT_DATASET };
        o.emit({ type: 'run', runId: path.basename(o.runDir), runDir: o.runDir, modelFile: o.scriptFile, config, batchesPerEpoch: d.batchesPerEpoch, layers: layerSummaries(model), totalParams: model.countParams() });
      }
      o.emit({ type: 'fit', fit: state.fits, firstEpoch: first, epochs: d.runs, batchesPerEpoch: d.batchesPerEpoch });
      const batches = d.batchesPerEpoch ? `, ${d.batchesPerEpoch} batches each` : ', batches counted in its first epoch';
      log('info', `${o.scriptName}: model.${kind} call ${state.fits} (${model.name}) runs epochs ${first + 1}–${first + d.runs} of this run${batches}.`);
      send();
      const cb = new TrainingCallbacks({
        tf,
        model,
        writer: sink,
        emit: o.emit,
        control: o.control,
        epochs: d.epochs,
        initialEpoch: d.initialEpoch,
        epochOffset: first - d.initialEpoch,
        firstStep: nextStep,
        batchesPerEpoch: d.batchesPerEpoch,
        // A script's NaN loss is its own business, as under node: warned about, not ended.
        callbacks: { terminateOnNaN: false },
        checkpoint: parseCheckpointConfig(undefined, { hasValidation: d.hasValidation }),
        configError: (_k, message) => ({ message: `${o.scriptName}: ${message}` }),
      });
      if (best) cb.seedBest(best.monitor === parseCheckpointConfig(undefined, { hasValidation: d.hasValidation }).monitor ? best.value : undefined, best.epoch);
      const ours = cb.fitArgs();
      const yieldEvery = (fitArgs.yieldEvery as tfTypes.ModelFitArgs['yieldEvery']) ?? ours.yieldEvery;
      const merged = { ...fitArgs, yieldEvery, callbacks: mergeCallbacks(fitArgs.callbacks as CallbackArg, ours.callbacks, yieldEvery), [PATCHED]: true };
      const newArgs = [...args];
      while (newArgs.length < argIndex) newArgs.push(undefined);
      newArgs[argIndex] = merged;
      // A fit called after a stop runs no epoch's worth: it ends after its first batch.
      return (async () => {
        try {
          const history = await orig.apply(model, newArgs);
          const outcome = await cb.finish();
          if (outcome.stopped) state.stopped = true;
          if (state.fitError !== undefined) state.fitSucceededAfterError = true;
          // Saved before fit returns, so a script that disposes its model afterwards still leaves it.
          try {
            await saveModel(tf, model, path.join(o.runDir, MODEL_DIR), { includeOptimizer: true });
          } catch (e) {
            log('warn', msg('log.cannotSaveModel', kind, toRunError(e).message));
          }
          return history;
        } catch (e) {
          cb.flush();
          cb.dispose();
          state.fitError = toRunError(e, { modelFile: o.scriptFile, mapStack: o.mapStack });
          state.fitSucceededAfterError = false;
          throw e;
        } finally {
          best = cb.bestSoFar ?? best;
          // The epochs this call ran (a stopped one counts as begun).
          const ran = cb.currentEpoch - first + 1;
          state.epoch = Math.max(state.epoch, cb.currentEpoch);
          nextEpoch = first + Math.max(0, Math.min(d.runs, ran));
          nextStep = cb.nextStep;
          send();
        }
      })();
    };

  const targets = [tf.LayersModel.prototype, tf.Sequential.prototype] as unknown as Record<'fit' | 'fitDataset', FitFn>[];
  const saved = targets.map((p) => ({ p, fit: Object.getOwnPropertyDescriptor(p, 'fit'), fitDataset: Object.getOwnPropertyDescriptor(p, 'fitDataset') }));
  for (const { p, fit, fitDataset } of saved) {
    if (fit) p.fit = patch('fit', fit.value as FitFn);
    if (fitDataset) p.fitDataset = patch('fitDataset', fitDataset.value as FitFn);
  }
  return {
    state,
    dispose: () => {
      for (const { p, fit, fitDataset } of saved) {
        if (fit) Object.defineProperty(p, 'fit', fit);
        if (fitDataset) Object.defineProperty(p, 'fitDataset', fitDataset);
      }
    },
  };
}
