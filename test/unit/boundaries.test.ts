/**
 * The import-boundary check (`npm run check:boundaries`, .dependency-cruiser.cjs) can fail: run on a
 * small tree that crosses every door once, each rule reports its crossing, and nothing else; run on
 * the real tree, it finds nothing.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const DEPCRUISE = path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  rule: string;
  from: string;
  to: string;
}

const run = (cwd: string, args: string[]) =>
  spawnSync(process.execPath, [DEPCRUISE, '--config', path.join(ROOT, '.dependency-cruiser.cjs'), ...args], { cwd, encoding: 'utf8', timeout: 120_000 });

/** The violations (from the JSON report) and the exit status of the check as `npm run check:boundaries` runs it. */
function cruise(cwd: string, dirs: string[]): { status: number | null; violations: Violation[] } {
  const r = run(cwd, ['--output-type', 'json', ...dirs]);
  if (!r.stdout) throw new Error(`depcruise printed nothing: ${r.stderr}`);
  const json = JSON.parse(r.stdout) as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } };
  return { status: run(cwd, dirs).status, violations: json.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to })) };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'boundaries-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
  fs.writeFileSync(path.join(tmp, rel), text);
}

describe('import boundaries', () => {
  test('each door reports the import that crosses it, and only that one', () => {
    write('tsconfig.json', '{"compilerOptions":{"module":"commonjs","moduleResolution":"node"}}');
    write('src/training/runStore.ts', 'export const store = 1;\n');
    write('src/training/trainingSession.ts', 'export const session = 1;\n');
    write('src/protocol/ok.ts', 'export const ok = 1;\n');
    write('src/trainer/a.ts', "import { store } from '../training/runStore';\nimport * as vscode from 'vscode';\nimport { ok } from '../protocol/ok';\nexport const a = [store, vscode, ok];\n");
    write('src/protocol/p.ts', "import * as fs from 'node:fs';\nimport { a } from '../trainer/a';\nimport { ok } from './ok';\nexport const p = [fs, a, ok];\n");
    write('src/views/v.ts', "import { a } from '../trainer/a';\nimport { ok } from '../protocol/ok';\nexport const v = [a, ok];\n");
    write('src/cli/c.ts', "import { session } from '../training/trainingSession';\nimport { store } from '../training/runStore';\nimport { a } from '../trainer/a';\nexport const c = [session, store, a];\n");
    write('webview-ui/src/w.ts', "import { v } from '../../src/views/v';\nimport { ok } from '../../src/protocol/ok';\nexport const w = [v, ok];\n");

    const { status, violations } = cruise(tmp, ['src', 'webview-ui']);
    expect(status).not.toBe(0);
    expect(violations.map((x) => `${x.rule}: ${x.from} -> ${x.to}`).sort()).toEqual(
      [
        'cli-imports-protocol-trainer-and-the-process-owner: src/cli/c.ts -> src/training/trainingSession.ts',
        'host-imports-no-trainer-code: src/views/v.ts -> src/trainer/a.ts',
        'no-vscode-outside-the-host: src/trainer/a.ts -> vscode',
        'protocol-imports-only-protocol: src/protocol/p.ts -> fs',
        'protocol-imports-only-protocol: src/protocol/p.ts -> src/trainer/a.ts',
        'trainer-imports-no-host-room: src/trainer/a.ts -> src/training/runStore.ts',
        'webview-imports-only-itself-and-protocol: webview-ui/src/w.ts -> src/views/v.ts',
      ].sort(),
    );
  });

  test('the real tree crosses no door', () => {
    const { status, violations } = cruise(ROOT, ['src', 'webview-ui/src']);
    expect(violations).toEqual([]);
    expect(status).toBe(0);
  });
});
