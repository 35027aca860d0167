import * as vscode from 'vscode';
import { registerNewModelCommand } from './commands/newModel';
import { registerTrainingCommands } from './commands/training';
import { LayerHintsController } from './editor/layerHintsController';
import { TrainingSession } from './training/trainingSession';
import { RunsTreeProvider } from './views/runsTree';
import { TrainingPanel } from './views/trainingPanel';
import { RunStatusBar } from './views/statusBar';

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Model Lab');
  const trainerScript = vscode.Uri.joinPath(context.extensionUri, 'dist', 'trainer.js').fsPath;
  const session = new TrainingSession(trainerScript, output);
  const runsTree = new RunsTreeProvider();
  context.subscriptions.push(
    new LayerHintsController({ trainerScript, output }),
    runsTree,
    vscode.window.registerTreeDataProvider('modelLab.runs', runsTree),
    output,
    session,
    new RunStatusBar(session),
    // The panel is created on demand by commands; it closes with the extension.
    { dispose: () => TrainingPanel.current?.dispose() },
    session.onDidChangeRunning((running) => vscode.commands.executeCommand('setContext', 'modelLab.running', running)),
  );
  registerTrainingCommands(context, session, runsTree, output);
  registerNewModelCommand(context);
}

export function deactivate(): void {}
