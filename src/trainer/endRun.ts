import type { EndStatus, RunError, TrainerToHost } from '../protocol/trainer';
import type { RunWriter } from './runWriter';
import { toRunError } from './errors';
import { msg } from './messages';

/**
 * The last thing every run does, trained or scripted: the `end` line and run.json status, then the
 * `end` message. Recording can fail (folder deleted, disk full); the host still hears how it ended.
 */
export function endRun(
  writer: RunWriter | undefined,
  emit: (m: TrainerToHost) => void,
  end: { status: EndStatus; error?: RunError; epoch: number },
): EndStatus {
  const { status, error, epoch } = end;
  if (writer) {
    // The space set aside at the start: on a full disk these last writes still fit.
    writer.releaseReserve();
    // Each write on its own: run.json's status matters most, so a failed end line does not skip it.
    const steps: (() => void)[] = [
      () => writer.appendMetric(error ? { type: 'end', epoch, time: Date.now(), status, error } : { type: 'end', epoch, time: Date.now(), status }),
      () => writer.sync(),
      () => writer.updateRecord({ status, endedAt: new Date().toISOString(), ...(error ? { error } : {}) }),
    ];
    for (const step of steps) {
      try {
        step();
      } catch (e) {
        emit({ type: 'log', level: 'error', message: msg('run.cannotRecordEnd', writer.dir, toRunError(e).message) });
      }
    }
  }
  emit(error ? { type: 'end', status, error, runDir: writer?.dir } : { type: 'end', status, runDir: writer?.dir });
  return status;
}
