import * as path from 'node:path';
import * as vscode from 'vscode';
import { BACKEND_CHOICES, type BackendChoice } from './protocol/trainer';

/** Model Lab's settings, read in one place and sanitised (mirrors `contributes.configuration`). */
export interface ModelLabConfig {
  backend: BackendChoice;
  /** Relative to the workspace folder unless absolute. */
  runsDirectory: string;
  /** Node executable for the trainer; undefined = the editor's own. */
  nodePath: string | undefined;
}

export function readConfig(scope?: vscode.ConfigurationScope): ModelLabConfig {
  const c = vscode.workspace.getConfiguration('modelLab', scope);
  const backend = c.get<string>('backend', 'auto');
  const runsDirectory = c.get<string>('runsDirectory', '').trim() || '.modellab/runs';
  const nodePath = c.get<string>('nodePath', '').trim();
  return {
    backend: (BACKEND_CHOICES as readonly string[]).includes(backend) ? (backend as BackendChoice) : 'auto',
    runsDirectory,
    nodePath: nodePath || undefined,
  };
}

export function resolveRunsDir(cfg: ModelLabConfig, workspaceDir: string): string {
  return path.isAbsolute(cfg.runsDirectory) ? cfg.runsDirectory : path.join(workspaceDir, cfg.runsDirectory);
}
