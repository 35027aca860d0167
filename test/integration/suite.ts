/**
 * Integration suite: runs inside a real extension host with the real `vscode` API. Written once as
 * the `run(): Promise<void>` module @vscode/test-electron expects; `npm run test:integration` loads
 * it into a downloaded VS Code, `npm run test:e2e` into code-server through the workbench payload.
 * The workspace is test/fixtures/workspace (or a copy of it).
 *
 * Results: a line `N passed, M failed` on the console, the JSON `{passed, failed, results}` in
 * $EXT_TEST_RESULT_FILE when set (the code-server runner is a browser page and reads that file),
 * and a thrown error when anything failed, which is what test-electron reports as a failure.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MetricLine, RunRecord } from '../../src/protocol/trainer';

const EXTENSION_ID = 'model-lab.tfjs-model-lab';
const COMMANDS = ['modelLab.train', 'modelLab.stop', 'modelLab.showPanel'];
/** A cold first run loads tfjs, picks a backend and reads MNIST; two slow cores need time. */
const TRAIN_TIMEOUT_MS = 240_000;

interface TrainResult {
  runId: string;
  runDir: string;
  status: 'completed' | 'stopped' | 'failed' | 'crashed';
}

interface TestResult {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}

function withTimeout<T>(p: Thenable<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000}s`)), ms);
  });
  return Promise.race([Promise.resolve(p), timeout]).finally(() => clearTimeout(timer));
}

function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the suite needs the fixture workspace open as a folder');
  return folder.uri.fsPath;
}

function readMetricLines(runDir: string): MetricLine[] {
  const file = path.join(runDir, 'metrics.jsonl');
  assert.ok(fs.existsSync(file), `${file} exists`);
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as MetricLine;
      } catch {
        throw new Error(`metrics.jsonl line ${i + 1} is not JSON: ${l.slice(0, 120)}`);
      }
    });
}

function readRunRecord(runDir: string): RunRecord {
  const file = path.join(runDir, 'run.json');
  assert.ok(fs.existsSync(file), `${file} exists`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as RunRecord;
}

const isFiniteNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** model.json's weightsManifest must describe exactly the bytes in weights.bin (float32/int32: 4 bytes). */
function assertSavedModel(runDir: string): string {
  const modelJson = path.join(runDir, 'model', 'model.json');
  const weightsBin = path.join(runDir, 'model', 'weights.bin');
  assert.ok(fs.existsSync(modelJson), 'model/model.json exists');
  assert.ok(fs.existsSync(weightsBin), 'model/weights.bin exists');
  const artifacts = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  assert.ok(artifacts.modelTopology, 'model.json has a modelTopology');
  const specs: { shape: number[]; dtype: string }[] = (artifacts.weightsManifest ?? []).flatMap(
    (g: { weights: { shape: number[]; dtype: string }[] }) => g.weights,
  );
  assert.ok(specs.length > 0, 'model.json lists the weights');
  const bytesPerValue: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * (bytesPerValue[s.dtype] ?? 4), 0);
  const actual = fs.statSync(weightsBin).size;
  assert.equal(actual, expected, 'weights.bin holds exactly the bytes model.json describes');
  return `${specs.length} weight tensors, ${actual} bytes`;
}

export async function run(): Promise<void> {
  const results: TestResult[] = [];
  const test = async (name: string, fn: () => Promise<string | void>): Promise<void> => {
    const t0 = Date.now();
    try {
      const detail = (await fn()) ?? '';
      results.push({ name, ok: true, ms: Date.now() - t0, detail });
      console.log(`  ok   ${name} (${Date.now() - t0} ms) ${detail}`);
    } catch (e) {
      const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
      results.push({ name, ok: false, ms: Date.now() - t0, detail });
      console.log(`  FAIL ${name} (${Date.now() - t0} ms)\n${detail}`);
    }
  };

  await test('the extension is present and activates', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    await withTimeout(ext.activate(), 60_000, 'activate()');
    assert.equal(ext.isActive, true);
    return ext.extensionPath;
  });

  await test('the Model Lab commands are registered', async () => {
    const all = new Set(await vscode.commands.getCommands(true));
    const missing = COMMANDS.filter((c) => !all.has(c));
    assert.deepEqual(missing, [], `missing commands: ${missing.join(', ')}`);
  });

  await test('Train on tiny.model.ts completes and writes the run folder', async () => {
    const ws = workspaceDir();
    const modelFile = vscode.Uri.file(path.join(ws, 'tiny.model.ts'));
    const result = await withTimeout(
      vscode.commands.executeCommand<TrainResult | undefined>('modelLab.train', modelFile, { epochs: 1 }),
      TRAIN_TIMEOUT_MS,
      'modelLab.train tiny.model.ts',
    );
    assert.ok(result, 'modelLab.train started a run');
    assert.equal(result.status, 'completed', `run ${result.runId} ended ${result.status}`);
    assert.equal(
      path.resolve(result.runDir),
      path.join(ws, '.modellab', 'runs', result.runId),
      'the run folder is <workspace>/.modellab/runs/<run-id>',
    );

    const record = readRunRecord(result.runDir);
    assert.equal(record.status, 'completed', 'run.json status');
    assert.ok(['tensorflow', 'wasm', 'cpu'].includes(record.backend?.name), `backend recorded: ${record.backend?.name}`);
    assert.ok(record.backend.reason.length > 0, 'the backend choice says why');
    assert.equal(record.config.epochs, 1);
    assert.equal(record.config.batchSize, 64);
    assert.equal(record.config.limit, 512, "the model file's config.limit is used");

    const lines = readMetricLines(result.runDir);
    const batches = lines.filter((l): l is Extract<MetricLine, { type: 'batch' }> => l.type === 'batch');
    const epochs = lines.filter((l): l is Extract<MetricLine, { type: 'epoch' }> => l.type === 'epoch');
    const end = lines[lines.length - 1];
    // 512 samples, 20% held out for validation, batches of 64 -> ceil(409.6 / 64) = 7 batches
    assert.ok(batches.length >= 6 && batches.length <= 8, `batch lines: ${batches.length}`);
    for (const b of batches) {
      assert.ok(isFiniteNum(b.loss) && isFiniteNum(b.acc), `batch line has loss and acc: ${JSON.stringify(b)}`);
    }
    assert.equal(epochs.length, 1, 'one epoch line');
    const e: Record<string, unknown> = epochs[0];
    for (const k of ['loss', 'acc', 'val_loss']) assert.ok(isFiniteNum(e[k]), `epoch line has ${k}: ${JSON.stringify(e)}`);
    // Guessing among 10 digits costs ln 10 ≈ 2.30; one epoch of real digits gets well below (≈ 1.0).
    assert.ok((e.val_loss as number) < 2.0, `the model learned: val_loss ${e.val_loss} < 2.0`);
    assert.equal(end.type, 'end', 'the last line is the end line');
    assert.equal((end as { status: string }).status, 'completed');

    const saved = assertSavedModel(result.runDir);
    return `${record.backend.name}; ${batches.length} batches; val_loss ${(e.val_loss as number).toFixed(3)}; ${saved}`;
  });

  await test('Train on broken.model.ts fails naming the file and line', async () => {
    const ws = workspaceDir();
    const modelFile = vscode.Uri.file(path.join(ws, 'broken.model.ts'));
    const result = await withTimeout(
      vscode.commands.executeCommand<TrainResult | undefined>('modelLab.train', modelFile, { epochs: 1 }),
      TRAIN_TIMEOUT_MS,
      'modelLab.train broken.model.ts',
    );
    assert.ok(result, 'modelLab.train started a run');
    assert.equal(result.status, 'failed');
    const lines = readMetricLines(result.runDir);
    const end = lines[lines.length - 1];
    assert.ok(end && end.type === 'end', 'metrics.jsonl ends with an end line');
    assert.equal(end.status, 'failed');
    const message = end.error?.message ?? '';
    assert.match(message, /broken\.model\.ts/, `the error names the file: "${message}"`);
    assert.match(message, /\b8\b/, `the error names line 8: "${message}"`);
    assert.equal(readRunRecord(result.runDir).status, 'failed', 'run.json status');
    return message;
  });

  await test('New Model writes a template, opens it, and it trains', async () => {
    const ws = workspaceDir();
    const file = path.join(ws, 'scaffolded.model.ts');
    fs.rmSync(file, { force: true });
    const uri = await vscode.commands.executeCommand<vscode.Uri | undefined>('modelLab.newModel', vscode.Uri.file(ws), {
      templateId: 'mlp-classifier',
      language: 'ts',
      fileName: 'scaffolded.model.ts',
    });
    assert.ok(uri, 'modelLab.newModel returned the new file');
    assert.equal(uri.fsPath, file);
    assert.ok(fs.readFileSync(file, 'utf8').includes("dataset: 'iris'"), 'the file names its dataset');
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, file, 'the new file is open');
    const result = await withTimeout(
      vscode.commands.executeCommand<TrainResult | undefined>('modelLab.train', uri, { epochs: 1 }),
      TRAIN_TIMEOUT_MS,
      'modelLab.train scaffolded.model.ts',
    );
    assert.equal(result?.status, 'completed', `run ended ${result?.status}`);
    fs.rmSync(file, { force: true });
  });

  await test('New Model refuses impossible parameters and writes nothing', async () => {
    const ws = workspaceDir();
    const refused = await vscode.commands.executeCommand('modelLab.newModel', vscode.Uri.file(ws), {
      templateId: 'cnn-classifier',
      params: { depth: 5, kernelSize: 3 },
      language: 'ts',
      fileName: 'refused.model.ts',
    });
    assert.equal(refused, undefined);
    assert.equal(fs.existsSync(path.join(ws, 'refused.model.ts')), false);
  });

  await test('the extension host is still serving commands after the failed run', async () => {
    await withTimeout(vscode.commands.executeCommand('modelLab.showPanel'), 30_000, 'modelLab.showPanel');
    assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
    const all = new Set(await vscode.commands.getCommands(true));
    assert.ok(all.has('modelLab.train'));
  });

  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  const resultFile = process.env.EXT_TEST_RESULT_FILE;
  if (resultFile) fs.writeFileSync(resultFile, JSON.stringify({ passed, failed, results }, null, 2));
  console.log(`${passed} passed, ${failed} failed`);
  if (failed > 0) throw new Error(`${failed} integration test(s) failed`);
}
