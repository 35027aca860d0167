/**
 * What the host can ask of a running training: stop, pause/resume, "checkpoint now". The trainer
 * entry (main.ts) feeds it from IPC messages, tests call it directly; the fit callbacks read it
 * between batches. Pausing waits on a promise, so a paused trainer uses no CPU.
 */

/** What runTraining reads between batches. Only `stopRequested` is required. */
export interface TrainingControl {
  /** Polled after every batch; true ends the run after that batch as `stopped`. */
  stopRequested(): boolean;
  /** Polled after every batch; true holds training there until `whenResumed()` settles. */
  pauseRequested?(): boolean;
  /** While paused: settles at the next request (resume, stop or checkpoint), so the waiter re-reads the others. */
  whenResumed?(): Promise<void>;
  /** Polled after every batch; true (once per request) saves checkpoints/last after that batch. */
  takeCheckpointRequest?(): boolean;
}

export class RunControl implements TrainingControl {
  private stopped = false;
  private paused = false;
  private checkpointWanted = false;
  private waiters: (() => void)[] = [];

  stop(): void {
    this.stopped = true;
    this.paused = false;
    this.wake();
  }

  pause(): void {
    if (!this.stopped) this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake();
  }

  /** Asks for checkpoints/last after the current batch (or at once while paused); repeated requests before it is taken count once. */
  checkpoint(): void {
    this.checkpointWanted = true;
    this.wake();
  }

  stopRequested(): boolean {
    return this.stopped;
  }

  pauseRequested(): boolean {
    return this.paused;
  }

  /** While paused: settles at the next request (resume, stop or checkpoint). Otherwise at once. */
  whenResumed(): Promise<void> {
    if (!this.paused) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  takeCheckpointRequest(): boolean {
    const wanted = this.checkpointWanted;
    this.checkpointWanted = false;
    return wanted;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
