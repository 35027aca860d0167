/**
 * model.fit on the fused executor: the same loop as tfjs-layers 4.22's fitLoop (validationSplit cut
 * from the tail, per-epoch shuffle, batches of batchSize with a short last one, validation after the
 * last batch of an epoch, epoch logs as size-weighted means, stopTraining honoured after each batch
 * and epoch) feeding the same callbacks the same logs, so Model Lab's TrainingCallbacks (metrics,
 * pause/stop, checkpoints, early stopping, lr schedules) work unchanged. The tfjs model gets the
 * weights and optimizer state back before anything can read it: at every epoch end, on a checkpoint
 * request (through `wrapControl`) and at the end.
 *
 * `prepareFusedFit` decides: the fused executor when the backend is wasm and the model and data are
 * covered, else tfjs with the reason. MODEL_LAB_EXECUTOR=tfjs forces tfjs (tests, benchmarks);
 * MODEL_LAB_EXECUTOR=fused fuses on any tfjs backend.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { BackendInfo, ThreadsChoice } from '../../../protocol/trainer';
import type { TrainingControl } from '../../control';
import type { TrainingData } from '../../modelContract';
import { FusedExecutor, type StepResult } from './executor';
import { isConvolution, planFusedModel, type FusedPlan } from './plan';
import { chooseThreads, machineLoad, threadsForModel, type MachineLoad } from './threads';
import { FusedEngine } from './wasmEngine';
import { GradientWorkerPool } from './workerPool';

type TF = typeof tfTypes;

export const EXECUTOR_ENV = 'MODEL_LAB_EXECUTOR';
/** Test only: `exit` or `hang`, optionally `@K`, makes training worker 1 do that on its K-th shard (default the first). */
export const WORKER_FAULT_ENV = 'MODEL_LAB_WORKER_FAULT';
/** A step fails when a worker has not finished its shard within this many ms (default 120 s). */
export const WORKER_TIMEOUT_ENV = 'MODEL_LAB_WORKER_TIMEOUT_MS';
/** How long the trainer and its workers poll before sleeping (workerPool's DEFAULT_SPIN_MS; 0 sleeps at once: the bench's baseline). */
export const WORKER_SPIN_ENV = 'MODEL_LAB_WORKER_SPIN_MS';

export interface FitLoopArgs {
  epochs: number;
  initialEpoch: number;
  batchSize: number;
  validationSplit: number;
  shuffle: boolean;
  yieldEvery: 'never' | 'batch';
  callbacks: tfTypes.CustomCallbackArgs;
}

export interface FusedFit {
  executor: 'fused';
  /** Why the fused executor trains this run, with the SIMD build in use. */
  reason: string;
  simd: FusedEngine['variant'];
  /** Threads computing each batch's gradients (the trainer and its workers), and why that many. */
  threads: number;
  threadsReason: string;
  /** The control TrainingCallbacks must read, so a "checkpoint now" first copies the weights back. */
  wrapControl(control: TrainingControl): TrainingControl;
  fit(args: FitLoopArgs): Promise<void>;
}

export type ExecutorChoice = FusedFit | { executor: 'tfjs'; reason: string; threads: 1; threadsReason: string };

const onTfjs = (reason: string): ExecutorChoice => ({ executor: 'tfjs', reason, threads: 1, threadsReason: 'tfjs trains on one thread (the workers run the fused executor)' });

interface Arrays {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Samples, floats per sample of x and of y. */
  n: number;
  yRow: number;
}

function single(t: unknown): tfTypes.Tensor | undefined {
  return t && typeof t === 'object' && 'dataId' in t && 'shape' in t ? (t as tfTypes.Tensor) : undefined;
}

