// The grouped Runs view on real run folders written to disk: rows with their name, relative time,
// best metric and duration; runs that failed before training folded apart; rename, delete (only a
// run folder of the runs folder) and the command that trains the run again.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatRunRecord, type RunRecord } from '../../src/protocol/runFolder';
import { deleteRunFolder, listRunEntries, readMetricsTail, readRunLabel, writeRunLabel } from '../../src/training/runStore';
import { groupRuns, relativeTime, reproduceCommand, richRunRow, runStats } from '../../src/views/runsTreeModel';

let ws: string;
let runsDir: string;
beforeEach(() => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-tree-'));
  runsDir = path.join(ws, '.modellab', 'runs');
  fs.mkdirSync(runsDir, { recursive: true });
});
afterEach(() => fs.rmSync(ws, { recursive: true, force: true }));

const T0 = Date.parse('2026-12-01T08:00:00Z');

function writeRun(id: string, over: Partial<RunRecord>, lines: object[]): string {
  const dir = path.join(runsDir, id);
  fs.mkdirSync(dir);
  const record: RunRecord = {
    id,
    modelFile: path.join(ws, 'models', 'cnn.model.ts'),
    config: { epochs: 3, batchSize: 32, validationSplit: 0.1, shuffle: true, dataset: 'mnist' },
    backend: { name: 'wasm', reason: 'chosen' },
    versions: { tfjs: '4.22.0', node: 'v20', modelLab: '0.1.0' },
    startedAt: new Date(T0).toISOString(),
    status: 'completed',
    ...over,
  } as RunRecord;
  fs.writeFileSync(path.join(dir, 'run.json'), formatRunRecord(record));
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return dir;
}

const epochLine = (epoch: number, m: Record<string, number>) => ({ type: 'epoch', epoch, time: T0 + (epoch + 1) * 60_000, ...m });

