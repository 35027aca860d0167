import { describe, expect, test } from 'vitest';
import { joinArgs, ScriptArgsStore, splitArgs, type ArgsMemento } from '../../src/commands/scriptArgs';

/** workspaceState's shape over a Map: the boundary VS Code owns. */
class MapMemento implements ArgsMemento {
  readonly data = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    // Stored as VS Code stores it: JSON, so nothing shares references with the caller.
    this.data.set(key, JSON.parse(JSON.stringify(value)));
  }
}

describe('script arguments typed in the editor', () => {
  test('split like a shell: spaces, single and double quotes, backslashes', () => {
    expect(splitArgs('  --epochs 5   data/train.csv ')).toEqual({ args: ['--epochs', '5', 'data/train.csv'] });
    expect(splitArgs(`--name 'my run' --note "say \\"hi\\"" a\\ b ''`)).toEqual({ args: ['--name', 'my run', '--note', 'say "hi"', 'a b', ''] });
    expect(splitArgs(`--glob '*.csv' $HOME`)).toEqual({ args: ['--glob', '*.csv', '$HOME'] });
    expect(splitArgs('')).toEqual({ args: [] });
  });

  test('an unclosed quote is an error naming the column', () => {
    expect(splitArgs(`--name 'oops`)).toEqual({ error: "unclosed ' starting at column 8" });
    expect(splitArgs('a "b')).toEqual({ error: 'unclosed " starting at column 3' });
  });

  test('joinArgs gives back a line that splits to the same arguments', () => {
    for (const args of [['--epochs', '5'], ['my file.csv', "it's", ''], ['a"b', 'c\\d', '--x=1,2']]) {
      const line = joinArgs(args);
      expect(splitArgs(line)).toEqual({ args });
    }
    expect(joinArgs(['--epochs', '5', 'data/x.csv'])).toBe('--epochs 5 data/x.csv');
  });

  test('remembered per script; a script never asked has none; junk in the state is ignored', async () => {
    const memento = new MapMemento();
    const store = new ScriptArgsStore(memento);
    expect(store.get('/w/a.mjs')).toBeUndefined();
    await store.set('/w/a.mjs', ['--epochs', '2']);
    await store.set('/w/b.js', []);
    expect(store.get('/w/a.mjs')).toEqual(['--epochs', '2']);
    expect(store.get('/w/b.js')).toEqual([]);
    await store.set('/w/a.mjs', ['x']);
    expect(new ScriptArgsStore(memento).get('/w/a.mjs')).toEqual(['x']);
    memento.data.set('modelLab.scriptArgs', { '/w/c.js': [1, 2], '/w/d.js': ['ok'] });
    expect(store.get('/w/c.js')).toBeUndefined();
    expect(store.get('/w/d.js')).toEqual(['ok']);
  });
});
