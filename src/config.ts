import * as path from 'node:path';
import * as vscode from 'vscode';
import { BACKEND_CHOICES, MAX_THREADS, type BackendChoice, type ThreadsChoice } from './protocol/trainer';

/** Model Lab's settings, read in one place and sanitised (mirrors `contributes.configuration`). */
export interface ModelLabConfig {
  backend: BackendChoice;
  /** Training threads: 'auto' or 1…MAX_THREADS (anything else reads as 'auto'). */
  threads: ThreadsChoice;
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
    threads: parseThreadsSetting(c.get<unknown>('threads', 'auto')),
    runsDirectory,
    nodePath: nodePath || undefined,
  };
}

/** The `modelLab.threads` value as the trainer takes it: a whole number 1…MAX_THREADS (also typed as a string), else 'auto'. */
export function parseThreadsSetting(raw: unknown): ThreadsChoice {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  return Number.isInteger(n) && n >= 1 && n <= MAX_THREADS ? n : 'auto';
}

export function resolveRunsDir(cfg: ModelLabConfig, workspaceDir: string): string {
  return path.isAbsolute(cfg.runsDirectory) ? cfg.runsDirectory : path.join(workspaceDir, cfg.runsDirectory);
}

/**
 * What a settings change means for a run in progress: the trainer reads the backend, Node binary
 * and runs folder when it starts, so a change to them applies from the next run; layer hints
 * follow their setting at once.
 */
export const NEXT_RUN_KEYS = ['modelLab.backend', 'modelLab.threads', 'modelLab.nodePath', 'modelLab.runsDirectory'] as const;

/** The settings of `NEXT_RUN_KEYS` that `affects` says changed. */
export function changedNextRunKeys(affects: (key: string) => boolean): string[] {
  return NEXT_RUN_KEYS.filter((k) => affects(k));
}
