/**
 * Where an error location from the panel may be opened: only a file inside one of the workspace
 * folders. The path comes from the webview (a message is untrusted), so it is resolved and checked
 * here, pure, before the adapter opens anything. `..` segments and other roots are refused.
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
