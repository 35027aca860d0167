/**
 * One training run, start to end: load the model file, resolve its config, load the data, check the
 * shapes, (resume from a checkpoint,) fit with Model Lab's callbacks (trainingCallbacks.ts: metrics
 * stream, control, checkpoints, early stopping, lr), save the model, record the end. Callable
 * in-process (tests, benchmarks) as well as from the child entry (main.ts), which only adds the IPC
 * around it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type {
  BackendInfo,
  CallbacksConfig,
  CheckpointConfig,
  EndStatus,
  LayerSummary,
  MetricLine,
  ResolvedConfig,
  RunError,
  RunSpec,
  TrainerToHost,
  Versions,
} from '../protocol/trainer';
import { makeRunId, RunWriter } from '../training/runStore';
import { ConfigError, parseCallbacksConfig, parseCheckpointConfig, type MonitorContext } from './callbacks';
import { checkpointDir, findResumeSource, getLearningRate, readCheckpointInfo, restoreCheckpoint, setLearningRate } from './checkpoints';
import type { TrainingControl } from './control';
import { loadDataset } from './data/datasets';
import { checkModelFitsData, RunFailure, toRunError, type StackMapper } from './errors';
import { evaluateAtRunEnd } from './evaluate';
import { saveModel } from './fsModelIo';
import { loadModelFile } from './loadModelFile';
import { TrainingCallbacks, type YieldMode } from './trainingCallbacks';

type TF = typeof tfTypes;

export type { TrainingControl } from './control';

export const DEFAULT_CONFIG: ResolvedConfig = { epochs: 5, batchSize: 32, validationSplit: 0.1, shuffle: true, dataset: 'mnist' };

let cachedVersion: string | undefined;

/** Model Lab's version from its package.json, found upwards from this file (src/trainer/ or dist/). */
export function modelLabVersion(): string {
  if (cachedVersion) return cachedVersion;
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tfjs-model-lab' && typeof pkg.version === 'string') return (cachedVersion = pkg.version);
    } catch {
      // not here; go up
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

export function trainerVersions(tf: TF): Versions {
  return { tfjs: tf.version?.tfjs ?? 'unknown', node: process.version, modelLab: modelLabVersion() };
}

/**
 * Defaults, then the model file's `config`, then the spec's overrides. Throws a RunFailure naming
 * the file and key for a value that cannot be trained with.
 */
export function resolveConfig(fileConfig: Record<string, unknown>, overrides: RunSpec['overrides'], modelFile: string): ResolvedConfig {
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG, ...fileConfig };
  for (const [k, v] of Object.entries(overrides ?? {})) if (v !== undefined) merged[k] = v;
  const bad = (key: string, want: string): never => {
    throw new RunFailure({
      message: `${path.basename(modelFile)}: config.${key} must be ${want} (got ${JSON.stringify(merged[key])})`,
      file: modelFile,
    });
  };
  const posInt = (key: string) => {
    const v = merged[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) bad(key, 'a whole number ≥ 1');
    return v as number;
  };
  const cfg: ResolvedConfig = {
    epochs: posInt('epochs'),
    batchSize: posInt('batchSize'),
    validationSplit: 0,
    shuffle: true,
    dataset: '',
  };
  const vs = merged.validationSplit;
  if (typeof vs !== 'number' || !(vs >= 0 && vs < 1)) bad('validationSplit', 'a number from 0 up to (not including) 1');
  cfg.validationSplit = vs as number;
  if (typeof merged.shuffle !== 'boolean') bad('shuffle', 'true or false');
  cfg.shuffle = merged.shuffle as boolean;
  if (typeof merged.dataset !== 'string' || merged.dataset === '') bad('dataset', 'the name of a dataset');
  cfg.dataset = merged.dataset as string;
  if (merged.limit !== undefined) cfg.limit = posInt('limit');
  const ctx: MonitorContext = { hasValidation: cfg.validationSplit > 0 };
  try {
    if (merged.checkpoint !== undefined) cfg.checkpoint = parseCheckpointConfig(merged.checkpoint, ctx);
    if (merged.callbacks !== undefined) cfg.callbacks = parseCallbacksConfig(merged.callbacks, ctx);
  } catch (e) {
    if (e instanceof ConfigError) throw configFailure(modelFile, e.message);
    throw e;
  }
  return cfg;
}

function configFailure(modelFile: string, message: string): RunFailure {
  return new RunFailure({ message: `${path.basename(modelFile)}: ${message}`, file: modelFile });
}

/** The callbacks and checkpoint monitor in effect: the file's, or the defaults. */
function effectiveCallbacks(config: ResolvedConfig): { callbacks: CallbacksConfig; checkpoint: CheckpointConfig } {
  const ctx: MonitorContext = { hasValidation: config.validationSplit > 0 };
  return { callbacks: config.callbacks ?? parseCallbacksConfig(undefined, ctx), checkpoint: config.checkpoint ?? parseCheckpointConfig(undefined, ctx) };
}

