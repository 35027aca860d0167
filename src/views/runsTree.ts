import * as path from 'node:path';
import * as vscode from 'vscode';
import { readConfig, resolveRunsDir } from '../config';
import type { BackendWords } from '../protocol/format';
import { listRunEntries, readMetricsTail, readRunLabel } from '../training/runStore';
import { groupRuns, richRunRow, type ModelGroup, type RichRow, type RunRowWords } from './runsTreeModel';
import { TensorBoardGroupItem, TensorBoardRunItem, type TensorBoardLogs } from './tensorboardRuns';

/** The backend summary's words in the user's language (`wasm · fused · 2 threads`), for the Runs view and the status bar. */
export function backendWords(): BackendWords {
  return { fused: vscode.l10n.t('fused'), tfjs: vscode.l10n.t('tfjs fit'), threads: (n) => vscode.l10n.t('{0} threads', n) };
}

/** A run status in the user's language, for the Runs view and the Compare Runs… pick (the words are in the l10n bundles). */
export function statusWord(status: string): string {
  switch (status) {
    case 'running':
      return vscode.l10n.t('running');
    case 'completed':
      return vscode.l10n.t('completed');
    case 'stopped':
      return vscode.l10n.t('stopped');
    case 'failed':
      return vscode.l10n.t('failed');
    case 'crashed':
      return vscode.l10n.t('crashed');
    default:
      return status;
  }
}

/** One folder of the runs folder in the sidebar: a saved run, or a damaged one that says so. */
export class RunItem extends vscode.TreeItem {
  readonly runDir: string;
  readonly damaged: boolean;

  constructor(readonly row: RichRow, readonly parent: GroupItem | FailedItem | undefined) {
    super(row.label, vscode.TreeItemCollapsibleState.None);
    this.runDir = row.runDir;
    this.damaged = row.contextValue === 'modelLab.damagedRun';
    this.id = row.id;
    this.description = row.description;
    this.tooltip = new vscode.MarkdownString(row.tooltip.join('\n\n'));
    const color = row.icon === 'error' ? new vscode.ThemeColor('errorForeground') : row.icon === 'pass' ? new vscode.ThemeColor('testing.iconPassed') : undefined;
    this.iconPath = new vscode.ThemeIcon(row.icon, color);
    this.contextValue = row.contextValue;
    this.resourceUri = vscode.Uri.file(row.runDir);
    if (!this.damaged) this.command = { command: 'modelLab.openRun', title: vscode.l10n.t('Open Run'), arguments: [this] };
  }
}

/** A model file and its runs. */
export class GroupItem extends vscode.TreeItem {
  readonly children: (RunItem | FailedItem)[] = [];

  constructor(readonly group: ModelGroup) {
    super(group.label, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `group:${group.modelFile}`;
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(group.modelFile));
    const rel = folder ? path.relative(folder.uri.fsPath, path.dirname(group.modelFile)) : path.dirname(group.modelFile);
    const n = group.runs.length + group.failedEarly.length;
    this.description = [rel && rel !== '.' ? rel : undefined, vscode.l10n.t('{0} runs', n)].filter(Boolean).join(' · ');
    this.tooltip = group.modelFile;
    this.iconPath = vscode.ThemeIcon.File;
    this.resourceUri = vscode.Uri.file(group.modelFile);
    this.contextValue = 'modelLab.modelGroup';
    this.children.push(...group.runs.map((r) => new RunItem(r, this)));
    if (group.failedEarly.length > 0) this.children.push(new FailedItem(group.failedEarly, this));
  }
}

/** Runs of a model file that failed before their first batch, folded apart. */
export class FailedItem extends vscode.TreeItem {
  readonly children: RunItem[];

