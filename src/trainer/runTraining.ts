/**
 * One training run, start to end: load the model file, resolve its config, load the data, check the
 * shapes, fit with streaming callbacks, save the model, record the end. Callable in-process (tests,
 * benchmarks) as well as from the child entry (main.ts), which only adds the IPC around it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type {
  BackendInfo,
  BatchPoint,
  EndStatus,
  LayerSummary,
  MetricLine,
  Metrics,
  ResolvedConfig,
  RunError,
  RunSpec,
  TrainerToHost,
  Versions,
} from '../protocol/trainer';
import { makeRunId, RunWriter } from '../training/runStore';
import { loadDataset } from './data/datasets';
import { checkModelFitsData, RunFailure, toRunError, type StackMapper } from './errors';
import { saveModel } from './fsModelIo';
import { loadModelFile } from './loadModelFile';

type TF = typeof tfTypes;

export interface TrainingControl {
  /** Polled after every batch; true ends the run after that batch as `stopped`. */
  stopRequested(): boolean;
}

export const DEFAULT_CONFIG: ResolvedConfig = { epochs: 5, batchSize: 32, validationSplit: 0.1, shuffle: true, dataset: 'mnist' };

/** Batch points are sent at most this often; the rest wait in a buffer (nothing is dropped). */
const BATCH_FLUSH_MS = 50;

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
  return cfg;
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
 * Runs one training run. Emits `run`, `batches`, `epoch`, `log` and, last, `end` (always, also on
 * failure); writes the same to the run folder. Never rejects: any failure ends the run `failed`.
 */
export async function runTraining(
  tf: TF,
  backendInfo: BackendInfo,
  spec: RunSpec,
  emit: (m: TrainerToHost) => void,
  control: TrainingControl,
): Promise<EndStatus> {
  const modelFile = path.resolve(spec.modelFile);
  const log = (level: 'info' | 'warn' | 'error', message: string) => emit({ type: 'log', level, message });

  let writer: RunWriter | undefined;
  let model: tfTypes.LayersModel | undefined;
  let data: { xs: tfTypes.Tensor; ys: tfTypes.Tensor } | undefined;
  let mapStack: StackMapper | undefined;
  let epoch = 0;
  let status: EndStatus = 'failed';
  let error: RunError | undefined;

  const pending: BatchPoint[] = [];
  let lastFlush = 0;
  const flush = () => {
    if (pending.length === 0) return;
    emit({ type: 'batches', points: pending.splice(0) });
    lastFlush = Date.now();
  };

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

    const loaded = await loadModelFile(tf, modelFile);
    mapStack = loaded.mapStack;
    config = resolveConfig(loaded.config, spec.overrides, modelFile);
    w.updateRecord({ config });

    const ds = loadDataset(tf, config.dataset, { limit: config.limit });
    data = ds;
    log('info', ds.description);

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

    const n = ds.xs.shape[0];
    const trainCount = Math.floor(n * (1 - config.validationSplit)); // as tfjs splits
    if (trainCount < 1) throw new RunFailure({ message: `No training samples: ${n} samples with validationSplit ${config.validationSplit}`, file: modelFile });
    const batchesPerEpoch = Math.ceil(trainCount / config.batchSize);
    const layers = layerSummaries(model);
    const totalParams = model.countParams();
    w.updateRecord({ layers, totalParams, batchesPerEpoch });
    emit({ type: 'run', runId: w.current.id, runDir: w.dir, modelFile, config, batchesPerEpoch, layers, totalParams });

    let step = 0;
    let stopped = false;
    let warnedNonFinite = false;
    const pick = (logs: tfTypes.Logs | undefined, skip: string[]): Metrics => {
      const out: Metrics = {};
      for (const [k, v] of Object.entries(logs ?? {})) {
        if (skip.includes(k) || typeof v !== 'number') continue;
        // JSON (IPC and metrics.jsonl) has no NaN/Infinity; say it once instead of sending nulls.
        if (!Number.isFinite(v)) {
          if (!warnedNonFinite) log('warn', `${k} became ${v} at epoch ${epoch + 1}: the model diverged (try a lower learning rate).`);
          warnedNonFinite = true;
          continue;
        }
        out[k] = v;
      }
      return out;
    };
    const fitModel = model;
    await fitModel.fit(ds.xs, ds.ys, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      validationSplit: config.validationSplit,
      shuffle: config.shuffle,
      verbose: 0,
      // Yield to the event loop after each batch so a `stop` message is seen within one batch.
      yieldEvery: 'batch',
      callbacks: {
        onEpochBegin: async (e: number) => {
          epoch = e;
        },
        onBatchEnd: async (batch: number, logs?: tfTypes.Logs) => {
          const point: BatchPoint = { epoch, batch, step: step++, time: Date.now(), metrics: pick(logs, ['batch', 'size']) };
          // The line type says metrics sit beside `type`; TS cannot express that mix, hence the cast.
          w.appendMetric({ type: 'batch', epoch, batch: point.batch, step: point.step, time: point.time, ...point.metrics } as MetricLine);
          pending.push(point);
          if (point.time - lastFlush >= BATCH_FLUSH_MS) flush();
          if (!stopped && control.stopRequested()) {
            stopped = true;
            fitModel.stopTraining = true;
            log('info', `Stopping after batch ${batch + 1} of epoch ${epoch + 1}.`);
          }
        },
        onEpochEnd: async (e: number, logs?: tfTypes.Logs) => {
          const time = Date.now();
          const metrics = pick(logs, []);
          w.appendMetric({ type: 'epoch', epoch: e, time, ...metrics } as MetricLine);
          flush();
          emit({ type: 'epoch', point: { epoch: e, time, metrics } });
        },
      },
    });
    flush();
    status = stopped ? 'stopped' : 'completed';
    await saveModel(tf, model, w.modelDir, { includeOptimizer: true });
  } catch (e) {
    flush();
    status = 'failed';
    error = toRunError(e, { modelFile, mapStack });
  } finally {
    try {
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
