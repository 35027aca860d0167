/**
 * The editor side of layer hints: after each saved model file's line that makes layers, its output
 * shape and parameter count (a decoration), the layers' details on hover, and a build error as a
 * diagnostic at its line. The model is built by `model-lab summary --json` in a child process
 * (SummaryRunner); building runs the model file, so only in a trusted workspace, and only from saved
 * content: on open, on save, for the visible editors at activation, and by the refresh command.
 * Everything it creates (listeners, timers, children, decorations) is disposed with it.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { readConfig } from '../config';
import { errorDiagnostic, failureText, hintLimitColumn, partialBuildError, isModelFileName, layerHints, mayBeModelFile, shiftHints, useCompactHints, type HintLayout, type HintStyle, type HintWords, type LayerHint } from './layerHints';
import { SummaryRunner, type SummaryError } from './summaryRunner';
import { findModelProblems, shrinkWindowFix, type FixWords, type ModelFix, type ModelProblem } from './quickFixes';
import { MODEL_LAB_DIAGNOSTIC_SOURCE, ModelQuickFixProvider } from './quickFixProvider';
import type { ModelSummary } from '../protocol/modelSummary';

export const REFRESH_LAYER_HINTS_COMMAND = 'modelLab.refreshLayerHints';
/** `modelLab.layerHints.enabled`, default true. */
export const LAYER_HINTS_ENABLED_SETTING = 'layerHints.enabled';
/** `modelLab.layerHints.style`: auto | full | compact, default auto. */
export const LAYER_HINTS_STYLE_SETTING = 'layerHints.style';
/** Settings that change how wide a hint may be: a change redraws the hints (no new summary). */
const LAYOUT_SETTINGS = [`modelLab.${LAYER_HINTS_STYLE_SETTING}`, 'editor.wordWrap', 'editor.wordWrapColumn', 'editor.rulers', 'editor.tabSize'];
const DEBOUNCE_MS = 500;
/** Larger scripts are not looked into for `export function createModel` (they can still be *.model.* files). */
const SNIFF_LIMIT_CHARS = 512 * 1024;

/** What modelLab.refreshLayerHints returns: the hints now shown (1-based lines), or the error, or why nothing ran. */
export interface LayerHintsResult {
  file: string;
  hints: LayerHint[];
  /** Whether the hints are drawn in their compact form (`modelLab.layerHints.style`, or auto for a long line). */
  compact?: boolean;
  error?: SummaryError;
  skipped?: 'untrusted' | 'disabled' | 'not-a-model-file' | 'cancelled';
}

export interface LayerHintsControllerOptions {
  /** Absolute path of dist/trainer.js (it answers the summary requests). */
  trainerScript: string;
  /** Where failures that are not the model file's fault (no Node, a timeout) are logged. */
  output?: vscode.OutputChannel;
  /** For tests; default 30 s. */
  timeoutMs?: number;
}

function fixWords(): FixWords {
  return {
    denseFed4d: vscode.l10n.t(
      'dense on line {0} gets a {1} feature map and works on each of its {2} positions apart (output {3}): a classifier needs tf.layers.flatten() before it',
      '{0}', '{1}', '{2}', '{3}',
    ),
    addFlatten: vscode.l10n.t('Add tf.layers.flatten() before this dense layer'),
    inputMismatch: vscode.l10n.t("The model takes {0} but its dataset '{1}' gives {2}: training would stop at the first batch", '{0}', '{1}', '{2}'),
    setInputShape: vscode.l10n.t("Set the input shape to {0} (the shape of '{1}')", '{0}', '{1}'),
    shrinkWindow: vscode.l10n.t('Use {0}: {1} (the largest that fits the {2} feature map)', '{0}', '{1}', '{2}'),
  };
}

