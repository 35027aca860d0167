// Builds Model Lab's bundles: the extension (Node, `vscode` external), the trainer child process and
// the CLI (Node, tfjs packages external so tfjs-node and tfjs share one engine), the webview (browser
// IIFE) and the integration suite. `--watch` rebuilds on change; `--production` minifies.
import * as esbuild from 'esbuild';
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// Loaded at run time from node_modules: tfjs-node (optional) must share tfjs-core with the tfjs the
// trainer uses, the wasm backend reads its .wasm files next to its own module, esbuild is native.
const runtimeExternals = ['@tensorflow/*', 'esbuild', 'mnist'];

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
  target: 'es2022',
};

const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', external: ['vscode'] },
  { ...common, entryPoints: ['src/trainer/main.ts'], outfile: 'dist/trainer.js', platform: 'node', format: 'cjs', external: runtimeExternals },
  // The fused executor's gradient worker (worker_threads), loaded by the trainer and the CLI from dist/.
  { ...common, entryPoints: ['src/trainer/backends/fused/fusedWorker.ts'], outfile: 'dist/fusedWorker.js', platform: 'node', format: 'cjs', external: runtimeExternals },
  // The child a script run's script lives in (forked by the trainer), so the script is the main program.
  { ...common, entryPoints: ['src/trainer/script/scriptHost.ts'], outfile: 'dist/scriptHost.js', platform: 'node', format: 'cjs', external: runtimeExternals },
  {
    ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', external: runtimeExternals,
    banner: { js: '#!/usr/bin/env node' },
  },
  // The TypeScript server plugin (a package of its own so tsserver can require it by name).
  {
    ...common, entryPoints: ['src/tsPlugin/plugin.ts'], outfile: 'ts-plugin/index.js', platform: 'node', format: 'cjs',
    footer: { js: 'module.exports = module.exports.init;' },
  },
  { ...common, entryPoints: ['webview-ui/src/main.ts'], outfile: 'dist/webview/main.js', platform: 'browser', format: 'iife' },
  {
    ...common, entryPoints: ['test/integration/suite.ts'], outfile: 'dist/test/suite.js', platform: 'node', format: 'cjs',
    external: ['vscode', ...runtimeExternals],
  },
  // The Restricted Mode suite (test/e2e/restricted.sh): the same launch, an untrusted workspace.
  { ...common, entryPoints: ['test/integration/restrictedSuite.ts'], outfile: 'dist/test/restrictedSuite.js', platform: 'node', format: 'cjs', external: ['vscode'] },
];

// The tfjs type declarations the plugin resolves to: only .d.ts files and package.json (its `types`).
const SHIPPED_TYPES = ['tfjs', 'tfjs-core', 'tfjs-layers', 'tfjs-converter', 'tfjs-data', 'tfjs-backend-cpu', 'tfjs-backend-webgl', 'tfjs-backend-wasm'];
function copyTypes() {
  const dest = 'ts-plugin/types/node_modules/@tensorflow';
  rmSync('ts-plugin/types', { recursive: true, force: true });
  for (const pkg of SHIPPED_TYPES) {
    const from = join('node_modules/@tensorflow', pkg);
    const meta = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
    cpSync(join(from, 'dist'), join(dest, pkg, 'dist'), {
      recursive: true,
      filter: (src) => !/\.[a-z0-9]+$/i.test(src) || src.endsWith('.d.ts'),
    });
    writeFileSync(join(dest, pkg, 'package.json'), JSON.stringify({ name: meta.name, version: meta.version, types: meta.types ?? 'dist/index.d.ts', license: meta.license }, null, 2));
  }
}

function copyAssets() {
  copyTypes();
  mkdirSync('dist/webview', { recursive: true });
  copyFileSync('node_modules/uplot/dist/uPlot.min.css', 'dist/webview/uPlot.min.css');
  copyFileSync('webview-ui/src/styles.css', 'dist/webview/styles.css');
  // The fused training kernels (built by scripts/build-wasm.sh, committed): the trainer loads them from dist/wasm.
  mkdirSync('dist/wasm', { recursive: true });
  for (const f of readdirSync('src/trainer/backends/fused/wasm')) if (f.endsWith('.wasm')) copyFileSync(`src/trainer/backends/fused/wasm/${f}`, `dist/wasm/${f}`);
}

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  copyAssets();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  copyAssets();
}
