import * as path from 'node:path';
import * as vscode from 'vscode';
import { readConfig, resolveRunsDir } from '../config';
import type { RunRecord } from '../protocol/runFolder';
import { describeDatasetSpec } from '../protocol/datasetSpec';
import { listRuns } from '../training/runStore';

/** One saved run in the sidebar. */
export class RunItem extends vscode.TreeItem {
  constructor(
    readonly record: RunRecord,
    readonly runDir: string,
  ) {
    super(path.basename(record.modelFile), vscode.TreeItemCollapsibleState.None);
    this.id = runDir;
    this.description = describeRun(record);
    this.tooltip = new vscode.MarkdownString(
      [
        `**${record.id}**`,
        `${record.modelFile}`,
        `${vscode.l10n.t('status')}: ${record.status}${record.error ? ` — ${record.error.message}` : ''}`,
        `${vscode.l10n.t('backend')}: ${record.backend.name}`,
        `${record.config.epochs} epochs · batch ${record.config.batchSize} · ${describeDatasetSpec(record.config.dataset)}`,
      ].join('\n\n'),
    );
    this.iconPath = new vscode.ThemeIcon(STATUS_ICON[record.status] ?? 'circle-outline');
    this.contextValue = 'modelLab.run';
    this.command = { command: 'modelLab.openRun', title: vscode.l10n.t('Open Run'), arguments: [this] };
  }
}

const STATUS_ICON: Record<string, string> = {
  running: 'sync~spin',
  completed: 'pass',
  stopped: 'debug-stop',
  failed: 'error',
  crashed: 'warning',
};

function describeRun(r: RunRecord): string {
  const started = new Date(r.startedAt);
  const when = Number.isNaN(started.getTime()) ? '' : started.toLocaleString();
  return `${r.status} · ${when}`;
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
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const runsDir = resolveRunsDir(readConfig(folder), folder.uri.fsPath);
      for (const record of listRuns(runsDir)) items.push(new RunItem(record, path.join(runsDir, record.id)));
    }
    return items.sort((a, b) => (Date.parse(b.record.startedAt) || 0) - (Date.parse(a.record.startedAt) || 0));
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const d of this.disposables) d.dispose();
  }
}
