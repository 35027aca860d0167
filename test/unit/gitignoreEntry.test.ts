// Offering `.modellab/` for .gitignore: which lines already ignore it, and the file with it added.
import { describe, expect, it } from 'vitest';
import { ignoreEntryFor, ignores, withEntry } from '../../src/commands/gitignoreEntry';

describe('gitignore entry for the runs folder', () => {
  it('ignores the top folder of the runs folder', () => {
    expect(ignoreEntryFor('.modellab/runs')).toBe('.modellab/');
    expect(ignoreEntryFor('./out/runs')).toBe('out/');
    expect(ignoreEntryFor('..\\elsewhere')).toBeUndefined();
  });

  it('recognises the ways a .gitignore already says it', () => {
    for (const line of ['.modellab/', '.modellab', '/.modellab/', '**/.modellab', '.modellab/**'])
      expect(ignores(`node_modules/\n${line}\n`, '.modellab/'), line).toBe(true);
    expect(ignores('node_modules/\n# .modellab/\n!.modellab/\n.modellab-old/\n', '.modellab/')).toBe(false);
  });

  it('appends the entry with a comment, keeping the file’s line endings', () => {
    expect(withEntry('node_modules/', '.modellab/')).toBe('node_modules/\n# Model Lab runs (metrics, checkpoints, trained models)\n.modellab/\n');
    expect(withEntry('dist/\r\n', '.modellab/')).toBe('dist/\r\n# Model Lab runs (metrics, checkpoints, trained models)\r\n.modellab/\r\n');
    expect(ignores(withEntry('', '.modellab/'), '.modellab/')).toBe(true);
  });
});
