// Records the host -> webview message streams the browser tests and unit tests replay: runs real
// trainings with the built CLI (`model-lab train --json`, wasm backend), stamps each trainer
// message with the time it arrived, and folds it into snapshot + events the way
// src/training/trainingSession.ts does. Run after `npm run build`:
//   node test/browser/recordStreams.mjs
// Writes test/browser/streams/<name>.json (paths inside the run folder rewritten to /workspace/...).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = resolve(import.meta.dirname, '../..');
const recordings = [
  { name: 'classifier', file: 'examples/spiral.model.ts', args: ['--epochs', '4'] },
  { name: 'regressor', file: 'examples/temperature-tomorrow.model.ts', args: ['--epochs', '4'] },
  // Stopped with Ctrl-C (SIGINT: "stop after the current batch") in the middle of its third epoch.
  { name: 'stopped', file: 'examples/spiral.model.ts', args: ['--epochs', '40', '--batch-size', '8'], stopAfterBatches: 260 },
  // With weight histograms and per-cell samples in eval.json (recorded after those existed).
  { name: 'histograms', file: 'examples/spiral.model.ts', args: ['--epochs', '6'] },
  { name: 'forecast', file: 'examples/temperature-tomorrow.model.ts', args: ['--epochs', '4'] },
];

function record({ file, args, stopAfterBatches }) {
  const runsDir = mkdtempSync(join(tmpdir(), 'modellab-rec-'));
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['dist/cli.js', 'train', file, '--backend', 'wasm', '--runs-dir', runsDir, '--json', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = [];
    let batches = 0;
    createInterface({ input: child.stdout }).on('line', (l) => {
      const m = JSON.parse(l);
      lines.push({ at: Date.now(), m });
      if (m.type === 'batches') batches += m.points.length;
      if (stopAfterBatches && batches >= stopAfterBatches && !child.killed) child.kill('SIGINT');
    });
    const started = Date.now();
    child.on('error', fail);
    child.on('close', () => done({ lines, started, runsDir }));
  });
}

function toMessages({ lines, started }) {
  let seq = 0;
  const out = [];
  let view;
  let backend;
  for (const { at, m } of lines) {
    const ev = (event) => out.push({ at: at - started, msg: { type: 'event', seq: ++seq, runId: view.runId, event } });
    switch (m.type) {
      case 'ready':
        backend = m.backend;
        break;
      case 'run':
        view = {
          runId: m.runId, modelFile: m.modelFile, runDir: m.runDir, backend, config: m.config, batchesPerEpoch: m.batchesPerEpoch,
          layers: m.layers, totalParams: m.totalParams, status: 'running', startedAt: started, batches: [], epochs: [],
        };
        out.push({ at: at - started, msg: { type: 'snapshot', seq: ++seq, run: structuredClone(view) } });
        break;
      case 'batches':
        ev({ type: 'batches', points: m.points });
        break;
      case 'epoch':
        ev({ type: 'epoch', point: m.point });
        break;
      case 'histograms':
        ev({ type: 'histograms', line: m.line });
        break;
      case 'executor':
        ev({ type: 'backend', backend: m.backend });
        break;
      case 'paused':
      case 'resumed':
        ev({ type: m.type });
        break;
      case 'checkpoint':
        ev({ type: 'checkpoint', checkpoint: { ...m.checkpoint, dir: m.dir } });
        break;
      case 'end': {
        ev({ type: 'end', status: m.status, ...(m.error ? { error: m.error } : {}), time: at });
        try {
          ev({ type: 'eval', report: JSON.parse(readFileSync(join(view.runDir, 'eval.json'), 'utf8')) });
        } catch {
          // no evaluation for this run
        }
        break;
      }
    }
  }
  return { view, out };
}

for (const r of recordings.filter((x) => process.argv.length < 3 || process.argv.includes(x.name))) {
  const rec = await record(r);
  const { view, out } = toMessages(rec);
  let text = JSON.stringify({ recorded: new Date().toISOString(), command: `model-lab train ${r.file} ${r.args.join(' ')}`, messages: out });
  text = text.split(rec.runsDir).join('/workspace/.modellab/runs').split(root).join('/workspace');
  writeFileSync(join(root, 'test/browser/streams', `${r.name}.json`), text);
  rmSync(rec.runsDir, { recursive: true, force: true });
  console.log(`${r.name}: ${out.length} messages, ${view?.runId}`);
}
