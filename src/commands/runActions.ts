/**
 * What a user does with saved runs in the Runs view: rename, delete (asked first), export the
 * trained model, export the metrics of the selected runs (CSV or JSON), copy the terminal command that trains it again; several runs can be selected; the
 * selection follows the run the panel shows. Paths come from tree items and are checked to be run
 * folders of a runs folder before anything is deleted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MODEL_DIR } from '../protocol/runFolder';
import { metricsCsv, metricsJson, readRunsForExport } from '../training/exportMetrics';
import { deleteRunFolder, readRun, readRunLabel, writeRunLabel } from '../training/runStore';
import type { TrainingSession } from '../training/trainingSession';
import { reproduceCommand } from '../views/runsTreeModel';
import { RunItem, type RunsTreeProvider } from '../views/runsTree';

export function registerRunActions(context: vscode.ExtensionContext, session: TrainingSession, runsTree: RunsTreeProvider): vscode.TreeView<unknown> {
  const view = vscode.window.createTreeView('modelLab.runs', { treeDataProvider: runsTree, canSelectMany: true, showCollapseAll: true });

  /** The runs a command acts on: the clicked one plus the rest of a multi-selection. */
  const targets = (item: unknown, selected?: unknown): RunItem[] => {
    const list = Array.isArray(selected) && selected.length > 0 ? selected : [item];
    return list.filter((i): i is RunItem => i instanceof RunItem);
  };
  const runsDirOf = (runDir: string) => runsTree.runsDirs().find((d) => path.resolve(path.dirname(runDir)) === path.resolve(d));

  context.subscriptions.push(
    view,
    vscode.commands.registerCommand('modelLab.renameRun', async (item: unknown) => {
      const [run] = targets(item);
      if (!run || run.damaged) return;
      const name = await vscode.window.showInputBox({
        title: vscode.l10n.t('Rename Run'),
        prompt: vscode.l10n.t('A name for run {0} (empty: back to its id)', path.basename(run.runDir)),
        value: readRunLabel(run.runDir) ?? '',
      });
      if (name === undefined) return;
      writeRunLabel(run.runDir, name);
      runsTree.refresh();
    }),
    vscode.commands.registerCommand('modelLab.deleteRun', async (item: unknown, selected?: unknown) => {
      const runs = targets(item, selected);
      if (runs.length === 0) return;
      const running = session.current?.status === 'running' ? session.current.runDir : undefined;
      const deletable = runs.filter((r) => !running || path.resolve(r.runDir) !== path.resolve(running));
      if (deletable.length < runs.length) void vscode.window.showWarningMessage(vscode.l10n.t('The run that is training is not deleted.'));
      if (deletable.length === 0) return;
      const del = vscode.l10n.t('Delete');
      const what = deletable.length === 1 ? deletable[0].row.label : vscode.l10n.t('{0} runs', deletable.length);
      const pick = await vscode.window.showWarningMessage(
        vscode.l10n.t('Delete {0}? Its metrics, checkpoints and trained model are removed from disk.', what),
        { modal: true },
        del,
      );
      if (pick !== del) return;
      for (const r of deletable) {
        const runsDir = runsDirOf(r.runDir);
        try {
          if (!runsDir) throw new Error(vscode.l10n.t('{0} is not in a runs folder of this workspace', r.runDir));
          deleteRunFolder(runsDir, r.runDir);
        } catch (e) {
          void vscode.window.showErrorMessage(vscode.l10n.t('Could not delete {0}: {1}', r.row.label, e instanceof Error ? e.message : String(e)));
        }
      }
      runsTree.refresh();
    }),
    vscode.commands.registerCommand('modelLab.exportModel', async (item: unknown) => {
      const [run] = targets(item);
      if (!run || run.damaged) return;
      const model = path.join(run.runDir, MODEL_DIR);
      if (!fs.existsSync(path.join(model, 'model.json'))) {
        void vscode.window.showWarningMessage(vscode.l10n.t('This run saved no trained model.'));
        return;
      }
      const [dest] =
        (await vscode.window.showOpenDialog({
          title: vscode.l10n.t('Export the trained model to…'),
          canSelectFolders: true,
          canSelectFiles: false,
          openLabel: vscode.l10n.t('Export Here'),
        })) ?? [];
      if (!dest) return;
      const target = path.join(dest.fsPath, `${path.basename(run.runDir)}-model`);
      fs.cpSync(model, target, { recursive: true, errorOnExist: true, force: false });
      void vscode.window.showInformationMessage(vscode.l10n.t('Model exported to {0} (model.json + weights: load it with tf.loadLayersModel).', target));
    }),
    vscode.commands.registerCommand('modelLab.exportMetrics', async (item: unknown, selected?: unknown, target?: unknown) => {
      // Tree items, or run folders (a list of paths, from a keybinding or the integration suite) of this workspace's runs folders.
      const given = Array.isArray(item) ? item.filter((d): d is string => typeof d === 'string' && runsDirOf(d) !== undefined && fs.existsSync(path.join(d, 'run.json'))) : [];
      const runs = given.length > 0 ? given.map((runDir) => ({ runDir, row: { label: readRunLabel(runDir) ?? path.basename(runDir) } })) : targets(item, selected).filter((r) => !r.damaged);
      if (runs.length === 0) return;
      // A third argument (a file path) skips the dialog: for keybindings and the integration suite.
      const dest =
        typeof target === 'string'
          ? vscode.Uri.file(target)
          : await vscode.window.showSaveDialog({
              title: vscode.l10n.t('Export the metrics of {0} to…', runs.length === 1 ? runs[0].row.label : vscode.l10n.t('{0} runs', runs.length)),
              defaultUri: vscode.Uri.file(path.join(path.dirname(runs[0].runDir), runs.length === 1 ? `${path.basename(runs[0].runDir)}-metrics.csv` : 'metrics.csv')),
              filters: { CSV: ['csv'], JSON: ['json'] },
            });
      if (!dest) return;
      try {
        const exported = readRunsForExport(runs.map((r) => r.runDir));
        fs.writeFileSync(dest.fsPath, dest.fsPath.toLowerCase().endsWith('.json') ? metricsJson(exported) : metricsCsv(exported));
        const lines = exported.reduce((n, r) => n + r.lines.length, 0);
        void vscode.window.showInformationMessage(vscode.l10n.t('Exported {0} metric lines of {1} run(s) to {2}.', lines, exported.length, dest.fsPath));
        return dest.fsPath;
      } catch (e) {
        void vscode.window.showErrorMessage(vscode.l10n.t('Could not export the metrics: {0}', e instanceof Error ? e.message : String(e)));
        return undefined;
      }
    }),
    vscode.commands.registerCommand('modelLab.copyRunCommand', async (item: unknown) => {
      const [run] = targets(item);
      if (!run || run.damaged) return;
      const { record } = readRun(run.runDir);
      const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(record.modelFile));
      const cmd = reproduceCommand(record, folder?.uri.fsPath);
      await vscode.env.clipboard.writeText(cmd);
      void vscode.window.setStatusBarMessage(vscode.l10n.t('Copied: {0}', cmd), 5000);
      return cmd;
    }),
    // The selection follows the run the panel shows (a new run, or one opened from elsewhere).
    session.onDidUpdate((u) => {
      if (u.kind !== 'reset' || !view.visible) return;
      const runDir = session.current?.runDir;
      if (!runDir) return;
      runsTree.refresh();
      setTimeout(() => {
        const item = runsTree.findRun(runDir);
        if (item) void view.reveal(item, { select: true, focus: false }).then(undefined, () => undefined);
      }, 400);
    }),
  );
  return view;
}
