// The trainer's errors in the user's language: the real CLI trains a real broken model file (a
// kernel larger than its feature map) and a real CSV with a short row, and says what is wrong, at
// which line or row, in Simplified Chinese (from --lang or from VS Code's display language) and
// in English, the numbers and names the same in both.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_LINE_PATTERN } from '../../src/commands/modelLabTask';
import { DataError } from '../../src/trainer/data/dataError';
import { prepareDataset } from '../../src/trainer/data/datasets';
import { formatTrainerMessage, setTrainerLocale } from '../../src/trainer/messages';
import { DIST, ensureBuilt } from './builtTrainer';

let dir: string;

/** The CLI's failure line and exit status, with the language only from `lang`/`env` (LANG=C otherwise). */
function train(file: string, lang: string[], env: Record<string, string> = {}): { status: number | null; failure: string; stderr: string; stdout: string } {
  const base: Record<string, string | undefined> = { ...process.env, LANG: 'C', LC_ALL: '', LC_MESSAGES: '', VSCODE_NLS_CONFIG: '' };
  const r = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), 'train', file, '--backend', 'wasm', '--runs-dir', 'runs', ...lang], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...base, ...env },
  });
  const failure = r.stderr.split('\n').find((l) => l.startsWith('model-lab: training failed: ')) ?? '';
  return { status: r.status, failure, stderr: r.stderr, stdout: r.stdout };
}

beforeAll(async () => {
  await ensureBuilt(['cli.js', 'trainer.js']);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lab-messages-'));
  fs.mkdirSync(path.join(dir, 'models'));
  // A kernel larger than its feature map on line 7 (test/fixtures/trainer/kernelOnLine7.model.ts).
  fs.copyFileSync(path.join(__dirname, '../fixtures/trainer/kernelOnLine7.model.ts'), path.join(dir, 'models', 'kernel.model.ts'));
  fs.writeFileSync(
    path.join(dir, 'models', 'table.model.ts'),
    [
      "import * as tf from '@tensorflow/tfjs';",
      "export const config = { dataset: { type: 'csv', path: './table.csv', label: 'y' }, epochs: 1, batchSize: 2 };",
      'export function createModel(): tf.LayersModel {',
      '  const model = tf.sequential();',
      "  model.add(tf.layers.dense({ inputShape: [2], units: 2, activation: 'softmax' }));",
      '  return model;',
      '}',
      '',
    ].join('\n'),
  );
  // Row 4 (the header is row 1) has two fields where the header has three.
  fs.writeFileSync(path.join(dir, 'models', 'table.csv'), 'a,b,y\n1,2,p\n3,4,q\n5,6\n7,8,p\n');
});

describe('a kernel larger than its feature map, from the real CLI', () => {
  it('in Simplified Chinese with --lang zh-cn: the line, both sizes and the arithmetic, at the line the problem matcher reads', () => {
    const r = train('models/kernel.model.ts', ['--lang', 'zh-cn']);
    expect(r.status, r.stderr).toBe(1);
    const m = new RegExp(FAILURE_LINE_PATTERN).exec(r.failure);
    expect(m, r.stderr).not.toBeNull();
    expect(m![2]).toBe('7');
    expect(m![4]).toBe(
      "createModel() 失败：第 7 行的 conv2d：卷积核（15）大于第 6 行产生的 12×12 特征图（输入 [batch, 12, 12, 4]：12 − 15 + 1 = −2）。请改用 kernelSize ≤ 12、padding: 'same'，或在它之前少做下采样。",
    );
    expect(r.stdout).toMatch(/训练失败/);
  });

  it('in English by default, the same numbers', () => {
    const r = train('models/kernel.model.ts', []);
    expect(r.status, r.stderr).toBe(1);
    const m = new RegExp(FAILURE_LINE_PATTERN).exec(r.failure);
    expect(m![2]).toBe('7');
    expect(m![4]).toBe(
      "createModel() failed: conv2d on line 7: the kernel (15) is larger than the 12×12 feature map that line 6 makes (input [batch, 12, 12, 4]: 12 − 15 + 1 = −2). Use kernelSize ≤ 12, padding: 'same', or downsample less before it.",
    );
    expect(r.failure).not.toMatch(/[\u4e00-\u9fff]/);
  });
});

describe('a CSV row with a missing field, from the real CLI', () => {
  it('in Simplified Chinese from VS Code\'s display language (VSCODE_NLS_CONFIG, as the editor and its tasks pass it): file and row', () => {
    const r = train('models/table.model.ts', [], { VSCODE_NLS_CONFIG: JSON.stringify({ locale: 'zh-cn' }) });
    expect(r.status, r.stderr).toBe(1);
    expect(r.failure).toBe(`model-lab: training failed: ${path.join(fs.realpathSync(dir), 'models', 'table.csv')}，第 4 行：有 2 列，但表头有 3 列`);
  });

  it('in English with --lang en even under a Chinese LANG', () => {
    const r = train('models/table.model.ts', ['--lang', 'en'], { LANG: 'zh_CN.UTF-8' });
    expect(r.status, r.stderr).toBe(1);
    expect(r.failure).toBe(`model-lab: training failed: ${path.join(fs.realpathSync(dir), 'models', 'table.csv')}, row 4: 2 columns, but the header has 3`);
  });
});

describe('the catalogue in the trainer process', () => {
  it('a DataError names file, row, item and offset in the language set', () => {
    try {
      setTrainerLocale('zh-cn');
      const e = new DataError(formatTrainerMessage('zh-cn', 'csv.width', 2, 3), { file: 'd.csv', row: 4, item: 2, offset: 17 });
      expect(e.message).toBe('d.csv，第 4 行，第 2 项，字节偏移 17：有 2 列，但表头有 3 列');
      setTrainerLocale('en');
      expect(new DataError('x', { file: 'd.csv', row: 4 }).message).toBe('d.csv, row 4: x');
    } finally {
      setTrainerLocale('en');
    }
  });

  it('offline, in Chinese: the download error still leads to "give a local path", though its words are no longer English', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const spec = { type: 'idx', url: `http://127.0.0.1:${port}/train-images-idx3-ubyte.gz`, labelsUrl: `http://127.0.0.1:${port}/train-labels-idx1-ubyte.gz` };
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lab-offline-'));
    setTrainerLocale('zh-cn');
    try {
      const e = await prepareDataset(spec, { cacheDir, modelFile: path.join(cacheDir, 'm.model.ts') }).then(
        () => undefined,
        (err: unknown) => err as Error,
      );
      expect(e).toBeInstanceOf(DataError);
      expect(e!.message).toContain('ECONNREFUSED');
      expect(e!.message).toContain('这台机器似乎离线');
      expect(e!.message).toMatch(/请改为给出本地路径，例如 \{ type: 'idx', path: /);
    } finally {
      setTrainerLocale('en');
    }
  });
});
