/**
 * One training run, start to end: load the model file through its contract (modelContract.ts),
 * resolve its config, load the data (loadData(), a streamed CSV, or config.dataset), check the shapes,
 * compile if needed, (resume from a checkpoint,) fit with Model Lab's callbacks (trainingCallbacks.ts:
 * metrics stream, control, checkpoints, early stopping, lr), save the model, evaluate, record the end. Callable
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
  ResolvedConfig,
  RunError,
  RunSpec,
  TrainerToHost,
  Versions,
} from '../protocol/trainer';
import type { RunRecord } from '../protocol/runFolder';
import { readableLayerName } from '../protocol/format';
import { makeRunId, RunWriter } from './runWriter';
import { ConfigError, parseCallbacksConfig, parseCheckpointConfig, type MonitorContext } from './callbacks';
import { checkpointDir, findCheckpointDir, findResumeSource, getLearningRate, readCheckpointInfo, restoreCheckpoint, setLearningRate } from './checkpoints';
import type { TrainingControl } from './control';
import { DATASET_NAMES, isStreamingSpec, loadDataset, openStreamingDataset, prepareDataset } from './data/datasets';
import { DatasetSpecError, DATASET_TYPES, describeDatasetSpec, parseDatasetSpec, type DatasetSpec } from './data/datasetSpec';
import { checkModelFitsData, RunFailure, toRunError, type StackMapper } from './errors';
import { explainOutOfMemory, isOutOfMemory } from './outOfMemory';
import { datasetToEvalData, disposeEvalData, evalHeadline, evaluateModel, validationTail, writeEvalReport, type EvalData } from './evaluate';
import { isTensor } from './tensors';
import { EVAL_FILE } from '../protocol/evalReport';
import { saveModel } from './fsModelIo';
import {
  batchesPerEpoch as countBatches,
  compileIfNeeded,
  disposeTrainingData,
  fitWithData,
  isDataset,
  loadModelContract,
  prepareData,
  type TrainingData,
} from './modelContract';
import { TrainingCallbacks, type YieldMode } from './trainingCallbacks';
import { endRun } from './endRun';
import { cleanRunsFolder } from './cleanup';
import { LOAD_TIMEOUT_ENV, secondsFromEnv, type Watchdog } from './watchdog';
import { prepareFusedFit } from './backends/fused/fusedFit';
import { applyOptimizerOverrides, configWithOptimizerOverrides, optimizerName } from './overrides';
import { msg } from './messages';

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
export function resolveConfig(
  fileConfig: Record<string, unknown>,
  overrides: RunSpec['overrides'],
  modelFile: string,
  opts: { hasLoadData?: boolean; hasValidation?: boolean } = {},
): ResolvedConfig {
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG, ...fileConfig };
  // The optimizer overrides are applied when compiling (./overrides.ts), not part of ResolvedConfig.
  for (const [k, v] of Object.entries(overrides ?? {})) if (v !== undefined && k !== 'optimizer' && k !== 'learningRate') merged[k] = v;
  const bad = (key: string, want: string): never => {
    throw new RunFailure({
      message: msg('config.keyMustBeJson', path.basename(modelFile), key, want, String(JSON.stringify(merged[key]))),
      file: modelFile,
    });
  };
  const posInt = (key: string) => {
    const v = merged[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) bad(key, msg('want.wholeNumber'));
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
  if (typeof vs !== 'number' || !(vs >= 0 && vs < 1)) bad('validationSplit', msg('want.fraction'));
  cfg.validationSplit = vs as number;
  if (typeof merged.shuffle !== 'boolean') bad('shuffle', msg('want.bool'));
  cfg.shuffle = merged.shuffle as boolean;
  // loadData() gives the data, so config.dataset (if any) is not loaded and not checked.
  cfg.dataset = opts.hasLoadData ? LOAD_DATA : resolveDataset(merged.dataset, modelFile);
  if (merged.limit !== undefined) cfg.limit = posInt('limit');
  // Validation data given apart from validationSplit (loadData's, a time series' recent part) counts too.
  const ctx: MonitorContext = { hasValidation: opts.hasValidation ?? cfg.validationSplit > 0 };
  try {
    if (merged.checkpoint !== undefined) cfg.checkpoint = parseCheckpointConfig(merged.checkpoint, ctx);
    if (merged.callbacks !== undefined) cfg.callbacks = parseCallbacksConfig(merged.callbacks, ctx);
  } catch (e) {
    if (e instanceof ConfigError) throw configFailure(modelFile, e.message);
    throw e;
  }
  return cfg;
}

/** What run.json's config.dataset says when the model file's loadData() gave the data. */
export const LOAD_DATA = 'loadData()';

