/**
 * The arguments Run Script with Model Lab passes to a script (its `process.argv` after the script),
 * remembered per script: asked once, then reused until the user changes them. Pure: the store is
 * any get/update pair (VS Code's workspaceState in scriptArgsPrompt.ts, a Map in tests).
 */

/** What the arguments are kept in; VS Code's Memento fits. */
export interface ArgsMemento {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

const KEY = 'modelLab.scriptArgs';

/**
 * Splits a line as a POSIX shell would for plain words: spaces separate, '…' keeps everything
 * literally, "…" keeps spaces (\" and \\ escape inside), a backslash outside quotes escapes the next
 * character. No variables, globs or substitutions: what is typed is what the script gets.
 */
export function splitArgs(line: string): { args: string[] } | { error: string } {
  const args: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { error: `unclosed ' starting at column ${i + 1}` };
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && (line[j + 1] === '"' || line[j + 1] === '\\')) j++;
        cur += line[j];
      }
      if (j >= line.length) return { error: `unclosed " starting at column ${i + 1}` };
      i = j;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) args.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) args.push(cur);
  return { args };
}

/** The line splitArgs turns back into `args`: words with spaces or quotes are single-quoted. */
export function joinArgs(args: readonly string[]): string {
  return args.map((a) => (a !== '' && /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export class ScriptArgsStore {
  constructor(private readonly memento: ArgsMemento) {}

  private all(): Record<string, string[]> {
    const v = this.memento.get<Record<string, unknown>>(KEY);
    const out: Record<string, string[]> = {};
    if (v && typeof v === 'object')
      for (const [k, a] of Object.entries(v)) if (Array.isArray(a) && a.every((x) => typeof x === 'string')) out[k] = a as string[];
    return out;
  }

  /** The arguments last used for `scriptFile`, or undefined if it was never asked. */
  get(scriptFile: string): string[] | undefined {
    return this.all()[scriptFile];
  }

  async set(scriptFile: string, args: readonly string[]): Promise<void> {
    await this.memento.update(KEY, { ...this.all(), [scriptFile]: [...args] });
  }
}
