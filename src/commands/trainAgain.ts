/**
 * Train Again and Train with Changes: a new run of a saved run's file, with the same overrides, or
 * with epochs, batch size, learning rate, optimizer and validation split changed in five quick
 * input steps prefilled with the run's values. The model file is never edited: the changes travel
 * as overrides and the new run records them in its run.json. The run is started through the Train
 * (or Run Script) command, so trust, the busy check and the panel behave exactly as for Train.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunRecord } from '../protocol/runFolder';
import {
  nextOverrides,
  OPTIMIZER_NAMES,
  overridesFromUnknown,
  parseOverrideValue,
  runValues,
  type OverrideProblem,
  type RunOverrides,
} from '../protocol/runOverrides';
import { readRun } from '../training/runStore';
import type { TrainingSession } from '../training/trainingSession';
import { RunItem } from '../views/runsTree';

/** The run a command acts on: a Runs view item, a run folder's Uri, or the run the panel shows. */
function runDirOf(arg: unknown, session: TrainingSession): string | undefined {
  if (arg instanceof RunItem) return arg.damaged ? undefined : arg.runDir;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  const shown = session.current?.runDir;
  if (!shown) void vscode.window.showInformationMessage(vscode.l10n.t('Open a run first: Train Again and Train with Changes start from a saved run.'));
  return shown || undefined;
}

function readSource(runDir: string): RunRecord | undefined {
  try {
    return readRun(runDir).record;
  } catch (e) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Could not open the run: {0}', e instanceof Error ? e.message : String(e)));
    return undefined;
  }
}

function problemText(problem: OverrideProblem): string {
  switch (problem) {
    case 'wholeNumber':
      return vscode.l10n.t('A whole number of at least 1');
    case 'fraction':
      return vscode.l10n.t('A number from 0 up to (not including) 1, e.g. 0.2');
    case 'positiveNumber':
      return vscode.l10n.t('A number greater than 0, e.g. 0.001');
    case 'optimizer':
      return vscode.l10n.t('One of {0}', OPTIMIZER_NAMES.join(', '));
  }
}

/** Five steps, each prefilled; Escape at any step cancels and nothing starts. */
async function askChanges(record: RunRecord): Promise<RunOverrides | undefined> {
  const start = runValues(record);
  const next: RunOverrides = { ...start };
  const total = 5;
  const title = (step: number) => vscode.l10n.t('Train {0} with Changes ({1}/{2})', path.basename(record.modelFile), step, total);
  const numberStep = async (key: 'epochs' | 'batchSize' | 'learningRate' | 'validationSplit', step: number, prompt: string): Promise<boolean> => {
    const value = await vscode.window.showInputBox({
      title: title(step),
      prompt,
      value: next[key] !== undefined ? String(next[key]) : '',
      ignoreFocusOut: true,
      validateInput: (text) => {
        // An empty learning rate keeps the model file's own (an optimizer instance given in the file).
        if (key === 'learningRate' && text.trim() === '' && start.learningRate === undefined) return undefined;
        const r = parseOverrideValue(key, text);
        return 'problem' in r ? problemText(r.problem) : undefined;
      },
    });
    if (value === undefined) return false;
    const r = parseOverrideValue(key, value);
    if ('value' in r) next[key] = r.value;
    return true;
  };
  if (!(await numberStep('epochs', 1, vscode.l10n.t('Epochs (was {0})', start.epochs ?? '?')))) return undefined;
  if (!(await numberStep('batchSize', 2, vscode.l10n.t('Batch size (was {0})', start.batchSize ?? '?')))) return undefined;
  if (!(await numberStep('learningRate', 3, vscode.l10n.t('Learning rate (was {0})', start.learningRate ?? vscode.l10n.t('the model file’s'))))) return undefined;
  const current = start.optimizer;
  const items = OPTIMIZER_NAMES.map((name) => ({ label: name, description: name === current ? vscode.l10n.t('current') : undefined }));
  items.sort((a, b) => (a.label === current ? -1 : b.label === current ? 1 : 0));
  const picked = await vscode.window.showQuickPick(items, { title: title(4), placeHolder: vscode.l10n.t('Optimizer (was {0})', record.optimizer?.name ?? '?'), ignoreFocusOut: true });
  if (!picked) return undefined;
  next.optimizer = picked.label;
  if (!(await numberStep('validationSplit', 5, vscode.l10n.t('Validation split: the share of samples held out (was {0})', start.validationSplit ?? '?')))) return undefined;
  return next;
}

export function registerTrainAgainCommands(context: vscode.ExtensionContext, session: TrainingSession): void {
  const start = (record: RunRecord, overrides: RunOverrides) => {
    const uri = vscode.Uri.file(record.modelFile);
    if (record.mode === 'script') return vscode.commands.executeCommand('modelLab.runScript', uri, { args: record.scriptArgs ?? [] });
    return vscode.commands.executeCommand('modelLab.train', uri, overrides);
  };
  context.subscriptions.push(
    vscode.commands.registerCommand('modelLab.trainAgain', (arg?: unknown) => {
      const runDir = runDirOf(arg, session);
      const record = runDir && readSource(runDir);
      if (!record) return undefined;
      return start(record, record.overrides ?? {});
    }),
    /**
     * `options.overrides` (tests, keybindings, other extensions): the changes, checked as if typed,
     * with no input steps.
     */
    vscode.commands.registerCommand('modelLab.trainWithChanges', async (arg?: unknown, options?: { overrides?: unknown }) => {
      const runDir = runDirOf(arg, session);
      const record = runDir && readSource(runDir);
      if (!record) return undefined;
      if (record.mode === 'script') {
        void vscode.window.showInformationMessage(vscode.l10n.t('A script sets its own epochs and optimizer: change the script, then use Train Again.'));
        return undefined;
      }
      let values: RunOverrides | undefined;
      if (options?.overrides !== undefined) {
        const given = overridesFromUnknown(options.overrides, (message, ...args) => vscode.l10n.t(message, ...args));
        if ('error' in given) {
          void vscode.window.showErrorMessage(vscode.l10n.t('Train with Changes: {0}', given.error));
          return undefined;
        }
        values = { ...runValues(record), ...given.overrides };
      } else values = await askChanges(record);
      if (!values) return undefined;
      return start(record, nextOverrides(record, values));
    }),
  );
}
