/**
 * TensorBoard log folders (`*.tfevents.*`, written by Keras, PyTorch or `model-lab export`) in the
 * Runs view: folders the user opened with "Open TensorBoard Log Folder…" and folders found in the
 * workspace, each run under one "TensorBoard logs" group. They open in the panel like saved runs;
 * they are someone else's files, so the view offers no rename or delete for them.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunView } from '../protocol/webview';
import { logFoldersOf, readTensorBoardRunViews } from '../training/tensorboardLogDir';

const OPENED_KEY = 'modelLab.tensorboardFolders';
/** Event files looked at in a workspace scan (a folder of thousands would slow the view for nothing). */
const MAX_SCANNED_FILES = 500;

/** One run of a TensorBoard log folder. */
export class TensorBoardRunItem extends vscode.TreeItem {
  constructor(readonly view: RunView, readonly logDir: string, readonly parent: TensorBoardGroupItem) {
    super(view.runId, vscode.TreeItemCollapsibleState.None);
    this.id = `tensorboard:${view.runDir}`;
    const steps = view.batches.length + view.epochs.length;
    this.description = vscode.l10n.t('TensorBoard log · {0} points', steps);
    this.tooltip = new vscode.MarkdownString([vscode.l10n.t('TensorBoard log folder (read only)'), '`' + view.runDir + '`'].join('\n\n'));
    this.iconPath = new vscode.ThemeIcon('graph-line');
    this.resourceUri = vscode.Uri.file(view.runDir);
    this.contextValue = 'modelLab.tensorboardRun';
    this.command = { command: 'modelLab.openTensorBoardRun', title: vscode.l10n.t('Open Run'), arguments: [this] };
  }
}

/** The group of every TensorBoard run, under the model files' groups. */
export class TensorBoardGroupItem extends vscode.TreeItem {
  readonly children: TensorBoardRunItem[] = [];

  constructor(entries: { view: RunView; logDir: string }[]) {
    super(vscode.l10n.t('TensorBoard logs'), vscode.TreeItemCollapsibleState.Expanded);
    this.id = 'tensorboard-logs';
    this.iconPath = new vscode.ThemeIcon('graph');
    this.contextValue = 'modelLab.tensorboardGroup';
    this.description = vscode.l10n.t('{0} runs', entries.length);
    this.children.push(...entries.map((e) => new TensorBoardRunItem(e.view, e.logDir, this)));
  }
}

/** The known log folders and their runs (read once per change, not at every redraw). */
export class TensorBoardLogs implements vscode.Disposable {
  private readonly found = new Set<string>();
  private readonly cache = new Map<string, { view: RunView; logDir: string }[]>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly state: vscode.Memento,
    private readonly changed: () => void,
    private readonly warn: (message: string) => void,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.tfevents.*');
    const rescan = () => void this.scan();
    this.disposables.push(watcher, watcher.onDidCreate(rescan), watcher.onDidChange(rescan), watcher.onDidDelete(rescan));
  }

  /** Folders opened by the user, then those found in the workspace. */
  folders(): string[] {
    const opened = this.state.get<string[]>(OPENED_KEY, []);
    return [...new Set([...opened, ...this.found])];
  }

  /** Finds event files in the workspace (not in node_modules or the runs folders' own checkpoints). */
  async scan(): Promise<void> {
    const files = await vscode.workspace.findFiles('**/*.tfevents.*', '**/node_modules/**', MAX_SCANNED_FILES);
    this.found.clear();
    for (const d of logFoldersOf(files.map((u) => u.fsPath))) this.found.add(d);
    this.cache.clear();
    this.changed();
  }

  /** Remembers a folder the user opened; returns its runs (none: not a log folder). */
  async open(folder: string): Promise<RunView[]> {
    const views = this.read(path.resolve(folder), true).map((e) => e.view);
    if (views.length > 0) {
      const opened = this.state.get<string[]>(OPENED_KEY, []);
      if (!opened.includes(path.resolve(folder))) await this.state.update(OPENED_KEY, [...opened, path.resolve(folder)]);
      this.changed();
    }
    return views;
  }

  /** The group item for the Runs view, or none when no log folder is known. */
  group(): TensorBoardGroupItem | undefined {
    const entries = this.folders().flatMap((d) => this.read(d, false));
    return entries.length > 0 ? new TensorBoardGroupItem(entries) : undefined;
  }

  /** The runs of a log folder; a folder that went away or cannot be read lists nothing (and says why once). */
  private read(logDir: string, fresh: boolean): { view: RunView; logDir: string }[] {
    const hit = fresh ? undefined : this.cache.get(logDir);
    if (hit) return hit;
    let entries: { view: RunView; logDir: string }[] = [];
    try {
      entries = readTensorBoardRunViews(logDir).map((view) => ({ view, logDir }));
    } catch (e) {
      this.warn(`TensorBoard log folder ${logDir} cannot be read: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.cache.set(logDir, entries);
    return entries;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
