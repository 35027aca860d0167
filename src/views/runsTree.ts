import * as vscode from 'vscode';
import { readConfig, resolveRunsDir } from '../config';
import { listRunEntries } from '../training/runStore';
import { runRow, type RunRow, type RunRowWords } from './runsTreeModel';

/** One folder of the runs folder in the sidebar: a saved run, or a damaged one that says so. */
export class RunItem extends vscode.TreeItem {
  readonly runDir: string;
  readonly damaged: boolean;

  constructor(readonly row: RunRow) {
    super(row.label, vscode.TreeItemCollapsibleState.None);
    this.runDir = row.runDir;
    this.damaged = row.contextValue === 'modelLab.damagedRun';
    this.id = row.id;
    this.description = row.description;
    this.tooltip = new vscode.MarkdownString(row.tooltip.join('\n\n'));
    this.iconPath = new vscode.ThemeIcon(row.icon);
    this.contextValue = row.contextValue;
    if (!this.damaged) this.command = { command: 'modelLab.openRun', title: vscode.l10n.t('Open Run'), arguments: [this] };
  }
}

/**
 * The sidebar's list of saved runs across the workspace folders, newest first. Refreshes when a
 * run.json appears or changes.
 */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher('**/run.json');
    this.disposables.push(
      watcher,
      watcher.onDidCreate(() => this.refreshSoon()),
      watcher.onDidChange(() => this.refreshSoon()),
      watcher.onDidDelete(() => this.refreshSoon()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('modelLab.runsDirectory') && this.refresh()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()),
    );
  }

  refresh(): void {
    this.changed.fire();
  }

  /** run.json is rewritten several times as a run starts; one refresh is enough. */
  private refreshSoon(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refresh();
    }, 300);
  }

  getTreeItem(item: RunItem): vscode.TreeItem {
    return item;
  }

  getChildren(parent?: RunItem): RunItem[] {
    if (parent) return [];
    const items: RunItem[] = [];
    const words: RunRowWords = {
      status: vscode.l10n.t('status'),
      backend: vscode.l10n.t('backend'),
      damaged: vscode.l10n.t('damaged run'),
      unreadable: (reason) => vscode.l10n.t('This run folder cannot be read: {0}', reason),
    };
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const runsDir = resolveRunsDir(readConfig(folder), folder.uri.fsPath);
      for (const entry of listRunEntries(runsDir)) items.push(new RunItem(runRow(entry, words)));
    }
    return items.sort((a, b) => b.row.sortTime - a.row.sortTime);
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const d of this.disposables) d.dispose();
  }
}
