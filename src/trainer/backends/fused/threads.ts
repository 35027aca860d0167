/**
 * How many threads compute a batch's gradients: the `modelLab.threads` setting / `--threads` flag
 * against what the machine has free. 'auto' takes a second core only when more than one is free
 * (cores minus the 1-minute load average), since a worker sharing a busy core slows every step down
 * to the slower shard. Pure: the cores and load come in as arguments.
 */
import * as os from 'node:os';
import type { ThreadsChoice } from '../../../protocol/trainer';

export interface ThreadsDecision {
  threads: number;
  reason: string;
}

export interface MachineLoad {
  /** os.availableParallelism(). */
  cores: number;
  /** os.loadavg()[0]. */
  load1: number;
}

export function machineLoad(): MachineLoad {
  return { cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length, load1: os.loadavg()[0] };
}

const coresText = (n: number) => `${n} core${n === 1 ? '' : 's'}`;

export function chooseThreads(choice: ThreadsChoice | undefined, m: MachineLoad): ThreadsDecision {
  const load = m.load1.toFixed(2);
  if (choice === undefined || choice === 'auto') {
    const free = m.cores - m.load1;
    if (m.cores < 2) return { threads: 1, reason: `auto: this machine has ${coresText(m.cores)}` };
    if (free > 1) return { threads: 2, reason: `auto: ${coresText(m.cores)}, load average ${load} leaves more than one free` };
    return { threads: 1, reason: `auto: ${coresText(m.cores)}, load average ${load} leaves at most one free` };
  }
  if (choice === 1) return { threads: 1, reason: 'threads set to 1' };
  const over = choice > m.cores ? ` (more than this machine's ${coresText(m.cores)})` : '';
  return { threads: choice, reason: `threads set to ${choice}${over}, load average ${load}` };
}

/**
 * 'auto' keeps one thread for a model without convolutions: its steps are too short for the split to
 * pay (an MLP measured 0.80× with two threads on two free cores, the CNNs 1.47–1.69×; BENCHMARKS.md).
 * A number the user set is kept.
 */
export function threadsForModel(choice: ThreadsChoice | undefined, decided: ThreadsDecision, hasConv: boolean): ThreadsDecision {
  const auto = choice === undefined || choice === 'auto';
  if (!auto || decided.threads < 2 || hasConv) return decided;
  return { threads: 1, reason: `${decided.reason}, but a model without convolutions trains faster on one (its steps are too short to split)` };
}
