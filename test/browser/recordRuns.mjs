// Records the run folders the comparison's browser tests read through the host's own CompareSet:
// real trainings with the built CLI (wasm backend) of one model at two batch sizes and epoch counts.
// Keeps run.json, metrics.jsonl and model/model.json (its trainingConfig names the optimizer), with
// paths rewritten to /workspace/...; the weights are not needed. Run after `npm run build`:
//   node test/browser/recordRuns.mjs
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const out = join(root, 'test/browser/runs');
const recordings = [
  { file: 'examples/spiral.model.ts', args: ['--epochs', '3', '--batch-size', '32'] },
  { file: 'examples/spiral.model.ts', args: ['--epochs', '4', '--batch-size', '16'] },
];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const { file, args } of recordings) {
  const runsDir = mkdtempSync(join(tmpdir(), 'modellab-rec-'));
  execFileSync(process.execPath, ['dist/cli.js', 'train', file, '--backend', 'wasm', '--runs-dir', runsDir, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  for (const id of readdirSync(runsDir)) {
    const from = join(runsDir, id);
    const to = join(out, id);
    mkdirSync(join(to, 'model'), { recursive: true });
    const rewrite = (text) => text.split(root).join('/workspace').split(runsDir).join('/workspace/.modellab/runs');
    writeFileSync(join(to, 'run.json'), rewrite(readFileSync(join(from, 'run.json'), 'utf8')));
    copyFileSync(join(from, 'metrics.jsonl'), join(to, 'metrics.jsonl'));
    const model = JSON.parse(readFileSync(join(from, 'model/model.json'), 'utf8'));
    writeFileSync(join(to, 'model/model.json'), JSON.stringify({ format: model.format, trainingConfig: model.trainingConfig }));
  }
  rmSync(runsDir, { recursive: true, force: true });
}
console.log(`wrote ${readdirSync(out).join(', ')}`);
