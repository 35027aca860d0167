/**
 * `model-lab preview FILE [--json] [--limit N]`: what the model file's data looks like before
 * training (src/trainer/previewModelFile.ts, answered in this process on tfjs's cpu backend as the
 * trainer answers the editor's `preview` request).
 */
import * as path from 'node:path';
import type { DatasetPreview } from '../protocol/datasetPreview';
import { toRunError } from '../trainer/errors';
import { answerRequest, loadCpuTfjs } from '../trainer/requests';
import { t } from './messages';
import { commandTimeout } from './timeout';

function formatPreview(p: DatasetPreview): string {
  const lines = [p.description, t('preview.samples', p.count, p.xShape.join(', '), p.yShape.join(', '), p.kind)];
  if (p.classBalance) {
    const total = p.classBalance.reduce((a, c) => a + c.count, 0) || 1;
    lines.push('', t('preview.classBalance'));
    for (const c of p.classBalance) lines.push(`  ${c.name.padEnd(12)} ${String(c.count).padStart(7)}  ${((100 * c.count) / total).toFixed(1)}%`);
  }
  if (p.table) {
    lines.push('', p.table.columns.join('\t'), ...p.table.rows.map((r) => r.join('\t')), '', p.table.note);
    for (const s of p.table.stats)
      lines.push(`  ${s.name}: ${s.type}${s.mean !== null ? ` mean ${s.mean.toFixed(3)} std ${(s.std ?? 0).toFixed(3)} min ${s.min} max ${s.max}` : ''}${s.missing ? `, ${s.missing} missing` : ''}`);
  }
  if (p.texts) lines.push('', ...p.texts.map((t) => `  ${JSON.stringify(t.text)} ${t.label}`));
  if (p.series) lines.push('', `  ${p.series.values.join(', ')} → ${p.series.target.join(', ')}`, p.series.note);
  if (p.images) lines.push('', t('preview.images', p.images.length, p.images.map((i) => i.label).join(' ')));
  return lines.join('\n');
}

/** Prints the preview (text, or one JSON object with --json); returns the exit status. */
export async function previewCommand(file: string, opts: { json: boolean; limit?: number; cwd?: string }): Promise<number> {
  const cwd = opts.cwd ?? process.cwd();
  const modelFile = path.resolve(cwd, file);
  const tf = await loadCpuTfjs();
  const stopTimer = commandTimeout('preview', modelFile);
  try {
    const { preview } = await answerRequest(tf, { kind: 'preview', file: modelFile, ...(opts.limit !== undefined && { limit: opts.limit }) });
    stopTimer();
    process.stdout.write(opts.json ? JSON.stringify(preview) + '\n' : formatPreview(preview) + '\n');
    return 0;
  } catch (e) {
    stopTimer();
    const err = toRunError(e, { modelFile });
    process.stderr.write(`model-lab: ${err.message}\n`);
    return 1;
  }
}
