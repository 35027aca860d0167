/**
 * Opening TensorBoard log folders (Keras, PyTorch, `model-lab export`): "Open TensorBoard Log
 * Folder…" picks one, and a TensorBoard run in the Runs view opens in the panel like a saved run.
 * Reading logs runs no code, so this works in untrusted workspaces too.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunView } from '../protocol/webview';
import type { TrainingSession } from '../training/trainingSession';
import { TrainingPanel } from '../views/trainingPanel';
import { TensorBoardRunItem, type TensorBoardLogs } from '../views/tensorboardRuns';

export function registerTensorBoardCommands(context: vscode.ExtensionContext, session: TrainingSession, logs: TensorBoardLogs, output: vscode.OutputChannel): void {
  const log = (msg: string) => output.appendLine(`[panel] ${msg}`);
  const show = (view: RunView) => {
    if (!session.showRun(view)) void vscode.window.showInformationMessage(vscode.l10n.t('A run is training; its panel shows it until it ends.'));
    TrainingPanel.createOrShow(context.extensionUri, session, log);
  };

  const openFolder = async (arg?: unknown): Promise<RunView[]> => {
    // A folder Uri from tests or the explorer; otherwise ask.
    let folder = arg instanceof vscode.Uri ? arg : undefined;
    if (!folder) {
      const picked = await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        canSelectMany: false,
        openLabel: vscode.l10n.t('Open Log Folder'),
        title: vscode.l10n.t('Open a TensorBoard log folder (with *.tfevents.* files)'),
      });
      folder = picked?.[0];
    }
    if (!folder) return [];
    const views = await logs.open(folder.fsPath);
    if (views.length === 0) {
      void vscode.window.showWarningMessage(vscode.l10n.t('No TensorBoard event files (*.tfevents.*) in {0}', folder.fsPath));
      return [];
    }
    let view: RunView | undefined = views[0];
    if (views.length > 1 && !(arg instanceof vscode.Uri)) {
      const pick = await vscode.window.showQuickPick(
        views.map((v) => ({ label: v.runId, description: path.relative(folder!.fsPath, v.runDir) || '.', view: v })),
        { title: vscode.l10n.t('{0} runs in {1}: which one to open?', views.length, path.basename(folder.fsPath)) },
      );
      view = pick?.view;
    }
    if (view) show(view);
    return views;
  };

  context.subscriptions.push(
    logs,
    vscode.commands.registerCommand('modelLab.openTensorBoardLogs', openFolder),
    vscode.commands.registerCommand('modelLab.openTensorBoardRun', (item: unknown) => {
      if (item instanceof TensorBoardRunItem) show(item.view);
    }),
  );
  void logs.scan();
}
