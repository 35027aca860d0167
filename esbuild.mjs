// Builds Model Lab's bundles: the extension (Node, `vscode` external), the trainer child process and
// the CLI (Node, tfjs packages external so tfjs-node and tfjs share one engine), the webview (browser
// IIFE) and the integration suite. `--watch` rebuilds on change; `--production` minifies.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';

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
  {
    ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', external: runtimeExternals,
    banner: { js: '#!/usr/bin/env node' },
  },
  { ...common, entryPoints: ['webview-ui/src/main.ts'], outfile: 'dist/webview/main.js', platform: 'browser', format: 'iife' },
  {
    ...common, entryPoints: ['test/integration/suite.ts'], outfile: 'dist/test/suite.js', platform: 'node', format: 'cjs',
    external: ['vscode', ...runtimeExternals],
  },
];

function copyAssets() {
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
