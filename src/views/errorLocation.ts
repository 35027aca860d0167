/**
 * Paths that come from the panel's webview (untrusted: a message, or the state it saved) are checked
 * here, pure, before the adapter opens anything: an error location only inside a workspace folder,
 * a run to reopen after a reload only if it is a run folder inside one. `..` segments and other
 * roots are refused.
 */
import * as path from 'node:path';

/** The absolute, normalised file if it lies inside one of `folders`; undefined otherwise. */
export function confineToFolders(file: string, folders: readonly string[], p: typeof path = path): string | undefined {
  if (!p.isAbsolute(file) || file.includes('\0')) return undefined;
  const resolved = p.resolve(file);
  for (const folder of folders) {
    const rel = p.relative(p.resolve(folder), resolved);
    if (rel !== '' && !rel.startsWith('..') && !p.isAbsolute(rel)) return resolved;
  }
  return undefined;
}

/**
 * The run folder a reloaded panel should show again, from the state its page saved (`view.runDir`):
 * absolute, inside a workspace folder, holding a run.json (`exists` checks, so this stays pure).
 */
export function savedRunDir(state: unknown, folders: readonly string[], exists: (file: string) => boolean, p: typeof path = path): string | undefined {
  const runDir = (state as { view?: { runDir?: unknown } } | undefined)?.view?.runDir;
  if (typeof runDir !== 'string' || runDir.length > 4096) return undefined;
  const inside = confineToFolders(runDir, folders, p);
  return inside && exists(p.join(inside, 'run.json')) ? inside : undefined;
}
