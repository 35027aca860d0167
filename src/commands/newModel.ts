/**
 * "Model Lab: New Model…": template -> its key parameters -> language -> file name, with defaults at
 * every step. Parameters are validated (shapes layer by layer) before anything is written; an
 * existing file is only replaced after the user says so. Rendering itself is src/scaffold (pure).
 */
import * as vscode from 'vscode';
import { formatParamValue, parseParamInput } from '../scaffold/paramInput';
import type { ParamSpec } from '../scaffold/params';
import { defaultFileName, renderTemplate, resolveParams, validateParams, type Language, type Params, type Translate } from '../scaffold/renderTemplate';
import { findTemplate, TEMPLATES } from '../scaffold/templates';

/** Lets tests, other extensions and keybindings skip the questions they already have answers to. */
export interface NewModelOptions {
  templateId?: string;
  params?: Params;
  language?: Language;
  fileName?: string;
  /** Replace an existing file without asking (automation only). */
  overwrite?: boolean;
}

/** Template words (comments, prompts, refusals) in VS Code's display language. */
const translate: Translate = (m, ...args) => vscode.l10n.t(m, ...args);

const EXTENSIONS: Record<Language, RegExp> = { ts: /\.(ts|mts|cts)$/, js: /\.(js|mjs|cjs)$/ };

async function isFile(uri: vscode.Uri): Promise<boolean> {
  try {
    return ((await vscode.workspace.fs.stat(uri)).type & vscode.FileType.File) !== 0;
  } catch {
    return false;
  }
}

/** The folder from the explorer (a folder, or a file's folder), else the workspace folder, else ask. */
async function pickFolder(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return (await isFile(arg)) ? vscode.Uri.joinPath(arg, '..') : arg;
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 1) return folders[0].uri;
  if (folders.length > 1) return (await vscode.window.showWorkspaceFolderPick({ placeHolder: vscode.l10n.t('Folder for the new model file') }))?.uri;
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: vscode.l10n.t('Create Model Here') });
  return picked?.[0];
}

async function pickTemplate(): Promise<string | undefined> {
  const pick = await vscode.window.showQuickPick(
    // Names and descriptions are English in src/scaffold (pure) and translated here (l10n/bundle.l10n.*.json).
    TEMPLATES.map((t) => ({ label: vscode.l10n.t(t.label), description: t.id, detail: vscode.l10n.t(t.detail), id: t.id })),
    { title: vscode.l10n.t('New Model'), placeHolder: vscode.l10n.t('What do you want to build?'), matchOnDescription: true, matchOnDetail: true },
  );
  return pick?.id;
}

/** Asks one parameter; undefined when the user pressed Escape. */
async function askParam(spec: ParamSpec, current: Params, step: string): Promise<Params[string] | undefined> {
  const title = `${vscode.l10n.t('New Model')} (${step}): ${vscode.l10n.t(spec.label)}`;
  if (spec.kind === 'boolean' || spec.kind === 'choice') {
    const options = spec.kind === 'boolean' ? ['yes', 'no'] : [...spec.options];
    const now = formatParamValue(current[spec.key]);
    // The current value first, so Enter keeps it.
    const items = [now, ...options.filter((o) => o !== now)].map((o) => ({ label: o, description: o === now ? vscode.l10n.t('current') : undefined }));
    const pick = await vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t(spec.description) });
    if (!pick) return undefined;
    return parseParamInput(spec, pick.label, translate).value;
  }
  const range = spec.kind === 'shape' ? `${spec.length} × ${spec.min}–${spec.max}` : `${spec.min}–${spec.max}`;
  const text = await vscode.window.showInputBox({
    title,
    prompt: `${vscode.l10n.t(spec.description)} (${range})`,
    value: formatParamValue(current[spec.key]),
    validateInput: (t) => parseParamInput(spec, t, translate).error,
  });
  if (text === undefined) return undefined;
  return parseParamInput(spec, text, translate).value;
}