/** x and y of a TensorData as flat arrays, or why they do not fit the plan. */
function arraysOf(xsArg: unknown, ysArg: unknown, plan: FusedPlan, what: string): Arrays | string {
  const xs = single(xsArg);
  const ys = single(ysArg);
  if (!xs || !ys) return `the ${what} inputs or labels are not single tensors`;
  if (xs.dtype !== 'float32') return `the ${what} inputs are ${xs.dtype}`;
  const n = xs.shape[0];
  if (xs.shape.slice(1).join(',') !== plan.inputShape.join(',')) return `the ${what} inputs are [${xs.shape.join(',')}], not [N,${plan.inputShape.join(',')}]`;
  if (ys.shape[0] !== n) return `the ${what} inputs and labels differ in count`;
  const sparse = plan.loss === 'sparseCategoricalCrossentropy';
  const yRow = ys.shape.slice(1).reduce((a, b) => a * b, 1);
  const outShape = plan.outputShape ?? [plan.outputSize];
  if (sparse ? yRow !== 1 : ys.shape.slice(1).join(',') !== outShape.join(','))
    return `the ${what} labels are [${ys.shape.join(',')}] for an output of [N,${outShape.join(',')}]`;
  return { x: xs.dataSync() as Float32Array, y: ys.dataSync() as ArrayLike<number>, n, yRow };
}

function slice(a: Arrays, from: number, to: number, xRow: number): Arrays {
  const sub = (v: ArrayLike<number>, row: number) => (v as Float32Array).subarray(from * row, to * row);
  return { x: sub(a.x, xRow), y: sub(a.y, a.yRow), n: to - from, yRow: a.yRow };
}

/** The fused executor for this run, or tfjs with the reason. Reads the data once (the tensors stay the caller's). */
export async function prepareFusedFit(
  tf: TF,
  backend: BackendInfo,
  model: tfTypes.LayersModel,
  data: TrainingData,
  opts: { batchSize: number; validationSplit: number; threads?: ThreadsChoice; machine?: MachineLoad; env?: NodeJS.ProcessEnv },
): Promise<ExecutorChoice> {
  const env = opts.env ?? process.env;
  const forced = env[EXECUTOR_ENV];
  if (forced === 'tfjs') return onTfjs(`${EXECUTOR_ENV}=tfjs`);
  if (backend.name !== 'wasm' && forced !== 'fused') return onTfjs(`the fused executor runs with the wasm backend (this run uses ${backend.name})`);
  if (data.kind !== 'tensors') return onTfjs('the data is a tf.data.Dataset (the fused executor trains on tensors)');
  const planned = planFusedModel(model);
  if (!planned.plan) return onTfjs(planned.reason);
  const plan = planned.plan;
  const all = arraysOf(data.xs, data.ys, plan, 'training');
  if (typeof all === 'string') return onTfjs(all);
  let train = all;
  let val: Arrays | undefined;
  if (data.validation) {
    const v = arraysOf(data.validation.xs, data.validation.ys, plan, 'validation');
    if (typeof v === 'string') return onTfjs(v);
    val = v;
  } else if (opts.validationSplit > 0) {
    const splitAt = Math.floor(all.n * (1 - opts.validationSplit));
    train = slice(all, 0, splitAt, plan.inputSize);
    val = slice(all, splitAt, all.n, plan.inputSize);
  }
  let exec: FusedExecutor;
  try {
    exec = new FusedExecutor(plan, Math.max(1, Math.min(opts.batchSize, Math.max(train.n, val?.n ?? 0))));
    await exec.loadFromModel(model);
    await exec.ensureOptimizerState(tf, model);
  } catch (e) {
    return onTfjs(`the fused executor could not start: ${e instanceof Error ? e.message : String(e)}`);
  }
  const simd = exec.engine.variant;
  const decided = threadsForModel(opts.threads, chooseThreads(opts.threads, opts.machine ?? machineLoad()), plan.layers.some(isConvolution));
  const norm = plan.layers.find((l) => l.kind === 'batchnorm');
  let threads = norm ? 1 : Math.min(decided.threads, exec.maxBatch);
  let threadsReason = norm
    ? `${decided.reason}, but layer ${norm.name} (batch normalisation) needs each whole batch's statistics, so one thread trains it`
    : threads < decided.threads
      ? `${decided.reason}; batches of ${exec.maxBatch} give each of ${threads} threads a sample at most`
      : decided.reason;
  let pool: GradientWorkerPool | undefined;
  if (threads > 1) {
    const fault = /^(exit|hang)(?:@(\d+))?$/.exec(env[WORKER_FAULT_ENV] ?? '');
    const timeoutMs = Number(env[WORKER_TIMEOUT_ENV]) || undefined;
    const spinMs = env[WORKER_SPIN_ENV] === undefined || env[WORKER_SPIN_ENV] === '' ? undefined : Math.max(0, Number(env[WORKER_SPIN_ENV]) || 0);
    try {
      pool = await GradientWorkerPool.start(exec, {
        threads,
        maxBatch: exec.maxBatch,
        yRow: train.yRow,
        ...(timeoutMs && { timeoutMs }),
        ...(spinMs !== undefined && { spinMs }),
        ...(fault && { fault: { index: 1, kind: fault[1] as 'exit' | 'hang', at: Number(fault[2] ?? 1) } }),
      });
    } catch (e) {
      threadsReason = `${threadsReason}, but the workers could not start (${e instanceof Error ? e.message : String(e)})`;
      threads = 1;
    }
  }
  const step = pool ? stepOnPool(exec, pool) : stepAlone(exec);
  return {
    executor: 'fused',
    reason: `${plan.layers.length} layers fused into wasm kernels (${simd})`,
    simd,
    threads,
    threadsReason,
    wrapControl: (control) => ({
      stopRequested: () => control.stopRequested(),
      ...(control.pauseRequested && { pauseRequested: () => control.pauseRequested!() }),
      ...(control.whenResumed && { whenResumed: () => control.whenResumed!() }),
      ...(control.takeCheckpointRequest && {
        takeCheckpointRequest: () => {
          const wanted = control.takeCheckpointRequest!();
          if (wanted) exec.storeToModel(tf, model);
          return wanted;
        },
      }),
    }),
    fit: async (args) => {
      try {
        await fitLoop(tf, model, exec, step, train, val, args);
      } finally {
        await pool?.close();
      }
    },
  };
}

