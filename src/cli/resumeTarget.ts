/**
 * What `--resume RUN` names: a run id in the runs folder, a folder relative to the current one, or
 * an absolute folder (the CLI prints absolute run paths, so those must work as typed). Resolved to
 * one absolute run folder here, so the trainer is never left to guess; the error lists every place
 * looked at.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type ResumeTarget = { dir: string } | { error: string };

const isRunFolder = (dir: string) => fs.existsSync(path.join(dir, 'run.json'));

export function resolveResumeTarget(resume: string, cwd: string, runsDir: string): ResumeTarget {
  const tried: string[] = [];
  const candidates = path.isAbsolute(resume) ? [path.normalize(resume)] : [path.join(runsDir, resume), path.resolve(cwd, resume)];
  for (const dir of candidates) {
    if (tried.includes(dir)) continue;
    tried.push(dir);
    if (isRunFolder(dir)) return { dir };
  }
  const notRun = tried.find((d) => fs.existsSync(d));
  const where = tried.map((d) => (d === notRun ? `${d} (a folder without run.json)` : d)).join(', ');
  return {
    error: path.isAbsolute(resume)
      ? `--resume: no run folder at ${where}`
      : `--resume: no run "${resume}": looked for a run id in ${runsDir} and a folder relative to ${cwd}, tried ${where}`,
  };
}
