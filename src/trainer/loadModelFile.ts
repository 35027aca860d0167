/**
 * Loads a user's model file (.ts/.js/.mjs/.cjs, ESM or CommonJS): bundles it with esbuild (its local
 * imports included, packages left external), evaluates it with a `require` that hands it the
 * trainer's own `tf`, and returns its `createModel` and `config`. Errors name the user's file and
 * line: esbuild reports syntax errors with locations, and runtime stacks are mapped back through the
 * bundle's source map.
 */
import * as esbuild from 'esbuild';
import { createRequire, SourceMap } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as vm from 'node:vm';
import { RunFailure, toRunError, type StackMapper } from './errors';
import { msg } from './messages';

/** The package names a model file may import tf from; all resolve to the trainer's own tf. */
export const TF_PACKAGES: readonly string[] = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-layers',
];

export interface LoadedModelFile {
  /** The exported createModel (or default export), its errors already turned into RunFailures. */
  createModel: () => Promise<unknown>;
  /** The exported `config` object as written (validated later), or {} when there is none. */
  config: Record<string, unknown>;
  /** Maps a stack from the bundle back to the user's sources (for errors thrown later, e.g. in fit). */
  mapStack: StackMapper;
}

const displayName = (file: string) => path.basename(file);

/**
 * The CommonJS bundle has no `import.meta`; ESM files that use `import.meta.url` (to find files next
 * to them) get the real file URL through this parameter instead of esbuild's empty object.
 */
const IMPORT_META_URL = '__modelLabImportMetaUrl';

/** Bundles the model file in memory; a syntax or resolve error becomes a RunFailure with file:line:column. */
async function bundle(modelFile: string, bundleFile: string): Promise<string> {
  try {
    const result = await esbuild.build({
      entryPoints: [modelFile],
      absWorkingDir: path.dirname(modelFile),
      outfile: bundleFile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      packages: 'external',
      sourcemap: 'inline',
      write: false,
      logLevel: 'silent',
      define: { 'import.meta.url': IMPORT_META_URL },
    });
    const out = result.outputFiles.find((f) => f.path.endsWith('.cjs')) ?? result.outputFiles[0];
    return out.text;
  } catch (e) {
    const errors = (e as esbuild.BuildFailure).errors;
    if (!Array.isArray(errors) || errors.length === 0) throw e;
    const first = errors[0];
    const loc = first.location;
    if (!loc) throw new RunFailure({ message: `${displayName(modelFile)}: ${first.text}`, file: modelFile });
    const file = path.resolve(path.dirname(modelFile), loc.file);
    const details = errors
      .map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ${m.text}\n    ${m.location.lineText}` : m.text))
      .join('\n');
    throw new RunFailure({
      message: `${displayName(file)}:${loc.line}:${loc.column + 1}: ${first.text}`,
      file,
      line: loc.line,
      column: loc.column + 1,
      details,
    });
  }
}

/** Builds a mapper from `bundleFile:line:col` frames to `source:line:col`, using the inline source map. */
function stackMapperFor(code: string, bundleFile: string): StackMapper {
  const m = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(code);
  if (!m) return (s) => s;
  let map: SourceMap;
  try {
    map = new SourceMap(JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')));
  } catch {
    return (s) => s;
  }
  const bundleDir = path.dirname(bundleFile);
  const escaped = bundleFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const frameRe = new RegExp(`${escaped}:(\\d+):(\\d+)`, 'g');
  return (stack) =>
    stack.replace(frameRe, (whole, l: string, c: string) => {
      const entry = map.findEntry(Number(l) - 1, Number(c) - 1) as Partial<{ originalSource: string; originalLine: number; originalColumn: number }>;
      if (entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return whole;
      const src = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : path.resolve(bundleDir, entry.originalSource);
      return `${src}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    });
}

export interface BundledFile {
  /** The absolute path of the bundled file. */
  file: string;
  /** Maps a stack from the bundle back to the user's sources. */
  mapStack: StackMapper;
  /**
   * Runs the bundle's top level and returns its `module.exports`; throws whatever the file throws
   * (unmapped). `asMain` makes `require.main === module` true, as under `node FILE`, so a script's
   * `if (require.main === module) main()` runs.
   */
  evaluate(opts?: { asMain?: boolean }): unknown;
}

/**
 * Bundles `file` (syntax and resolve errors become RunFailures with file:line) and prepares its
 * evaluation with a `require` that hands every tfjs import `tf`. Shared by model files, scripts and
 * summaries so all three see the same tf and map errors the same way.
 */
export async function bundleFile(tf: unknown, file: string): Promise<BundledFile> {
  file = path.resolve(file);
  // A name next to the file that exists only in stacks; frames in it are mapped back.
  const bundlePath = `${file}.modellab.cjs`;
  const code = await bundle(file, bundlePath);
  const mapStack = stackMapperFor(code, bundlePath);
  const userRequire = createRequire(file);
  const tfIds = new Set(TF_PACKAGES);
  return {
    file,
    mapStack,
    evaluate: (opts = {}) => {
      const mod: { exports: unknown } = { exports: {} };
      const requireForModel = Object.assign((id: string) => (tfIds.has(id) ? tf : userRequire(id)), {
        resolve: userRequire.resolve,
        cache: userRequire.cache,
        main: opts.asMain ? mod : undefined,
      });
      // vm.compileFunction keeps the bundle's line numbers (no wrapper offset) and gives frames our filename.
      const fn = vm.compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname', IMPORT_META_URL], { filename: bundlePath });
      fn.call(mod.exports, mod.exports, requireForModel, mod, file, path.dirname(file), pathToFileURL(file).href);
      return mod.exports;
    },
  };
}

/**
 * Bundles and evaluates `modelFile`; `tf` is what its imports of tfjs resolve to. Throws RunFailure
 * (syntax error, throw at load time, no createModel) with the file and line where known.
 */
export async function loadModelFile(tf: unknown, modelFile: string): Promise<LoadedModelFile> {
  modelFile = path.resolve(modelFile);
  const bundled = await bundleFile(tf, modelFile);
  const mapStack = bundled.mapStack;
  const fail = (e: unknown, during: string): never => {
    throw new RunFailure(toRunError(e, { modelFile, mapStack, during }));
  };

  const mod: { exports: unknown } = { exports: {} };
  try {
    mod.exports = bundled.evaluate();
  } catch (e) {
    fail(e, `Loading ${displayName(modelFile)} failed`);
  }

  const exp = mod.exports as Record<string, unknown> | ((...a: unknown[]) => unknown);
  const named = typeof exp === 'object' && exp !== null ? exp : {};
  let create: unknown = named.createModel;
  if (create === undefined) create = typeof exp === 'function' ? exp : named.default;
  if (typeof create !== 'function') {
    const found = Object.keys(named).filter((k) => k !== '__esModule');
    const what = create === undefined ? msg('model.noCreateExport') : msg('model.createNotAFunction');
    throw new RunFailure({
      message: msg('model.exportsProblem', displayName(modelFile), what, found.length ? found.join(', ') : msg('model.noExports')),
      file: modelFile,
    });
  }
  const createFn = create as () => unknown;
  const rawConfig = named.config;
  if (rawConfig !== undefined && (typeof rawConfig !== 'object' || rawConfig === null || Array.isArray(rawConfig)))
    throw new RunFailure({ message: msg('config.notObjectPlain', displayName(modelFile)), file: modelFile });

  return {
    createModel: async () => {
      try {
        return await createFn();
      } catch (e) {
        return fail(e, 'createModel() failed');
      }
    },
    config: (rawConfig as Record<string, unknown> | undefined) ?? {},
    mapStack,
  };
}
