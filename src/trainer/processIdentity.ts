/**
 * This process as run.json records it (pid, start time, boot id), and whether a recorded process is
 * still the one alive. Linux reads /proc; elsewhere only the pid is known and checked with signal 0.
 * The host has the same check in src/training/runStore.ts (it may not import trainer code).
 */
import * as fs from 'node:fs';
import { procStatExited, procStatStartTime, type ProcessIdentity } from '../protocol/runFolder';

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The identity of process `pid` now (undefined fields where /proc is missing). */
export function processIdentityOf(pid: number): ProcessIdentity {
  const stat = readText(`/proc/${pid}/stat`);
  const startTime = stat !== undefined ? procStatStartTime(stat) : undefined;
  const bootId = readText('/proc/sys/kernel/random/boot_id');
  return { pid, ...(startTime !== undefined && { startTime }), ...(bootId !== undefined && { bootId }) };
}

export const ownProcessIdentity = (): ProcessIdentity => processIdentityOf(process.pid);

/** True while the process `id` names still runs: same boot, same pid, same start time (where known). */
export function isProcessAlive(id: ProcessIdentity): boolean {
  if (id.bootId !== undefined) {
    const boot = readText('/proc/sys/kernel/random/boot_id');
    if (boot !== undefined && boot !== id.bootId) return false;
  }
  if (fs.existsSync('/proc/self/stat')) {
    // A zombie has exited (a container's init may never reap it); another start time is a reused pid.
    const stat = readText(`/proc/${id.pid}/stat`);
    if (stat === undefined || procStatExited(stat)) return false;
    return id.startTime === undefined || procStatStartTime(stat) === id.startTime;
  }
  try {
    process.kill(id.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
