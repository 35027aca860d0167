/**
 * A gradient worker (bundled as dist/fusedWorker.js, started by workerPool.ts): its own fused
 * executor on its own wasm instance computes the gradients of its shard of each batch with the
 * trainer's current parameters. Between shards it polls for spinMs, then blocks in Atomics.wait (with a
 * timeout, so a quit flag is seen even if a notify was missed) and never touches the optimizer: the trainer averages
 * the gradients and updates once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FusedExecutor } from './executor';
import { CTRL, shardViews, spinUntil, writeError, type WorkerInit } from './sharedStep';
import { FusedEngine } from './wasmEngine';

function run(init: WorkerInit): void {
  const v = shardViews(init.shard, init);
  const params = new Float32Array(init.params, 0, init.paramCount);
  const exec = new FusedExecutor(init.plan, init.shardMax, new FusedEngine(init.variant));
  // Read before saying ready: the trainer may hand over the first shard the moment it hears.
  let seen = Atomics.load(v.ctrl, CTRL.seq);
  parentPort!.postMessage({ type: 'ready' });
  let shards = 0;
  const handed = () => Atomics.load(v.ctrl, CTRL.seq) !== seen || Atomics.load(v.ctrl, CTRL.quit) !== 0;
  for (;;) {
    if (!spinUntil(handed, init.spinMs)) Atomics.wait(v.ctrl, CTRL.seq, seen, 1000);
    if (Atomics.load(v.ctrl, CTRL.quit)) return;
    const seq = Atomics.load(v.ctrl, CTRL.seq);
    if (seq === seen) continue;
    seen = seq;
    shards++;
    const fault = shards === Atomics.load(v.ctrl, CTRL.faultAt) ? Atomics.load(v.ctrl, CTRL.fault) : 0;
    if (fault === 1) for (;;) if (Atomics.wait(v.ctrl, CTRL.quit, 0, 1000) !== 'timed-out' || Atomics.load(v.ctrl, CTRL.quit)) return;
    if (fault === 2) process.exit(7);
    try {
      const n = Atomics.load(v.ctrl, CTRL.n);
      exec.paramView().set(params);
      exec.inputView(n).set(v.x.subarray(0, n * init.plan.inputSize));
      const r = exec.computeGradients(n, v.y.subarray(0, n * init.yRow));
      v.grads.set(exec.gradView());
      v.result[0] = r.loss;
      v.result[1] = r.acc ?? Number.NaN;
      r.values?.forEach((x, i) => (v.result[2 + i] = x));
      Atomics.store(v.ctrl, CTRL.status, 0);
    } catch (e) {
      writeError(v.error, e instanceof Error ? e.message : String(e));
      Atomics.store(v.ctrl, CTRL.status, 1);
    }
    Atomics.store(v.ctrl, CTRL.done, seq);
    Atomics.notify(v.ctrl, CTRL.done);
  }
}

run(workerData as WorkerInit);
