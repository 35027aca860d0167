import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeLocale, STRING_TABLES, tableFor, type StringKey } from '../../webview-ui/src/i18n';

const placeholders = (s: string): string[] => [...s.matchAll(/\{\d+\}/g)].map((m) => m[0]).sort();

describe('panel strings', () => {
  it('has every key in English and Simplified Chinese, with the same placeholders', () => {
    const en = STRING_TABLES.en;
    const zh = STRING_TABLES['zh-cn'];
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const k of Object.keys(en) as StringKey[]) {
      expect(zh[k].trim(), k).not.toBe('');
      expect(placeholders(zh[k]), k).toEqual(placeholders(en[k]));
    }
  });

  it('uses only keys that exist (every L.t("…") in webview-ui)', () => {
    const dir = path.join(__dirname, '../../webview-ui/src');
    const used = new Set<string>();
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.ts')))
      for (const m of fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/\bt\('([a-zA-Z0-9_.]+)'/g)) used.add(m[1]);
    expect(used.size).toBeGreaterThan(50);
    expect([...used].filter((k) => !(k in STRING_TABLES.en))).toEqual([]);
  });

  it('follows VS Code\'s language ids', () => {
    expect(['zh-cn', 'zh-CN', 'zh', 'zh-Hans'].map(tableFor)).toEqual(['zh-cn', 'zh-cn', 'zh-cn', 'zh-cn']);
    expect(['en', 'en-us', 'de', 'zh-tw', ''].map(tableFor)).toEqual(['en', 'en', 'en', 'en', 'en']);
  });

  it('formats numbers and fills placeholders for the locale', () => {
    const zh = makeLocale('zh-cn');
    const en = makeLocale('en');
    expect(zh.tag).toBe('zh-CN');
    expect(zh.t('layers.summary', 3, zh.int(12345))).toBe('层（3）· 12,345 个参数');
    expect(en.t('layers.summary', 3, en.int(12345))).toBe('Layers (3) · 12,345 params');
    expect(en.metric(0.123456)).toBe('0.1235');
    expect(en.metric(Number.NaN)).toBe('NaN');
    expect(en.metric(Number.POSITIVE_INFINITY)).toBe('∞');
    expect(en.metric(null)).toBe('–');
    expect(makeLocale('de').metric(0.5)).toBe('0,5000');
    expect(en.duration(3_725_000)).toBe('1:02:05');
  });
});
