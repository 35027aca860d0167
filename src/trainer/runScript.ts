/**
 * `model-lab run SCRIPT`: runs an ordinary tfjs training script, unmodified, and records it as a run.
 * The script builds its own model and calls `model.fit` / `model.fitDataset` itself (any number of
 * times); while it runs, those methods are patched to add Model Lab's callbacks after the script's
 * own, so its metrics stream and land in metrics.jsonl exactly as a `train` run's do.
 *
 * "The script has finished" means what it means under `node SCRIPT`: nothing it started can still
 * run. That is tracked with async_hooks: every timer, immediate, I/O request and ref'd handle created
 * in the script's async context is counted until it is destroyed (an AsyncLocalStorage marks the
 * context), so `main()` called without await, data loaded over the network, or `setTimeout(train)`
 * are all waited for, in the child process and in-process alike.
 */
import { AsyncLocalStorage, AsyncResource, createHook } from 'node:async_hooks';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type {
  BackendInfo,
  BatchPoint,
  EndStatus,
  LayerSummary,
  Metrics,
  ResolvedConfig,
  RunError,
  RunSpec,
  TrainerToHost,
} from '../protocol/trainer';
import type { MetricLine } from '../protocol/runFolder';
import { makeRunId, RunWriter } from './runWriter';
import { RunFailure, toRunError, type StackMapper } from './errors';
import { saveModel } from './fsModelIo';
import { bundleFile } from './loadModelFile';
import type { TrainingControl } from './control';
import { trainerVersions } from './runTraining';
import { endRun } from './endRun';

type TF = typeof tfTypes;
type LayersModel = tfTypes.LayersModel;
type CallbackArg = tfTypes.ModelFitArgs['callbacks'];

/** What a script run needs from a RunSpec: `modelFile` is the script. */
export type ScriptSpec = Pick<RunSpec, 'modelFile' | 'runsDir' | 'runId'>;

/** Batch points are sent at most this often; the rest wait in a buffer (nothing is dropped). */
const BATCH_FLUSH_MS = 50;
/** How often the runner looks whether the script has anything left to do. */
const IDLE_POLL_MS = 20;

/** The config recorded for a script run: the first fit call's arguments (a script has no config export). */
const SCRIPT_DATASET = '(script)';

/** Marks fit args that already carry our callbacks, so Sequential.fit → LayersModel.fit records once. */
const PATCHED = Symbol('modelLab.fitPatched');