function hintWords(): HintWords {
  // The placeholder is passed through so it survives vscode.l10n.t's own formatting.
  return {
    params: vscode.l10n.t('{0} params', '{0}'),
    param: vscode.l10n.t('{0} param', '{0}'),
    repeated: vscode.l10n.t('×{0} … last {1}', '{0}', '{1}'),
    madeElsewhere: vscode.l10n.t('(made elsewhere)'),
    model: vscode.l10n.t('model: {0}', '{0}'),
    shared: vscode.l10n.t('(shared)'),
    hoverTitle: vscode.l10n.t('built from the saved file'),
    layerColumn: vscode.l10n.t('Layer (type)'),
    shapeColumn: vscode.l10n.t('Output shape'),
    paramsColumn: vscode.l10n.t('Params'),
    nonTrainable: vscode.l10n.t('{0} non-trainable', '{0}'),
    madeAt: vscode.l10n.t('made at {0}', '{0}'),
    modelLine: vscode.l10n.t('Model {0} ({1}): {2}', '{0}', '{1}', '{2}'),
    unplacedTitle: vscode.l10n.t('Layers without a line in this file:'),
  };
}

export class LayerHintsController implements vscode.Disposable {
  private readonly runner: SummaryRunner;
  private readonly decoration: vscode.TextEditorDecorationType;
  /** After the line that failed to build: why, in the error colour. */
  private readonly failureDecoration: vscode.TextEditorDecorationType;
  /** The failing line (1-based) and its message per document, while shown. */
  private readonly failures = new Map<string, { line: number; message: string }>();
  /** The quick fixes of each document's diagnostics, from its last summary. */
  private readonly fixes = new Map<string, { version: number; fixes: ModelFix[] }>();
  private readonly fixWords = fixWords();
  private readonly diagnostics: vscode.DiagnosticCollection;
  private readonly disposables: vscode.Disposable[] = [];
  /** Hints shown per document (uri string), moved with edits until the next summary replaces them. */
  private readonly hints = new Map<string, LayerHint[]>();
  /** Total parameters of each document's saved model, from its last summary. */
  private readonly totals = new Map<string, number>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires when a document's hints (and parameter total) change. */
  readonly onDidChange = this.changed.event;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly words = hintWords();
  private disposed = false;

