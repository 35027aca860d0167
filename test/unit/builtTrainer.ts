/**
 * The real trainer for tests that run it as a process. Makes sure dist/ holds bundles built from the current sources before a test runs them as real
 * processes. `npm test` builds first; this covers `npx vitest run <file>` after an edit. Test files
 * run in parallel processes, so one build at a time, under a lock directory.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const DIST = path.join(ROOT, 'dist');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (/\.(ts|mts|js|mjs|json|wasm)$/.test(entry.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function isStale(outputs: string[]): boolean {
  const sources = Math.max(newestMtime(path.join(ROOT, 'src')), fs.statSync(path.join(ROOT, 'esbuild.mjs')).mtimeMs);
  return outputs.some((o) => !fs.existsSync(o) || fs.statSync(o).mtimeMs < sources);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds with `npm run build` when any of `outputs` (paths under dist/) is missing or older than src/. */
export async function ensureBuilt(outputs: string[]): Promise<void> {
  const files = outputs.map((o) => path.join(DIST, o));
  if (!isStale(files)) return;
  const lock = path.join(ROOT, 'node_modules', '.model-lab-test-build.lock');
  for (let waited = 0; ; waited += 200) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock left by a killed test run must not block forever.
      if (waited > 120_000) fs.rmSync(lock, { recursive: true, force: true });
      await sleep(200);
    }
  }
  try {
    if (isStale(files)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'pipe' });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`npm run build failed: ${err.stderr?.toString() || err.message}`);
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** A small dense model on 256 MNIST digits: trains in seconds on any backend. */
export const TINY_MODEL = `import * as tf from '@tensorflow/tfjs';

export const config = { dataset: 'mnist', limit: 256, epochs: 1, batchSize: 64 };

export function createModel() {
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
  model.add(tf.layers.dense({ units: 16, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
`;
