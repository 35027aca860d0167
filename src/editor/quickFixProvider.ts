/**
 * Offers the model-file quick fixes (src/editor/quickFixes.ts) on Model Lab's diagnostics: the
 * diagnostic's `code` names the fix kind and its line finds the fix the last summary computed.
 * VS Code hands the provider copies of the diagnostics, so the fix data stays with its owner
 * (LayerHintsController) rather than on the diagnostic object.
 */
import * as vscode from 'vscode';
import type { ModelFix } from './quickFixes';

export const MODEL_LAB_DIAGNOSTIC_SOURCE = 'Model Lab';

export class ModelQuickFixProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly fixesFor: (doc: vscode.TextDocument) => readonly ModelFix[]) {}

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const fixes = this.fixesFor(doc);
    const actions: vscode.CodeAction[] = [];
    for (const d of context.diagnostics) {
      if (d.source !== MODEL_LAB_DIAGNOSTIC_SOURCE) continue;
      const code = typeof d.code === 'object' ? d.code.value : d.code;
      for (const fix of fixes.filter((f) => f.kind === code && f.line - 1 === d.range.start.line)) {
        const e = fix.edit;
        if (e.line < 1 || e.line > doc.lineCount) continue;
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.diagnostics = [d];
        action.isPreferred = true;
        action.edit = new vscode.WorkspaceEdit();
        action.edit.replace(doc.uri, new vscode.Range(e.line - 1, e.startColumn - 1, e.line - 1, e.endColumn - 1), e.newText);
        actions.push(action);
      }
    }
    return actions;
  }
}
