/**
 * A time limit for `model-lab summary` and `preview`, which run the model file in this process: a
 * model that never finishes building must not hang the terminal. MODEL_LAB_SUMMARY_TIMEOUT_S
 * (default 30 s). A model file waiting on something ends with exit 1 and a message naming the file;
 * one stuck in synchronous code cannot be interrupted, so the watchdog thread kills the process
 * (exit 137) a moment later, after the same message.
 */
import { secondsFromEnv, startWatchdog, SUMMARY_TIMEOUT_ENV } from '../trainer/watchdog';
import { t } from './messages';

const SYNC_GRACE_MS = 1000;

/** Starts the limit for `what` on `file`; the returned function lifts it. */
export function commandTimeout(what: 'summary' | 'preview', file: string): () => void {
  const seconds = secondsFromEnv(SUMMARY_TIMEOUT_ENV, 30);
  const message = t('cmd.timeout', what, file, seconds, SUMMARY_TIMEOUT_ENV);
  const timer = setTimeout(() => {
    process.stderr.write(message + '\n');
    process.exit(1);
  }, seconds * 1000);
  // Not unref'd: a promise that never settles leaves nothing else to wait for, and the process
  // would exit 0 with no output instead of saying why.
  let watchdog: ReturnType<typeof startWatchdog> | undefined;
  try {
    watchdog = startWatchdog({ watchParent: false });
    watchdog.deadline(seconds * 1000 + SYNC_GRACE_MS, message);
  } catch {
    // no worker threads: the timer above still ends a model file that yields
  }
  return () => {
    clearTimeout(timer);
    watchdog?.stop();
  };
}
