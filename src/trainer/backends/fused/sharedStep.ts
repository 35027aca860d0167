/**
 * The shared memory one gradient worker and the trainer talk through (one SharedArrayBuffer per
 * worker, one for the parameters), shared by workerPool.ts (the trainer's side) and fusedWorker.ts
 * (the worker's). Control words are Int32 slots used with Atomics; the rest is float32.
 */
import type { FusedPlan } from './plan';
import type { SimdVariant } from './wasmEngine';

/** Int32 control slots. */
export const CTRL = {
  /** The trainer bumps it to hand the worker a shard. */
  seq: 0,
  /** The worker sets it to the seq it finished. */
  done: 1,
  /** 0: the shard's gradients are in; 1: the worker failed (message in the error bytes). */
  status: 2,
  /** Samples in the shard. */
  n: 3,
  /** Non-zero: the worker returns. */
  quit: 4,
  /** Test only: the worker hangs (1) or exits (2) when handed shard number `faultAt` (from 1). */
  fault: 5,
  faultAt: 6,
} as const;
const CTRL_WORDS = 8;
export const ERROR_BYTES = 2048;

/**
 * How long each side polls a control word before it sleeps in Atomics.wait. A step is a few
 * milliseconds and each side waits for the other about once a step: sleeping there costs a futex
 * wake every step, which on this kind of VM took ~2 ms of the notifying thread's time (the woken
 * thread's idle vCPU has to be scheduled again) — as much as the whole serial part of a step.
 * Polling a little longer than the usual gap keeps both threads awake through a training loop, and
 * still sleeps through validation, checkpoints, pauses. OpenMP runtimes (PyTorch's) do the same.
 */
export const DEFAULT_SPIN_MS = 2;

/** Polls `ready` until it is true or `ms` have passed; true when it became ready. */
export function spinUntil(ready: () => boolean, ms: number): boolean {
  if (ready()) return true;
  if (ms <= 0) return false;
  const end = performance.now() + ms;
  while (performance.now() < end) if (ready()) return true;
  return ready();
}

export interface SharedLayout {
  /** Milliseconds each side polls before sleeping (DEFAULT_SPIN_MS; 0 sleeps at once). */
  spinMs: number;
  plan: FusedPlan;
  /** Most samples one worker gets (the shard size of the largest batch). */
  shardMax: number;
  /** Floats per label row. */
  yRow: number;
  paramCount: number;
  variant: SimdVariant;
}

/** What a worker gets as workerData. */
export interface WorkerInit extends SharedLayout {
  index: number;
  shard: SharedArrayBuffer;
  params: SharedArrayBuffer;
}

/** Typed views of one worker's shared buffer: control, its shard's inputs and labels, gradients, loss and accuracy, error text. */
export interface ShardViews {
  ctrl: Int32Array;
  x: Float32Array;
  y: Float32Array;
  grads: Float32Array;
  /** [loss, acc (NaN when the plan has none), …the plan's valueMetrics], as doubles like a 1-thread step's. */
  result: Float64Array;
  error: Uint8Array;
}

/** Doubles of a shard's result: loss, accuracy, then one per mse / mae metric. */
export const resultSlots = (l: SharedLayout) => 2 + (l.plan.valueMetrics?.length ?? 0);
/** Bytes of the result doubles, a multiple of 16 so the float32 views after them stay aligned. */
const resultBytes = (l: SharedLayout) => 16 * Math.ceil(resultSlots(l) / 2);

export function shardBytes(l: SharedLayout): number {
  return 4 * CTRL_WORDS + resultBytes(l) + 4 * (l.shardMax * l.plan.inputSize + l.shardMax * l.yRow + l.paramCount) + ERROR_BYTES;
}

export function shardViews(buf: SharedArrayBuffer, l: SharedLayout): ShardViews {
  let at = 0;
  const f32 = (count: number) => {
    const v = new Float32Array(buf, at, count);
    at += 4 * count;
    return v;
  };
  const ctrl = new Int32Array(buf, 0, CTRL_WORDS);
  const result = new Float64Array(buf, 4 * CTRL_WORDS, resultSlots(l));
  at = 4 * CTRL_WORDS + resultBytes(l);
  const x = f32(l.shardMax * l.plan.inputSize);
  const y = f32(l.shardMax * l.yRow);
  const grads = f32(l.paramCount);
  return { ctrl, x, y, grads, result, error: new Uint8Array(buf, at, ERROR_BYTES) };
}

export function writeError(error: Uint8Array, message: string): void {
  const bytes = new TextEncoder().encode(message).subarray(0, ERROR_BYTES - 4);
  new DataView(error.buffer, error.byteOffset).setUint32(0, bytes.length, true);
  error.set(bytes, 4);
}

export function readError(error: Uint8Array): string {
  const len = new DataView(error.buffer, error.byteOffset).getUint32(0, true);
  // TextDecoder refuses views of shared memory: copy out first.
  return new TextDecoder().decode(error.slice(4, 4 + Math.min(len, ERROR_BYTES - 4)));
}
