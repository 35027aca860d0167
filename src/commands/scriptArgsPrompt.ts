/**
 * The editor side of script arguments: an input box, asked the first time a script runs (or when the
 * user asks to change them), remembered per script in the workspace's state.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { joinArgs, ScriptArgsStore, splitArgs } from './scriptArgs';

/**
 * The arguments to run `scriptFile` with: the remembered ones, or asked for when there are none yet
 * or `ask` is set. Undefined when the user cancels the input box.
 */
export async function scriptArgsFor(state: vscode.Memento, scriptFile: string, ask: boolean): Promise<string[] | undefined> {
  const store = new ScriptArgsStore(state);
  const known = store.get(scriptFile);
  if (known && !ask) return known;
  const name = path.basename(scriptFile);
  const line = await vscode.window.showInputBox({
    title: vscode.l10n.t('Arguments for {0}', name),
    prompt: vscode.l10n.t('What the script gets in process.argv after its name, as typed after `node {0}`. Leave empty for none; Model Lab remembers them for this script.', name),
    value: known ? joinArgs(known) : '',
    placeHolder: '--epochs 5 data/train.csv',
    validateInput: (text) => {
      const r = splitArgs(text);
      return 'error' in r ? vscode.l10n.t('Cannot read the arguments: {0}', r.error) : undefined;
    },
  });
  if (line === undefined) return undefined;
  const r = splitArgs(line);
  if ('error' in r) return undefined;
  await store.set(scriptFile, r.args);
  return r.args;
}
