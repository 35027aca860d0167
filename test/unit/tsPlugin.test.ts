// The TypeScript server plugin on real TypeScript (the compiler the editor runs) and the real shipped
// declarations (built by esbuild.mjs into ts-plugin/types): a model file in a folder with no
// node_modules gets no TS2307 for its tfjs import, and completions come from tfjs's own types.
// tsserver's Project is replaced by a plain LanguageServiceHost: the one boundary we do not own.
import { mkdtempSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { addShippedTypes, shippedModuleFor } from '../../src/tsPlugin/plugin';

const typesDir = join(__dirname, '../../ts-plugin/types');

function languageService(files: Record<string, string>, withPlugin: boolean) {
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => ({ target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true, noEmit: true, types: [] }),
    getScriptFileNames: () => Object.keys(files),
    getScriptVersion: () => '1',
    getScriptSnapshot: (f) => {
      const text = files[f] ?? (existsSync(f) ? ts.sys.readFile(f) : undefined);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => '/',
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: (f) => f in files || ts.sys.fileExists(f),
    readFile: (f) => files[f] ?? ts.sys.readFile(f),
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
    resolveModuleNameLiterals: (lits, containing, _r, options) =>
      lits.map((l) => ts.resolveModuleName(l.text, containing, options, { fileExists: (f) => f in files || ts.sys.fileExists(f), readFile: (f) => files[f] ?? ts.sys.readFile(f) })),
  };
  if (withPlugin) addShippedTypes(ts, host, typesDir);
  return ts.createLanguageService(host);
}

describe('tfjs types for a workspace without node_modules', () => {
  let dir: string;
  let file: string;
  const source = [
    "import * as tf from '@tensorflow/tfjs';",
    'export function createModel(): tf.LayersModel {',
    '  const model = tf.sequential();',
    "  model.add(tf.layers.dense({ units: 3, inputShape: [4], activation: 'softmax' }));",
    '  return model;',
    '}',
    'tf.layers.',
  ].join('\n');
  beforeAll(() => {
    expect(existsSync(join(typesDir, 'node_modules/@tensorflow/tfjs/dist/index.d.ts')), 'run `npm run build` first').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'model-lab-tsplugin-'));
    mkdirSync(join(dir, 'models'));
    file = join(dir, 'models', 'iris.model.ts');
    writeFileSync(file, source);
  });

  it('without the plugin the import fails with TS2307 (the bug users saw)', () => {
    const ls = languageService({ [file]: source }, false);
    const codes = ls.getSemanticDiagnostics(file).map((d) => d.code);
    expect(codes).toContain(2307);
  });

  it('with the plugin the import resolves to the shipped tfjs, with no error on valid code', () => {
    const ls = languageService({ [file]: source.replace(/\ntf\.layers\.$/, '') }, true);
    const diags = ls.getSemanticDiagnostics(file).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diags).toEqual([]);
  });

  it('a real type error in the model file is still reported', () => {
    const bad = source.replace('units: 3', "units: 'three'").replace(/\ntf\.layers\.$/, '');
    const ls = languageService({ [file]: bad }, true);
    const diags = ls.getSemanticDiagnostics(file);
    expect(diags.length).toBeGreaterThan(0);
    expect(diags.map((d) => d.code)).not.toContain(2307);
    expect(ls.getSemanticDiagnostics(file)[0].start).toBe(bad.indexOf('units'));
  });

  it('completions after `tf.layers.` list the layer factories', () => {
    const ls = languageService({ [file]: source }, true);
    const names = ls.getCompletionsAtPosition(file, source.length, {})?.entries.map((e) => e.name) ?? [];
    expect(names).toEqual(expect.arrayContaining(['conv2d', 'dense', 'lstm', 'maxPooling2d', 'batchNormalization']));
  });

  it('an import the workspace resolves itself is left alone', () => {
    const own = join(dir, 'node_modules/@tensorflow/tfjs');
    mkdirSync(join(own, 'dist'), { recursive: true });
    writeFileSync(join(own, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs', types: 'dist/index.d.ts' }));
    writeFileSync(join(own, 'dist/index.d.ts'), 'export declare const onlyInTheWorkspaceCopy: number;\n');
    const text = "import * as tf from '@tensorflow/tfjs';\nexport const x: number = tf.onlyInTheWorkspaceCopy;\n";
    const ls = languageService({ [file]: text }, true);
    expect(ls.getSemanticDiagnostics(file)).toEqual([]);
  });
});

describe('shippedModuleFor', () => {
  it('maps tfjs packages and tfjs-node to what Model Lab ships, nothing else', () => {
    expect(shippedModuleFor('@tensorflow/tfjs')).toBe('@tensorflow/tfjs');
    expect(shippedModuleFor('@tensorflow/tfjs-node')).toBe('@tensorflow/tfjs');
    expect(shippedModuleFor('@tensorflow/tfjs-node-gpu')).toBe('@tensorflow/tfjs');
    expect(shippedModuleFor('@tensorflow/tfjs-layers')).toBe('@tensorflow/tfjs-layers');
    expect(shippedModuleFor('@tensorflow/tfjs-core/dist/ops/ops')).toBe('@tensorflow/tfjs-core/dist/ops/ops');
    expect(shippedModuleFor('@tensorflow/tfjs-vis')).toBeUndefined();
    expect(shippedModuleFor('@tensorflow/tfjs-node/dist/index')).toBeUndefined();
    expect(shippedModuleFor('lodash')).toBeUndefined();
  });
});
