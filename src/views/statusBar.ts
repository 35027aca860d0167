import * as vscode from 'vscode';
import type { RunSource } from '../training/runSource';

/** A status bar entry that shows the current run's progress and opens the panel on click. */
export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('modelLab.run', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [];
  private lastDraw = 0;

  constructor(private readonly source: RunSource) {
    this.item.name = 'Model Lab';
    this.item.command = 'modelLab.showPanel';
    this.disposables.push(this.item, source.onDidUpdate(() => this.draw()));
  }

  private draw(): void {
    const run = this.source.current;
    if (!run) return this.item.hide();
    const now = Date.now();
    // Batch events can arrive 20 times a second; the status bar need not follow every one.
    if (run.status === 'running' && !run.paused && now - this.lastDraw < 250) return;
    this.lastDraw = now;
    const epochs = run.config?.epochs;
    const last = run.batches[run.batches.length - 1];
    const loss = last?.metrics.loss;
    if (run.status === 'running' && run.paused) {
      const epoch = last ? last.epoch + 1 : 1;
      this.item.text = `$(debug-pause) ${vscode.l10n.t('Paused')} · ${vscode.l10n.t('epoch {0}/{1}', epoch, epochs ?? '?')}`;
    } else if (run.status === 'running') {
      const epoch = last ? last.epoch + 1 : 1;
      this.item.text = `$(sync~spin) ${vscode.l10n.t('epoch {0}/{1}', epoch, epochs ?? '?')}${loss !== undefined ? ` · loss ${loss.toFixed(4)}` : ''}`;
    } else {
      const icon = run.status === 'completed' ? '$(check)' : run.status === 'stopped' ? '$(debug-stop)' : '$(error)';
      this.item.text = `${icon} Model Lab: ${run.status}`;
    }
    this.item.tooltip = run.modelFile;
    this.item.show();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
