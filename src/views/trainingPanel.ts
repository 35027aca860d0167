/**
 * The training panel: one webview beside the editor showing the current run of a RunSource. It owns
 * the webview side of the host<->webview protocol: validates what the webview sends, answers `ready`
 * with a snapshot, streams the source's events with increasing `seq`, and forwards Stop.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DatasetPreview } from '../protocol/datasetPreview';
import { parseWebviewToHost, type HostToWebview, type WebviewToHost } from '../protocol/webview';
import { COMPARE_UPDATE_MS, valuesAt, type CompareSet } from '../training/compareRuns';
import type { RunSource, RunUpdate } from '../training/runSource';
import { confineToFolders } from './errorLocation';
import { renderHtml } from './panelHtml';

export type PanelLog = (message: string) => void;


export class TrainingPanel implements vscode.Disposable {
  static readonly viewType = 'modelLab.training';

  private static instance: TrainingPanel | undefined;

  /** The open panel, if any. */
  static get current(): TrainingPanel | undefined {
    return TrainingPanel.instance;
  }

  /**
   * Reveals the panel (showing `source`) or opens it beside the active editor without taking focus,
   * so the user keeps typing in the model file while the run starts.
   */
  static createOrShow(extensionUri: vscode.Uri, source: RunSource, log: PanelLog = console.warn): TrainingPanel {
    const existing = TrainingPanel.instance;
    if (existing) {
      existing.setSource(source);
      // Keep it in the column the user left it in; only bring it to the front.
      existing.panel.reveal(undefined, true);
      return existing;
    }
    const webviewRoot = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(
      TrainingPanel.viewType,
      'Model Lab',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      TrainingPanel.webviewOptions(webviewRoot),
    );
    TrainingPanel.instance = new TrainingPanel(panel, webviewRoot, source, log);
    return TrainingPanel.instance;
  }

  private static webviewOptions(webviewRoot: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      localResourceRoots: [webviewRoot],
      // The webview rebuilds itself from a snapshot when shown again; no need to hold it in memory.
      retainContextWhenHidden: false,
    };
  }

  /**
   * After a reload, VS Code hands back the panel the user had open (WebviewPanelSerializer): it gets
   * the page again, with the same strict options, around `source`. Its saved state (the chart options,
   * tab and cell) is the page's own and comes back through getState().
   */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, source: RunSource, log: PanelLog = console.warn): TrainingPanel {
    // One panel: a command already opened one before VS Code restored this one, so this one goes.
    const existing = TrainingPanel.instance;
    if (existing) {
      panel.dispose();
      return existing;
    }
    const webviewRoot = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    panel.webview.options = TrainingPanel.webviewOptions(webviewRoot);
    TrainingPanel.instance = new TrainingPanel(panel, webviewRoot, source, log);
    return TrainingPanel.instance;
  }

  private readonly disposables: vscode.Disposable[] = [];
  private sourceListener: vscode.Disposable | undefined;
  private seq = 0;
  /** The last dataset preview; kept here so a reloaded webview gets it again in its snapshot. */
  private preview: DatasetPreview | undefined;
  private wasVisible: boolean;
  private disposed = false;
  /** The runs compared, their full-resolution series held here; the webview asks for viewports. */
  private compare: CompareSet | undefined;
  /** A compared run grew: the next `compare` message is sent at most every COMPARE_UPDATE_MS. */
  private compareTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    webviewRoot: vscode.Uri,
    private source: RunSource,
    private readonly log: PanelLog,
  ) {
    this.wasVisible = panel.visible;
    const webview = panel.webview;
    const uri = (file: string): string => webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, file)).toString();
    webview.html = renderHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: uri('main.js'),
      styleUris: [uri('uPlot.min.css'), uri('styles.css')],
      locale: vscode.env.language,
    });

    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)),
      panel.onDidChangeViewState(() => {
        // Hidden webviews are torn down (retainContextWhenHidden: false) and miss events; a fresh
        // snapshot on coming back makes them whole again.
        if (panel.visible && !this.wasVisible) this.postSnapshot();
        this.wasVisible = panel.visible;
      }),
    );
    this.subscribe();
    this.updateTitle();
  }

  /** Shows a dataset preview in the panel's Data view. */
  showPreview(preview: DatasetPreview): void {
    this.preview = preview;
    this.postSnapshot();
  }

  /** Shows `set` in the panel's Compare view (replacing an earlier comparison). */
  showCompare(set: CompareSet): void {
    this.compare = set;
    this.postCompare();
  }

  /** The comparison shown, if any (for tests and commands). */
  get compared(): CompareSet | undefined {
    return this.compare;
  }

  private postCompare(): void {
    if (this.compareTimer) clearTimeout(this.compareTimer);
    this.compareTimer = undefined;
    const set = this.compare;
    this.post({ type: 'compare', version: set?.version ?? 0, runs: set ? set.summaries() : [] });
  }

  /** A compared run that is training grows through the session's events, sent on a short timer. */
  private feedCompare(update: RunUpdate): void {
    const set = this.compare;
    if (!set || update.kind !== 'event' || !set.has(update.runId)) return;
    const e = update.event;
    if (e.type === 'batches') set.appendBatches(update.runId, e.points);
    else if (e.type === 'epoch') set.appendEpoch(update.runId, e.point);
    else if (e.type === 'end') set.appendEnd(update.runId, e.status, e.time ?? Date.now());
    else return;
    if (this.panel.visible && !this.compareTimer) this.compareTimer = setTimeout(() => this.postCompare(), COMPARE_UPDATE_MS);
  }

  /** Points the panel at another run source (the command may create a new one per session). */
  private setSource(source: RunSource): void {
    if (source === this.source) return;
    this.source = source;
    this.subscribe();
    this.updateTitle();
    this.postSnapshot();
  }

  private subscribe(): void {
    this.sourceListener?.dispose();
    this.sourceListener = this.source.onDidUpdate((u) => this.onUpdate(u));
  }

  private onUpdate(update: RunUpdate): void {
    this.feedCompare(update);
    if (update.kind === 'reset') {
      this.updateTitle();
      this.postSnapshot();
      return;
    }
    // A hidden webview does not exist; it gets a snapshot when shown, so skip rather than queue.
    if (!this.panel.visible) return;
    this.post({ type: 'event', seq: ++this.seq, runId: update.runId, event: update.event });
  }

  private onMessage(raw: unknown): void {
    let why = '';
    const msg: WebviewToHost | undefined = parseWebviewToHost(raw, (w) => (why = w));
    if (!msg) {
      this.log(`Model Lab panel: dropped a malformed message from the webview (${why}): ${safeJson(raw)}`);
      return;
    }
    switch (msg.type) {
      case 'ready':
        this.postSnapshot();
        break;
      case 'stop':
        this.source.stop(msg.runId);
        break;
      case 'pause':
        this.source.pause(msg.runId);
        break;
      case 'resume':
        this.source.resume(msg.runId);
        break;
      case 'checkpoint':
        this.source.checkpoint(msg.runId);
        break;
      case 'kill':
        this.source.kill(msg.runId);
        break;
      case 'trainAgain':
      case 'trainWithChanges': {
        // Only about the run this panel shows (a stale page naming another run is ignored).
        const run = this.source.current;
        if (!run || run.runId !== msg.runId || !run.runDir || run.status === 'running') return;
        void vscode.commands.executeCommand(msg.type === 'trainAgain' ? 'modelLab.trainAgain' : 'modelLab.trainWithChanges', vscode.Uri.file(run.runDir));
        break;
      }
      case 'openLocation':
        void this.openLocation(msg.file, msg.line, msg.column);
        break;
      case 'seriesRequest':
        // Answered even without a comparison (empty), so the webview's request never hangs.
        this.post({ type: 'seriesResponse', id: msg.id, metric: msg.metric, runs: this.compare?.query(msg) ?? [] });
        break;
      case 'valuesRequest':
        this.post({ type: 'valuesResponse', id: msg.id, metric: msg.metric, values: this.compare ? valuesAt(this.compare, msg) : [] });
        break;
      case 'closeCompare':
        this.compare = undefined;
        break;
    }
  }

  /** Opens an error's file:line:col in the editor beside the panel; refuses a path outside the workspace. */
  private async openLocation(file: string, line?: number, column?: number): Promise<void> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    const inside = confineToFolders(file, folders);
    if (!inside) {
      this.log(`Model Lab panel: refused to open ${safeJson(file)}: not inside a workspace folder`);
      void vscode.window.showWarningMessage(vscode.l10n.t('Not opened: {0} is outside this workspace.', file));
      return;
    }
    const at = new vscode.Position(Math.max(0, (line ?? 1) - 1), Math.max(0, (column ?? 1) - 1));
    try {
      await vscode.window.showTextDocument(vscode.Uri.file(inside), { selection: new vscode.Range(at, at), viewColumn: vscode.ViewColumn.One, preserveFocus: false });
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not open {0}: {1}', file, e instanceof Error ? e.message : String(e)));
    }
  }

  private postSnapshot(): void {
    this.post({ type: 'snapshot', seq: ++this.seq, run: this.source.current, ...(this.preview && { preview: this.preview }) });
    // A rebuilt page (reload, hidden and shown) gets the comparison back too.
    if (this.compare) this.postCompare();
  }

  private post(msg: HostToWebview): void {
    if (this.disposed) return;
    // Rejects only when the webview is gone; it will ask again with `ready` if it comes back.
    this.panel.webview.postMessage(msg).then(undefined, () => undefined);
  }

  private updateTitle(): void {
    const run = this.source.current;
    this.panel.title = run ? `Model Lab: ${path.basename(run.modelFile)}` : 'Model Lab';
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (TrainingPanel.instance === this) TrainingPanel.instance = undefined;
    if (this.compareTimer) clearTimeout(this.compareTimer);
    this.compare = undefined;
    this.sourceListener?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}

function safeJson(v: unknown): string {
  try {
    return (JSON.stringify(v) ?? String(v)).slice(0, 300);
  } catch {
    return String(v);
  }
}