  constructor(rows: RichRow[], readonly parent: GroupItem) {
    super(vscode.l10n.t('{0} failed before training', rows.length), vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `failed:${parent.group.modelFile}`;
    this.iconPath = new vscode.ThemeIcon('circle-slash');
    this.contextValue = 'modelLab.failedGroup';
    this.children = rows.map((r) => new RunItem(r, this));
  }
}

type Node = GroupItem | FailedItem | RunItem | TensorBoardGroupItem | TensorBoardRunItem;

/**
 * The sidebar's saved runs across the workspace folders, grouped by model file (the group of the
 * newest run first); each row with its name, relative time, status, best metric and duration; runs
 * that failed before training folded apart; damaged folders at the end. Refreshes when a run.json
 * appears or changes, and every minute (relative times).
 */
export class RunsTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly clock: NodeJS.Timeout;
  private roots: Node[] | undefined;
  /** TensorBoard log folders, listed as one group after the model files' groups. */
  private tensorboard: TensorBoardLogs | undefined;

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher('**/{run.json,label.txt}');
    this.disposables.push(
      watcher,
      watcher.onDidCreate(() => this.refreshSoon()),
      watcher.onDidChange(() => this.refreshSoon()),
      watcher.onDidDelete(() => this.refreshSoon()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('modelLab.runsDirectory') && this.refresh()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()),
    );
    this.clock = setInterval(() => this.refresh(), 60_000);
  }

  /** Lists the runs of TensorBoard log folders too (src/views/tensorboardRuns.ts). */
  showTensorBoard(logs: TensorBoardLogs): void {
    this.tensorboard = logs;
    this.refresh();
  }

  refresh(): void {
    this.roots = undefined;
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

  getTreeItem(item: Node): vscode.TreeItem {
    return item;
  }

  getParent(item: Node): Node | undefined {
    return item instanceof GroupItem || item instanceof TensorBoardGroupItem ? undefined : item.parent;
  }

  getChildren(parent?: Node): Node[] {
    if (parent) return 'children' in parent ? parent.children : [];
    return (this.roots ??= this.build());
  }

  /** The runs folders of the workspace folders, for the commands that act on a run. */
  runsDirs(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).map((f) => resolveRunsDir(readConfig(f), f.uri.fsPath));
  }

  /** The tree item of a run folder, for revealing the run the panel shows. */
  findRun(runDir: string): RunItem | undefined {
    const want = path.resolve(runDir);
    const visit = (nodes: Node[]): RunItem | undefined => {
      for (const n of nodes) {
        if (n instanceof RunItem && path.resolve(n.runDir) === want) return n;
        if ('children' in n) {
          const hit = visit(n.children);
          if (hit) return hit;
        }
      }
      return undefined;
    };
    return visit(this.getChildren());
  }

  private build(): Node[] {
    const words: RunRowWords = {
      status: vscode.l10n.t('status'),
      backend: vscode.l10n.t('backend'),
      damaged: vscode.l10n.t('damaged run'),
      unreadable: (reason) => vscode.l10n.t('This run folder cannot be read: {0}', reason),
      statusWord,
      configLine: (epochs, batchSize, dataset) => vscode.l10n.t('{0} epochs · batch {1} · {2}', epochs, batchSize, dataset),
      bestLine: (name, value, epoch) => vscode.l10n.t('best {0}: {1} (epoch {2})', name, value, epoch),
      backendWords: backendWords(),
      notFused: (reason) => vscode.l10n.t('not fused: {0}', reason),
    };
    const now = Date.now();
    const locale = vscode.env.language;
    const rows: RichRow[] = [];
    for (const runsDir of this.runsDirs()) {
      // markStale: a run left `running` by a dead trainer shows (and is rewritten) as crashed, not a spinner forever.
      for (const entry of listRunEntries(runsDir, { markStale: true })) {
        const tail = entry.kind === 'run' ? readMetricsTail(entry.runDir) : [];
        rows.push(richRunRow({ entry, tail, label: readRunLabel(entry.runDir), now, locale }, words));
      }
    }
    const { groups, damaged } = groupRuns(rows);
    const tensorboard = this.tensorboard?.group();
    return [...groups.map((g) => new GroupItem(g)), ...(tensorboard ? [tensorboard] : []), ...damaged.map((r) => new RunItem(r, undefined))];
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    clearInterval(this.clock);
    for (const d of this.disposables) d.dispose();
  }
}
