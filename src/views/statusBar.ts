import * as vscode from 'vscode';
import type { RunSource } from '../training/runSource';
import { backendWords } from './runsTree';
import { statusText, type StatusWords } from './statusText';

function statusWords(): StatusWords {
  return {
    epoch: (e, of) => vscode.l10n.t('epoch {0}/{1}', e, of),
    loss: vscode.l10n.t('loss'),
    eta: (d) => vscode.l10n.t('{0} left', d),
    paused: vscode.l10n.t('Paused'),
    finishing: vscode.l10n.t('finishing batch…'),
    status: {
      running: vscode.l10n.t('running'),
      completed: vscode.l10n.t('completed'),
      stopped: vscode.l10n.t('stopped'),
      failed: vscode.l10n.t('failed'),
      crashed: vscode.l10n.t('crashed'),
    },
    file: vscode.l10n.t('File'),
    run: vscode.l10n.t('Run'),
    backend: vscode.l10n.t('Backend'),
    elapsed: vscode.l10n.t('Elapsed'),
    batch: vscode.l10n.t('Batch'),
    epochLabel: vscode.l10n.t('Epoch'),
    locale: vscode.env.language,
    backendWords: backendWords(),
  };
}

/**
 * A status bar entry for the current run: epoch, loss and time left while training, the final
 * headline metric when done, details in the tooltip; a click opens the panel. Text from
 * src/views/statusText.ts.
 */
export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('modelLab.run', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [];
  private readonly words = statusWords();
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
    if (run.status === 'running' && !run.paused && !run.stopping && now - this.lastDraw < 250) return;
    this.lastDraw = now;
    const { text, tooltip } = statusText(run, now, this.words);
    this.item.text = text;
    this.item.tooltip = new vscode.MarkdownString(tooltip);
    this.item.show();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
