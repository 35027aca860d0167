/**
 * Restricted Mode: the workspace is not trusted (test/e2e/restricted.sh starts code-server with
 * workspace trust on and no prompt), so Model Lab must run no workspace code: Train refuses, layer
 * hints are not computed (no trainer child builds the model), the modellab task provider offers
 * nothing, and the reason is what the refusals say. Launched like suite.ts (one `run()` module).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { tester, type TestResult } from './tester';

const EXTENSION_ID = 'model-lab.tfjs-model-lab';

export async function run(): Promise<void> {
  const results: TestResult[] = [];
  const test = tester(results);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  // A model file whose createModel() would leave a mark if it ran: building it writes a file.
  const marker = folder ? path.join(folder, 'RAN-WORKSPACE-CODE') : '';
  const modelFile = folder ? path.join(folder, 'restricted.model.ts') : '';

  await test('the workspace is in Restricted Mode and Model Lab activates there', async () => {
    assert.ok(folder, 'a workspace folder is open');
    assert.equal(vscode.workspace.isTrusted, false, 'the workspace is not trusted');
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    await ext.activate();
    assert.equal(ext.isActive, true, 'Model Lab activates (it supports untrusted workspaces in part)');
    fs.writeFileSync(
      modelFile,
      [
        "import * as tf from '@tensorflow/tfjs';",
        "import * as fs from 'node:fs';",
        "export const config = { dataset: 'iris', epochs: 1 };",
        'export function createModel() {',
        `  fs.writeFileSync(${JSON.stringify(marker)}, 'createModel ran');`,
        '  return tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3 })] });',
        '}',
        '',
      ].join('\n'),
    );
    return `isTrusted=${vscode.workspace.isTrusted}`;
  });

  await test('layer hints are not computed: the refresh says why and no model is built', async () => {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(modelFile));
    await vscode.window.showTextDocument(doc);
    const r = await vscode.commands.executeCommand<{ skipped?: string; hints: unknown[] }>('modelLab.refreshLayerHints', doc.uri);
    assert.equal(r?.skipped, 'untrusted', `the hints were skipped as untrusted: ${JSON.stringify(r)}`);
    assert.equal(r?.hints.length, 0);
    // Opening and showing the file schedules hints in a trusted workspace (500 ms debounce): wait past it.
    await new Promise((res) => setTimeout(res, 2500));
    assert.equal(fs.existsSync(marker), false, 'createModel() never ran');
    assert.equal(vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'Model Lab').length, 0, 'no build diagnostics either');
    return r?.skipped;
  });

  await test('Train refuses: no run starts, no run folder is written, createModel() never runs', async () => {
    const result = await vscode.commands.executeCommand('modelLab.train', vscode.Uri.file(modelFile));
    assert.equal(result, undefined, 'Train returns no run');
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal(fs.existsSync(path.join(folder!, '.modellab', 'runs')), false, 'no runs folder');
    assert.equal(fs.existsSync(marker), false, 'createModel() never ran');
  });

  await test('the modellab task provider offers no task and resolves none', async () => {
    // VS Code itself holds task fetching in Restricted Mode (it may never answer): either way no task may come back.
    const tasks = await Promise.race([vscode.tasks.fetchTasks({ type: 'modellab' }), new Promise<'held'>((res) => setTimeout(() => res('held'), 10_000))]);
    if (tasks !== 'held') assert.deepEqual(tasks.map((t) => t.name), [], 'no Model Lab tasks in Restricted Mode');
    return tasks === 'held' ? 'VS Code held fetchTasks (tasks need trust)' : 'the provider offered none';
  });

  await test('the reason a user sees is Model Lab\'s own words, in the extension\'s declared limits', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const pkg = ext.packageJSON as { capabilities?: { untrustedWorkspaces?: { supported?: unknown; description?: string } } };
    assert.equal(pkg.capabilities?.untrustedWorkspaces?.supported, 'limited');
    // The Restricted Mode view (Manage Workspace Trust) lists this description for Model Lab.
    const description = pkg.capabilities?.untrustedWorkspaces?.description ?? '';
    assert.ok(description.length > 0, 'a description of what is limited');
    return description;
  });

  fs.rmSync(modelFile, { force: true });
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`Restricted Mode suite: ${passed} passed, ${failed} failed`);
  const resultFile = process.env.EXT_TEST_RESULT_FILE;
  if (resultFile) fs.writeFileSync(resultFile, JSON.stringify({ passed, failed, results }, null, 2));
  if (failed > 0) throw new Error(`${failed} Restricted Mode test(s) failed`);
}
