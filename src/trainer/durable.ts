/**
 * Writes that survive a kill or a power cut: file contents fsynced before they are renamed into
 * place, and the folder fsynced after, so a reader finds the old or the new file, never a name
 * pointing at missing data. A full disk becomes an error naming the file (the OS's ENOSPC names none).
 * Also the fault-suite test hook (MODEL_LAB_FAULT_PAUSE_AT), which holds the trainer at a named point.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunFailure } from './errors';
import { msg } from './messages';

/** fsync of a folder: makes its entries (created, renamed files) durable. A no-op where folders cannot be opened (Windows). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Windows cannot open a folder; some file systems refuse fsync on one. The data is still written.
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES' && code !== 'ENOTSUP') throw e;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** fsync of a file already written (metrics.jsonl at an epoch end). */
export function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** A write error as the user should read it: a full disk (or quota) names the file and says so. */
export function writeFailure(e: unknown, file: string): unknown {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new RunFailure({
      message: msg('disk.full', file, code),
      file,
    });
  return e;
}

/** Writes `data` to `file` and fsyncs it before closing. */
export function writeFileDurableSync(file: string, data: string | Uint8Array): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'w');
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } catch (e) {
    throw writeFailure(e, file);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export async function writeFileDurable(file: string, data: string | Uint8Array): Promise<void> {
  let h: fs.promises.FileHandle | undefined;
  try {
    h = await fs.promises.open(file, 'w');
    await h.writeFile(data);
    await h.sync();
  } catch (e) {
    throw writeFailure(e, file);
  } finally {
    await h?.close();
  }
}

/** The temp file next to `file` that writeFileAtomic renames over it; its name carries our pid, so a cleanup can tell whose it is. */
export const tmpNameFor = (file: string) => `${file}.${process.pid}.${Date.now()}.tmp`;

/** Temp files and folders made by this module and fsModelIo: `<name>.<pid>.<ms>.tmp` and `.<name>.tmp-<pid>-<ms>[-old]`. */
export const TMP_FILE_RE = /^.+\.(\d+)\.\d+\.tmp$/;
export const TMP_DIR_RE = /^\..+\.tmp-(\d+)-\d+(?:-old)?$/;

/** Writes a file so readers see either the old or the new content, never half of it, and the new one survives a crash once this returns. */
export function writeFileAtomic(file: string, data: string): void {
  const tmp = tmpNameFor(file);
  try {
    writeFileDurableSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw writeFailure(e, file);
  }
  fsyncDir(path.dirname(file));
}

const faultHits = new Map<string, number>();

/**
 * Test hook for the fault suite, not for users: with MODEL_LAB_FAULT_PAUSE_AT=`point` (or
 * `point:N`, the Nth time it is reached), the trainer says so on stderr and then blocks its main
 * thread there for good, so a test can SIGKILL it at exactly that moment (between the two renames
 * of a checkpoint swap, say).
 */
export function faultPause(point: string): void {
  const want = process.env.MODEL_LAB_FAULT_PAUSE_AT;
  if (!want) return;
  const hit = (faultHits.get(point) ?? 0) + 1;
  faultHits.set(point, hit);
  const match = want.split(',').some((w) => {
    const [name, nth] = w.split(':');
    return name === point && (nth === undefined ? hit === 1 : hit === Number(nth));
  });
  if (!match) return;
  fs.writeSync(2, `[model-lab test hook] paused at ${point}\n`);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(cell, 0, 0, 60_000);
}
