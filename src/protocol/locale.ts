/**
 * Which language Model Lab speaks outside VS Code's own l10n (the CLI and the trainer process):
 * one rule shared by both, so a run started from a terminal, a task or the editor words its
 * errors the way its progress lines are worded. Pure: reads the environment it is given.
 */

export type Locale = 'en' | 'zh-cn';

/** `zh`, `zh-CN`, `zh_CN.UTF-8`, `zh-Hans` → zh-cn; anything else given → en. */
export function localeOf(tag: string): Locale {
  return /^zh([-_.@]|$)/i.test(tag.trim()) ? 'zh-cn' : 'en';
}

/**
 * VS Code's display language (VSCODE_NLS_CONFIG, which the extension host has and passes to the
 * tasks and trainers it starts), else the POSIX locale (LC_ALL, LC_MESSAGES, LANG: the first one
 * set), else en.
 */
export function localeFromEnv(env: Readonly<Record<string, string | undefined>>): Locale {
  const nls = env.VSCODE_NLS_CONFIG;
  if (nls) {
    try {
      const locale = (JSON.parse(nls) as { locale?: unknown }).locale;
      if (typeof locale === 'string' && locale !== '') return localeOf(locale);
    } catch {
      // not JSON: fall through to the POSIX locale
    }
  }
  const posix = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((v) => v !== undefined && v !== '');
  return posix ? localeOf(posix) : 'en';
}

/**
 * Set by the CLI for the trainer it forks, so `--lang` reaches the trainer's errors; it wins over
 * the environment's own language.
 */
export const TRAINER_LANG_ENV = 'MODEL_LAB_LANG';

/** `{n}` in `template` replaced by `args[n]` (a missing argument leaves `{n}` as is). */
export function fillPlaceholders(template: string, args: readonly (string | number | boolean)[]): string {
  return template.replace(/\{(\d+)\}/g, (m, n: string) => (Number(n) < args.length ? String(args[Number(n)]) : m));
}
