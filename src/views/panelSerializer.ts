/**
 * Brings the training panel back after VS Code reloads (WebviewPanelSerializer, activated by
 * `onWebviewPanel:modelLab.training`): the page saved which run it showed, the host checks that run
 * folder (inside the workspace, a run.json) and shows it again, unless a run is training.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { TrainingSession } from '../training/trainingSession';
import { runViewFromStore } from '../training/runViewFromStore';
import { savedRunDir } from './errorLocation';
import { TrainingPanel, type PanelLog } from './trainingPanel';

export function registerPanelSerializer(extensionUri: vscode.Uri, session: TrainingSession, log: PanelLog): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(TrainingPanel.viewType, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
      const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
      const runDir = savedRunDir(state, folders, (f) => fs.existsSync(f));
      if (runDir && !session.running && session.current?.runDir !== runDir) {
        try {
          session.showRun(runViewFromStore(runDir));
        } catch (e) {
          log(`Model Lab panel: could not reopen the run ${runDir}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      TrainingPanel.revive(panel, extensionUri, session, log);
    },
  });
}
