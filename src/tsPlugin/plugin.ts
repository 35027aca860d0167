/**
 * A TypeScript server plugin (contributed through `typescriptServerPlugins`): when a file imports
 * `@tensorflow/tfjs…` and the workspace has no such package in `node_modules` (a folder of model
 * files trained by Model Lab, which brings its own tfjs), the import resolves to the type
 * declarations Model Lab ships instead of failing with TS2307. The editor then checks the model
 * file against the tfjs it will really train with and offers full completions. Imports the
 * workspace resolves itself are left alone, so a project's own tfjs (another version) wins.
 *
 * It runs inside tsserver, a room of its own: it imports only TypeScript's types (tsserver hands
 * over its `typescript` module) and Node's path module.
 */
import * as path from 'node:path';
import type * as ts from 'typescript/lib/tsserverlibrary';

/** Where the shipped declarations sit: `<plugin package>/types/node_modules/@tensorflow/*`. */
export const SHIPPED_TYPES_DIR = path.join(__dirname, 'types');

/**
 * The shipped package that answers an unresolved tfjs import, or undefined for anything else.
 * tfjs-node and tfjs-node-gpu re-export tfjs (their `tf.node` extras are not shipped), so they map
 * to `@tensorflow/tfjs`; the packages tfjs is made of map to themselves, subpaths included.
 */
export function shippedModuleFor(moduleName: string): string | undefined {
  const m = /^@tensorflow\/(tfjs(?:-[a-z-]+)?)(\/.*)?$/.exec(moduleName);
  if (!m) return undefined;
  const [, pkg, subpath = ''] = m;
  if (pkg === 'tfjs-node' || pkg === 'tfjs-node-gpu') return subpath ? undefined : '@tensorflow/tfjs';
  if (!SHIPPED_PACKAGES.includes(pkg)) return undefined;
  return `@tensorflow/${pkg}${subpath}`;
}

export const SHIPPED_PACKAGES: readonly string[] = [
  'tfjs', 'tfjs-core', 'tfjs-layers', 'tfjs-converter', 'tfjs-data',
  'tfjs-backend-cpu', 'tfjs-backend-webgl', 'tfjs-backend-wasm',
];

type Host = ts.LanguageServiceHost;

/**
 * Wraps the host's module resolution: each tfjs import the host leaves unresolved is resolved again
 * as if imported from the shipped types folder. Returns the host's own results untouched otherwise.
 */
export function addShippedTypes(typescript: typeof ts, host: Host, typesDir = SHIPPED_TYPES_DIR): void {
  const anchor = path.join(typesDir, '__model_lab__.ts');
  const fallback = (name: string, options: ts.CompilerOptions): ts.ResolvedModuleWithFailedLookupLocations | undefined => {
    const shipped = shippedModuleFor(name);
    if (!shipped) return undefined;
    // Node-style lookup from the shipped folder, whatever module resolution the project uses.
    const opts: ts.CompilerOptions = { ...options, moduleResolution: typescript.ModuleResolutionKind.Node10, paths: undefined, baseUrl: undefined };
    const r = typescript.resolveModuleName(shipped, anchor, opts, typescript.sys);
    return r.resolvedModule ? r : undefined;
  };

  const ownLiterals = host.resolveModuleNameLiterals?.bind(host);
  const ownNames = host.resolveModuleNames?.bind(host);
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, options, containingSourceFile, reused) => {
    const own = ownLiterals
      ? ownLiterals(literals, containingFile, redirected, options, containingSourceFile, reused)
      : literals.map((l) => typescript.resolveModuleName(l.text, containingFile, options, typescript.sys));
    return own.map((r, i) => (r.resolvedModule ? r : fallback(literals[i].text, options) ?? r));
  };
  if (ownNames) {
    host.resolveModuleNames = (names, containingFile, reused, redirected, options, containingSourceFile) =>
      ownNames(names, containingFile, reused, redirected, options, containingSourceFile).map(
        (r, i) => r ?? fallback(names[i], options)?.resolvedModule,
      );
  }
}

/** tsserver's plugin entry: `module.exports = init`. */
export function init(modules: { typescript: typeof ts }): ts.server.PluginModule {
  return {
    create(info) {
      try {
        addShippedTypes(modules.typescript, info.languageServiceHost);
        info.project.projectService.logger.info(`[model-lab] tfjs types for unresolved imports from ${SHIPPED_TYPES_DIR}`);
      } catch (e) {
        info.project.projectService.logger.info(`[model-lab] tfjs types plugin off: ${e instanceof Error ? e.message : String(e)}`);
      }
      return info.languageService;
    },
  };
}
