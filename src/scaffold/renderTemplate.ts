/**
 * Template + parameters -> file text, as pure functions: the wizard, the panel's form and the tests
 * all go through validateParams first and renderTemplate second, so what a user is refused and what
 * the tests prove to train are the same rules.
 */
import { english, type Language, type RenderOptions, type Translate } from './code';
import { checkAgainstSpecs, defaultsOf, type Params } from './params';
import { findTemplate, TEMPLATE_IDS } from './templates';

export type { Language, RenderOptions, Translate } from './code';
export type { ParamSpec, ParamValue, Params } from './params';

function templateOrThrow(templateId: string) {
  const t = findTemplate(templateId);
  if (!t) throw new Error(`Unknown template "${templateId}". Known templates: ${TEMPLATE_IDS.join(', ')}`);
  return t;
}

/** All parameters of a template at their defaults. */
export function defaultParams(templateId: string): Params {
  return defaultsOf(templateOrThrow(templateId).params);
}

/** Defaults overlaid with what the caller set. */
export function resolveParams(templateId: string, params: Params = {}): Params {
  return { ...defaultParams(templateId), ...params };
}

/**
 * Reasons the parameters cannot make a working model, [] when they can. Missing parameters take
 * their defaults; type and range come first, then the shapes layer by layer (a kernel larger than
 * its input, pooling below 1x1, …).
 */
export function validateParams(templateId: string, params: Params = {}, tr: Translate = english): string[] {
  const t = findTemplate(templateId);
  if (!t) return [`Unknown template "${templateId}". Known templates: ${TEMPLATE_IDS.join(', ')}`];
  const full = resolveParams(templateId, params);
  const errors = checkAgainstSpecs(t.params, full, tr);
  return errors.length ? errors : t.check(full, tr);
}

/** The model file for these parameters. Throws with every reason when validateParams would refuse them. */
export function renderTemplate(templateId: string, params: Params = {}, options: RenderOptions = { language: 'ts' }): string {
  const t = templateOrThrow(templateId);
  const language: Language = options.language;
  if (language !== 'ts' && language !== 'js') throw new Error(`language must be 'ts' or 'js' (got ${JSON.stringify(language)})`);
  const errors = validateParams(templateId, params);
  if (errors.length) throw new Error(`Cannot render ${templateId}: ${errors.join('; ')}`);
  return t.render(resolveParams(templateId, params), language, options.translate ?? english);
}

/** The dataset the rendered config names. */
export function templateDataset(templateId: string, params: Params = {}): string {
  return templateOrThrow(templateId).dataset(resolveParams(templateId, params));
}

/** A file name that says what the model is: `cnn-classifier.model.ts`. */
export function defaultFileName(templateId: string, language: Language): string {
  return `${templateId}.model.${language}`;
}