  constructor(private readonly opts: LayerHintsControllerOptions) {
    this.runner = new SummaryRunner({
      trainerScript: opts.trainerScript,
      execPath: (file) => readConfig(vscode.Uri.file(file)).nodePath,
      timeoutMs: opts.timeoutMs,
    });
    this.decoration = vscode.window.createTextEditorDecorationType({
      after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic', margin: '0 0 0 2em' },
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    this.failureDecoration = vscode.window.createTextEditorDecorationType({
      after: { color: new vscode.ThemeColor('editorError.foreground'), fontStyle: 'italic', margin: '0 0 0 2em' },
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    this.diagnostics = vscode.languages.createDiagnosticCollection('Model Lab');
    const selector: vscode.DocumentSelector = [
      { scheme: 'file', language: 'typescript' },
      { scheme: 'file', language: 'javascript' },
    ];
    this.disposables.push(
      { dispose: () => this.runner.dispose() },
      this.decoration,
      this.failureDecoration,
      this.diagnostics,
      vscode.languages.registerHoverProvider(selector, { provideHover: (doc, pos) => this.hover(doc, pos) }),
      vscode.languages.registerCodeActionsProvider(selector, new ModelQuickFixProvider((doc) => {
        // The edits are in the lines of the text summarized: once it is edited, they wait for the next save.
        const f = this.fixes.get(doc.uri.toString());
        return f && f.version === doc.version ? f.fixes : [];
      }), ModelQuickFixProvider.metadata),
      vscode.commands.registerCommand(REFRESH_LAYER_HINTS_COMMAND, (arg?: unknown) => this.refresh(arg)),
      vscode.workspace.onDidOpenTextDocument((doc) => this.schedule(doc)),
      vscode.workspace.onDidSaveTextDocument((doc) => this.schedule(doc)),
      vscode.workspace.onDidCloseTextDocument((doc) => this.forget(doc)),
      vscode.workspace.onDidChangeTextDocument((e) => this.moveWithEdits(e)),
      vscode.window.onDidChangeVisibleTextEditors((editors) => {
        for (const editor of editors) {
          if (this.hints.has(editor.document.uri.toString())) this.render(editor.document);
          else this.schedule(editor.document);
        }
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (LAYOUT_SETTINGS.some((k) => e.affectsConfiguration(k))) {
          for (const doc of vscode.workspace.textDocuments) if (this.hints.has(doc.uri.toString())) this.render(doc);
        }
        if (!e.affectsConfiguration(`modelLab.${LAYER_HINTS_ENABLED_SETTING}`)) return;
        if (this.enabled()) this.scheduleVisible();
        else this.clearAll();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.scheduleVisible()),
    );
    this.scheduleVisible();
  }

  /** The saved model's total parameter count, once its hints have been built. */
  totalParams(uri: vscode.Uri): number | undefined {
    return this.totals.get(uri.toString());
  }

  /**
   * The output shape (batch axis dropped) of the last layer the saved model made on a line before
   * `line` (1-based), as the hints show it: the input of a call on `line` in a Sequential model.
   */
  outputShapeBefore(uri: vscode.Uri, line: number): (number | null)[] | undefined {
    const before = (this.hints.get(uri.toString()) ?? []).filter((h) => h.line < line && h.layers.length > 0);
    const last = before.at(-1)?.layers.at(-1);
    const shape = last?.outputShape;
    if (!shape || shape.length === 0 || Array.isArray(shape[0])) return undefined;
    return (shape as (number | null)[]).slice(1);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.hints.clear();
    this.failures.clear();
    this.fixes.clear();
    this.totals.clear();
    this.changed.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private enabled(scope?: vscode.Uri): boolean {
    return vscode.workspace.getConfiguration('modelLab', scope).get<boolean>(LAYER_HINTS_ENABLED_SETTING, true) !== false;
  }

  private eligible(doc: vscode.TextDocument): boolean {
    if (doc.uri.scheme !== 'file') return false;
    if (isModelFileName(doc.fileName)) return true;
    if (doc.languageId !== 'typescript' && doc.languageId !== 'javascript') return false;
    return doc.getText().length <= SNIFF_LIMIT_CHARS && mayBeModelFile(doc.fileName, doc.getText());
  }

  private scheduleVisible(): void {
    for (const editor of vscode.window.visibleTextEditors) this.schedule(editor.document);
  }

  /** Summarizes `doc` ~500 ms from now (a burst of events makes one run) if it is a saved model file and hints may run. */
  private schedule(doc: vscode.TextDocument): void {
    if (this.disposed || !vscode.workspace.isTrusted || !this.enabled(doc.uri) || !this.eligible(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        // Building needs the saved file: a dirty document waits for its save.
        if (!doc.isClosed && !doc.isDirty) void this.run(doc, false);
      }, DEBOUNCE_MS),
    );
  }

  private async refresh(arg: unknown): Promise<LayerHintsResult | undefined> {
    const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    if (!uri || this.disposed) return undefined;
    const file = uri.fsPath;
    if (!vscode.workspace.isTrusted) return { file, hints: [], skipped: 'untrusted' };
    if (!this.enabled(uri)) return { file, hints: [], skipped: 'disabled' };
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()) ?? (await vscode.workspace.openTextDocument(uri));
    if (!this.eligible(doc)) return { file, hints: [], skipped: 'not-a-model-file' };
    clearTimeout(this.timers.get(doc.uri.toString()));
    this.timers.delete(doc.uri.toString());
    return this.run(doc, true);
  }

  private async run(doc: vscode.TextDocument, force: boolean): Promise<LayerHintsResult> {
    const file = doc.uri.fsPath;
    const key = doc.uri.toString();
    const version = doc.version;
    const outcome = await this.runner.summarize(file, { force });
    if (outcome.kind === 'cancelled' || this.disposed) return { file, hints: [], skipped: 'cancelled' };
    // Switched off while the child ran: clearAll() has already removed what was shown.
    if (!this.enabled(doc.uri)) return { file, hints: [], skipped: 'disabled' };
    // The lines are those of the file on disk; edits typed since then would put hints on the wrong lines.
    const current = !doc.isClosed && (doc.version === version || !doc.isDirty);
    const source = current && !doc.isDirty ? doc.getText() : readText(file);

    if (outcome.kind === 'summary') {
      const hints = layerHints(outcome.summary, { file, source, words: this.words });
      // createModel() failed after some layers built: their hints stay, the failure goes on its line.
      const failed = partialBuildError(outcome.summary);
      if (current) {
        this.hints.set(key, hints);
        this.totals.set(key, outcome.summary.totalParams);
        this.showError(doc, failed, source, outcome.summary);
        const compact = this.render(doc);
        this.changed.fire(doc.uri);
        return { file, hints, compact, ...(failed && { error: failed }) };
      }
      return { file, hints, ...(failed && { error: failed }) };
    }

    const { error } = outcome;
    if (error.reason !== 'build') this.opts.output?.appendLine(`[layer hints] ${file}: ${error.message}${error.details ? `\n${error.details}` : ''}`);
    if (current) {
      this.hints.delete(key);
      this.showError(doc, error, source);
      this.render(doc);
    }
    return { file, hints: [], error };
  }

  /**
   * The build error as a diagnostic at its line (with its reason after that line), and the problems
   * the summary shows with their quick fixes; none clears them.
   */
  private showError(doc: vscode.TextDocument, error: SummaryError | undefined, source: string | undefined, summary?: ModelSummary): void {
    const key = doc.uri.toString();
    this.failures.delete(key);
    this.fixes.delete(key);
    // A file that is a model file only by its exports gets no squiggles from a guess.
    if (!isModelFileName(doc.uri.fsPath)) {
      this.diagnostics.delete(doc.uri);
      return;
    }
    const diagnostics: vscode.Diagnostic[] = [];
    const fixes: ModelFix[] = [];
    const lineRange = (line1: number, column?: number) => {
      const line = Math.min(Math.max(line1 - 1, 0), doc.lineCount - 1);
      const text = doc.lineAt(line);
      const start = column !== undefined ? Math.min(column - 1, text.range.end.character) : text.firstNonWhitespaceCharacterIndex;
      return new vscode.Range(line, start, line, Math.max(text.range.end.character, start));
    };
    const diag = error ? errorDiagnostic(error, doc.uri.fsPath, source) : undefined;
    if (diag) {
      const range = lineRange(diag.line, diag.column);
      const d = new vscode.Diagnostic(range, diag.message, diag.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
      d.source = MODEL_LAB_DIAGNOSTIC_SOURCE;
      if (diag.severity === 'error') this.failures.set(key, { line: range.start.line + 1, message: diag.message });
      // A window larger than its feature map: the input is what the last layer that built made.
      const input = summary?.layers.at(-1)?.outputShape;
      const shrink = source !== undefined && input && input.length > 0 && !Array.isArray(input[0]) ? shrinkWindowFix(source, range.start.line + 1, (input as (number | null)[]).slice(1), this.fixWords) : undefined;
      if (shrink) {
        d.code = shrink.kind;
        fixes.push(shrink);
      }
      diagnostics.push(d);
    }
    const problems: ModelProblem[] = summary && source !== undefined ? findModelProblems(summary, source, this.fixWords) : [];
    for (const p of problems) {
      const d = new vscode.Diagnostic(lineRange(p.line), p.message, vscode.DiagnosticSeverity.Warning);
      d.source = MODEL_LAB_DIAGNOSTIC_SOURCE;
      d.code = p.kind;
      diagnostics.push(d);
      if (p.fix) fixes.push(p.fix);
    }
    if (diagnostics.length > 0) this.diagnostics.set(doc.uri, diagnostics);
    else this.diagnostics.delete(doc.uri);
    if (fixes.length > 0) this.fixes.set(key, { version: doc.version, fixes });
  }

  /** Draws the document's hints in every visible editor showing it; true when in their compact form. */
  private render(doc: vscode.TextDocument): boolean {
    const hints = (this.hints.get(doc.uri.toString()) ?? []).filter((h) => h.line >= 1 && h.line <= doc.lineCount);
    const compact = useCompactHints(hints, (n) => (n >= 1 && n <= doc.lineCount ? doc.lineAt(n - 1).text : undefined), this.layout(doc));
    const options: vscode.DecorationOptions[] = hints.map((h) => ({ range: doc.lineAt(h.line - 1).range, renderOptions: { after: { contentText: compact ? h.compactText : h.text } } }));
    const failure = this.failures.get(doc.uri.toString());
    const failureOptions: vscode.DecorationOptions[] =
      failure && failure.line <= doc.lineCount ? [{ range: doc.lineAt(failure.line - 1).range, renderOptions: { after: { contentText: failureText(failure.message, compact ? 48 : 120) } } }] : [];
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document !== doc) continue;
      editor.setDecorations(this.decoration, options);
      editor.setDecorations(this.failureDecoration, failureOptions);
    }
    return compact;
  }

  private layout(doc: vscode.TextDocument): HintLayout {
    const style = vscode.workspace.getConfiguration('modelLab', doc.uri).get<string>(LAYER_HINTS_STYLE_SETTING, 'auto');
    const editor = vscode.workspace.getConfiguration('editor', { uri: doc.uri, languageId: doc.languageId });
    const tabSize = editor.get<number>('tabSize', 4);
    return {
      style: style === 'full' || style === 'compact' ? (style as HintStyle) : 'auto',
      limitColumn: hintLimitColumn(editor.get<string>('wordWrap'), editor.get<number>('wordWrapColumn'), editor.get<unknown>('rulers')),
      tabSize: typeof tabSize === 'number' && tabSize > 0 ? tabSize : 4,
    };
  }

  private hover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const hint = this.hints.get(doc.uri.toString())?.find((h) => h.line - 1 === pos.line);
    if (!hint || pos.character < hint.column - 1) return undefined;
    const md = new vscode.MarkdownString(hint.hover);
    md.supportHtml = false;
    return new vscode.Hover(md, new vscode.Range(pos.line, hint.column - 1, pos.line, doc.lineAt(pos.line).range.end.character));
  }

  private moveWithEdits(e: vscode.TextDocumentChangeEvent): void {
    const key = e.document.uri.toString();
    const hints = this.hints.get(key);
    const failure = this.failures.get(key);
    if ((!hints && !failure) || e.contentChanges.length === 0) return;
    const edits = e.contentChanges.map((c) => ({
      startLine: c.range.start.line + 1,
      startColumn: c.range.start.character + 1,
      endLine: c.range.end.line + 1,
      insertedLineBreaks: (c.text.match(/\n/g) ?? []).length,
    }));
    let changed = false;
    if (hints) {
      const moved = shiftHints(hints, edits);
      if (moved.length !== hints.length || moved.some((h, i) => h.line !== hints[i].line)) {
        this.hints.set(key, moved);
        changed = true;
      }
    }
    if (failure) {
      // The failing line's reason moves like a hint (the diagnostic is moved by VS Code itself).
      const [moved] = shiftHints([{ line: failure.line, column: 1, text: '', compactText: '', hover: '', layers: [] }], edits);
      if (!moved) this.failures.delete(key);
      else if (moved.line !== failure.line) this.failures.set(key, { ...failure, line: moved.line });
      changed ||= moved?.line !== failure.line;
    }
    if (changed) this.render(e.document);
  }

  private forget(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.hints.delete(key);
    this.failures.delete(key);
    this.fixes.delete(key);
    this.diagnostics.delete(doc.uri);
    if (doc.uri.scheme === 'file') this.runner.cancel(doc.uri.fsPath);
  }

  private clearAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const key of new Set([...this.hints.keys(), ...this.failures.keys()])) {
      this.hints.delete(key);
      this.failures.delete(key);
      this.fixes.delete(key);
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
      if (doc) {
        this.render(doc);
        this.runner.cancel(doc.uri.fsPath);
      }
    }
    this.diagnostics.clear();
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
