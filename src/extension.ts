import * as vscode from 'vscode';
import { registerCompareCommands } from './commands/compareRuns';
import { registerNewModelCommand } from './commands/newModel';
import { changedNextRunKeys } from './config';
import { registerRunActions } from './commands/runActions';
import { registerModelLabTasks } from './commands/tasks';
import { registerTrainingCommands } from './commands/training';
import { registerTrainAgainCommands } from './commands/trainAgain';
import { ModelCodeLens } from './editor/codeLens';
import { registerLayerCallHover } from './editor/layerCallHover';
import { LayerHintsController } from './editor/layerHintsController';
import { TrainingSession } from './training/trainingSession';
import { RunsTreeProvider } from './views/runsTree';
import { TensorBoardLogs } from './views/tensorboardRuns';
import { registerTensorBoardCommands } from './commands/tensorboardLogs';
import { TrainingPanel } from './views/trainingPanel';
import { registerPanelSerializer } from './views/panelSerializer';
import { RunStatusBar } from './views/statusBar';

export function activate(context: vscode.ExtensionContext): void {
  // A log channel: Model Lab's own lines and the trainer's output, with levels and timestamps.
  const output = vscode.window.createOutputChannel('Model Lab', { log: true });
  const trainerScript = vscode.Uri.joinPath(context.extensionUri, 'dist', 'trainer.js').fsPath;
  const session = new TrainingSession(trainerScript, output);
  const runsTree = new RunsTreeProvider();
  const layerHints = new LayerHintsController({ trainerScript, output });
  context.subscriptions.push(
    layerHints,
    registerLayerCallHover(layerHints),
    new ModelCodeLens(session, layerHints),
    runsTree,
    output,
    session,
    new RunStatusBar(session),
    // The panel is created on demand by commands; it closes with the extension.
    { dispose: () => TrainingPanel.current?.dispose() },
    session.onDidChangeRunning((running) => vscode.commands.executeCommand('setContext', 'modelLab.running', running)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      const keys = changedNextRunKeys((k) => e.affectsConfiguration(k));
      if (keys.length === 0 || !session.running) return;
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} applies from the next run; the current run keeps its settings.', keys.join(', ')));
    }),
  );
  registerTrainingCommands(context, session, runsTree, output);
  registerNewModelCommand(context);
  registerModelLabTasks(context, output);
  const runsView = registerRunActions(context, session, runsTree);
  const tensorboardLogs = new TensorBoardLogs(context.workspaceState, () => runsTree.refresh(), (m) => output.warn(m));
  runsTree.showTensorBoard(tensorboardLogs);
  registerTensorBoardCommands(context, session, tensorboardLogs, output);
  registerTrainAgainCommands(context, session);
  context.subscriptions.push(registerPanelSerializer(context.extensionUri, session, (m) => output.appendLine(`[panel] ${m}`)));
  registerCompareCommands(context, session, runsTree, runsView, output);
}

export function deactivate(): void {}
