/**
 * CodeLens above `createModel` in a model file (▶ Train · Σ params · Runs (N)) and above each
 * `fit` / `fitDataset` in a training script (▶ Run Script); while that file trains, ⏸ Pause / ▶
 * Resume, ■ Stop and the live epoch and loss (refreshed at most once a second). Thin adapter over
 * src/editor/modelLenses.ts.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readConfig, resolveRunsDir } from '../config';
import type { TrainingSession } from '../training/trainingSession';
import { listRuns } from '../training/runStore';
import { isModelFileName, mayBeModelFile } from './layerHints';
import type { LayerHintsController } from './layerHintsController';
import { modelLenses, type LensWords } from './modelLenses';

function lensWords(): LensWords {
  return {
    train: vscode.l10n.t('▶ Train'),
    runScript: vscode.l10n.t('▶ Run Script'),
    params: (n) => vscode.l10n.t('Σ {0} params', n),
    runs: (n) => vscode.l10n.t('Runs ({0})', n),
    compare: vscode.l10n.t('Compare'),
    pause: vscode.l10n.t('⏸ Pause'),
    resume: vscode.l10n.t('▶ Resume'),
    stop: vscode.l10n.t('■ Stop'),
    epoch: (e, of) => (of === undefined ? vscode.l10n.t('epoch {0}', e) : vscode.l10n.t('epoch {0}/{1}', e, of)),
    loss: (v) => vscode.l10n.t('loss {0}', v),
  };
}

const RUN_COUNT_TTL_MS = 10_000;

export class ModelCodeLens implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly words = lensWords();
  /** Run folders' model files per runs folder, re-read at most every 10 s or after a run ends. */
  private runFiles = new Map<string, { at: number; files: string[] }>();
  private throttle: NodeJS.Timeout | undefined;

  constructor(private readonly session: TrainingSession, private readonly hints: LayerHintsController) {
    this.disposables.push(
      this.changed,
      vscode.languages.registerCodeLensProvider(
        [{ scheme: 'file', language: 'typescript' }, { scheme: 'file', language: 'javascript' }],
        this,
      ),
      hints.onDidChange(() => this.changed.fire()),
      session.onDidChangeRunning(() => {
        this.runFiles.clear();
        this.changed.fire();
      }),
      session.onDidChangePaused(() => this.changed.fire()),
      session.onDidUpdate(() => this.refreshSoon()),
    );
  }

  private refreshSoon(): void {
    if (this.throttle) return;
    this.throttle = setTimeout(() => {
      this.throttle = undefined;
      this.changed.fire();
    }, 1000);
  }

  private runCount(doc: vscode.TextDocument): number {
    const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
    if (!folder) return 0;
    const runsDir = resolveRunsDir(readConfig(folder.uri), folder.uri.fsPath);
    let cached = this.runFiles.get(runsDir);
    if (!cached || Date.now() - cached.at > RUN_COUNT_TTL_MS) {
      let files: string[] = [];
      try {
        files = listRuns(runsDir).map((r) => path.resolve(r.modelFile));
      } catch {
        files = []; // no runs folder yet, or one we cannot read: no count
      }
      cached = { at: Date.now(), files };
      this.runFiles.set(runsDir, cached);
    }
    const me = path.resolve(doc.uri.fsPath);
    return cached.files.filter((f) => f === me).length;
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const source = doc.getText();
    const isModelFile = isModelFileName(doc.fileName) || mayBeModelFile(doc.fileName, source);
    if (!isModelFile && !/@tensorflow\/tfjs/.test(source)) return [];
    const view = this.session.current;
    const mine = view && view.status === 'running' && path.resolve(view.modelFile) === path.resolve(doc.uri.fsPath);
    const last = mine ? view.batches.at(-1) : undefined;
    const lenses = modelLenses(
      {
        source,
        isModelFile,
        totalParams: this.hints.totalParams(doc.uri),
        runCount: this.runCount(doc),
        running: mine
          ? { paused: !!view.paused, epoch: (last?.epoch ?? 0) + 1, epochs: view.config?.epochs, loss: last?.metrics.loss }
          : undefined,
        locale: vscode.env.language,
      },
      this.words,
    );
    return lenses.map((l) => {
      const range = new vscode.Range(l.line, 0, l.line, 0);
      const args = l.command === 'modelLab.train' || l.command === 'modelLab.runScript' || l.command === 'modelLab.compareRuns' ? [doc.uri] : [];
      return new vscode.CodeLens(range, { title: l.title, command: l.command ?? '', arguments: args });
    });
  }

  dispose(): void {
    clearTimeout(this.throttle);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
