import * as path from 'node:path';
import * as vscode from 'vscode';
import { readConfig, resolveRunsDir } from '../config';
import { offerGitignore } from './gitignore';
import type { DatasetPreview } from '../protocol/datasetPreview';
import type { EvalReport } from '../protocol/evalReport';
import { BACKEND_CHOICES, type BackendChoice, type RunMode, type TrainerRequest, type TrainerResultOf } from '../protocol/trainer';
import { parseOverrideValue, type RunOverrides } from '../protocol/runOverrides';
import { askTrainer } from '../training/trainerProcess';
import type { RunResult, TrainingSession } from '../training/trainingSession';
import { runViewFromStore } from '../training/runViewFromStore';
import { RunItem, type RunsTreeProvider } from '../views/runsTree';
import { scriptArgsFor } from './scriptArgsPrompt';
import { TrainingPanel } from '../views/trainingPanel';

/** Options the Train command accepts from other extensions, tests and keybindings. */
export interface TrainCommandOptions {
  epochs?: number;
  batchSize?: number;
  /** Train with Changes: the optimizer, its learning rate and the validation split, instead of the file's. */
  learningRate?: number;
  optimizer?: string;
  validationSplit?: number;
  backend?: string;
  /** Run Script with Arguments…: ask for the script's arguments even when some are remembered. */
  askArgs?: boolean;
  /** The script's arguments given by a caller (tests, other extensions): no input box. */
  args?: string[];
}

/** `{ args: string[] }` from a programmatic caller of Run Script, anything else ignored. */
const scriptCommandOptions = (v: unknown): TrainCommandOptions | undefined => {
  const args = (v as { args?: unknown } | undefined)?.args;
  return Array.isArray(args) && args.every((a) => typeof a === 'string') ? { args } : undefined;
};

const MODEL_EXT = /\.(ts|mts|cts|js|mjs|cjs)$/;
/** Longest a dataset preview or an evaluation may take (MNIST from disk takes ~2 s; a big CSV or image folder more). */
const REQUEST_TIMEOUT_MS = 180_000;

/**
 * One request to a trainer child run with the editor's own Node (or modelLab.nodePath), as training
 * is: loading data or a saved model runs the model file, which must not happen in the extension host.
 */
async function askTrainerFor<K extends 'preview' | 'evaluate'>(
  trainerScript: string,
  request: Extract<TrainerRequest, { kind: K }>,
  cwd: string,
  nodePath: string | undefined,
  token: vscode.CancellationToken,
): Promise<TrainerResultOf<K>> {
  const abort = new AbortController();
  const cancel = token.onCancellationRequested(() => abort.abort());
  try {
    return await askTrainer({ trainerScript, cwd, ...(nodePath && { execPath: nodePath }) }, request, { timeoutMs: REQUEST_TIMEOUT_MS, signal: abort.signal });
  } finally {
    cancel.dispose();
  }
}