/** config.dataset checked (paths made absolute against the model file), or a RunFailure naming the file and option. */
function resolveDataset(value: unknown, modelFile: string): DatasetSpec {
  if (typeof value === 'string' && value !== '' && !DATASET_NAMES.includes(value))
    throw new RunFailure({
      message: msg('config.unknownDataset', path.basename(modelFile), value, DATASET_NAMES.join(', '), DATASET_TYPES.join(', ')),
      file: modelFile,
    });
  try {
    return parseDatasetSpec(value, modelFile, DATASET_NAMES);
  } catch (e) {
    if (e instanceof DatasetSpecError) throw new RunFailure({ message: e.message, file: modelFile });
    throw e;
  }
}

function configFailure(modelFile: string, message: string): RunFailure {
  return new RunFailure({ message: msg('error.during', path.basename(modelFile), message), file: modelFile });
}

/** The callbacks and checkpoint monitor in effect: the file's, or the defaults. */
function effectiveCallbacks(config: ResolvedConfig, hasValidation: boolean): { callbacks: CallbacksConfig; checkpoint: CheckpointConfig } {
  const ctx: MonitorContext = { hasValidation };
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
    return { name: readableLayerName(l.name, l.getClassName()), className: l.getClassName(), outputShape, params: l.countParams() };
  });
}

/** The data a run trains on, with what run.json and the messages say about it. */
interface LoadedData {
  data: TrainingData;
  /** Names the data in shape messages: "loadData()" or 'config.dataset "csv table.csv"'. */
  source: string;
  /** config.dataset's short name, for checkModelFitsData's wording; undefined for loadData(). */
  name?: string;
  info: NonNullable<RunRecord['dataset']>;
  /** Known exactly for a streamed CSV (its generator has no size). */
  batchesPerEpoch?: number;
  /** What the validation part is, for eval.json. */
  validationDescription?: string;
}

/** Samples read from a validation tf.data.Dataset for eval.json: enough for a confusion matrix, cheap to hold. */
const EVAL_MAX_SAMPLES = 2000;

/**
 * loadData() when the file has it (config.dataset is then not loaded at all), else a streamed CSV
 * through tf.data, else config.dataset in memory. Tensors returned are the caller's to dispose.
 */
