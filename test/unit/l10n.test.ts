import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';

const root = path.resolve(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every string the extension passes to vscode.l10n.t, as written in the source. */
function l10nStrings(): Map<string, string> {
  const found = new Map<string, string>();
  const call = /l10n\.t\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g;
  for (const file of sourceFiles(path.join(root, 'src'))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(call)) found.set(m[2].replace(/\\(['"`\\])/g, '$1'), path.relative(root, file));
  }
  return found;
}

describe('Simplified Chinese is complete', () => {
  test('every runtime string has a zh-CN translation with the same placeholders', () => {
    const bundle = JSON.parse(fs.readFileSync(path.join(root, 'l10n/bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
    const strings = l10nStrings();
    expect(strings.size).toBeGreaterThan(10);
    const missing = [...strings].filter(([s]) => !(s in bundle)).map(([s, file]) => `${file}: ${s}`);
    expect(missing).toEqual([]);
    for (const [s] of strings) {
      const placeholders = (x: string) => [...x.matchAll(/\{\d+\}/g)].map((m) => m[0]).sort();
      expect(placeholders(bundle[s]), s).toEqual(placeholders(s));
    }
  });

  test('every %key% in package.json is in package.nls.json and package.nls.zh-cn.json', () => {
    const manifest = fs.readFileSync(path.join(root, 'package.json'), 'utf8');
    const keys = new Set([...manifest.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]));
    expect(keys.size).toBeGreaterThan(5);
    for (const nls of ['package.nls.json', 'package.nls.zh-cn.json']) {
      const table = JSON.parse(fs.readFileSync(path.join(root, nls), 'utf8')) as Record<string, string>;
      expect([...keys].filter((k) => !(k in table)), nls).toEqual([]);
    }
  });
});
