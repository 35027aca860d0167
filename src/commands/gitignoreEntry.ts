/**
 * Whether a workspace's .gitignore already keeps Model Lab's runs folder (run folders hold trained
 * weights and can be large) out of git, and the .gitignore with the entry added. Pure; the offer is
 * made by src/commands/gitignore.ts.
 */

/** The runs folder's top-level directory as a .gitignore line: `.modellab/runs` → `.modellab/`. */
export function ignoreEntryFor(runsDirRelative: string): string | undefined {
  const first = runsDirRelative.replace(/\\/g, '/').replace(/^\.\//, '').split('/')[0];
  if (!first || first === '..' || first === '.') return undefined;
  return `${first}/`;
}

/** True when some line of `gitignore` already ignores `entry` (`.modellab/`, `.modellab`, `/.modellab/`, `**\/.modellab`). */
export function ignores(gitignore: string, entry: string): boolean {
  const name = entry.replace(/\/$/, '');
  return gitignore.split(/\r?\n/).some((raw) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) return false;
    const pattern = line.replace(/^\*\*\//, '').replace(/^\//, '').replace(/\/(\*\*?)?$/, '');
    return pattern === name;
  });
}

/** `gitignore` with `entry` appended under a comment, keeping its line endings. */
export function withEntry(gitignore: string, entry: string): string {
  const eol = gitignore.includes('\r\n') ? '\r\n' : '\n';
  const sep = gitignore === '' || gitignore.endsWith(eol) ? '' : eol;
  return `${gitignore}${sep}# Model Lab runs (metrics, checkpoints, trained models)${eol}${entry}${eol}`;
}
