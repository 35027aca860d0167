/**
 * The zh-cn part of the integration suite: run instead of the whole suite when the extension
 * environment says MODEL_LAB_SUITE=zh-cn, inside a VS Code whose display language is Simplified
 * Chinese (test/e2e/run.sh starts code-server with `--locale zh-cn` for it). It checks that VS Code
 * really is in zh-cn and that Model Lab's own strings reach the user in Chinese: the contributed
 * command and view titles (package.nls.zh-cn.json) and the CodeLens above createModel
 * (l10n/bundle.l10n.zh-cn.json). The expected texts are read from those files, so a translation
 * that changes does not break the test, and one that goes missing does.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { tester, type TestResult } from './tester';

const EXTENSION_ID = 'model-lab.tfjs-model-lab';

const readJson = (file: string): Record<string, string> => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;

export async function runZhCnSuite(): Promise<TestResult[]> {
  const results: TestResult[] = [];
  const test = tester(results);

  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  const nlsEn = ext ? readJson(path.join(ext.extensionPath, 'package.nls.json')) : {};
  const nlsZh = ext ? readJson(path.join(ext.extensionPath, 'package.nls.zh-cn.json')) : {};
  const bundleZh = ext ? readJson(path.join(ext.extensionPath, 'l10n', 'bundle.l10n.zh-cn.json')) : {};

  await test('zh-cn: VS Code runs with Simplified Chinese as its display language', async () => {
    assert.equal(vscode.env.language, 'zh-cn');
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    await ext.activate();
    return vscode.env.language;
  });

  await test('zh-cn: Model Lab\'s command and view titles are the Chinese ones', async () => {
    assert.ok(ext);
    // VS Code keeps a localized command title as { value, original } (the palette shows value).
    type Localized = string | { value: string; original: string };
    const text = (t: Localized | undefined) => (typeof t === 'object' ? t.value : t);
    const pkg = ext.packageJSON as { contributes: { commands: { command: string; title: Localized }[]; views: Record<string, { id: string; name: Localized }[]> } };
    const title = (id: string) => text(pkg.contributes.commands.find((c) => c.command === id)?.title);
    const checked: string[] = [];
    for (const [id, key] of [['modelLab.train', 'command.train'], ['modelLab.showPanel', 'command.showPanel'], ['modelLab.compareRuns', 'command.compareRuns']]) {
      assert.ok(nlsZh[key] && nlsZh[key] !== nlsEn[key], `package.nls.zh-cn.json translates ${key}`);
      assert.equal(title(id), nlsZh[key], `${id}'s title as VS Code loaded it`);
      checked.push(`${id} "${title(id)}"`);
    }
    const runsView = pkg.contributes.views.modelLab.find((v) => v.id === 'modelLab.runs');
    assert.equal(text(runsView?.name), nlsZh['view.runs'], 'the Runs view\'s title');
    return `${checked.join(', ')}; view "${text(runsView?.name)}"`;
  });

  await test('zh-cn: the CodeLens above createModel reads ▶ 训练 and the parameter count in Chinese', async () => {
    const file = vscode.Uri.file(path.join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', 'tiny.model.ts'));
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    // The parameter lens needs the layer hints; ask for them as the integration suite does.
    await vscode.commands.executeCommand('modelLab.refreshLayerHints', doc.uri);
    const createLine = doc.getText().split('\n').findIndex((l) => l.includes('export function createModel'));
    const train = bundleZh['▶ Train'];
    const params = bundleZh['Σ {0} params'];
    assert.ok(train && params, 'the bundle translates the lens titles');
    let titles: (string | undefined)[] = [];
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 10);
      titles = lenses.filter((l) => l.range.start.line === createLine).map((l) => l.command?.title);
      if (titles.some((t) => t?.startsWith('Σ'))) break;
    }
    assert.ok(titles.includes(train), `"${train}" above createModel: ${JSON.stringify(titles)}`);
    // tiny.model.ts: flatten 784 → dense 32 (25,120) → dense 10 (330).
    assert.ok(titles.includes(params.replace('{0}', '25,450')), `"${params}" with 25,450: ${JSON.stringify(titles)}`);
    assert.ok(!titles.some((t) => /\b(Train|params|Runs|Compare)\b/.test(t ?? '')), `no English lens title: ${JSON.stringify(titles)}`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    return titles.join(' | ');
  });

  return results;
}
