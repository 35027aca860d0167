/**
 * After a run is saved in a git repository whose .gitignore does not keep the runs folder out,
 * offers once per workspace to add it (run folders hold weights and checkpoints). Thin adapter over
 * src/commands/gitignoreEntry.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ignoreEntryFor, ignores, withEntry } from './gitignoreEntry';

const ASKED_KEY = 'modelLab.gitignoreOffered';

export async function offerGitignore(context: vscode.ExtensionContext, workspaceDir: string, runsDir: string): Promise<void> {
  if (context.workspaceState.get<boolean>(ASKED_KEY)) return;
  if (!fs.existsSync(path.join(workspaceDir, '.git'))) return;
  const rel = path.relative(workspaceDir, runsDir);
  const entry = ignoreEntryFor(rel);
  if (!entry || rel.startsWith('..') || path.isAbsolute(rel)) return;
  const file = path.join(workspaceDir, '.gitignore');
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (ignores(text, entry)) return;
  await context.workspaceState.update(ASKED_KEY, true);
  const add = vscode.l10n.t('Add to .gitignore');
  const pick = await vscode.window.showInformationMessage(
    vscode.l10n.t('Model Lab saves runs (metrics, checkpoints, trained weights) in {0}. Keep them out of git?', entry),
    add,
    vscode.l10n.t('Not Now'),
  );
  if (pick !== add) return;
  fs.writeFileSync(file, withEntry(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '', entry));
}
