import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

/** Runs the project's own tsc on a tsconfig folder and returns its `error TSnnnn` lines (none when it passes). */
export function tscErrors(project: string, nodeModules: string): string[] {
  let out = '';
  try {
    execFileSync(process.execPath, [path.join(nodeModules, 'typescript/bin/tsc'), '-p', project], { encoding: 'utf8' });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? e);
  }
  return out.split('\n').filter((l) => /error TS\d+/.test(l));
}