describe('the grouped Runs view', () => {
  it('rows say when, the best validation metric and how long; groups by model file, newest first', () => {
    writeRun('a', { endedAt: new Date(T0 + 185_000).toISOString() }, [
      { type: 'batch', epoch: 0, batch: 0, step: 0, time: T0 + 1000, loss: 2 },
      epochLine(0, { loss: 1, val_loss: 0.9, val_acc: 0.8 }),
      epochLine(1, { loss: 0.5, val_loss: 0.6, val_acc: 0.91 }),
      epochLine(2, { loss: 0.4, val_loss: 0.7, val_acc: 0.89 }),
    ]);
    writeRun('b', { startedAt: new Date(T0 + 3_600_000).toISOString(), modelFile: path.join(ws, 'mlp.model.ts'), status: 'stopped', endedAt: new Date(T0 + 3_660_000).toISOString() }, [
      { type: 'batch', epoch: 0, batch: 0, step: 0, time: T0 + 3_601_000, loss: 2 },
      epochLine(0, { loss: 0.3, mae: 0.2 }),
    ]);
    writeRun('c', { status: 'failed', startedAt: new Date(T0 + 10).toISOString(), error: { message: 'no createModel' } }, [{ type: 'end', epoch: 0, time: T0 + 20, status: 'failed' }]);
    writeRunLabel(path.join(runsDir, 'a'), '  wide\nkernels  ');

    const now = T0 + 2 * 3_600_000;
    const rows = listRunEntries(runsDir).map((entry) =>
      richRunRow({ entry, tail: readMetricsTail(entry.runDir), label: readRunLabel(entry.runDir), now, locale: 'en' }),
    );
    const { groups, damaged } = groupRuns(rows);
    expect(damaged).toEqual([]);
    expect(groups.map((g) => [g.label, g.runs.map((r) => r.label), g.failedEarly.map((r) => r.label)])).toEqual([
      ['mlp.model.ts', ['b'], []],
      ['cnn.model.ts', ['wide kernels'], ['c']],
    ]);
    const a = groups[1].runs[0];
    expect(a.description).toBe('2 hours ago · val_acc 0.9100 · 3m 05s');
    expect(groups[0].runs[0].description).toBe('1 hour ago · loss 0.3000 · 1m 00s · stopped');
  });

  it('says a run\'s status, duration, config and best metric in the words it is given (the Runs view passes the user\'s language)', () => {
    writeRun('b', { startedAt: new Date(T0).toISOString(), status: 'stopped', endedAt: new Date(T0 + 60_000).toISOString() }, [
      { type: 'batch', epoch: 0, batch: 0, step: 0, time: T0 + 1000, loss: 2 },
      epochLine(0, { loss: 0.5, val_acc: 0.75 }),
    ]);
    const [entry] = listRunEntries(runsDir);
    // The Chinese texts as the zh-cn bundle has them, filled in the way vscode.l10n.t fills {0}.
    const bundle = JSON.parse(fs.readFileSync(path.join(__dirname, '../../l10n/bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
    const t = (key: string, ...args: unknown[]): string => bundle[key].replace(/\{(\d)\}/g, (_, i: string) => String(args[Number(i)]));
    const words = {
      status: '状态',
      backend: '后端',
      damaged: '已损坏的运行',
      unreadable: (r: string) => r,
      statusWord: (s: string) => ({ stopped: '已停止' })[s] ?? s,
      configLine: (e: number, b: number, d: string) => t('{0} epochs · batch {1} · {2}', e, b, d),
      bestLine: (n: string, v: number, e: number) => t('best {0}: {1} (epoch {2})', n, v, e),
    };
    const row = richRunRow({ entry, tail: readMetricsTail(entry.runDir), now: T0 + 120_000, locale: 'zh-cn' }, words);
    expect(row.description).toBe('2分钟前 · val_acc 0.7500 · 1分00秒 · 已停止');
    expect(row.tooltip).toContain('状态: 已停止');
    expect(row.tooltip.join('\n')).not.toMatch(/epochs|batch|best/);
    expect(row.tooltip).toContain('最佳 val_acc：0.75（第 1 轮）');
    expect(row.tooltip.some((l) => l.startsWith('3 轮 · 批大小 32 · '))).toBe(true);
  });

  it('says what trained each run: fused with its threads, or tfjs fit and why not fused (in the words it is given)', () => {
    writeRun('fused', { backend: { name: 'wasm', reason: 'chosen', executor: 'fused', executorReason: '7 layers fused into wasm kernels (relaxed-simd)', simd: 'relaxed-simd', threads: 2, threadsReason: 'threads set to 2' } }, [epochLine(0, { loss: 1 })]);
    writeRun('tfjs', { startedAt: new Date(T0 + 1).toISOString(), backend: { name: 'wasm', reason: 'chosen', executor: 'tfjs', executorReason: 'layer lstm (LSTM) is not a layer the fused executor covers', threads: 1, threadsReason: 'tfjs trains on one thread' } }, [epochLine(0, { loss: 1 })]);
    writeRun('old', { startedAt: new Date(T0 + 2).toISOString() }, [epochLine(0, { loss: 1 })]);
    const row = (id: string, words?: Parameters<typeof richRunRow>[1]) => {
      const entry = listRunEntries(runsDir).find((e) => e.runDir.endsWith(id))!;
      return richRunRow({ entry, tail: readMetricsTail(entry.runDir), now: T0 + 120_000, locale: 'en' }, words);
    };
    expect(row('fused').tooltip).toContain('backend: wasm · fused · 2 threads');
    expect(row('tfjs').tooltip).toContain('backend: wasm · tfjs fit');
    expect(row('tfjs').tooltip).toContain('not fused: layer lstm (LSTM) is not a layer the fused executor covers');
    expect(row('fused').tooltip.join('\n')).not.toContain('not fused');
    // A run from before the executor existed says only its backend.
    expect(row('old').tooltip).toContain('backend: wasm');
    const bundle = JSON.parse(fs.readFileSync(path.join(__dirname, '../../l10n/bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
    const t = (key: string, ...args: unknown[]): string => bundle[key].replace(/\{(\d)\}/g, (_, i: string) => String(args[Number(i)]));
    const zh = {
      status: '状态',
      backend: '后端',
      damaged: '已损坏的运行',
      unreadable: (r: string) => r,
      backendWords: { fused: t('fused'), tfjs: t('tfjs fit'), threads: (n: number) => t('{0} threads', n) },
      notFused: (reason: string) => t('not fused: {0}', reason),
    };
    expect(row('fused', zh).tooltip).toContain('后端: wasm · 融合执行器 · 2 个线程');
    expect(row('tfjs', zh).tooltip).toContain('未融合：layer lstm (LSTM) is not a layer the fused executor covers');
  });

  it('picks the best epoch the way the metric improves', () => {
    const rec = { startedAt: new Date(T0).toISOString(), status: 'completed' };
    expect(runStats(rec, [epochLine(0, { val_loss: 0.5 }), epochLine(1, { val_loss: 0.4 }), epochLine(2, { val_loss: 0.45 })] as never).best).toEqual({ name: 'val_loss', value: 0.4, epoch: 1 });
    expect(runStats(rec, [epochLine(0, { acc: 0.5 }), epochLine(1, { acc: Number.NaN }), epochLine(2, { acc: 0.7 })] as never).best).toEqual({ name: 'acc', value: 0.7, epoch: 2 });
    expect(runStats(rec, []).best).toBeUndefined();
  });

  it('reads only the tail of a long metrics file', () => {
    const lines = [];
    for (let step = 0; step < 20_000; step++) lines.push({ type: 'batch', epoch: Math.floor(step / 1000), batch: step % 1000, step, time: T0 + step, loss: 1 });
    lines.push(epochLine(19, { val_acc: 0.99 }));
    const dir = writeRun('long', {}, lines);
    const tail = readMetricsTail(dir, 4096);
    expect(tail.length).toBeGreaterThan(10);
    expect(tail.length).toBeLessThan(200);
    expect(tail.at(-1)).toMatchObject({ type: 'epoch', val_acc: 0.99 });
  });

  it('relative times in the user’s language', () => {
    expect(relativeTime(T0, T0 + 120_000, 'en')).toBe('2 minutes ago');
    expect(relativeTime(T0, T0 + 30_000, 'en')).toBe('30 seconds ago');
    expect(relativeTime(T0, T0 + 3 * 86_400_000, 'zh-cn')).toBe('3天前');
  });
});

describe('run actions on disk', () => {
  it('deletes a run folder of the runs folder, and nothing else', () => {
    const dir = writeRun('gone', {}, []);
    const outside = path.join(ws, 'models');
    fs.mkdirSync(outside, { recursive: true });
    fs.writeFileSync(path.join(outside, 'run.json'), '{}');
    expect(() => deleteRunFolder(runsDir, outside)).toThrow(/not a run folder of/);
    expect(() => deleteRunFolder(runsDir, path.join(runsDir, 'gone', '..', '..'))).toThrow(/not a run folder of/);
    fs.mkdirSync(path.join(runsDir, 'not-a-run'));
    expect(() => deleteRunFolder(runsDir, path.join(runsDir, 'not-a-run'))).toThrow(/has no run\.json/);
    deleteRunFolder(runsDir, dir);
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.existsSync(path.join(outside, 'run.json'))).toBe(true);
  });

  it('a rename is one clean line; an empty one goes back to the id', () => {
    const dir = writeRun('r', {}, []);
    writeRunLabel(dir, 'first\u0007 try');
    expect(readRunLabel(dir)).toBe('first try');
    writeRunLabel(dir, '   ');
    expect(readRunLabel(dir)).toBeUndefined();
  });

  it('the command that trains the run again, relative to the workspace', () => {
    const rec = { id: 'x', modelFile: path.join(ws, 'models', 'my cnn.model.ts'), config: { epochs: 5, batchSize: 64 }, backend: { name: 'wasm' } } as unknown as RunRecord;
    expect(reproduceCommand(rec, ws)).toBe("npx model-lab train 'models/my cnn.model.ts' --epochs 5 --batch-size 64 --backend wasm");
  });
});
