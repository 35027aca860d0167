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
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DatasetPreview } from '../../src/protocol/datasetPreview';
import { parseEvalReport } from '../../src/protocol/evalReport';
import type { CheckpointInfo } from '../../src/protocol/trainer';
import type { RunView } from '../../src/protocol/webview';
import { EventFileWriter, scalarEvent } from '../../src/trainer/tensorboard/eventWriter';
import type { MetricLine, RunRecord } from '../../src/protocol/runFolder';
import { runZhCnSuite } from './zhCnSuite';
import { tester, type TestResult } from './tester';

const EXTENSION_ID = 'model-lab.tfjs-model-lab';
const COMMANDS = ['modelLab.train', 'modelLab.stop', 'modelLab.showPanel', 'modelLab.refreshLayerHints', 'modelLab.evaluateRun', 'modelLab.openTensorBoardLogs', 'modelLab.openTensorBoardRun', 'modelLab.trainAgain', 'modelLab.trainWithChanges', 'modelLab.compareRuns'];
/** A cold first run loads tfjs, picks a backend and reads MNIST; two slow cores need time. */
const TRAIN_TIMEOUT_MS = 240_000;

interface TrainResult {
  runId: string;
  runDir: string;
  status: 'completed' | 'stopped' | 'failed' | 'crashed';
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

/** Polls `fn` every 100 ms until it returns a value other than undefined/false. */
async function waitFor<T>(what: string, ms: number, fn: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000}s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function countBatchLines(runDir: string): number {
  const file = path.join(runDir, 'metrics.jsonl');
  if (!fs.existsSync(file)) return 0;
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"type":"batch"')).length;
}

function readCheckpoint(runDir: string, kind: 'last' | 'best'): CheckpointInfo | undefined {
  const file = path.join(runDir, 'checkpoints', kind, 'checkpoint.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as CheckpointInfo;
  } catch {
    return undefined;
  }
}

/**
 * Starts a run with `start` and drives it as a user does: waits for its folder and first batch,
 * pauses (no batch is trained while held), saves a checkpoint while paused, resumes (batches
 * again), stops. Returns the run folder, the batch count it held at and the requested checkpoint.
 */
async function pauseCheckpointResumeStop(start: () => Thenable<TrainResult | undefined>): Promise<{ runDir: string; held: number; requested: CheckpointInfo; result: TrainResult | undefined }> {
  const runsDir = path.join(workspaceDir(), '.modellab', 'runs');
  const before = new Set(fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : []);
  const running = start();
  const runDir = await waitFor('the run folder appears', TRAIN_TIMEOUT_MS, () => {
    const added = fs.existsSync(runsDir) ? fs.readdirSync(runsDir).filter((d) => !before.has(d)) : [];
    return added.length === 1 ? path.join(runsDir, added[0]) : undefined;
  });
  await waitFor('the first batch', TRAIN_TIMEOUT_MS, () => countBatchLines(runDir) > 0);

  await vscode.commands.executeCommand('modelLab.pause');
  // The trainer holds after the batch in flight; once it holds, no more batch lines are written.
  // Held = no new batch line for a whole second (a running trainer writes several a second).
  let held = -1;
  let since = Date.now();
  await waitFor('training holds after Pause', 30_000, () => {
    const n = countBatchLines(runDir);
    if (n !== held) [held, since] = [n, Date.now()];
    return Date.now() - since >= 1000;
  });
  await sleep(1500);
  assert.equal(countBatchLines(runDir), held, 'no batch is trained while paused');

  await vscode.commands.executeCommand('modelLab.checkpoint');
  const requested = await waitFor('checkpoints/last from "checkpoint now"', 30_000, () => {
    const c = readCheckpoint(runDir, 'last');
    return c?.reason === 'request' ? c : undefined;
  });
  assert.equal(countBatchLines(runDir), held, 'saving a checkpoint does not resume training');

  await vscode.commands.executeCommand('modelLab.resume');
  await waitFor('training continues after Resume', 30_000, () => countBatchLines(runDir) > held);

  await vscode.commands.executeCommand('modelLab.stop');
  const result = await withTimeout(running, 60_000, 'the stopped run ends');
  return { runDir, held, requested, result };
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

/** The `N passed, M failed` line, the result file, and a throw when anything failed. */
function report(results: TestResult[]): void {
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  const resultFile = process.env.EXT_TEST_RESULT_FILE;
  if (resultFile) fs.writeFileSync(resultFile, JSON.stringify({ passed, failed, results }, null, 2));
  console.log(`${passed} passed, ${failed} failed`);
  if (failed > 0) throw new Error(`${failed} integration test(s) failed`);
}

export async function run(): Promise<void> {
  // The focused Simplified Chinese part, in a VS Code started in zh-cn (test/e2e/run.sh).
  if (process.env.MODEL_LAB_SUITE === 'zh-cn') return report(await runZhCnSuite());
  const results: TestResult[] = [];
  const test = tester(results);

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

  /** Writes `text` to `name` in the workspace, opens it in an editor and returns its document. */
  const openModelFile = async (name: string, text: string): Promise<vscode.TextDocument> => {
    const file = path.join(workspaceDir(), name);
    fs.writeFileSync(file, text);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc);
    return doc;
  };
  type HintsResult = {
    file: string;
    hints: { line: number; column: number; text: string; compactText: string; hover: string }[];
    compact?: boolean;
    error?: { reason: string; message: string; line?: number };
    skipped?: string;
  };
  const HINTS_CNN = [
    "import * as tf from '@tensorflow/tfjs';",
    "export const config = { dataset: 'mnist', epochs: 1 };",
    'export function createModel(): tf.LayersModel {',
    '  const model = tf.sequential();',
    "  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu' }));",
    '  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));',
    '  model.add(tf.layers.flatten());',
    "  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));",
    "  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });",
    '  return model;',
    '}',
    '',
  ].join('\n');

  await test('layer hints: the conv2d line shows its output shape and parameter count, with a hover', async () => {
    const doc = await openModelFile('hints.model.ts', HINTS_CNN);
    const result = await withTimeout(
      vscode.commands.executeCommand<HintsResult | undefined>('modelLab.refreshLayerHints', doc.uri),
      60_000,
      'modelLab.refreshLayerHints hints.model.ts',
    );
    assert.ok(result, 'the command returned a result');
    assert.equal(result.skipped, undefined, `the hints ran (skipped: ${result.skipped})`);
    assert.equal(result.error, undefined, `no build error: ${result.error?.message}`);
    const convLine = doc.getText().split('\n').findIndex((l) => l.includes('tf.layers.conv2d')) + 1;
    const conv = result.hints.find((h) => h.line === convLine);
    assert.ok(conv, `a hint on line ${convLine}; hints: ${JSON.stringify(result.hints.map((h) => [h.line, h.text]))}`);
    assert.match(conv.text, /\[batch, 24, 24, 8\]/, `the conv2d hint names the output shape: "${conv.text}"`);
    assert.match(conv.text, /\b208 params\b/, `the conv2d hint names its 208 parameters: "${conv.text}"`);
    // 12*12*8 = 1152 flattened values, dense 1152*10+10 = 11530 params.
    const denseLine = doc.getText().split('\n').findIndex((l) => l.includes('tf.layers.dense')) + 1;
    assert.equal(result.hints.find((h) => h.line === denseLine)?.text, '→ [batch, 10] · 11,530 params');
    // The conv2d line is ~100 columns: under `auto` its full hint would pass column 80, so the file's hints are compact.
    assert.equal(result.compact, true, 'auto chose the compact form for lines past column 80');
    assert.equal(conv.compactText, '→ 24×24×8 · 208');
    const hintsSettings = vscode.workspace.getConfiguration('modelLab', doc.uri);
    await hintsSettings.update('layerHints.style', 'full', vscode.ConfigurationTarget.Workspace);
    try {
      const full = await vscode.commands.executeCommand<HintsResult | undefined>('modelLab.refreshLayerHints', doc.uri);
      assert.equal(full?.compact, false, 'style full draws the full form whatever the line length');
    } finally {
      await hintsSettings.update('layerHints.style', undefined, vscode.ConfigurationTarget.Workspace);
    }

    // The hover provider answers on that line with the layer's details.
    const col = doc.lineAt(convLine - 1).text.indexOf('conv2d(') + 1;
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(convLine - 1, col));
    const hoverText = hovers
      .flatMap((h) => h.contents)
      .map((c) => (typeof c === 'string' ? c : c.value))
      .join('\n');
    assert.match(hoverText, /Conv2D/, `the hover names the layer class: ${hoverText.slice(0, 300)}`);
    assert.match(hoverText, /\[batch, 24, 24, 8\]/, 'the hover shows the output shape');
    // The layer-call hover: what the layer does and this call's arithmetic (28 − 5 + 1 = 24).
    assert.match(hoverText, /\*\*tf\.layers\.conv2d\*\* — /, 'the hover says what conv2d does');
    assert.match(hoverText, /height: 28 − 5 \+ 1 = 24/, `the hover shows the arithmetic: ${hoverText.slice(0, 600)}`);
    // The dense layer's input comes from the hints of the layer before it (flatten → 1152).
    const denseCol = doc.lineAt(denseLine - 1).text.indexOf('dense(') + 1;
    const denseHover = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(denseLine - 1, denseCol)))
      .flatMap((h) => h.contents)
      .map((c) => (typeof c === 'string' ? c : c.value))
      .join('\n');
    assert.match(denseHover, /input: `\[batch, 1152\]` \(from the layer before\)/, `dense hover: ${denseHover.slice(0, 600)}`);
    assert.match(denseHover, /output: `\[batch, 10\]`/);

