/**
 * Paths in trainer messages stay where they belong: a run folder is a direct child of the runs
 * folder the host asked for, a checkpoint folder sits inside that run folder. The host marks
 * crashed runs and reads eval.json at these paths, so a confused or compromised trainer must not
 * point it at any other file. Pure: no `vscode`, no fs.
 */
import * as path from 'node:path';
import type { TrainerToHost } from '../protocol/trainer';

const inside = (parent: string, child: string): boolean => {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};

/** Why `m` points outside its folders (naming the field), or undefined when its paths are fine. */
export function pathOutsideRuns(m: TrainerToHost, runsDir: string, runDir: string | undefined): string | undefined {
  if (m.type === 'started' || m.type === 'run' || (m.type === 'end' && m.runDir !== undefined)) {
    const dir = m.runDir!;
    if (!path.isAbsolute(dir) || path.dirname(path.resolve(dir)) !== path.resolve(runsDir) || path.basename(dir).startsWith('.'))
      return `runDir: ${JSON.stringify(dir.slice(0, 300))} is not a run folder of the runs folder ${runsDir}`;
  }
  if (m.type === 'checkpoint') {
    const within = runDir ?? runsDir;
    if (!path.isAbsolute(m.dir) || !inside(within, m.dir)) return `dir: ${JSON.stringify(m.dir.slice(0, 300))} is outside the run folder ${within}`;
  }
  return undefined;
}