export async function loadTrainingData(
  tf: TF,
  loadData: (() => Promise<TrainingData | undefined>) | undefined,
  config: ResolvedConfig,
  modelFile: string,
): Promise<LoadedData> {
  if (loadData) {
    const data = (await loadData())!;
    const shapes = (a: unknown) => (isTensor(a) ? `[${a.shape.join(',')}]` : Array.isArray(a) ? a.map((t: tfTypes.Tensor) => `[${t.shape.join(',')}]`).join(' ') : 'by name');
    const description =
      data.kind === 'tensors'
        ? `loadData() in ${path.basename(modelFile)}: xs ${shapes(data.xs)}, ys ${shapes(data.ys)}${data.validation ? ', with its own validation set' : ''}`
        : `loadData() in ${path.basename(modelFile)}: a tf.data.Dataset${data.validation ? ', with its own validation data' : ''}`;
    return { data, source: 'loadData()', info: { description }, validationDescription: msg('eval.data.loadDataValidation') };
  }
  const spec = config.dataset;
  const name = describeDatasetSpec(spec);
  const source = `config.dataset "${name}"`;
  if (isStreamingSpec(spec) && typeof spec === 'object' && spec.type === 'csv') {
    // The held-out rows: the spec's own fraction, else validationSplit.
    const s = await openStreamingDataset(tf, { ...spec, validation: spec.validation ?? config.validationSplit }, { batchSize: config.batchSize, modelFile });
    let dataset = s.dataset;
    let batches = Math.ceil(s.trainRows / config.batchSize);
    if (config.limit !== undefined && Math.ceil(config.limit / config.batchSize) < batches) {
      batches = Math.ceil(config.limit / config.batchSize);
      dataset = dataset.take(batches);
    }
    if (batches < 1) throw new RunFailure({ message: msg('data.noTrainingRows', path.basename(spec.path)), file: modelFile });
    const classNames = s.schema.label.classNames;
    return {
      data: { kind: 'dataset', dataset, ...(s.validationDataset && s.validationRows > 0 ? { validation: s.validationDataset } : {}) },
      source,
      name,
      info: { description: s.description, kind: s.schema.label.kind, ...(classNames ? { classNames } : {}), stats: { csv: s.schema } },
      batchesPerEpoch: batches,
      validationDescription: ((rows: string) => (s.validationRows > EVAL_MAX_SAMPLES ? msg('eval.data.firstRows', rows, EVAL_MAX_SAMPLES) : rows))(
        msg('eval.data.validationRows', s.validationRows, path.basename(spec.path)),
      ),
    };
  }
  const ds = loadDataset(tf, spec, { limit: config.limit, modelFile });
  const info: LoadedData['info'] = { description: ds.description, ...(ds.kind ? { kind: ds.kind } : {}), ...(ds.classNames ? { classNames: ds.classNames } : {}), ...(ds.stats ? { stats: ds.stats } : {}) };
  const n = ds.xs.shape[0];
  const vc = ds.validationCount ?? 0;
  if (vc > 0 && vc < n && config.validationSplit > 0) {
    // A time series validates on its most recent windows, kept in time order, whatever validationSplit says.
    const [xs, vxs] = tf.split(ds.xs, [n - vc, vc]);
    const [ys, vys] = tf.split(ds.ys, [n - vc, vc]);
    tf.dispose([ds.xs, ds.ys]);
    return { data: { kind: 'tensors', xs, ys, validation: { xs: vxs, ys: vys } }, source, name, info, validationDescription: msg('eval.data.recentWindows', vc) };
  }
  return { data: { kind: 'tensors', xs: ds.xs, ys: ds.ys }, source, name, info };
}

/** Labels given as class indices ([N] or [N,1] for a wider output): checked by prepareData, not by shape equality. */
function isClassIndices(model: tfTypes.LayersModel, ys: tfTypes.Tensor): boolean {
  const out = model.outputs.length === 1 ? model.outputs[0].shape : undefined;
  return out !== undefined && out.length === 2 && (out[1] ?? 0) > 1 && (ys.rank === 1 || (ys.rank === 2 && ys.shape[1] === 1));
}

/**
 * Batches per epoch as fit will run them. TrainingCallbacks needs the exact count (a shorter epoch
 * means a stop), so a dataset of unknown size is counted once by iterating it.
 */
async function countBatchesPerEpoch(tf: TF, data: TrainingData, config: ResolvedConfig, modelFile: string): Promise<number> {
  const known = countBatches(data, config);
  if (known !== undefined) {
    if (known < 1) {
      const first = data.kind === 'tensors' ? (isTensor(data.xs) ? data.xs : Array.isArray(data.xs) ? data.xs[0] : Object.values(data.xs)[0]) : undefined;
      throw new RunFailure({ message: msg('data.noTrainingSamples', first?.shape[0] ?? 0, config.validationSplit), file: modelFile });
    }
    return known;
  }
  if (data.kind !== 'dataset') return 0;
  let count = 0;
  const it = await data.dataset.iterator();
  for (let r = await it.next(); !r.done; r = await it.next()) {
    tf.dispose(r.value as tfTypes.TensorContainer);
    count++;
  }
  if (count < 1) throw new RunFailure({ message: msg('data.emptyDataset'), file: modelFile });
  return count;
}