    // CodeLens above createModel: ▶ Train and the parameter total (208 + 11,530).
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 10);
    const createLine = doc.getText().split('\n').findIndex((l) => l.includes('export function createModel'));
    const titles = lenses.filter((l) => l.range.start.line === createLine).map((l) => l.command?.title);
    assert.ok(titles.includes('▶ Train'), `a ▶ Train lens above createModel: ${JSON.stringify(titles)}`);
    assert.ok(titles.includes('Σ 11,738 params'), `the parameter total lens: ${JSON.stringify(titles)}`);
    assert.equal(vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'Model Lab').length, 0, 'a model that builds has no Model Lab diagnostics');
    return conv.text;
  });

  await test('layer hints: a model file that does not build gets a diagnostic on its line, cleared once fixed', async () => {
    // Line 4 has the syntax error (the `;` inside the call), column 31.
    const broken = HINTS_CNN.replace('  const model = tf.sequential();', '  const model = tf.sequential(;');
    const doc = await openModelFile('hintsBroken.model.ts', broken);
    const result = await withTimeout(
      vscode.commands.executeCommand<HintsResult | undefined>('modelLab.refreshLayerHints', doc.uri),
      60_000,
      'modelLab.refreshLayerHints hintsBroken.model.ts',
    );
    assert.ok(result?.error, `the command reports the build error: ${JSON.stringify(result)}`);
    assert.equal(result.hints.length, 0, 'no hints for a file that does not build');
    const diags = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'Model Lab');
    assert.equal(diags.length, 1, `one Model Lab diagnostic: ${JSON.stringify(diags.map((d) => d.message))}`);
    assert.equal(diags[0].range.start.line, 3, 'on line 4 (0-based 3), where the syntax error is');
    assert.equal(diags[0].range.start.character, 30, 'at column 31');
    assert.equal(diags[0].severity, vscode.DiagnosticSeverity.Error);

    // Fix it in the editor and save: the diagnostic goes and the hints come back.
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((e) => e.replace(new vscode.Range(0, 0, doc.lineCount, 0), HINTS_CNN));
    assert.ok(await doc.save(), 'saved the fixed file');
    const fixed = await withTimeout(
      vscode.commands.executeCommand<HintsResult | undefined>('modelLab.refreshLayerHints', doc.uri),
      60_000,
      'modelLab.refreshLayerHints after the fix',
    );
    assert.equal(fixed?.error, undefined, `the fixed file builds: ${fixed?.error?.message}`);
    assert.ok((fixed?.hints.length ?? 0) > 0, 'the fixed file has hints');
    assert.equal(vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'Model Lab').length, 0, 'the diagnostic is cleared');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const name of ['hints.model.ts', 'hintsBroken.model.ts']) fs.rmSync(path.join(workspaceDir(), name), { force: true });
    return diags[0].message;
  });

  await test('layer hints: a kernel too large keeps the hints above it, the failing line says why, and its quick fix makes it build', async () => {
    const text = HINTS_CNN.replace('  model.add(tf.layers.flatten());', "  model.add(tf.layers.conv2d({ filters: 4, kernelSize: 15 }));\n  model.add(tf.layers.flatten());");
    const doc = await openModelFile('hintsKernel.model.ts', text);
    const result = await withTimeout(vscode.commands.executeCommand<HintsResult | undefined>('modelLab.refreshLayerHints', doc.uri), 60_000, 'refreshLayerHints hintsKernel.model.ts');
    const lines = doc.getText().split('\n');
    const convLine = lines.findIndex((l) => l.includes('inputShape')) + 1;
    const badLine = lines.findIndex((l) => l.includes('kernelSize: 15')) + 1;
    assert.ok(result?.error, `the failure is reported: ${JSON.stringify(result)}`);
    assert.equal(result.error.line, badLine, 'the error is on the kernel-15 line');
    assert.deepEqual(result.hints.map((h) => h.line), [convLine, convLine + 1], 'the conv2d and pooling lines above keep their hints');
    const diags = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'Model Lab');
    assert.equal(diags.length, 1, `one diagnostic: ${JSON.stringify(diags.map((d) => d.message))}`);
    assert.equal(diags[0].range.start.line, badLine - 1, 'at the failing line');
    assert.match(diags[0].message, /the kernel \(15\) is larger than the 12×12 feature map/);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, diags[0].range, vscode.CodeActionKind.QuickFix.value);
    const shrink = actions.find((a) => a.title.startsWith('Use kernelSize: 12'));
    assert.ok(shrink?.edit, `a quick fix shrinks the kernel: ${JSON.stringify(actions.map((a) => a.title))}`);
    assert.ok(await vscode.workspace.applyEdit(shrink.edit), 'the fix applies');
    assert.match(doc.lineAt(badLine - 1).text, /kernelSize: 12 \}/, doc.lineAt(badLine - 1).text);
    assert.ok(await doc.save());
    const fixed = await withTimeout(vscode.commands.executeCommand<HintsResult | undefined>('modelLab.refreshLayerHints', doc.uri), 60_000, 'refresh after the fix');
    assert.equal(fixed?.error, undefined, `builds after the fix: ${fixed?.error?.message}`);
    assert.ok(fixed?.hints.some((h) => h.line === badLine), 'the fixed line has its hint');

    // A dense layer fed the 4-D map: a warning with a flatten() fix at its line.
    const noFlatten = HINTS_CNN.replace('  model.add(tf.layers.flatten());\n', '');
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((e) => e.replace(new vscode.Range(0, 0, doc.lineCount, 0), noFlatten));
    assert.ok(await doc.save());
    const dense = await withTimeout(vscode.commands.executeCommand<HintsResult | undefined>('modelLab.refreshLayerHints', doc.uri), 60_000, 'refresh without flatten');
    assert.equal(dense?.error, undefined);
    const denseLine = doc.getText().split('\n').findIndex((l) => l.includes('tf.layers.dense')) + 1;
    const warn = vscode.languages.getDiagnostics(doc.uri).find((d) => d.source === 'Model Lab' && d.code === 'add-flatten');
    assert.ok(warn, 'a warning for the dense layer');
    assert.equal(warn.range.start.line, denseLine - 1);
    assert.equal(warn.severity, vscode.DiagnosticSeverity.Warning);
    const flattenActions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, warn.range, vscode.CodeActionKind.QuickFix.value);
    const flatten = flattenActions.find((a) => a.title === 'Add tf.layers.flatten() before this dense layer');
    assert.ok(flatten?.edit, `a flatten fix: ${JSON.stringify(flattenActions.map((a) => a.title))}`);
    assert.ok(await vscode.workspace.applyEdit(flatten.edit));
    assert.equal(doc.lineAt(denseLine - 1).text, '  model.add(tf.layers.flatten());');
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(doc.uri.fsPath, { force: true });
    return `${diags[0].message} | ${warn.message}`;
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
    const evalFile = path.join(result.runDir, 'eval.json');
    assert.ok(fs.existsSync(evalFile), 'the completed run has eval.json');
    const report = parseEvalReport(JSON.parse(fs.readFileSync(evalFile, 'utf8')));
    assert.ok(report, 'eval.json is an evaluation report');
    assert.equal(report.outputs[0].kind, 'classification');
    assert.ok(report.count > 0 && report.count <= 512, `evaluated ${report.count} held-out samples`);
    return `${record.backend.name}; ${batches.length} batches; val_loss ${(e.val_loss as number).toFixed(3)}; ${saved}; eval on ${report.count}`;
  });

  await test('Train with Changes makes a new run with the overrides recorded in run.json, the model file untouched', async () => {
    const ws = workspaceDir();
    const runsDir = path.join(ws, '.modellab', 'runs');
    const source = fs
      .readdirSync(runsDir)
      .map((id) => path.join(runsDir, id))
      .find((d) => fs.existsSync(path.join(d, 'run.json')) && readRunRecord(d).modelFile.endsWith('tiny.model.ts') && readRunRecord(d).status === 'completed');
    assert.ok(source, 'a completed tiny.model.ts run to start from');
    const file = path.join(ws, 'tiny.model.ts');
    const before = fs.readFileSync(file, 'utf8');
    const result = await withTimeout(
      vscode.commands.executeCommand<TrainResult | undefined>('modelLab.trainWithChanges', vscode.Uri.file(source), { overrides: { epochs: 2, optimizer: 'sgd', learningRate: 0.05 } }),
      TRAIN_TIMEOUT_MS,
      'modelLab.trainWithChanges',
    );
    assert.ok(result, 'modelLab.trainWithChanges started a run');
    assert.equal(result.status, 'completed', `run ${result.runId} ended ${result.status}`);
    assert.notEqual(path.resolve(result.runDir), path.resolve(source), 'a new run folder');
    const record = readRunRecord(result.runDir) as RunRecord & { overrides?: Record<string, unknown>; optimizer?: { name: string; learningRate?: number } };
    assert.deepEqual(record.overrides, { ...readRunRecord(source).overrides, epochs: 2, optimizer: 'sgd', learningRate: 0.05 });
    assert.deepEqual(record.optimizer, { name: 'sgd', learningRate: 0.05 });
    assert.equal(record.config.epochs, 2);
    const epochs = readMetricLines(result.runDir).filter((l) => l.type === 'epoch');
    assert.equal(epochs.length, 2, 'two epoch lines');
    const histograms = fs.readFileSync(path.join(result.runDir, 'histograms.jsonl'), 'utf8').trim().split('\n');
    assert.equal(histograms.length, 2, 'a weight histogram line per epoch');
    assert.equal(fs.readFileSync(file, 'utf8'), before, 'the model file is unchanged');
    return `${result.runId}: ${JSON.stringify(record.overrides)}`;
  });

  await test('Compare Runs overlays two real runs in the panel: both summarised, both answer a viewport request', async () => {
    const modelFile = vscode.Uri.file(path.join(workspaceDir(), 'tiny.model.ts'));
    const runs: TrainResult[] = [];
    for (const batchSize of [64, 128]) {
      const r = await withTimeout(vscode.commands.executeCommand<TrainResult | undefined>('modelLab.train', modelFile, { epochs: 1, batchSize }), TRAIN_TIMEOUT_MS, `train batch ${batchSize}`);
      assert.ok(r && r.status === 'completed', `run with batch size ${batchSize} completed`);
      runs.push(r);
    }
    // The command returns what it showed in the panel (a CompareSet of the host).
    type Shown = {
      runIds: string[];
      summaries(): { runId: string; batchSize: number; batches: number; results: Record<string, { final: number | null }> }[];
      query(req: unknown): { runId: string; slice: { x: number[]; raw: (number | null)[] } }[];
    };
    const shown = await vscode.commands.executeCommand<Shown | undefined>('modelLab.compareRuns', runs.map((r) => r.runDir));
    assert.ok(shown, 'the comparison was shown');
    assert.deepEqual(shown.runIds, runs.map((r) => r.runId));
    const summaries = shown.summaries();
    assert.deepEqual(summaries.map((x) => x.batchSize), [64, 128]);
    summaries.forEach((x, i) => {
      const batches = readMetricLines(runs[i].runDir).filter((l) => l.type === 'batch').length;
      assert.equal(x.batches, batches, `${x.runId}: every batch line is in the host's store`);
      assert.ok(isFiniteNum(x.results.val_loss?.final), `${x.runId} has a final val_loss`);
    });
    const answer = shown.query({ type: 'seriesRequest', id: 1, metric: 'loss', axis: 'step', x0: null, x1: null, pixels: 300, smoothing: 0 });
    assert.deepEqual(answer.map((a) => a.runId), runs.map((r) => r.runId));
    const panelTab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.label.startsWith('Model Lab'));
    assert.ok(panelTab, 'the Model Lab panel is open');
    return `${summaries.map((x) => `${x.runId}: ${x.batches} batches`).join('; ')}`;
  });

  await test('Export Metrics writes the compared runs as one CSV, a row per metrics.jsonl line', async () => {
    const runsDir = path.join(workspaceDir(), '.modellab', 'runs');
    const dirs = fs
      .readdirSync(runsDir)
      .map((id) => path.join(runsDir, id))
      .filter((d) => fs.existsSync(path.join(d, 'run.json')) && readRunRecord(d).status === 'completed')
      .slice(0, 2);
    assert.equal(dirs.length, 2, 'two completed runs');
    const target = path.join(os.tmpdir(), `model-lab-export-${process.pid}.csv`);
    const written = await vscode.commands.executeCommand<string | undefined>('modelLab.exportMetrics', dirs, undefined, target);
    assert.equal(written, target);
    const rows = fs.readFileSync(target, 'utf8').trim().split('\n');
    const expected = dirs.reduce((n, d) => n + readMetricLines(d).filter((l) => l.type !== 'end').length, 0);
    assert.equal(rows.length - 1, expected, 'one row per batch and epoch line');
    assert.match(rows[0], /^run_id,run_name,type,epoch,batch,step,time,loss,/);
    fs.rmSync(target, { force: true });
    return `${expected} rows from ${dirs.map((d) => path.basename(d)).join(', ')}`;
  });

  await test('Pause holds the run, Checkpoint saves while paused, Resume continues, Stop ends it with checkpoints/last', async () => {
    const modelFile = vscode.Uri.file(path.join(workspaceDir(), 'tiny.model.ts'));
    // Many epochs so the run is still going when the commands arrive; Stop ends it.
    const { runDir, held, requested, result } = await pauseCheckpointResumeStop(() =>
      vscode.commands.executeCommand<TrainResult | undefined>('modelLab.train', modelFile, { epochs: 500 }),
    );
    assert.ok(result, 'modelLab.train started a run');
    assert.equal(result.status, 'stopped');
    assert.equal(path.resolve(result.runDir), runDir);
    const last = readCheckpoint(runDir, 'last');
    assert.ok(last, 'checkpoints/last/checkpoint.json exists');
    assert.equal(last.reason, 'stop', 'the stop wrote checkpoints/last');
    assert.ok(last.step >= requested.step, `the stop checkpoint (step ${last.step}) is not older than the requested one (${requested.step})`);
    assert.ok(fs.existsSync(path.join(runDir, 'checkpoints', 'last', 'model.json')), 'checkpoints/last has the model');
    return `held at ${held} batches; checkpoint now at step ${requested.step + 1}; stopped at step ${last.step + 1}`;
  });

  await test('a script run pauses, checkpoints while paused, resumes and stops like a model file', async () => {
    const script = vscode.Uri.file(path.join(workspaceDir(), 'long-fit.js'));
    const { runDir, held, result } = await pauseCheckpointResumeStop(() =>
      vscode.commands.executeCommand<TrainResult | undefined>('modelLab.runScript', script, { args: [] }),
    );
    assert.equal(result?.status, 'stopped');
    assert.equal(readCheckpoint(runDir, 'last')?.reason, 'stop', 'the stop wrote checkpoints/last');
    return `held at ${held} batches, resumed, stopped`;
  });

  await test('Preview Dataset returns the fixture model file\'s data, as the trainer loads it', async () => {
    const ws = workspaceDir();
    const preview = await withTimeout(
      vscode.commands.executeCommand<DatasetPreview | undefined>('modelLab.previewDataset', vscode.Uri.file(path.join(ws, 'tiny.model.ts'))),
      120_000,
      'modelLab.previewDataset tiny.model.ts',
    );
    assert.ok(preview, 'modelLab.previewDataset returned a preview');
    assert.equal(preview.dataset, 'mnist');
    assert.equal(preview.count, 512, "config.limit is applied, as in training");
    assert.deepEqual(preview.xShape, [512, 28, 28, 1]);
    assert.equal(preview.images?.length, 24);
    assert.equal(preview.classBalance?.length, 10);
    assert.equal(preview.classBalance?.reduce((a, c) => a + c.count, 0), 512);
    return preview.classBalance?.map((c) => `${c.name}:${c.count}`).join(' ');
  });

  await test('Evaluate Run judges a trained run again on the same held-out samples as its end-of-training eval.json', async () => {
    const runsDir = path.join(workspaceDir(), '.modellab', 'runs');
    const runDir = fs
      .readdirSync(runsDir)
      .map((id) => path.join(runsDir, id))
      .find((d) => fs.existsSync(path.join(d, 'eval.json')) && readRunRecord(d).modelFile.endsWith('tiny.model.ts'));
    assert.ok(runDir, 'a trained tiny.model.ts run with eval.json');
    const atEnd = parseEvalReport(JSON.parse(fs.readFileSync(path.join(runDir, 'eval.json'), 'utf8')));
    const report = await withTimeout(
      vscode.commands.executeCommand<ReturnType<typeof parseEvalReport>>('modelLab.evaluateRun', vscode.Uri.file(runDir)),
      120_000,
      'modelLab.evaluateRun',
    );
    assert.ok(report && atEnd, 'modelLab.evaluateRun returned a report');
    assert.equal(report.count, atEnd.count);
    const [a, b] = [report.outputs[0], atEnd.outputs[0]];
    assert.ok(a.kind === 'classification' && b.kind === 'classification');
    // Training ran on the configured backend, the evaluation on cpu: a near-tie may rarely flip one prediction.
    assert.deepEqual(a.confusion.map((row) => row.reduce((x, y) => x + y, 0)), b.confusion.map((row) => row.reduce((x, y) => x + y, 0)), 'same labels');
    assert.ok(Math.abs(a.accuracy - b.accuracy) <= 2 / report.count, `accuracy ${a.accuracy} vs ${b.accuracy} at the end of training`);
    return `accuracy ${(a.accuracy * 100).toFixed(1)}% on ${report.count}`;
  });

  await test('Run Script with Model Lab runs plain-fit.js unmodified and records its fit', async () => {
    const ws = workspaceDir();
    const result = await withTimeout(
      // Arguments given, as a caller can: the input box a user gets the first time is not shown.
      vscode.commands.executeCommand<TrainResult | undefined>('modelLab.runScript', vscode.Uri.file(path.join(ws, 'plain-fit.js')), { args: [] }),
      TRAIN_TIMEOUT_MS,
      'modelLab.runScript plain-fit.js',
    );
    assert.ok(result, 'modelLab.runScript started a run');
    assert.equal(result.status, 'completed', `run ${result.runId} ended ${result.status}`);
    const lines = readMetricLines(result.runDir);
    const epochs = lines.filter((l) => l.type === 'epoch');
    assert.equal(epochs.length, 20, "the script's 20 epochs are recorded");
    const end = lines[lines.length - 1];
    assert.equal(end.type, 'end');
    return `${epochs.length} epochs in ${result.runId}`;
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

  await test('Open TensorBoard Log Folder opens a Keras-style log folder (train + validation) as one run in the panel', async () => {
    const logDir = path.join(workspaceDir(), 'tb-logs', 'fit', '20261201-120000');
    for (const [sub, tag] of [['train', 'epoch_loss'], ['validation', 'epoch_loss']] as const) {
      const w = new EventFileWriter(path.join(logDir, sub), 1_764_590_400);
      for (let step = 0; step < 5; step++) w.add(scalarEvent(tag, (sub === 'train' ? 1 : 1.2) / (step + 1), step, 1_764_590_400 + step));
      w.close();
    }
    try {
      const views = await vscode.commands.executeCommand<RunView[]>('modelLab.openTensorBoardLogs', vscode.Uri.file(logDir));
      assert.equal(views?.length, 1, 'train and validation are one run');
      const [view] = views;
      assert.equal(view.epochs.length, 5, `five epochs: ${JSON.stringify(view.epochs.slice(0, 2))}`);
      assert.ok(view.epochs.every((e) => typeof e.metrics.loss === 'number' && typeof e.metrics.val_loss === 'number'), 'loss and val_loss per epoch');
      const panel = await waitFor('the panel opens', 20_000, () =>
        vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.label.startsWith('Model Lab')),
      );
      const noLogs = path.join(workspaceDir(), 'tb-empty');
      fs.mkdirSync(noLogs, { recursive: true });
      const empty = await vscode.commands.executeCommand<RunView[]>('modelLab.openTensorBoardLogs', vscode.Uri.file(noLogs));
      assert.deepEqual(empty, [], 'a folder without event files opens no run');
      return `${view.runId}: ${view.epochs.length} epochs; panel "${panel.label}"`;
    } finally {
      for (const d of ['tb-logs', 'tb-empty']) fs.rmSync(path.join(workspaceDir(), d), { recursive: true, force: true });
    }
  });

  await test('the extension host is still serving commands after the failed run', async () => {
    await withTimeout(vscode.commands.executeCommand('modelLab.showPanel'), 30_000, 'modelLab.showPanel');
    assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
    const all = new Set(await vscode.commands.getCommands(true));
    assert.ok(all.has('modelLab.train'));
  });

  await test('a model file in a folder without node_modules type-checks against the tfjs Model Lab ships', async () => {
    const ws = workspaceDir();
    assert.equal(fs.existsSync(path.join(ws, 'node_modules', '@tensorflow')), false, 'the fixture workspace has no tfjs of its own');
    // One deliberate type error that only the real tfjs types can find: a Dense layer is no number.
    const doc = await openModelFile('typed.model.ts', [
      "import * as tf from '@tensorflow/tfjs';",
      "export const config = { dataset: 'iris', epochs: 1 };",
      'export function createModel(): tf.LayersModel {',
      '  const model = tf.sequential();',
      "  model.add(tf.layers.dense({ units: 3, inputShape: [4], activation: 'softmax' }));",
      '  const notANumber: number = tf.layers.dense({ units: 1 });',
      '  void notANumber;',
      '  return model;',
      '}',
      '',
    ].join('\n'));
    const tsDiagnostics = () => vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'ts');
    const found = await waitFor('the TypeScript server checks typed.model.ts', 120_000, () => {
      const ds = tsDiagnostics();
      return ds.some((d) => d.range.start.line === 5) ? ds : undefined;
    });
    const codes = found.map((d) => (typeof d.code === 'object' ? d.code.value : d.code));
    assert.ok(!codes.includes(2307), `no "Cannot find module" for @tensorflow/tfjs; got ${JSON.stringify(found.map((d) => d.message))}`);
    assert.deepEqual(found.map((d) => d.range.start.line), [5], 'the one error is the deliberate one on line 6');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    fs.rmSync(doc.uri.fsPath, { force: true });
    return found[0].message;
  });

  await test('a modellab task from tasks.json trains through the CLI and ends with exit code 0', async () => {
    const tasks = await vscode.tasks.fetchTasks({ type: 'modellab' });
    const provided = tasks.find((t) => t.name === 'train tiny.model.ts');
    assert.ok(provided, `the provider offers "train tiny.model.ts"; got ${tasks.map((t) => t.name).join(', ')}`);
    // As a user writes it in .vscode/tasks.json; VS Code resolves it through the provider.
    const label = 'train tiny (1 epoch)';
    const tasksFile = path.join(workspaceDir(), '.vscode', 'tasks.json');
    const before = fs.existsSync(tasksFile) ? fs.readFileSync(tasksFile, 'utf8') : undefined;
    fs.mkdirSync(path.dirname(tasksFile), { recursive: true });
    fs.writeFileSync(tasksFile, JSON.stringify({
      version: '2.0.0',
      tasks: [{ label, type: 'modellab', file: 'tiny.model.ts', epochs: 1, backend: 'wasm', runsDir: '.modellab/task-runs', problemMatcher: ['$model-lab'] }],
    }, null, 2));
    let task: vscode.Task | undefined;
    for (const deadline = Date.now() + 30_000; !task && Date.now() < deadline; await sleep(500))
      task = (await vscode.tasks.fetchTasks({ type: 'modellab' })).find((t) => t.name === label && t.execution);
    assert.ok(task, `tasks.json's "${label}" is offered with an execution`);
    const runsDir = path.join(workspaceDir(), '.modellab', 'task-runs');
    fs.rmSync(runsDir, { recursive: true, force: true });
    const ended = new Promise<number | undefined>((resolve) => {
      const sub = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution.task.name !== label) return;
        sub.dispose();
        resolve(e.exitCode);
      });
    });
    await vscode.tasks.executeTask(task);
    const code = await withTimeout(ended, TRAIN_TIMEOUT_MS, 'the modellab task');
    assert.equal(code, 0, 'the task process exits 0');
    const runs = fs.readdirSync(runsDir);
    assert.equal(runs.length, 1, `one run folder in ${runsDir}`);
    const record = JSON.parse(fs.readFileSync(path.join(runsDir, runs[0], 'run.json'), 'utf8'));
    assert.equal(record.status, 'completed');
    if (before === undefined) fs.rmSync(tasksFile);
    else fs.writeFileSync(tasksFile, before);
    return runs[0];
  });

  report(results);
}
