/**
 * The `modellab` task type: runs from tasks.json, keybindings and "Run Task" go through the
 * `model-lab` CLI in VS Code's terminal, with the `$model-lab` problem matcher putting a failed
 * run's error on its line. Thin adapter: the definition → command line mapping is
 * src/commands/modelLabTask.ts.
 */
import * as vscode from 'vscode';
import { readConfig } from '../config';
import { TASK_TYPE, taskCliArgs, taskLabel } from './modelLabTask';

const MODEL_FILES = '**/*.model.{ts,js,mjs,cjs}';

export function registerModelLabTasks(context: vscode.ExtensionContext, output: vscode.OutputChannel): void {
  const cli = vscode.Uri.joinPath(context.extensionUri, 'dist', 'cli.js').fsPath;

  const toTask = (definition: vscode.TaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope): vscode.Task | undefined => {
    const parsed = taskCliArgs(definition as Record<string, unknown>);
    const label = taskLabel({ command: definition.command, file: String(definition.file ?? '?') });
    if ('error' in parsed) {
      output.appendLine(`[tasks] ${label}: ${parsed.error}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Model Lab task "{0}": {1}', label, parsed.error));
      return undefined;
    }
    const folder = typeof scope === 'object' ? scope : vscode.workspace.workspaceFolders?.[0];
    const cfg = readConfig(folder?.uri);
    const node = cfg.nodePath ?? process.execPath;
    // Inside desktop VS Code process.execPath is Electron: run it as plain Node.
    const env: Record<string, string> = !cfg.nodePath && process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {};
    // The CLI speaks VS Code's display language (src/cli/messages.ts reads this, as VS Code's own
    // processes do); a task's process does not inherit the extension host's environment.
    env.VSCODE_NLS_CONFIG = JSON.stringify({ locale: vscode.env.language });
    const exec = new vscode.ProcessExecution(node, [cli, ...parsed.args], { cwd: folder?.uri.fsPath, env });
    const task = new vscode.Task(definition, scope, label, 'Model Lab', exec, '$model-lab');
    task.group = definition.command === 'evaluate' ? vscode.TaskGroup.Test : vscode.TaskGroup.Build;
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
    return task;
  };

  context.subscriptions.push(
    vscode.tasks.registerTaskProvider(TASK_TYPE, {
      async provideTasks() {
        if (!vscode.workspace.isTrusted) return [];
        const files = await vscode.workspace.findFiles(MODEL_FILES, '**/node_modules/**', 200);
        const tasks: vscode.Task[] = [];
        for (const uri of files) {
          const folder = vscode.workspace.getWorkspaceFolder(uri);
          if (!folder) continue;
          const task = toTask({ type: TASK_TYPE, file: vscode.workspace.asRelativePath(uri, false) }, folder);
          if (task) tasks.push(task);
        }
        return tasks;
      },
      resolveTask(task) {
        if (!vscode.workspace.isTrusted) return undefined;
        return toTask(task.definition, task.scope ?? vscode.TaskScope.Workspace);
      },
    }),
  );
}