function layerSummaries(model: tfTypes.LayersModel): LayerSummary[] {
  return model.layers.map((l) => {
    let outputShape: LayerSummary['outputShape'];
    try {
      outputShape = l.outputShape as LayerSummary['outputShape'];
    } catch {
      outputShape = []; // a layer used at several nodes has no single output shape
    }
    return { name: l.name, className: l.getClassName(), outputShape, params: l.countParams() };
  });
}

function isLayersModel(m: unknown): m is tfTypes.LayersModel {
  const o = m as Partial<tfTypes.LayersModel> | null;
  return typeof o === 'object' && o !== null && typeof o.fit === 'function' && typeof o.compile === 'function' && Array.isArray(o.layers);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v === 'undefined' ? 'undefined' : `a ${typeof v}`;
  const name = (v as { constructor?: { name?: string } }).constructor?.name;
  return name ? `a ${name}` : 'an object';
}

/**
 * Runs one training run. Emits `run`, `batches`, `epoch`, `checkpoint`, `paused`/`resumed`, `log`
 * and, last, `end` (always, also on failure); writes the same to the run folder. Never rejects: any
 * failure ends the run `failed`.
 */
export async function runTraining(
  tf: TF,
  backendInfo: BackendInfo,
  spec: RunSpec,
  emit: (m: TrainerToHost) => void,
  control: TrainingControl,
  opts: { yieldMode?: YieldMode } = {},
): Promise<EndStatus> {
  const modelFile = path.resolve(spec.modelFile);
  const log = (level: 'info' | 'warn' | 'error', message: string) => emit({ type: 'log', level, message });

  let writer: RunWriter | undefined;
  let model: tfTypes.LayersModel | undefined;
  let data: { xs: tfTypes.Tensor; ys: tfTypes.Tensor } | undefined;
  let fitCallbacks: TrainingCallbacks | undefined;
  let mapStack: StackMapper | undefined;
  let status: EndStatus = 'failed';
  let error: RunError | undefined;

  try {
    // The folder first, so even a model file that does not compile leaves a run saying why.
    let config: ResolvedConfig = { ...DEFAULT_CONFIG };
    for (const [k, v] of Object.entries(spec.overrides ?? {})) if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v;
    const record = {
      id: '',
      modelFile,
      config,
      backend: backendInfo,
      versions: trainerVersions(tf),
      startedAt: new Date().toISOString(),
      status: 'running' as const,
    };
    for (let attempt = 0; ; attempt++) {
      const runId = spec.runId ?? makeRunId(modelFile, new Date());
      try {
        writer = RunWriter.create(spec.runsDir, runId, { ...record, id: runId });
        break;
      } catch (e) {
        // Another process (CLI and editor at once) took the same id: makeRunId gives the next one.
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || spec.runId !== undefined || attempt > 20) throw e;
      }
    }
    const w = writer;
    const resume = spec.resumeFrom !== undefined ? findResumeSource(spec.resumeFrom, spec.runsDir) : undefined;

    const loaded = await loadModelFile(tf, modelFile);
    mapStack = loaded.mapStack;
    config = resolveConfig(loaded.config, spec.overrides, modelFile);
    w.updateRecord({ config });

    // ---- data ----
    const ds = loadDataset(tf, config.dataset, { limit: config.limit });
    data = ds;
    log('info', ds.description);

    // ---- model ----
    const built = await loaded.createModel();
    if (!isLayersModel(built))
      throw new RunFailure({
        message: `createModel() in ${path.basename(modelFile)} returned ${describe(built)}, not a tf.LayersModel (tf.sequential() or tf.model())`,
        file: modelFile,
      });
    model = built;
    checkModelFitsData(model, { name: config.dataset, xsShape: ds.xs.shape, ysShape: ds.ys.shape }, modelFile);
    if (model.optimizer == null) {
      model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      log('info', 'createModel() returned an uncompiled model: compiled with adam, categoricalCrossentropy, accuracy.');
    }
    const baseLr = getLearningRate(model.optimizer);

    const n = ds.xs.shape[0];
    const trainCount = Math.floor(n * (1 - config.validationSplit)); // as tfjs splits
    if (trainCount < 1) throw new RunFailure({ message: `No training samples: ${n} samples with validationSplit ${config.validationSplit}`, file: modelFile });
    const batchesPerEpoch = Math.ceil(trainCount / config.batchSize);
    const layers = layerSummaries(model);
    const totalParams = model.countParams();
    w.updateRecord({ layers, totalParams, batchesPerEpoch });

    // ---- resume ----
    let initialEpoch = 0;
    if (resume) {
      const { info } = resume;
      initialEpoch = info.epochsCompleted;
      if (initialEpoch >= config.epochs)
        throw new RunFailure({
          message: `Run ${resume.record.id} already trained ${initialEpoch} of ${config.epochs} epochs: ask for more epochs (--epochs ${initialEpoch + 1} or more) to continue it`,
          file: modelFile,
        });
      await restoreCheckpoint(tf, model, resume.checkpointDir);
      if (info.lr !== undefined) setLearningRate(model.optimizer, info.lr);
      w.updateRecord({ resumedFrom: { runId: resume.record.id, runDir: resume.runDir, epochsCompleted: info.epochsCompleted, step: info.step } });
      log('info', `Resuming run ${resume.record.id} from its checkpoint after ${initialEpoch} epoch${initialEpoch === 1 ? '' : 's'} (step ${info.step + 1}), optimizer state included.`);
    }
    emit({ type: 'run', runId: w.current.id, runDir: w.dir, modelFile, config, batchesPerEpoch, layers, totalParams });

    // ---- fit ----
    const { callbacks, checkpoint } = effectiveCallbacks(config);
    fitCallbacks = new TrainingCallbacks({
      tf,
      model,
      writer: w,
      emit,
      control,
      epochs: config.epochs,
      initialEpoch,
      batchesPerEpoch,
      callbacks,
      checkpoint,
      baseLr,
      configError: (_key, message) => configFailure(modelFile, message).runError,
      yieldMode: opts.yieldMode,
    });
    if (resume) {
      // The new run carries on the source's best checkpoint; only a better epoch replaces it.
      const [bestValue, bestEpoch] = previousBest(resume.runDir, checkpoint.monitor);
      if (bestValue !== undefined) {
        fs.cpSync(checkpointDir(resume.runDir, 'best'), checkpointDir(w.dir, 'best'), { recursive: true });
        fitCallbacks.seedBest(bestValue, bestEpoch);
      }
    }
    const fitArgs = fitCallbacks.fitArgs();
    await model.fit(ds.xs, ds.ys, {
      epochs: config.epochs,
      initialEpoch,
      batchSize: config.batchSize,
      validationSplit: config.validationSplit,
      shuffle: config.shuffle,
      verbose: 0,
      yieldEvery: fitArgs.yieldEvery,
      callbacks: fitArgs.callbacks,
    });
    const outcome = await fitCallbacks.finish();
    if (outcome.failure) throw new RunFailure(outcome.failure);
    status = outcome.stopped ? 'stopped' : 'completed';

    // ---- after fit ----
    await saveModel(tf, model, w.modelDir, { includeOptimizer: true });
    // eval.json on the held-out tail; a model that cannot be judged only gets a warning.
    await evaluateAtRunEnd(tf, model, ds, { validationSplit: config.validationSplit, runDir: w.dir, log });
  } catch (e) {
    fitCallbacks?.flush();
    status = 'failed';
    error = toRunError(e, { modelFile, mapStack });
  } finally {
    try {
      fitCallbacks?.dispose();
      data?.xs.dispose();
      data?.ys.dispose();
      if (model) {
        const optimizer = model.optimizer;
        model.dispose();
        // model.dispose() frees only an optimizer it created from a name; one the user passed stays.
        optimizer?.dispose();
      }
    } catch {
      // already disposed by the user's code, or a half-built model
    }
  }

  const epoch = fitCallbacks?.currentEpoch ?? 0;
  if (writer) {
    try {
      writer.appendMetric(error ? { type: 'end', epoch, time: Date.now(), status, error } : { type: 'end', epoch, time: Date.now(), status });
      writer.updateRecord({ status, endedAt: new Date().toISOString(), ...(error ? { error } : {}) });
    } catch (e) {
      // The run folder went away (deleted, disk full): the host still gets the end message.
      log('error', `Could not record the end of the run in ${writer.dir}: ${toRunError(e).message}`);
    }
  }
  emit(error ? { type: 'end', status, error, runDir: writer?.dir } : { type: 'end', status, runDir: writer?.dir });
  return status;
}

/** The best checkpoint's value of `monitor` in a run being resumed, so `best` is only replaced by a better one. */
function previousBest(runDir: string, monitor: string): [number | undefined, number] {
  try {
    const info = readCheckpointInfo(checkpointDir(runDir, 'best'));
    return info.monitor === monitor && typeof info.value === 'number' ? [info.value, info.epoch] : [undefined, -1];
  } catch {
    return [undefined, -1];
  }
}

/**
 * Plain tfjs's cpu backend prints "Hi, looks like you are running TensorFlow.js in Node.js…" on its
 * first tensor. That advice is already acted on (the backend choice), so skip just that message
 * instead of muting all tfjs warnings with PROD mode.
 */
export function silenceTfjsNodeBanner(tf: TF): void {
  try {
    const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
    if (cpu && typeof cpu.firstUse === 'boolean') cpu.firstUse = false;
  } catch {
    // no cpu backend registered (tfjs-node only): nothing prints the banner
  }
}
