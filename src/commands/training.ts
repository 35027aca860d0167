import { fork } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readConfig, resolveRunsDir } from '../config';
import { parseDatasetPreview, type DatasetPreview } from '../protocol/datasetPreview';
import { parseEvalReport, type EvalReport } from '../protocol/evalReport';
import { BACKEND_CHOICES, type BackendChoice, type RunMode } from '../protocol/trainer';
import type { RunResult, TrainingSession } from '../training/trainingSession';
import { runViewFromStore } from '../training/runViewFromStore';
import { RunItem, type RunsTreeProvider } from '../views/runsTree';
import { scriptArgsFor } from './scriptArgsPrompt';
import { TrainingPanel } from '../views/trainingPanel';

/** Options the Train command accepts from other extensions, tests and keybindings. */
export interface TrainCommandOptions {
  epochs?: number;
  batchSize?: number;
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
/** Longest a dataset preview may take (MNIST from disk takes ~2 s; a big CSV or image folder more). */
const PREVIEW_TIMEOUT_MS = 180_000;

/**
 * Runs `model-lab preview FILE --json` in a child with the editor's own Node (or modelLab.nodePath),
 * as the trainer is run: loading data runs the model file, which must not happen in the extension host.
 */
function runPreviewChild(cliScript: string, modelFile: string, cwd: string, nodePath: string | undefined, token: vscode.CancellationToken): Promise<DatasetPreview> {
  return runCliJson(cliScript, ['preview', modelFile, '--json'], 'preview', cwd, nodePath, token).then((parsed) => {
    const preview = parseDatasetPreview(parsed);
    if (!preview) throw new Error('the preview printed something this version cannot show');
    return preview;
  });
}

/** `model-lab evaluate RUN_DIR --json` in a child, as the preview is run: evaluating loads the run's data through its model file. */
function runEvaluateChild(cliScript: string, runDir: string, cwd: string, nodePath: string | undefined, token: vscode.CancellationToken): Promise<EvalReport> {
  return runCliJson(cliScript, ['evaluate', runDir, '--json'], 'evaluation', cwd, nodePath, token).then((parsed) => {
    const report = parseEvalReport(parsed);
    if (!report) throw new Error('the evaluation printed something this version cannot show');
    return report;
  });
}

/** Runs dist/cli.js with `args` in a child and gives the JSON of its last stdout line; rejects with the CLI's one-line cause. */
function runCliJson(cliScript: string, args: string[], what: string, cwd: string, nodePath: string | undefined, token: vscode.CancellationToken): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    if (!nodePath && process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
    const child = fork(cliScript, args, {
      execPath: nodePath || process.execPath,
      execArgv: [],
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr?.setEncoding('utf8').on('data', (t: string) => (stderr = (stderr + t).slice(-8192)));
    const timer = setTimeout(() => child.kill('SIGKILL'), PREVIEW_TIMEOUT_MS);
    const cancel = token.onCancellationRequested(() => child.kill('SIGKILL'));
    child.on('error', (e) => {
      clearTimeout(timer);
      cancel.dispose();
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      cancel.dispose();
      if (code !== 0) {
        const why = stderr.trim().split(/\r?\n/).filter((l) => l.startsWith('model-lab:')).pop()?.replace(/^model-lab:\s*/, '');
        return reject(new Error(why ?? (signal ? `the ${what} was stopped (${signal})` : `the ${what} exited with code ${code}: ${stderr.trim().slice(-300)}`)));
      }
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as unknown);
      } catch {
        reject(new Error(`the ${what} did not print JSON`));
      }
    });
  });
}

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
      nodePath: cfg.nodePath,
      overrides: mode === 'script' ? undefined : { epochs: positive(options?.epochs), batchSize: positive(options?.batchSize) },
      mode,
      ...(scriptArgs && { scriptArgs }),
    });
    if (result.status === 'failed' || result.status === 'crashed') {
      const msg = session.current?.error?.message ?? result.status;
      void vscode.window.showErrorMessage(vscode.l10n.t('Training {0}: {1}', result.status, msg));
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
    const cliScript = vscode.Uri.joinPath(context.extensionUri, 'dist', 'cli.js').fsPath;
    try {
      const preview = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('Loading the dataset of {0}…', path.basename(uri.fsPath)),
          cancellable: true,
        },
        (_progress, token) => runPreviewChild(cliScript, uri.fsPath, folder?.uri.fsPath ?? path.dirname(uri.fsPath), cfg.nodePath, token),
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
    if (!session.showRun(runViewFromStore(runDir))) {
      void vscode.window.showInformationMessage(vscode.l10n.t('A run is training; its panel shows it until it ends.'));
    }
    TrainingPanel.createOrShow(context.extensionUri, session, log);
  };

  /** Evaluates a saved run again (model/ on its validation data) in a child, then shows the run with the new eval.json. */
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
    const cliScript = vscode.Uri.joinPath(context.extensionUri, 'dist', 'cli.js').fsPath;
    try {
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Evaluating run {0}…', path.basename(runDir)), cancellable: true },
        (_progress, token) => runEvaluateChild(cliScript, runDir, folder?.uri.fsPath ?? path.dirname(runDir), cfg.nodePath, token),
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