/**
 * One training step in two halves: `begin` takes the n samples in the executor's input buffer and
 * their labels, `finish` computes what is left, runs the optimizer update once and returns the loss.
 * On a worker pool, begin hands the workers their shards at once, so the trainer's per-batch work
 * between two steps (metrics line, callbacks, the yield) runs while they compute (`overlaps`).
 */
interface Step {
  readonly overlaps: boolean;
  begin(n: number, y: ArrayLike<number>): void;
  finish(lr: number): Promise<StepResult>;
}

function stepAlone(exec: FusedExecutor): Step {
  let n = 0;
  let y: ArrayLike<number> = [];
  return {
    overlaps: false,
    begin: (size, labels) => {
      n = size;
      y = labels;
    },
    finish: async (lr) => exec.trainStep(n, y, lr),
  };
}

const stepOnPool = (exec: FusedExecutor, pool: GradientWorkerPool): Step => ({
  overlaps: true,
  begin: (n, y) => pool.handOff(exec, n, y),
  finish: async (lr) => {
    const r = await pool.collect(exec);
    exec.applyGradients(lr);
    return r;
  },
});

/** Copies samples ids[from..to) (or from..to in order when ids is null) into the executor's input; returns their labels. */
type Gather = (src: Arrays, ids: ArrayLike<number> | null, from: number, to: number) => ArrayLike<number>;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function fitLoop(tf: TF, model: tfTypes.LayersModel, exec: FusedExecutor, step: Step, train: Arrays, val: Arrays | undefined, args: FitLoopArgs): Promise<void> {
  const cb = args.callbacks;
  const plan = exec.plan;
  const xRow = plan.inputSize;
  const B = args.batchSize;
  const yBatch = new Float32Array(B * train.yRow);
  const indices = Array.from({ length: train.n }, (_, i) => i);
  const gather: Gather = (src, ids, from, to) => {
    const xin = exec.inputView(to - from);
    if (!ids) {
      xin.set((src.x as Float32Array).subarray(from * xRow, to * xRow));
      yBatch.set((src.y as Float32Array).subarray(from * src.yRow, to * src.yRow));
      return yBatch.subarray(0, (to - from) * src.yRow);
    }
    for (let i = from; i < to; i++) {
      const s = ids[i];
      xin.set((src.x as Float32Array).subarray(s * xRow, (s + 1) * xRow), (i - from) * xRow);
      yBatch.set((src.y as Float32Array).subarray(s * src.yRow, (s + 1) * src.yRow), (i - from) * src.yRow);
    }
    return yBatch.subarray(0, (to - from) * src.yRow);
  };
  const metricsOf = (r: StepResult): Record<string, number> =>
    inCompileOrder(plan, { loss: Math.fround(r.loss), ...(r.acc !== undefined && { acc: Math.fround(r.acc) }), ...valueLogs(plan, r) }, '');

  await cb.onTrainBegin?.({});
  model.stopTraining = false;
  let dirty = false;
  try {
    for (let epoch = args.initialEpoch; epoch < args.epochs; epoch++) {
      await cb.onEpochBegin?.(epoch, {});
      if (args.shuffle) shuffleInPlace(indices);
      const totals: Record<string, number> = {};
      let seen = 0;
      let valLogs: Record<string, number> = {};
      const batches = Math.ceil(train.n / B);
      /** Batch b was handed off during batch b − 1's callbacks. */
      let ahead = false;
      for (let b = 0; b < batches; b++) {
        const from = b * B;
        const to = Math.min(train.n, from + B);
        const size = to - from;
        await cb.onBatchBegin?.(b, { batch: b, size });
        if (!ahead) step.begin(size, gather(train, indices, from, to));
        ahead = false;
        const lr = (model.optimizer as unknown as { learningRate: number }).learningRate;
        const logs = metricsOf(await step.finish(lr));
        dirty = true;
        for (const [k, v] of Object.entries(logs)) totals[k] = (totals[k] ?? 0) + v * size;
        seen += size;
        if (b === batches - 1 && val && val.n > 0) valLogs = evaluateAll(exec, val, B, gather);
        // The next batch of the epoch goes to the workers before this one's callbacks, which then run
        // while they compute it (the parameters are already updated; a stop leaves it uncollected).
        if (step.overlaps && b + 1 < batches) {
          const next = Math.min(train.n, to + B);
          step.begin(next - to, gather(train, indices, to, next));
          ahead = true;
        }
        await cb.onBatchEnd?.(b, { batch: b, size, ...logs });
        if (args.yieldEvery === 'batch') await yieldToEventLoop();
        if (model.stopTraining) break;
      }
      const epochLogs: Record<string, number> = { ...valLogs };
      for (const [k, v] of Object.entries(totals)) epochLogs[k] = v / seen;
      exec.storeToModel(tf, model);
      dirty = false;
      await cb.onEpochEnd?.(epoch, epochLogs);
      if (model.stopTraining) break;
    }
    await cb.onTrainEnd?.({});
  } finally {
    if (dirty) exec.storeToModel(tf, model);
  }
}