/**
 * The validation part of the training data as eval.json judges it: the given validation set (read
 * up to EVAL_MAX_SAMPLES from a dataset), or the tail validationSplit held out. `own` is what the
 * caller must dispose (tensors made here, not the caller's).
 */
export async function validationEvalData(
  tf: TF,
  data: TrainingData,
  validationSplit: number,
  description = msg('eval.data.validationSet'),
): Promise<{ evalData?: EvalData; own?: EvalData }> {
  const v = data.validation;
  if (v && isDataset(v)) {
    const d = await datasetToEvalData(tf, v, description, EVAL_MAX_SAMPLES);
    return { evalData: d, own: d };
  }
  if (v) return { evalData: { xs: v.xs, ys: v.ys, description } };
  if (data.kind === 'tensors') {
    const d = validationTail(tf, data, validationSplit);
    return { evalData: d, own: d };
  }
  return {};
}

/**
 * eval.json at the end of a run. Never throws: a model that cannot be judged only gets a warning
 * and the run keeps its status.
 */
async function evaluateAtEnd(
  tf: TF,
  model: tfTypes.LayersModel,
  data: TrainingData,
  opts: { validationSplit: number; validationDescription?: string; classNames?: string[]; runDir: string; log: (level: 'info' | 'warn', message: string) => void },
): Promise<void> {
  let own: EvalData | undefined;
  try {
    const sel = await validationEvalData(tf, data, opts.validationSplit, opts.validationDescription);
    own = sel.own;
    const evalData = sel.evalData;
    if (!evalData) {
      opts.log('info', msg('log.noEvaluation'));
      return;
    }
    const report = await evaluateModel(tf, model, evalData, { classNames: opts.classNames });
    writeEvalReport(opts.runDir, report);
    opts.log('info', msg('log.evaluated', evalData.description, evalHeadline(report), EVAL_FILE));
  } catch (e) {
    opts.log('warn', msg('log.evaluationSkipped', e instanceof Error ? e.message : String(e)));
  } finally {
    disposeEvalData(own);
  }
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
  opts: { yieldMode?: YieldMode; watchdog?: Pick<Watchdog, 'deadline' | 'clear'> } = {},
): Promise<EndStatus> {
  const modelFile = path.resolve(spec.modelFile);
  const log = (level: 'info' | 'warn' | 'error', message: string) => emit({ type: 'log', level, message });

  let writer: RunWriter | undefined;
  let model: tfTypes.LayersModel | undefined;
  let loaded: LoadedData | undefined;
  let fitCallbacks: TrainingCallbacks | undefined;
  let mapStack: StackMapper | undefined;
  let status: EndStatus = 'failed';
  let error: RunError | undefined;

  try {
    // The folder first, so even a model file that does not compile leaves a run saying why.
    let config: ResolvedConfig = { ...DEFAULT_CONFIG };
    for (const [k, v] of Object.entries(spec.overrides ?? {})) if (v !== undefined && k !== 'optimizer' && k !== 'learningRate') (config as unknown as Record<string, unknown>)[k] = v;
    const record = {
      id: '',
      modelFile,
      config,
      backend: backendInfo,
      versions: trainerVersions(tf),
      startedAt: new Date().toISOString(),
      status: 'running' as const,
    };
    // Leftovers of runs killed before (temp checkpoints, run.json temps) go; a half-done checkpoint swap is finished.
    cleanRunsFolder(spec.runsDir);
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
    emit({ type: 'started', runId: w.current.id, runDir: w.dir });
    const resume = spec.resumeFrom !== undefined ? findResumeSource(spec.resumeFrom, spec.runsDir) : undefined;

    // A model file that never finishes loading (an endless loop at its top level, a promise that never
    // settles) would hang the run: the watchdog thread ends the process, naming the file.
    const loadTimeoutS = secondsFromEnv(LOAD_TIMEOUT_ENV, 60);
    const loadDeadline = (what: string) =>
      opts.watchdog?.deadline(
        loadTimeoutS * 1000,
        // The name before the colon stays English: it is the error's kind, not a sentence.
        `ModelLoadTimeoutError: ${msg('timeout.load', modelFile, what, loadTimeoutS, LOAD_TIMEOUT_ENV)}`,
      );
    loadDeadline(msg('timeout.loading'));
    const contract = await loadModelContract(tf, modelFile);
    opts.watchdog?.clear();
    mapStack = contract.mapStack;
    config = resolveConfig(contract.config, spec.overrides, modelFile, { hasLoadData: contract.hasLoadData });
    w.updateRecord({ config });

    // ---- data ----
    // URLs and presets download once into the cache; run.json keeps the spec as written.
    if (!contract.hasLoadData) config = { ...config, dataset: await prepareDataset(config.dataset, { log: (m) => log('info', m), modelFile }) };
    loaded = await loadTrainingData(tf, contract.hasLoadData ? () => contract.loadData() : undefined, config, modelFile);
    const ld = loaded;
    log('info', ld.info.description);
    if (contract.hasLoadData && contract.config.dataset !== undefined)
      log('warn', msg('log.loadDataWins', path.basename(modelFile)));
    const classNames = contract.config.classNames ?? ld.info.classNames;
    w.updateRecord({ dataset: { ...ld.info, ...(classNames ? { classNames } : {}) } });
    // Monitors default to val_loss only when there is validation data to log it.
    const hasValidation = ld.data.validation !== undefined || (ld.data.kind === 'tensors' && config.validationSplit > 0);
    if (ld.data.kind === 'dataset' && config.validationSplit > 0 && !ld.data.validation) {
      log('info', msg('log.datasetNoValidation', ld.source));
      config = resolveConfig(contract.config, { ...spec.overrides, validationSplit: 0 }, modelFile, { hasLoadData: contract.hasLoadData });
      w.updateRecord({ config });
    } else if (hasValidation !== config.validationSplit > 0) {
      config = resolveConfig(contract.config, spec.overrides, modelFile, { hasLoadData: contract.hasLoadData, hasValidation });
      w.updateRecord({ config });
    }

    // ---- model ----
    loadDeadline(msg('timeout.building'));
    model = await contract.createModel();
    opts.watchdog?.clear();
    if (ld.data.kind === 'tensors' && ld.name !== undefined && isTensor(ld.data.xs) && isTensor(ld.data.ys) && !isClassIndices(model, ld.data.ys))
      // One-hot or value labels from config.dataset: the message names the dataset and both shapes.
      checkModelFitsData(model, { name: ld.name, xsShape: ld.data.xs.shape, ysShape: ld.data.ys.shape }, modelFile);
    const prepared = await prepareData(tf, model, ld.data, { batchSize: config.batchSize, source: ld.source, file: modelFile });
    const trainData = prepared.data;
    if (prepared.note) log('info', prepared.note);
    // Optimizer overrides (Train with Changes, --optimizer, --learning-rate) go in as if the file said them.
    const fileConfig = model.optimizer == null ? configWithOptimizerOverrides(contract.config, spec.overrides) : contract.config;
    const compiledNote = await compileIfNeeded(tf, model, fileConfig, trainData, modelFile);
    if (compiledNote) log('info', compiledNote);
    const overrideNote = applyOptimizerOverrides(tf, model, spec.overrides);
    if (overrideNote) log('info', overrideNote);
    const baseLr = getLearningRate(model.optimizer);
    const optName = optimizerName(model.optimizer);
    w.updateRecord({
      ...(optName && { optimizer: { name: optName, ...(baseLr !== undefined && { learningRate: baseLr }) } }),
      ...(spec.overrides && Object.values(spec.overrides).some((x) => x !== undefined) && { overrides: spec.overrides }),
    });

    const batchesPerEpoch = ld.batchesPerEpoch ?? (await countBatchesPerEpoch(tf, trainData, config, modelFile));
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
          message: msg('resume.alreadyTrained', resume.record.id, initialEpoch, config.epochs, initialEpoch + 1),
          file: modelFile,
        });
      await restoreCheckpoint(tf, model, resume.checkpointDir);
      if (info.lr !== undefined) setLearningRate(model.optimizer, info.lr);
      w.updateRecord({ resumedFrom: { runId: resume.record.id, runDir: resume.runDir, epochsCompleted: info.epochsCompleted, step: info.step } });
      log('info', msg(initialEpoch === 1 ? 'log.resumingOne' : 'log.resuming', resume.record.id, initialEpoch, info.step + 1));
    }
    emit({ type: 'run', runId: w.current.id, runDir: w.dir, modelFile, config, batchesPerEpoch, layers, totalParams });

    // ---- fit ----
    // The fused wasm executor when it covers the model and data, else tfjs's fit; run.json says which and why.
    const fused = await prepareFusedFit(tf, backendInfo, model, trainData, { ...config, ...(spec.threads !== undefined && { threads: spec.threads }) });
    const executorInfo = { ...backendInfo, executor: fused.executor, executorReason: fused.reason, ...(fused.executor === 'fused' && { simd: fused.simd }), threads: fused.threads, threadsReason: fused.threadsReason };
    w.updateRecord({ backend: executorInfo });
    emit({ type: 'executor', backend: executorInfo });
    log('info', msg(fused.executor === 'fused' ? 'log.fused' : 'log.tfjsFit', fused.reason));
    if (fused.executor === 'fused') log('info', msg(fused.threads === 1 ? 'log.thread' : 'log.threads', fused.threads, fused.threadsReason));
    const { callbacks, checkpoint } = effectiveCallbacks(config, hasValidation);
    fitCallbacks = new TrainingCallbacks({
      tf,
      model,
      writer: w,
      emit,
      control: fused.executor === 'fused' ? fused.wrapControl(control) : control,
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
        fs.cpSync(findCheckpointDir(resume.runDir, 'best'), checkpointDir(w.dir, 'best'), { recursive: true });
        fitCallbacks.seedBest(bestValue, bestEpoch);
      }
    }
    const fitArgs = fitCallbacks.fitArgs();
    const loop = {
      epochs: config.epochs,
      initialEpoch,
      batchSize: config.batchSize,
      validationSplit: config.validationSplit,
      shuffle: config.shuffle,
      yieldEvery: fitArgs.yieldEvery,
      callbacks: fitArgs.callbacks,
    };
    if (fused.executor === 'fused') await fused.fit(loop);
    else await fitWithData(model, trainData, loop);
    const outcome = await fitCallbacks.finish();
    if (outcome.failure) throw new RunFailure(outcome.failure);
    status = outcome.stopped ? 'stopped' : 'completed';

    // ---- after fit ----
    await saveModel(tf, model, w.modelDir, { includeOptimizer: true });
    // eval.json on the validation data; a model that cannot be judged only gets a warning.
    await evaluateAtEnd(tf, model, trainData, { validationSplit: config.validationSplit, validationDescription: ld.validationDescription, classNames, runDir: w.dir, log });
  } catch (e) {
    opts.watchdog?.clear();
    fitCallbacks?.flush();
    status = 'failed';
    error = toRunError(e, { modelFile, mapStack });
    // Before the model exists toRunError's own words (the tensor's size) are all there is to say.
    if (isOutOfMemory(e) && (model || !error.message.includes('Out of memory'))) error = explainOutOfMemory(error, backendInfo.name, model);
  } finally {
    try {
      fitCallbacks?.dispose();
      if (loaded) disposeTrainingData(tf, loaded.data);
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

  return endRun(writer, emit, { status, error, epoch: fitCallbacks?.currentEpoch ?? 0 });
}

/** The best checkpoint's value of `monitor` in a run being resumed, so `best` is only replaced by a better one. */
function previousBest(runDir: string, monitor: string): [number | undefined, number] {
  try {
    const info = readCheckpointInfo(findCheckpointDir(runDir, 'best'));
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
