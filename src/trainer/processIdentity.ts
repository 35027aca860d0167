/**
 * This process as run.json records it (pid, start time, boot id), and whether a recorded process is
 * still the one alive. Linux reads /proc; elsewhere only the pid is known and checked with signal 0.
 */
import * as fs from 'node:fs';
import { isProcessAliveWith, procStatStartTime, type ProcessIdentity } from '../protocol/runFolder';

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

function signal0(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True while the process `id` names still runs (the rule is isProcessAliveWith's, shared with the host). */
export function isProcessAlive(id: ProcessIdentity): boolean {
  return isProcessAliveWith(id, readText, signal0);
}