/** True to go on: no Model Lab build error on the file, or the user chose to train anyway. */
async function confirmDespiteBuildError(uri: vscode.Uri): Promise<boolean> {
  const error = vscode.languages
    .getDiagnostics(uri)
    .find((d) => d.source === 'Model Lab' && d.severity === vscode.DiagnosticSeverity.Error);
  if (!error) return true;
  const trainAnyway = vscode.l10n.t('Train Anyway');
  const show = vscode.l10n.t('Show the Error');
  const pick = await vscode.window.showWarningMessage(
    vscode.l10n.t('{0} does not build (line {1}): {2}', path.basename(uri.fsPath), error.range.start.line + 1, error.message),
    { modal: true },
    trainAnyway,
    show,
  );
  if (pick === show) {
    const editor = await vscode.window.showTextDocument(uri);
    editor.selection = new vscode.Selection(error.range.start, error.range.start);
    editor.revealRange(error.range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }
  return pick === trainAnyway;
}

/** The model file to train: the argument, else the active editor's file. */
function pickModelFile(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const doc = vscode.window.activeTextEditor?.document;
  return doc && doc.uri.scheme === 'file' ? doc.uri : undefined;
}

/** Learning rate, optimizer and validation split from a caller, each kept only when valid. */
function tuning(o: TrainCommandOptions | undefined): RunOverrides {
  const out: RunOverrides = {};
  for (const key of ['learningRate', 'optimizer', 'validationSplit'] as const) {
    const raw = o?.[key];
    if (raw === undefined) continue;
    const r = parseOverrideValue(key, String(raw));
    if ('value' in r && (key === 'optimizer' || typeof raw === 'number')) (out as Record<string, unknown>)[key] = r.value;
  }
  return out;
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
  const trainerScript = vscode.Uri.joinPath(context.extensionUri, 'dist', 'trainer.js').fsPath;
  const train = (arg?: unknown, options?: TrainCommandOptions) => startRun('train', arg, options);
  const startRun = async (mode: RunMode, arg?: unknown, options?: TrainCommandOptions): Promise<RunResult | undefined> => {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(
        vscode.l10n.t('Model Lab trains only in trusted workspaces: training runs code from this workspace.'),
      );
      return undefined;
    }
    const uri = pickModelFile(arg);
    if (!uri || !MODEL_EXT.test(uri.fsPath)) {
      void vscode.window.showErrorMessage(
        mode === 'script'
          ? vscode.l10n.t('Open a TensorFlow.js script (.js, .ts, .mjs or .cjs) to run it.')
          : vscode.l10n.t('Open a model file (.ts or .js that exports createModel) to train it.'),
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
    // A build error the editor already shows (from the layer hints) would fail the run at once: ask
    // first. Programmatic callers (options given: tests, keybindings, other extensions) are not asked.
    if (options === undefined && !(await confirmDespiteBuildError(uri))) return undefined;

    // A script gets its own arguments: asked the first time, then remembered per script.
    const scriptArgs = mode !== 'script' ? undefined : (options?.args ?? (await scriptArgsFor(context.workspaceState, uri.fsPath, options?.askArgs === true)));
    if (mode === 'script' && scriptArgs === undefined) return undefined;

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
      threads: cfg.threads,
      nodePath: cfg.nodePath,
      overrides: mode === 'script' ? undefined : { epochs: positive(options?.epochs), batchSize: positive(options?.batchSize), ...tuning(options) },
      mode,
      ...(scriptArgs && { scriptArgs }),
    });
    if (result.status === 'failed' || result.status === 'crashed') {
      const msg = session.current?.error?.message ?? result.status;
      void vscode.window.showErrorMessage(vscode.l10n.t('Training {0}: {1}', result.status, msg));
    } else {
      void offerGitignore(context, workspaceDir, resolveRunsDir(cfg, workspaceDir));
    }
    return result;
  };

  const previewDataset = async (arg?: unknown): Promise<DatasetPreview | undefined> => {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(
        vscode.l10n.t('Model Lab previews data only in trusted workspaces: loading it runs the model file.'),
      );
      return undefined;
    }
    const uri = pickModelFile(arg);
    if (!uri || !MODEL_EXT.test(uri.fsPath)) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Open a model file to preview its dataset.'));
      return undefined;
    }
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open?.isDirty) await open.save();
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const cfg = readConfig(folder ?? uri);
    try {
      const { preview } = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('Loading the dataset of {0}…', path.basename(uri.fsPath)),
          cancellable: true,
        },
        (_progress, token) => askTrainerFor(trainerScript, { kind: 'preview', file: uri.fsPath }, folder?.uri.fsPath ?? path.dirname(uri.fsPath), cfg.nodePath, token),
      );
      TrainingPanel.createOrShow(context.extensionUri, session, log).showPreview(preview);
      return preview;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      output.appendLine(`Dataset preview of ${uri.fsPath} failed: ${message}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not preview the dataset: {0}', message));
      return undefined;
    }
  };

  /** Shows a saved run in the panel as it looked live (with its eval.json). */
  const showRunDir = (runDir: string) => {
    let view;
    try {
      view = runViewFromStore(runDir, false, (why) => output.appendLine(`[warn] ${why}`));
    } catch (e) {
      // A run.json that went bad since the tree was drawn: say so instead of failing the command.
      const message = e instanceof Error ? e.message : String(e);
      output.appendLine(`Could not open the run ${runDir}: ${message}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not open the run: {0}', message));
      return;
    }
    if (!session.showRun(view)) {
      void vscode.window.showInformationMessage(vscode.l10n.t('A run is training; its panel shows it until it ends.'));
    }
    TrainingPanel.createOrShow(context.extensionUri, session, log);
  };

  /** Evaluates a saved run again (model/ on its validation data) in a trainer child, then shows the run with the new eval.json. */
  const evaluateRun = async (item: unknown): Promise<EvalReport | undefined> => {
    // A Runs view item, or (from tests and other extensions) the run folder's Uri.
    const runDir = item instanceof RunItem ? item.runDir : item instanceof vscode.Uri ? item.fsPath : undefined;
    if (runDir === undefined) return undefined;
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(
        vscode.l10n.t("Model Lab evaluates runs only in trusted workspaces: loading the run's data runs its model file."),
      );
      return undefined;
    }
    const runUri = vscode.Uri.file(runDir);
    const folder = vscode.workspace.getWorkspaceFolder(runUri);
    const cfg = readConfig(folder ?? runUri);
    try {
      const { report } = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Evaluating run {0}…', path.basename(runDir)), cancellable: true },
        (_progress, token) => askTrainerFor(trainerScript, { kind: 'evaluate', runDir }, folder?.uri.fsPath ?? path.dirname(runDir), cfg.nodePath, token),
      );
      if (item instanceof RunItem) await vscode.commands.executeCommand('modelLab.openRun', item);
      else showRunDir(runDir);
      return report;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      output.appendLine(`Evaluation of ${runDir} failed: ${message}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not evaluate the run: {0}', message));
      return undefined;
    }
  };

  const setPaused = (paused: boolean) => void vscode.commands.executeCommand('setContext', 'modelLab.paused', paused);

  context.subscriptions.push(
    session.onDidChangePaused(setPaused),
    session.onDidChangeRunning((running) => {
      if (!running) setPaused(false);
    }),
    vscode.commands.registerCommand('modelLab.train', train),
    vscode.commands.registerCommand('modelLab.runScript', (arg?: unknown, opts?: unknown) => startRun('script', arg, scriptCommandOptions(opts))),
    vscode.commands.registerCommand('modelLab.runScriptWithArgs', (arg?: unknown) => startRun('script', arg, { askArgs: true })),
    vscode.commands.registerCommand('modelLab.previewDataset', previewDataset),
    vscode.commands.registerCommand('modelLab.stop', () => session.stop()),
    vscode.commands.registerCommand('modelLab.pause', () => session.pause()),
    vscode.commands.registerCommand('modelLab.resume', () => session.resume()),
    vscode.commands.registerCommand('modelLab.checkpoint', () => session.checkpoint()),
    vscode.commands.registerCommand('modelLab.showPanel', () => {
      TrainingPanel.createOrShow(context.extensionUri, session, log);
    }),
    vscode.commands.registerCommand('modelLab.openRun', (item: unknown) => {
      if (item instanceof RunItem) showRunDir(item.runDir);
    }),
    vscode.commands.registerCommand('modelLab.evaluateRun', evaluateRun),
    vscode.commands.registerCommand('modelLab.revealRun', (item: unknown) => {
      if (item instanceof RunItem) void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(item.runDir));
    }),
    vscode.commands.registerCommand('modelLab.refreshRuns', () => runsTree.refresh()),
  );
}
