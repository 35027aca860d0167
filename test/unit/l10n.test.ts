import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { CLI_MESSAGES, resolveCliLocale } from '../../src/cli/messages';
import { TRAINER_MESSAGES } from '../../src/trainer/messages';
import { overrideProblemText, overridesFromUnknown, type Translate } from '../../src/protocol/runOverrides';
import { TEMPLATES } from '../../src/scaffold/templates';
import { TABULAR_CLASSIFICATION, TABULAR_REGRESSION } from '../../src/scaffold/templates/datasets';

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

const placeholders = (x: string) => [...x.matchAll(/\{\d+\}/g)].map((m) => m[0]).sort();

describe('Simplified Chinese is complete', () => {
  test('every runtime string has a zh-CN translation with the same placeholders', () => {
    const bundle = JSON.parse(fs.readFileSync(path.join(root, 'l10n/bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
    const strings = l10nStrings();
    expect(strings.size).toBeGreaterThan(10);
    const missing = [...strings].filter(([s]) => !(s in bundle)).map(([s, file]) => `${file}: ${s}`);
    expect(missing).toEqual([]);
    for (const [s] of strings) {
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

  test('New Model…: every template name and description, every parameter label and prompt, in the zh-CN bundle', () => {
    const bundle = JSON.parse(fs.readFileSync(path.join(root, 'l10n/bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
    const strings = new Set<string>();
    for (const t of TEMPLATES) for (const s of [t.label, t.detail, ...t.params.flatMap((p) => [p.label, p.description])]) strings.add(s);
    expect(strings.size).toBeGreaterThan(50);
    expect([...strings].filter((s) => !(s in bundle))).toEqual([]);
    for (const s of strings) expect(bundle[s], s).toMatch(/[\u4e00-\u9fff]/);
  });

  test('template comments: every tr(…) literal in src/scaffold and every dataset note, in the zh-CN bundle with the same placeholders', () => {
    const bundle = JSON.parse(fs.readFileSync(path.join(root, 'l10n/bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
    const found = new Map<string, string>();
    const call = /\btr\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g;
    for (const file of sourceFiles(path.join(root, 'src/scaffold'))) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(call)) found.set(m[2].replace(/\\(['"`\\])/g, '$1'), path.relative(root, file));
    }
    for (const d of [...Object.values(TABULAR_CLASSIFICATION), ...Object.values(TABULAR_REGRESSION)]) found.set(d.note, 'src/scaffold/templates/datasets.ts');
    expect(found.size).toBeGreaterThan(40);
    expect([...found].filter(([s]) => !(s in bundle)).map(([s, file]) => `${file}: ${s}`)).toEqual([]);
    for (const [s] of found) expect(placeholders(bundle[s]), s).toEqual(placeholders(s));
  });

  test('the CLI catalogue (src/cli/messages.ts): every message in both languages, with the same placeholders, the Chinese really Chinese', () => {
    const en = CLI_MESSAGES.en;
    const zh = CLI_MESSAGES['zh-cn'];
    expect(Object.keys(en).length).toBeGreaterThan(40);
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const id of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(zh[id]), id).toEqual(placeholders(en[id]));
      // A message with words in it is translated, not copied.
      if (/[a-z]{3,} [a-z]{3,}/i.test(en[id].replace(/model-lab \S+|--\S+|\{\d+\}/g, ''))) expect(zh[id], id).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  test('every CLI line the user reads goes through the catalogue: no English sentence left in a write() or usage error', () => {
    const cliDir = path.join(root, 'src/cli');
    const leftovers: string[] = [];
    for (const file of sourceFiles(cliDir).filter((f) => !f.endsWith('messages.ts'))) {
      const text = fs.readFileSync(file, 'utf8');
      // usageError('…') / note('…') / screen.line('…') / screen.err('…') with a literal sentence.
      for (const m of text.matchAll(/\b(?:usageError|note|screen\.line|screen\.err)\(\s*(['"`])([^'"`]*[a-z]{3,} [a-z]{3,}[^'"`]*)\1/g))
        leftovers.push(`${path.relative(root, file)}: ${m[2]}`);
    }
    expect(leftovers).toEqual([]);
  });
  test("Train with Changes: every tr(…) text of src/protocol/runOverrides.ts in the zh-CN bundle, and a refused value worded in Chinese through it", () => {
    const bundle = JSON.parse(fs.readFileSync(path.join(root, 'l10n/bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
    const text = fs.readFileSync(path.join(root, 'src/protocol/runOverrides.ts'), 'utf8');
    const found = [...text.matchAll(/\btr\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g)].map((m) => m[2].replace(/\\(['"`\\])/g, '$1'));
    expect(found.length).toBe(5);
    expect(found.filter((s) => !(s in bundle))).toEqual([]);
    for (const s of found) expect(placeholders(bundle[s]), s).toEqual(placeholders(s));
    // vscode.l10n.t as the host calls it, looking up the same bundle (a stand-in for VS Code's loader).
    const zh: Translate = (message, ...args) => (bundle[message] ?? message).replace(/\{(\d+)\}/g, (_, n: string) => String(args[Number(n)]));
    expect(overridesFromUnknown({ epochs: 0 }, zh)).toEqual({ error: 'epochs 需要一个不小于 1 的整数，而不是“0”' });
    expect(overridesFromUnknown({ optimizer: 'adamw' }, zh)).toEqual({ error: 'optimizer 必须是 adam, sgd, rmsprop, adagrad, adadelta, adamax 之一，而不是“adamw”' });
    expect(overridesFromUnknown([], zh)).toEqual({ error: 'overrides 必须是对象' });
    expect(overridesFromUnknown({ validationSplit: 1 })).toEqual({ error: 'validationSplit needs a number from 0 up to (not including) 1, not "1"' });
    expect(overrideProblemText('positiveNumber', '--learning-rate', '-1')).toBe('--learning-rate needs a number greater than 0, not "-1"');
  });

  test('the trainer catalogue (src/trainer/messages.ts): every message in both languages, with the same placeholders, the Chinese really Chinese', () => {
    const en = TRAINER_MESSAGES.en;
    const zh = TRAINER_MESSAGES['zh-cn'];
    expect(Object.keys(en).length).toBeGreaterThan(100);
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const id of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(zh[id]), id).toEqual(placeholders(en[id]));
      if (/[a-z]{3,} [a-z]{3,}/i.test(en[id].replace(/\{\d+\}/g, ''))) expect(zh[id], id).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  test('every msg(…) id used in src/trainer is in the catalogue, and every id is used', () => {
    const ids = new Set(Object.keys(TRAINER_MESSAGES.en));
    const used = new Set<string>();
    const quoted = new Set<string>();
    for (const file of sourceFiles(path.join(root, 'src/trainer')).filter((f) => !f.endsWith('messages.ts'))) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bmsg\(\s*'([^']+)'/g)) used.add(m[1]);
      // ids chosen by a condition (msg(a ? 'x' : 'y', …)) appear as quoted literals
      for (const m of text.matchAll(/'([a-z]+\.[A-Za-z]+)'/g)) quoted.add(m[1]);
    }
    expect([...used].filter((id) => !ids.has(id))).toEqual([]);
    expect([...ids].filter((id) => !used.has(id) && !quoted.has(id))).toEqual([]);
  });

  test('the trainer files routed through the catalogue throw no English sentence of their own', () => {
    // The files whose user-facing errors all go through msg(); the rest of src/trainer is listed in
    // src/trainer/messages.ts as still English.
    const routed = [
      'errors.ts', 'explainBuildError.ts', 'durable.ts', 'outOfMemory.ts', 'checkpoints.ts', 'callbacks.ts', 'loadModelFile.ts',
      'trainingCallbacks.ts', 'runTraining.ts',
      'data/dataError.ts', 'data/csvRecords.ts', 'data/csvSchema.ts', 'data/npy.ts', 'data/idx.ts', 'data/datasetSpec.ts',
      'data/images.ts', 'data/text.ts', 'data/utf8.ts', 'data/timeseries.ts',
      'modelContract.ts', 'evaluate.ts', 'evaluateRun.ts', 'summary.ts', 'previewModelFile.ts', 'data/cifar.ts',
      'data/download.ts', 'data/generated.ts', 'fsModelIo.ts', 'runScript.ts', 'endRun.ts', 'backends/loadBackend.ts', 'script/scriptHost.ts',
      'tensorboard/eventWriter.ts',
    ];
    const leftovers: string[] = [];
    for (const rel of routed) {
      const text = fs.readFileSync(path.join(root, 'src/trainer', rel), 'utf8');
      for (const m of text.matchAll(/(?:new (?:DataError|RunFailure|ConfigError|Error|RangeError|TypeError)\(\s*(?:\{\s*message:\s*)?|message:\s*)(['"`])([^'"`]*[a-z]{3,} [a-z]{3,}[^'"`]*)\1/g))
        leftovers.push(`${rel}: ${m[2]}`);
    }
    expect(leftovers).toEqual([]);
  });
});

describe('which language the CLI speaks', () => {
  test('--lang first, then VS Code\'s display language, then LC_ALL, LC_MESSAGES, LANG; default English', () => {
    expect(resolveCliLocale(['train', 'a.ts', '--lang', 'zh-cn'], {})).toEqual({ locale: 'zh-cn', argv: ['train', 'a.ts'] });
    expect(resolveCliLocale(['--lang=en', '--help'], { LANG: 'zh_CN.UTF-8' })).toEqual({ locale: 'en', argv: ['--help'] });
    expect(resolveCliLocale(['--help'], { VSCODE_NLS_CONFIG: '{"locale":"zh-cn"}', LANG: 'en_US.UTF-8' }).locale).toBe('zh-cn');
    expect(resolveCliLocale(['--help'], { VSCODE_NLS_CONFIG: '{"locale":"en"}', LANG: 'zh_CN.UTF-8' }).locale).toBe('en');
    expect(resolveCliLocale(['--help'], { LC_ALL: 'C', LANG: 'zh_CN.UTF-8' }).locale).toBe('en');
    expect(resolveCliLocale(['--help'], { LC_ALL: '', LC_MESSAGES: 'zh_CN', LANG: 'en_US' }).locale).toBe('zh-cn');
    expect(resolveCliLocale(['--help'], { LANG: 'zh_TW.UTF-8' }).locale).toBe('zh-cn');
    expect(resolveCliLocale(['--help'], { LANG: 'zu_ZA' }).locale).toBe('en');
    expect(resolveCliLocale(['--help'], { VSCODE_NLS_CONFIG: 'not json', LANG: 'zh_CN' }).locale).toBe('zh-cn');
    expect(resolveCliLocale(['--help'], {}).locale).toBe('en');
    // A script's own --lang after `--` is the script's.
    expect(resolveCliLocale(['run', 's.js', '--', '--lang', 'fr'], {})).toEqual({ locale: 'en', argv: ['run', 's.js', '--', '--lang', 'fr'] });
    expect(resolveCliLocale(['--lang', 'fr'], { LANG: 'zh_CN' })).toMatchObject({ locale: 'zh-cn', error: '--lang 必须是 en 或 zh-cn，而不是“fr”' });
    expect(resolveCliLocale(['--lang'], {}).error).toBe('--lang must be en or zh-cn, not ""');
  });
});
