/**
 * Compare runs: "Compare Runs…" (a multi-select quick pick of the workspace's runs, newest first) and
 * "Compare" on a multi-selection in the Runs view (context menu, and the view's title while two or
 * more runs are selected). The chosen run folders are read into a CompareSet and shown in the panel.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CompareSet } from '../training/compareRuns';
import { listRunEntries, readMetricsTail, readRunLabel } from '../training/runStore';
import type { TrainingSession } from '../training/trainingSession';
import { RunItem, statusWord, type RunsTreeProvider } from '../views/runsTree';
import { TrainingPanel } from '../views/trainingPanel';

/** At most this many runs overlaid: past it the charts stop being readable. */
export const MAX_COMPARED = 12;

interface RunPick extends vscode.QuickPickItem {
  runDir: string;
  startedAt: number;
}

export function registerCompareCommands(
  context: vscode.ExtensionContext,
  session: TrainingSession,
  runsTree: RunsTreeProvider,
  view: vscode.TreeView<unknown>,
  output: vscode.LogOutputChannel,
): void {
  const selectedRuns = (): RunItem[] => view.selection.filter((i): i is RunItem => i instanceof RunItem && !i.damaged);
  const setMulti = () => void vscode.commands.executeCommand('setContext', 'modelLab.runsMultiSelected', selectedRuns().length >= 2);

  const pickRuns = async (preselected: string[], modelFile?: string): Promise<string[] | undefined> => {
    const want = new Set(preselected.map((d) => path.resolve(d)));
    const items: RunPick[] = [];
    for (const runsDir of runsTree.runsDirs())
      for (const e of listRunEntries(runsDir)) {
        if (e.kind !== 'run') continue;
        const r = e.record;
        const tail = readMetricsTail(e.runDir, 4096);
        const end = tail.find((l) => l.type === 'end');
        items.push({
          runDir: e.runDir,
          startedAt: Date.parse(r.startedAt) || 0,
          label: readRunLabel(e.runDir) ?? r.id,
          description: `${path.basename(r.modelFile)} · ${statusWord(end?.status ?? r.status)}`,
          detail: `${new Date(Date.parse(r.startedAt)).toLocaleString(vscode.env.language)} · ${r.id}`,
          picked: want.has(path.resolve(e.runDir)) || (modelFile !== undefined && path.resolve(r.modelFile) === modelFile),
        });
      }
    // Newest first across every workspace folder (each folder's list already is).
    items.sort((a, b) => b.startedAt - a.startedAt);
    if (items.length < 2) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Comparing needs at least two runs; this workspace has {0}.', items.length));
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(items, {
      canPickMany: true,
      title: vscode.l10n.t('Compare Runs'),
      placeHolder: vscode.l10n.t('Choose two or more runs to overlay (newest first)'),
      matchOnDescription: true,
      matchOnDetail: true,
    });
    return picked?.map((p) => p.runDir);
  };

  /** Reads the runs and shows them; a folder that cannot be read is named and left out. */
  const compare = (runDirs: string[]): CompareSet | undefined => {
    if (runDirs.length < 2) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Choose at least two runs to compare.'));
      return undefined;
    }
    if (runDirs.length > MAX_COMPARED) void vscode.window.showWarningMessage(vscode.l10n.t('Comparing the first {0} runs of the {1} chosen.', MAX_COMPARED, runDirs.length));
    const set = new CompareSet();
    for (const dir of runDirs.slice(0, MAX_COMPARED)) {
      try {
        set.addFolder(dir);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        output.warn(`Compare: could not read ${dir}: ${message}`);
        void vscode.window.showWarningMessage(vscode.l10n.t('Could not read the run {0}: {1}', path.basename(dir), message));
      }
    }
    if (set.runIds.length === 0) return undefined;
    const panel = TrainingPanel.createOrShow(context.extensionUri, session, (m) => output.warn(m));
    panel.showCompare(set);
    return set;
  };

  context.subscriptions.push(
    view.onDidChangeSelection(setMulti),
    /**
     * From the palette (a quick pick), the Runs view's context menu (the clicked run plus the rest of
     * the selection) or its title (the selection). Returns the CompareSet shown, for tests.
     */
    vscode.commands.registerCommand('modelLab.compareRuns', (item?: unknown, selected?: unknown) => run(item, selected)),
    // The same, as "Compare" on the Runs view's multi-selection (context menu and view title).
    vscode.commands.registerCommand('modelLab.compareSelectedRuns', (item?: unknown, selected?: unknown) => run(item, selected)),
  );

  async function run(item?: unknown, selected?: unknown): Promise<CompareSet | undefined> {
    {
      const fromTree = (Array.isArray(selected) && selected.length > 0 ? selected : item instanceof RunItem ? [item] : selectedRuns()).filter(
        (i): i is RunItem => i instanceof RunItem && !i.damaged,
      );
      // Run folders passed in directly (tests, other commands).
      const dirs = Array.isArray(item) && item.every((d) => typeof d === 'string') ? (item as string[]) : fromTree.map((r) => r.runDir);
      if (dirs.length >= 2) return compare(dirs);
      // From the editor's "Compare" lens: that model file's runs come chosen.
      const modelFile = item instanceof vscode.Uri ? path.resolve(item.fsPath) : undefined;
      const picked = await pickRuns(dirs, modelFile);
      return picked ? compare(picked) : undefined;
    }
  }
}
