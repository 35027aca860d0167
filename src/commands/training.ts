import * as path from 'node:path';
import * as vscode from 'vscode';
import { readConfig, resolveRunsDir } from '../config';
import { BACKEND_CHOICES, type BackendChoice } from '../protocol/trainer';
import type { RunResult, TrainingSession } from '../training/trainingSession';
import { runViewFromStore } from '../training/runViewFromStore';
import { RunItem, type RunsTreeProvider } from '../views/runsTree';
import { TrainingPanel } from '../views/trainingPanel';

/** Options the Train command accepts from other extensions, tests and keybindings. */
export interface TrainCommandOptions {
  epochs?: number;
  batchSize?: number;
  backend?: string;
}

const MODEL_EXT = /\.(ts|mts|cts|js|mjs|cjs)$/;

/** The model file to train: the argument, else the active editor's file. */
function pickModelFile(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const doc = vscode.window.activeTextEditor?.document;
  return doc && doc.uri.scheme === 'file' ? doc.uri : undefined;
}

function positive(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : undefined;
}

export function registerTrainingCommands(
  context: vscode.ExtensionContext,
  session: TrainingSession,
  runsTree: RunsTreeProvider,
  output: vscode.OutputChannel,
): void {
  const log = (msg: string) => output.appendLine(`[panel] ${msg}`);
  const train = async (arg?: unknown, options?: TrainCommandOptions): Promise<RunResult | undefined> => {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(
        vscode.l10n.t('Model Lab trains only in trusted workspaces: training runs code from this workspace.'),
      );
      return undefined;
    }
    const uri = pickModelFile(arg);
    if (!uri || !MODEL_EXT.test(uri.fsPath)) {
      void vscode.window.showErrorMessage(
        vscode.l10n.t('Open a model file (.ts or .js that exports createModel) to train it.'),
      );
      return undefined;
    }
    if (session.running) {
      const stop = vscode.l10n.t('Stop Current Run');
      const pick = await vscode.window.showWarningMessage(vscode.l10n.t('A training run is already in progress.'), stop);
      if (pick === stop) session.stop();
      return undefined;
    }
    // Train what the user sees: unsaved edits would otherwise be silently ignored.
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open?.isDirty) await open.save();

    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const workspaceDir = folder?.uri.fsPath ?? path.dirname(uri.fsPath);
    const cfg = readConfig(folder ?? uri);
    const backend =
      options?.backend && (BACKEND_CHOICES as readonly string[]).includes(options.backend)
        ? (options.backend as BackendChoice)
        : cfg.backend;

    TrainingPanel.createOrShow(context.extensionUri, session, log);
    const result = await session.start({
      modelFile: uri.fsPath,
      workspaceDir,
      runsDir: resolveRunsDir(cfg, workspaceDir),
      backend,
      nodePath: cfg.nodePath,
      overrides: { epochs: positive(options?.epochs), batchSize: positive(options?.batchSize) },
    });
    if (result.status === 'failed' || result.status === 'crashed') {
      const msg = session.current?.error?.message ?? result.status;
      void vscode.window.showErrorMessage(vscode.l10n.t('Training {0}: {1}', result.status, msg));
    }
    return result;
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('modelLab.train', train),
    vscode.commands.registerCommand('modelLab.stop', () => session.stop()),
    vscode.commands.registerCommand('modelLab.showPanel', () => {
      TrainingPanel.createOrShow(context.extensionUri, session, log);
    }),
    vscode.commands.registerCommand('modelLab.openRun', (item: unknown) => {
      if (!(item instanceof RunItem)) return;
      if (!session.showRun(runViewFromStore(item.runDir))) {
        void vscode.window.showInformationMessage(vscode.l10n.t('A run is training; its panel shows it until it ends.'));
      }
      TrainingPanel.createOrShow(context.extensionUri, session, log);
    }),
    vscode.commands.registerCommand('modelLab.revealRun', (item: unknown) => {
      if (item instanceof RunItem) void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(item.runDir));
    }),
    vscode.commands.registerCommand('modelLab.refreshRuns', () => runsTree.refresh()),
  );
}
