import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseMetricLines } from '../../src/protocol/runFolder';
import type { TrainerToHost } from '../../src/protocol/trainer';
import { runTraining, silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { metricsCsv, metricsJson, readRunsForExport } from '../../src/training/exportMetrics';
import { writeRunLabel } from '../../src/training/runStore';

/** RFC 4180 fields, written here apart from the exporter (quotes, doubled quotes, commas inside). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let f = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (f += '"'), i++;
      else if (c === '"') quoted = false;
      else f += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(f), (f = '');
    else if (c === '\n') row.push(f), rows.push(row), (row = []), (f = '');
    else f += c;
  }
  return rows;
}

let runsDir: string;
const runDirs: string[] = [];
beforeAll(async () => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-export-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
  const modelFile = path.resolve(__dirname, '../fixtures/trainer/tiny.model.ts');
  for (const batchSize of [32, 64]) {
    const messages: TrainerToHost[] = [];
    await runTraining(tf, { name: 'cpu', reason: 'unit test' }, { modelFile, runsDir, backend: 'cpu', overrides: { epochs: 2, batchSize } }, (m) => messages.push(m), { stopRequested: () => false });
    const end = messages.at(-1);
    if (end?.type !== 'end' || !end.runDir) throw new Error('no run');
    runDirs.push(end.runDir);
  }
  writeRunLabel(runDirs[0], 'small batches, "32"');
}, 120_000);
afterAll(() => fs.rmSync(runsDir, { recursive: true, force: true }));

test('CSV: one row per batch and epoch line of every run, every metric exact, names quoted', () => {
  const csv = parseCsv(metricsCsv(readRunsForExport(runDirs)));
  const [head, ...rows] = csv;
  expect(head.slice(0, 7)).toEqual(['run_id', 'run_name', 'type', 'epoch', 'batch', 'step', 'time']);
  // loss first, each metric beside its validation twin.
  expect(head[7]).toBe('loss');
  expect(head.indexOf('val_loss')).toBe(head.indexOf('loss') + 1);
  expect(head.indexOf('val_acc')).toBe(head.indexOf('acc') + 1);
  let n = 0;
  for (const dir of runDirs) {
    const lines = parseMetricLines(fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')).filter((l) => l.type !== 'end');
    const id = path.basename(dir);
    const mine = rows.filter((r) => r[0] === id);
    expect(mine.length).toBe(lines.length);
    lines.forEach((l, i) => {
      const r = mine[i];
      expect(r[2]).toBe(l.type);
      expect(Number(r[3])).toBe(l.epoch + 1);
      expect(Number(r[head.indexOf('loss')])).toBe((l as Record<string, unknown>).loss);
      expect(Date.parse(r[6])).toBe(l.time);
      if (l.type === 'batch') expect(Number(r[5])).toBe(l.step);
      if (l.type === 'epoch') expect(Number(r[head.indexOf('val_acc')])).toBe((l as Record<string, unknown>).val_acc);
    });
    n += lines.length;
  }
  expect(rows.length).toBe(n);
  expect(rows.find((r) => r[0] === path.basename(runDirs[0]))![1]).toBe('small batches, "32"');
  expect(rows.find((r) => r[0] === path.basename(runDirs[1]))![1]).toBe(path.basename(runDirs[1]));
});

test('JSON: each run with its config, batches and epochs as metrics.jsonl has them', () => {
  const out = JSON.parse(metricsJson(readRunsForExport(runDirs)));
  expect(out.runs.map((r: { runId: string }) => r.runId)).toEqual(runDirs.map((d) => path.basename(d)));
  expect(out.runs.map((r: { config: { batchSize: number } }) => r.config.batchSize)).toEqual([32, 64]);
  for (const [i, dir] of runDirs.entries()) {
    const lines = parseMetricLines(fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8'));
    expect(out.runs[i].batches.length).toBe(lines.filter((l) => l.type === 'batch').length);
    expect(out.runs[i].epochs.map((e: { val_loss: number }) => e.val_loss)).toEqual(lines.filter((l) => l.type === 'epoch').map((l) => (l as Record<string, unknown>).val_loss));
  }
});

test('a damaged run folder fails the export naming its file', () => {
  const broken = path.join(runsDir, 'broken');
  fs.mkdirSync(broken);
  fs.writeFileSync(path.join(broken, 'run.json'), '{"id": "broken", "modelF');
  expect(() => readRunsForExport([runDirs[0], broken])).toThrow(/broken[/\\]run\.json/);
});
