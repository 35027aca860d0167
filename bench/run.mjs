// Builds the benchmarks (they import Model Lab's own modules) and runs one: node bench/run.mjs [name] [args…]
// Names: trainerThroughput (default), dashboard, wasmKernels, yieldStrategy, loaders, csvLoader, peerTorch, firstBatch, trainerProfile, dataWait, fusedTrainer, fusedThreads, fusedThreadsCpu, fusedRelaxed, editorHost, fusedSeparable, fusedAutoencoder.
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';

const [name = 'trainerThroughput', ...args] = process.argv.slice(2);
// The dashboard bench drives Chromium from a plain ES module (it bundles the host code it needs itself).
if (name === 'dashboard') {
  execFileSync(process.execPath, ['--expose-gc', 'bench/dashboard.mjs', ...args], { stdio: 'inherit' });
  process.exit(0);
}
const external = ['@tensorflow/*', 'esbuild', 'mnist'];
const entries = { trainerThroughput: ['bench/trainerThroughput.ts', 'bench/plainFit.ts'], wasmKernels: ['bench/wasmKernels.ts'], yieldStrategy: ['bench/yieldStrategy.ts'], loaders: ['bench/loaders.ts'], csvLoader: ['bench/csvLoader.ts'], peerTorch: ['bench/peerTorch.ts'], firstBatch: ['bench/firstBatch.ts'], trainerProfile: ['bench/trainerProfile.ts'], dataWait: ['bench/dataWait.ts'], fusedTrainer: ['bench/fusedTrainer.ts'], fusedThreads: ['bench/fusedThreads.ts'], fusedThreadsCpu: ['bench/fusedThreadsCpu.ts'], fusedRelaxed: ['bench/fusedRelaxed.ts'], editorHost: ['bench/editorHost.ts'], fusedSeparable: ['bench/fusedSeparable.ts'], fusedAutoencoder: ['bench/fusedAutoencoder.ts'] };
if (!entries[name]) throw new Error(`Unknown benchmark ${name}; known: ${Object.keys(entries).join(', ')}`);
await esbuild.build({ entryPoints: entries[name], outdir: 'dist/bench', bundle: true, platform: 'node', format: 'cjs', external, logLevel: 'warning' });
execFileSync(process.execPath, [`dist/bench/${name}.js`, ...args], { stdio: 'inherit' });