/** Thrown in place of process.exit() inside the script, so the run ends instead of the trainer. */
class ScriptExit extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`);
  }
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

/**
 * Counts what the script still has pending. Only things that keep Node's event loop alive count:
 * ref'd timers, immediates and handles, and native requests (fs, dns, writes) until they are
 * destroyed; promises and JS-level AsyncResources (which Node never waits for) do not.
 */
class ScriptActivity {
  private readonly als = new AsyncLocalStorage<symbol>();
  private readonly token = Symbol('modelLab.script');
  private readonly pending = new Map<number, object>();
  private readonly hook;

  constructor() {
    this.hook = createHook({
      init: (id, type, _trigger, resource) => {
        if (type === 'PROMISE' || resource instanceof AsyncResource) return;
        if (this.als.getStore() === this.token) this.pending.set(id, resource);
      },
      destroy: (id) => {
        this.pending.delete(id);
      },
    });
  }

  /** Runs `fn` (the script's top level) in the tracked context. */
  run<T>(fn: () => T): T {
    this.hook.enable();
    return this.als.run(this.token, fn);
  }

  busy(): boolean {
    for (const r of this.pending.values()) {
      const h = r as { hasRef?: () => boolean };
      if (typeof h.hasRef === 'function' && !h.hasRef()) continue; // unref'd: Node would not wait either
      return true;
    }
    return false;
  }

  dispose(): void {
    this.hook.disable();
    this.pending.clear();
  }
}

/**
 * Runs the script as one run. Emits `run` at its first fit call, `batches`, `epoch`, `log`, and last
 * `end` (always). Never rejects: a throw, an unhandled rejection, a non-zero process.exit() or no fit
 * call at all ends the run `failed`, keeping the metrics recorded so far.
 */
export async function runScript(tf: TF, backendInfo: BackendInfo, spec: ScriptSpec, emit: (m: TrainerToHost) => void, control: TrainingControl): Promise<EndStatus> {
  const scriptFile = path.resolve(spec.modelFile);
  const name = path.basename(scriptFile);
  const log = (level: 'info' | 'warn' | 'error', message: string) => emit({ type: 'log', level, message });

  let writer: RunWriter | undefined;
  let mapStack: StackMapper | undefined;
  let status: EndStatus = 'failed';
  let error: RunError | undefined;
  let epoch = 0;

  const pending: BatchPoint[] = [];
  let lastFlush = 0;
  const flush = () => {
    if (pending.length === 0) return;
    emit({ type: 'batches', points: pending.splice(0) });
    lastFlush = Date.now();
  };

  const config: ResolvedConfig = { epochs: 0, batchSize: 0, validationSplit: 0, shuffle: false, dataset: SCRIPT_DATASET };
  try {
    for (let attempt = 0; ; attempt++) {
      const runId = spec.runId ?? makeRunId(scriptFile, new Date());
      try {
        writer = RunWriter.create(spec.runsDir, runId, {
          id: runId,
          modelFile: scriptFile,
          config,
          backend: backendInfo,
          versions: trainerVersions(tf),
          startedAt: new Date().toISOString(),
          status: 'running',
        });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || spec.runId !== undefined || attempt > 20) throw e;
      }
    }
    emit({ type: 'started', runId: writer.current.id, runDir: writer.dir });
    const bundled = await bundleFile(tf, scriptFile);
    mapStack = bundled.mapStack;
    const outcome = await execute(tf, bundled.evaluate, writer, {
      name,
      log,
      control,
      onBatch: (p) => {
        pending.push(p);
        if (p.time - lastFlush >= BATCH_FLUSH_MS) flush();
      },
      flush,
      emit,
      setEpoch: (e) => (epoch = e),
    });
    flush();
    if (outcome.error !== undefined) {
      status = 'failed';
      error = toRunError(outcome.error, { modelFile: scriptFile, mapStack });
    } else if (outcome.exitCode !== 0) {
      status = 'failed';
      error = outcome.fitError
        ? toRunError(outcome.fitError, { modelFile: scriptFile, mapStack })
        : { message: `${name} exited with code ${outcome.exitCode}`, file: scriptFile };
    } else if (outcome.fits === 0) {
      status = 'failed';
      error = { message: `${name} finished without calling model.fit or model.fitDataset`, file: scriptFile };
    } else if (outcome.fitError && !outcome.fitSucceededAfterError) {
      // The script caught its fit's error and went on without training again: the run did not train.
      status = 'failed';
      error = toRunError(outcome.fitError, { modelFile: scriptFile, mapStack });
    } else {
      status = outcome.stopped ? 'stopped' : 'completed';
    }
  } catch (e) {
    flush();
    status = 'failed';
    error = toRunError(e, { modelFile: scriptFile, mapStack });
  }

  return endRun(writer, emit, { status, error, epoch });
}

interface ExecuteHooks {
  name: string;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  control: TrainingControl;
  onBatch: (p: BatchPoint) => void;
  flush: () => void;
  emit: (m: TrainerToHost) => void;
  setEpoch: (e: number) => void;
}

interface Outcome {
  fits: number;
  stopped: boolean;
  /** What the script threw (or rejected with) that nothing caught. */
  error?: unknown;
  exitCode: number;
  /** The last error a fit call rejected with, even if the script caught it. */
  fitError?: unknown;
  fitSucceededAfterError: boolean;
}

type FitFn = (this: LayersModel, ...args: unknown[]) => Promise<tfTypes.History>;

/** Patches fit/fitDataset, runs the script, waits until it has nothing left to do, and undoes the patches. */
async function execute(tf: TF, evaluate: (opts: { asMain: boolean }) => unknown, w: RunWriter, hooks: ExecuteHooks): Promise<Outcome> {
  const outcome: Outcome = { fits: 0, stopped: false, exitCode: 0, fitSucceededAfterError: false };
  let finished = false;
  let wake: () => void = () => undefined;
  const finish = (why: { error?: unknown; exitCode?: number }) => {
    if (finished) return;
    finished = true;
    if (why.error !== undefined) outcome.error = why.error;
    if (why.exitCode !== undefined) outcome.exitCode = why.exitCode;
    // Node would end here; fits still running are stopped at their next batch.
    for (const m of active) m.stopTraining = true;
    wake();
  };
  const onScriptError = (e: unknown) => {
    if (e instanceof ScriptExit) finish({ exitCode: e.code });
    else finish({ error: e ?? new Error(`${hooks.name} threw ${String(e)}`) });
  };

  // --- the recorder every patched fit call shares -----------------------------------------------
  const config0 = { ...w.current.config };
  const active = new Set<LayersModel>();
  let fitsInFlight = 0;
  let epochCount = 0;
  let step = 0;
  let runSent = false;
  let warnedNonFinite = false;
  const pick = (logs: tfTypes.Logs | undefined, skip: string[], epoch: number): Metrics => {
    const out: Metrics = {};
    for (const [k, v] of Object.entries(logs ?? {})) {
      if (skip.includes(k) || typeof v !== 'number') continue;
      if (!Number.isFinite(v)) {
        if (!warnedNonFinite) hooks.log('warn', `${k} became ${v} at epoch ${epoch + 1}: the model diverged (try a lower learning rate).`);
        warnedNonFinite = true;
        continue;
      }
      out[k] = v;
    }
    return out;
  };

  const callbackFor = (model: LayersModel): tfTypes.CustomCallbackArgs => {
    let epoch = epochCount;
    const stopIfAsked = (batch: number) => {
      if (hooks.control.stopRequested() || outcome.stopped) {
        if (!outcome.stopped) hooks.log('info', `Stopping after batch ${batch + 1} of epoch ${epoch + 1}.`);
        outcome.stopped = true;
        model.stopTraining = true;
      }
    };
    return {
      onEpochBegin: async () => {
        epoch = epochCount;
        hooks.setEpoch(epoch);
        // A fit called after a stop ends after its first batch.
        if (outcome.stopped) model.stopTraining = true;
      },
      onBatchEnd: async (batch: number, logs?: tfTypes.Logs) => {
        const point: BatchPoint = { epoch, batch, step: step++, time: Date.now(), metrics: pick(logs, ['batch', 'size'], epoch) };
        w.appendMetric({ type: 'batch', epoch, batch, step: point.step, time: point.time, ...point.metrics } as MetricLine);
        hooks.onBatch(point);
        // Paused between batches: the script's fit simply waits (a pending fit keeps the run alive).
        if (hooks.control.pauseRequested?.() && !hooks.control.stopRequested()) {
          hooks.flush();
          hooks.log('info', `Paused after batch ${batch + 1} of epoch ${epoch + 1}.`);
          while (hooks.control.pauseRequested?.() && !hooks.control.stopRequested()) await hooks.control.whenResumed?.();
          hooks.log('info', 'Resumed.');
        }
        stopIfAsked(batch);
      },
      onEpochEnd: async (_e: number, logs?: tfTypes.Logs) => {
        const time = Date.now();
        const metrics = pick(logs, [], epoch);
        w.appendMetric({ type: 'epoch', epoch, time, ...metrics } as MetricLine);
        hooks.flush();
        hooks.emit({ type: 'epoch', point: { epoch, time, metrics } });
        epochCount = epoch + 1;
      },
    };
  };

  const BaseCallback = Object.getPrototypeOf(tf.Callback) as abstract new (...a: never[]) => object;
  /** The script's callbacks as tfjs would take them (one, a list, config objects), then ours. */
  const mergeCallbacks = (theirs: CallbackArg, ours: tfTypes.CustomCallbackArgs, yieldEvery: tfTypes.ModelFitArgs['yieldEvery']) => {
    const list: unknown[] = theirs == null ? [] : Array.isArray(theirs) ? theirs : [theirs];
    const asCallbacks = list.map((c) => (c instanceof BaseCallback ? c : new tf.CustomCallback(c as tfTypes.CustomCallbackArgs, yieldEvery)));
    return [...asCallbacks, new tf.CustomCallback(ours, yieldEvery)] as unknown as tfTypes.Callback[];
  };

  const describeFit = (kind: 'fit' | 'fitDataset', model: LayersModel, args: unknown[], fitArgs: Record<string, unknown>) => {
    const epochs = typeof fitArgs.epochs === 'number' ? fitArgs.epochs : 1;
    const initial = typeof fitArgs.initialEpoch === 'number' ? fitArgs.initialEpoch : 0;
    let batchesPerEpoch = 0;
    let batchSize = 0;
    const validationSplit = typeof fitArgs.validationSplit === 'number' ? fitArgs.validationSplit : 0;
    if (kind === 'fit') {
      batchSize = typeof fitArgs.batchSize === 'number' ? fitArgs.batchSize : 32;
      const n = firstTensor(args[0])?.shape[0] ?? 0;
      batchesPerEpoch = Math.ceil(Math.floor(n * (1 - (fitArgs.validationData ? 0 : validationSplit))) / batchSize);
    } else {
      const ds = args[0] as { size?: number };
      const given = fitArgs.batchesPerEpoch;
      batchesPerEpoch = typeof given === 'number' ? given : Number.isFinite(ds.size) && (ds.size as number) > 0 ? (ds.size as number) : 0;
    }
    outcome.fits++;
    const from = epochCount + 1;
    const to = epochCount + Math.max(0, epochs - initial);
    if (!runSent) {
      runSent = true;
      Object.assign(config0, { epochs: epochs - initial, batchSize, validationSplit, shuffle: fitArgs.shuffle !== false });
      const layers = layerSummaries(model);
      const totalParams = model.countParams();
      w.updateRecord({ config: { ...config0 }, layers, totalParams, batchesPerEpoch });
      hooks.emit({ type: 'run', runId: w.current.id, runDir: w.dir, modelFile: w.current.modelFile, config: { ...config0 }, batchesPerEpoch, layers, totalParams });
    }
    hooks.log('info', `${hooks.name}: model.${kind} call ${outcome.fits} (${model.name}) runs epochs ${from}–${to} of this run${batchesPerEpoch ? `, ${batchesPerEpoch} batches each` : ''}.`);
  };
  const patch = (kind: 'fit' | 'fitDataset', orig: FitFn): FitFn =>
    function (this: LayersModel, ...args: unknown[]) {
      const argIndex = kind === 'fit' ? 2 : 1;
      const fitArgs = (args[argIndex] ?? {}) as Record<string | symbol, unknown>;
      if (fitArgs[PATCHED] || finished) return orig.apply(this, args);
      describeFit(kind, this, args, fitArgs as Record<string, unknown>);
      const merged = {
        ...fitArgs,
        callbacks: mergeCallbacks(fitArgs.callbacks as CallbackArg, callbackFor(this), fitArgs.yieldEvery as tfTypes.ModelFitArgs['yieldEvery']),
        [PATCHED]: true,
      };
      const newArgs = [...args];
      while (newArgs.length < argIndex) newArgs.push(undefined);
      newArgs[argIndex] = merged;
      fitsInFlight++;
      active.add(this);
      const model = this;
      return (async () => {
        try {
          const history = await orig.apply(model, newArgs);
          hooks.flush();
          if (outcome.fitError !== undefined) outcome.fitSucceededAfterError = true;
          // Saved before fit returns, so a script that disposes its model afterwards still leaves it.
          try {
            await saveModel(tf, model, w.modelDir, { includeOptimizer: true });
          } catch (e) {
            hooks.log('warn', `Could not save the model after model.${kind}: ${toRunError(e).message}`);
          }
          return history;
        } catch (e) {
          hooks.flush();
          outcome.fitError = e;
          outcome.fitSucceededAfterError = false;
          throw e;
        } finally {
          fitsInFlight--;
          active.delete(model);
          wake();
        }
      })();
    };

  // --- install, run, wait, undo -------------------------------------------------------------------
  const targets = [tf.LayersModel.prototype, tf.Sequential.prototype] as unknown as Record<'fit' | 'fitDataset', FitFn>[];
  const saved = targets.map((p) => ({ p, fit: Object.getOwnPropertyDescriptor(p, 'fit'), fitDataset: Object.getOwnPropertyDescriptor(p, 'fitDataset') }));
  const savedUncaught = process.listeners('uncaughtException');
  const savedUnhandled = process.listeners('unhandledRejection');
  const realExit = process.exit;
  const activity = new ScriptActivity();
  // Made here, outside the script's context, so their idle handles never count as the script's work.
  void process.stdout;
  void process.stderr;
  try {
    for (const { p, fit, fitDataset } of saved) {
      if (fit) p.fit = patch('fit', fit.value as FitFn);
      if (fitDataset) p.fitDataset = patch('fitDataset', fitDataset.value as FitFn);
    }
    // While the script runs it is the program: its uncaught errors end the run, as they would end `node SCRIPT`.
    process.removeAllListeners('uncaughtException');
    process.removeAllListeners('unhandledRejection');
    process.on('uncaughtException', onScriptError);
    process.on('unhandledRejection', onScriptError);
    process.exit = ((code?: number | string | null) => {
      throw new ScriptExit(Number(code ?? process.exitCode ?? 0) || 0);
    }) as typeof process.exit;

    try {
      activity.run(() => evaluate({ asMain: true }));
    } catch (e) {
      onScriptError(e);
    }
    while (!finished) {
      if (fitsInFlight === 0 && !activity.busy()) {
        // One more turn: destroy hooks of just-finished native requests arrive a tick late.
        await new Promise((r) => setTimeout(r, IDLE_POLL_MS));
        if (fitsInFlight === 0 && !activity.busy()) break;
        continue;
      }
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, IDLE_POLL_MS);
      });
    }
    finished = true;
    // A fit stopped by an exit or a throw ends at its next batch; keep its metrics whole.
    while (fitsInFlight > 0) await new Promise((r) => setTimeout(r, IDLE_POLL_MS));
  } finally {
    activity.dispose();
    process.exit = realExit;
    process.off('uncaughtException', onScriptError);
    process.off('unhandledRejection', onScriptError);
    for (const l of savedUncaught) process.on('uncaughtException', l);
    for (const l of savedUnhandled) process.on('unhandledRejection', l);
    for (const { p, fit, fitDataset } of saved) {
      if (fit) Object.defineProperty(p, 'fit', fit);
      if (fitDataset) Object.defineProperty(p, 'fitDataset', fitDataset);
    }
  }
  if (outcome.error !== undefined && !(outcome.error instanceof Error) && typeof outcome.error !== 'object')
    outcome.error = new RunFailure({ message: `${hooks.name} threw ${String(outcome.error)}` });
  return outcome;
}