/** Key parameters one by one, then the whole set validated; refused sets go round again with the reason. */
async function askParams(templateId: string, start: Params): Promise<Params | undefined> {
  const t = findTemplate(templateId);
  if (!t) return undefined;
  let params = resolveParams(templateId, start);
  for (;;) {
    const keys = t.keyParams;
    for (let i = 0; i < keys.length; i++) {
      const spec = t.params.find((s) => s.key === keys[i]);
      if (!spec) continue;
      const v = await askParam(spec, params, `${i + 1}/${keys.length}`);
      if (v === undefined) return undefined;
      params = { ...params, [spec.key]: v };
    }
    const errors = validateParams(templateId, params, translate);
    if (errors.length === 0) return params;
    const change = vscode.l10n.t('Change Parameters');
    const answer = await vscode.window.showErrorMessage(vscode.l10n.t('These parameters cannot make a model: {0}', errors.join(' ')), { modal: true }, change);
    if (answer !== change) return undefined;
  }
}

async function pickLanguage(): Promise<Language | undefined> {
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'TypeScript', description: '.model.ts', lang: 'ts' as const },
      { label: 'JavaScript', description: '.model.js', lang: 'js' as const },
    ],
    { title: vscode.l10n.t('New Model: language') },
  );
  return pick?.lang;
}

async function askFileName(folder: vscode.Uri, suggestion: string, language: Language): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: vscode.l10n.t('New Model: file name'),
    prompt: vscode.l10n.t('In {0}', folder.fsPath),
    value: suggestion,
    valueSelection: [0, suggestion.indexOf('.')],
    validateInput: (name) => {
      if (!name.trim() || /[\\/:*?"<>|]/.test(name)) return vscode.l10n.t('Enter a file name without folders or special characters.');
      if (!EXTENSIONS[language].test(name)) return vscode.l10n.t('The name must end in .{0}', language);
      return undefined;
    },
  });
}

/** Runs the wizard; resolves to the written file, or undefined when cancelled or refused. */
export async function newModel(arg?: unknown, options: NewModelOptions = {}): Promise<vscode.Uri | undefined> {
  const folder = await pickFolder(arg);
  if (!folder) return undefined;
  const templateId = options.templateId ?? (await pickTemplate());
  if (!templateId) return undefined;
  if (!findTemplate(templateId)) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Unknown model template "{0}".', templateId));
    return undefined;
  }
  // A caller that names the template (automation, tests) gets no questions: its parameters, or the
  // defaults, are only validated. Otherwise the parameters given seed the questions.
  let params: Params | undefined;
  if (options.templateId) {
    const errors = validateParams(templateId, options.params ?? {}, translate);
    if (errors.length) {
      void vscode.window.showErrorMessage(vscode.l10n.t('These parameters cannot make a model: {0}', errors.join(' ')));
      return undefined;
    }
    params = resolveParams(templateId, options.params ?? {});
  } else {
    params = await askParams(templateId, options.params ?? {});
  }
  if (!params) return undefined;
  const language = options.language ?? (await pickLanguage());
  if (!language) return undefined;
  // The file's comments in the user's language (the code itself is the same).
  const text = renderTemplate(templateId, params, { language, translate });

  let name = options.fileName ?? (await askFileName(folder, defaultFileName(templateId, language), language));
  for (;;) {
    if (!name) return undefined;
    const target = vscode.Uri.joinPath(folder, name);
    if ((await isFile(target)) && !options.overwrite) {
      const replace = vscode.l10n.t('Replace');
      const other = vscode.l10n.t('Choose Another Name');
      const answer = await vscode.window.showWarningMessage(vscode.l10n.t('{0} already exists. Replace it?', name), { modal: true }, replace, other);
      if (answer === other) {
        name = await askFileName(folder, name, language);
        continue;
      }
      if (answer !== replace) return undefined;
    }
    await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
    await vscode.window.showTextDocument(target);
    return target;
  }
}

export function registerNewModelCommand(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.commands.registerCommand('modelLab.newModel', (arg?: unknown, options?: NewModelOptions) => newModel(arg, options)));
}