/** Validation loss and accuracy: size-weighted mean of batch means, as tfjs's testLoop. */
function evaluateAll(exec: FusedExecutor, val: Arrays, B: number, gather: Gather): Record<string, number> {
  const totals: Record<string, number> = {};
  for (let from = 0; from < val.n; from += B) {
    const to = Math.min(val.n, from + B);
    const r = exec.evaluate(to - from, gather(val, null, from, to));
    totals.val_loss = (totals.val_loss ?? 0) + Math.fround(r.loss) * (to - from);
    if (r.acc !== undefined) totals.val_acc = (totals.val_acc ?? 0) + Math.fround(r.acc) * (to - from);
    for (const [k, v] of Object.entries(valueLogs(exec.plan, r))) totals[`val_${k}`] = (totals[`val_${k}`] ?? 0) + v * (to - from);
  }
  for (const k of Object.keys(totals)) totals[k] /= val.n;
  return inCompileOrder(exec.plan, totals, 'val_');
}

/** The mse / mae metrics of a step under the names tfjs logs them by (the names given to compile: mse, MAE, …). */
function valueLogs(plan: FusedPlan, r: StepResult): Record<string, number> {
  const out: Record<string, number> = {};
  plan.valueMetrics?.forEach((m, i) => {
    if (r.values) out[m.name] = Math.fround(r.values[i]);
  });
  return out;
}

/** The logs with the metrics in the order tfjs lists them (loss, then compile order), as a reader iterating them sees tfjs's. */
function inCompileOrder(plan: FusedPlan, logs: Record<string, number>, prefix: string): Record<string, number> {
  if (!plan.metricOrder) return logs;
  const out: Record<string, number> = {};
  for (const k of ['loss', ...plan.metricOrder]) if (prefix + k in logs) out[prefix + k] = logs[prefix + k];
  return { ...out, ...logs };
}

/** tfjs's util.shuffle (Fisher–Yates from the end, Math.random). */
function shuffleInPlace(a: number[]): void {
  let counter = a.length;
  while (counter > 0) {
    const index = (Math.random() * counter) | 0;
    counter--;
    const t = a[counter];
    a[counter] = a[index];
    a[index] = t;
  }
}
