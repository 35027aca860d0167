/**
 * Runs a user's script in this process as `node SCRIPT` would: ESM (top-level await included) or
 * CommonJS, JavaScript or TypeScript. The script and its local imports are bundled by esbuild
 * (packages external, `keepNames`, inline source map) and then loaded under the script's own path:
 * an ESM bundle through a module load hook at the script's own file:// URL (so `import.meta.url`
 * is right and bare imports resolve from the script's folder), a CommonJS one as the main module
 * (`require.main === module`). Every import of a tfjs package gets the tf this process provides.
 * With Node's source-map support on, stacks name the user's files, lines and functions.
 */
import * as esbuild from 'esbuild';
import Module, { register } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RunFailure } from '../errors';
import { TF_PACKAGES } from '../loadModelFile';

/** Where a script's tf imports find the tf object (set by the script host before loading). */
export const TF_GLOBAL = 'modelLab.scriptTf';

export type ScriptFormat = 'esm' | 'cjs';

export interface BundledScript {
  file: string;
  format: ScriptFormat;
  code: string;
}

const VIRTUAL_NS = 'model-lab-tf';
const IDENT = /^[A-Za-z_$][\w$]*$/;

function isBindable(name: string): boolean {
  if (!IDENT.test(name) || name === 'default') return false;
  try {
    new Function(`let ${name};`);
    return true;
  } catch {
    return false; // a reserved word
  }
}

/** The module every tfjs import becomes: the host's tf, with its names as ESM exports. */
function tfModuleSource(format: ScriptFormat, names: readonly string[]): string {
  const get = `globalThis[Symbol.for(${JSON.stringify(TF_GLOBAL)})]`;
  if (format === 'cjs') return `module.exports = ${get};`;
  const bindable = names.filter(isBindable);
  return `const tf = ${get};\nexport default tf;\nexport const { ${bindable.join(', ')} } = tf;\n`;
}

function tfPlugin(format: ScriptFormat, names: readonly string[]): esbuild.Plugin {
  const ids = new Set(TF_PACKAGES);
  return {
    name: 'model-lab-tf',
    setup(build) {
      build.onResolve({ filter: /^@tensorflow\// }, (args) => (ids.has(args.path) ? { path: args.path, namespace: VIRTUAL_NS } : undefined));
      build.onLoad({ filter: /.*/, namespace: VIRTUAL_NS }, () => ({ contents: tfModuleSource(format, names), loader: 'js' }));
    },
  };
}

/** .cjs/.cts are CommonJS and .mjs/.mts ESM, as for Node; otherwise what esbuild finds in the file. */
function formatOf(file: string, detected: string | undefined): ScriptFormat {
  if (/\.c[jt]s$/.test(file)) return 'cjs';
  if (/\.m[jt]s$/.test(file)) return 'esm';
  return detected === 'cjs' ? 'cjs' : 'esm';
}

async function build(file: string, format: ScriptFormat, names: readonly string[], banner?: string): Promise<esbuild.BuildResult & { metafile: esbuild.Metafile; outputFiles: esbuild.OutputFile[] }> {
  return esbuild.build({
    entryPoints: [file],
    absWorkingDir: path.dirname(file),
    outfile: file,
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    format,
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    sourcesContent: false,
    keepNames: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [tfPlugin(format, names)],
    ...(banner !== undefined && { banner: { js: banner } }),
  });
}

function buildFailure(file: string, e: unknown): never {
  const errors = (e as esbuild.BuildFailure).errors;
  if (!Array.isArray(errors) || errors.length === 0) throw e;
  const first = errors[0];
  const loc = first.location;
  if (!loc) throw new RunFailure({ message: `${path.basename(file)}: ${first.text}`, file });
  const where = path.resolve(path.dirname(file), loc.file);
  const details = errors
    .map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ${m.text}\n    ${m.location.lineText}` : m.text))
    .join('\n');
  throw new RunFailure({ message: `${path.basename(where)}:${loc.line}:${loc.column + 1}: ${first.text}`, file: where, line: loc.line, column: loc.column + 1, details });
}

/** Bundles the script; `tfNames` are the names its tf import must export (the host tf's keys). */
export async function bundleScript(file: string, tfNames: readonly string[]): Promise<BundledScript> {
  file = path.resolve(file);
  try {
    let result = await build(file, 'esm', tfNames);
    const rel = Object.keys(result.metafile.inputs).find((k) => path.resolve(path.dirname(file), k) === file);
    const format = formatOf(file, rel ? result.metafile.inputs[rel].format : undefined);
    if (format === 'cjs') result = await build(file, 'cjs', tfNames);
    // A bundled CommonJS helper that requires a package needs a real `require` in an ES module.
    else if (result.outputFiles[0].text.includes('__require(')) {
      result = await build(file, 'esm', tfNames, 'import { createRequire as __modelLabCreateRequire } from "node:module"; const require = __modelLabCreateRequire(import.meta.url);');
    }
    return { file, format, code: result.outputFiles[0].text };
  } catch (e) {
    return buildFailure(file, e);
  }
}

/** The load hook, run by Node on its hooks thread: serves the bundle at the script's own URL. */
const HOOKS = `let served;
export function initialize(data) { served = data; }
export async function load(url, context, nextLoad) {
  if (served && url === served.url) return { format: 'module', source: served.source, shortCircuit: true };
  return nextLoad(url, context);
}`;

/**
 * Runs the bundled script as this process's main program. Resolves when its top level has run (an
 * ESM script's top-level await included); rejects with what it throws there.
 */
export async function runBundledScript(s: BundledScript): Promise<void> {
  process.setSourceMapsEnabled(true);
  if (s.format === 'esm') {
    const url = pathToFileURL(s.file).href;
    register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: { url, source: s.code } });
    await import(/* webpackIgnore: true */ url);
    return;
  }
  const M = Module as unknown as {
    new (id: string, parent?: unknown): NodeModule & { _compile(code: string, file: string): void; paths: string[] };
    _nodeModulePaths(dir: string): string[];
    _cache: Record<string, NodeModule>;
  };
  const m = new M('.', null);
  m.filename = s.file;
  m.paths = M._nodeModulePaths(path.dirname(s.file));
  // require.main is process.mainModule when the module's require is made: `require.main === module`.
  (process as { mainModule?: NodeModule }).mainModule = m;
  M._cache[s.file] = m;
  m._compile(s.code, s.file);
  m.loaded = true;
}
