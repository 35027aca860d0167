/**
 * `model-lab preview FILE [--json] [--limit N]`: what the model file's data looks like before
 * training, from the trainer's own loader (loadDataset on `config.dataset`, or the file's
 * `loadData()` when it returns tensors). Loads tfjs on demand, on the cpu backend, like `summary`.
 */
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { DatasetPreview } from './protocol/datasetPreview';
import { NAME_VOCAB } from './trainer/data/builtins/names';
import { isStreamingSpec, loadDataset, openStreamingDataset, prepareDataset, type Dataset } from './trainer/data/datasets';
import { toRunError } from './trainer/errors';
import { isTensor } from './trainer/evaluate';
import { loadModelContract } from './trainer/modelContract';
import { buildPreview } from './trainer/preview';
import { silenceTfjsNodeBanner } from './trainer/runTraining';

type TF = typeof tfTypes;

/** The model file's dataset, loaded as the trainer loads it, and previewed. */
export async function previewModelFile(tf: TF, modelFile: string, opts: { limit?: number } = {}): Promise<DatasetPreview> {
  const contract = await loadModelContract(tf, modelFile);
  const limit = opts.limit ?? contract.config.limit;
  let ds: Dataset;
  let name: string;
  if (contract.hasLoadData) {
    const data = await contract.loadData();
    if (!data || data.kind !== 'tensors' || !isTensor(data.xs) || !isTensor(data.ys))
      throw new Error(`${path.basename(modelFile)}: loadData() gives a tf.data.Dataset or several tensors; the preview shows one xs and one ys tensor`);
    ds = { xs: data.xs, ys: data.ys, description: `loadData() in ${path.basename(modelFile)}: xs [${data.xs.shape.join(', ')}], ys [${data.ys.shape.join(', ')}]` };
    name = 'loadData()';
  } else {
    const spec = contract.config.dataset ?? 'mnist';
    name = typeof spec === 'string' ? spec : String((spec as { type?: unknown }).type ?? 'dataset');
    if (isStreamingSpec(spec)) return previewStreamedCsv(tf, spec, modelFile);
    // A URL or preset downloads once into the cache, as training does (progress on stderr).
    const local = await prepareDataset(spec, { log: (m) => process.stderr.write(m + '\n'), modelFile });
    ds = loadDataset(tf, local, { limit, modelFile });
  }
  try {
    // The built-in names sets keep their character table outside `stats`; '.' (id 0) is padding.
    const names = name === 'names' || name === 'names-gender';
    return buildPreview(ds, { modelFile, dataset: name, ...(names && { tokens: NAME_VOCAB, padIds: [0] }) });
  } finally {
    tf.dispose([ds.xs, ds.ys]);
  }
}

/**
 * A CSV too large for memory (`stream: true`): the statistics pass reads the whole file with bounded
 * memory, as training does; only the first rows are encoded. Class counts would need a second pass
 * over the file, so a streamed set shows none.
 */
async function previewStreamedCsv(tf: TF, spec: unknown, modelFile: string): Promise<DatasetPreview> {
  const stream = await openStreamingDataset(tf, spec, { batchSize: 10, modelFile });
  const [first] = (await stream.dataset.take(1).toArray()) as unknown as { xs: tfTypes.Tensor; ys: tfTypes.Tensor }[];
  if (!first) throw new Error(`${path.basename(modelFile)}: the streamed CSV has no data rows`);
  const label = stream.schema.label;
  const ds: Dataset = {
    xs: first.xs,
    ys: first.ys,
    description: stream.description,
    kind: label.kind,
    ...(label.classNames && { classNames: label.classNames }),
    stats: { csv: stream.schema },
  };
  try {
    const p = buildPreview(ds, { modelFile, dataset: 'csv (streamed)' });
    const count = stream.trainRows + stream.validationRows;
    delete p.classBalance;
    return { ...p, count, xShape: [count, ...p.xShape.slice(1)], yShape: [count, ...p.yShape.slice(1)] };
  } finally {
    tf.dispose([first.xs, first.ys]);
  }
}

function formatPreview(p: DatasetPreview): string {
  const lines = [p.description, `${p.count} samples · xs [${p.xShape.join(', ')}] · ys [${p.yShape.join(', ')}] · ${p.kind}`];
  if (p.classBalance) {
    const total = p.classBalance.reduce((a, c) => a + c.count, 0) || 1;
    lines.push('', 'class balance:');
    for (const c of p.classBalance) lines.push(`  ${c.name.padEnd(12)} ${String(c.count).padStart(7)}  ${((100 * c.count) / total).toFixed(1)}%`);
  }
  if (p.table) {
    lines.push('', p.table.columns.join('\t'), ...p.table.rows.map((r) => r.join('\t')), '', p.table.note);
    for (const s of p.table.stats)
      lines.push(`  ${s.name}: ${s.type}${s.mean !== null ? ` mean ${s.mean.toFixed(3)} std ${(s.std ?? 0).toFixed(3)} min ${s.min} max ${s.max}` : ''}${s.missing ? `, ${s.missing} missing` : ''}`);
  }
  if (p.texts) lines.push('', ...p.texts.map((t) => `  ${JSON.stringify(t.text)} ${t.label}`));
  if (p.series) lines.push('', `  ${p.series.values.join(', ')} → ${p.series.target.join(', ')}`, p.series.note);
  if (p.images) lines.push('', `${p.images.length} images: ${p.images.map((i) => i.label).join(' ')}`);
  return lines.join('\n');
}

/** Prints the preview (text, or one JSON object with --json); returns the exit status. */
export async function previewCommand(file: string, opts: { json: boolean; limit?: number; cwd?: string }): Promise<number> {
  const cwd = opts.cwd ?? process.cwd();
  const modelFile = path.resolve(cwd, file);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand: tfjs takes a second to import
  const tf = require('@tensorflow/tfjs') as TF;
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
  try {
    const preview = await previewModelFile(tf, modelFile, { limit: opts.limit });
    process.stdout.write(opts.json ? JSON.stringify(preview) + '\n' : formatPreview(preview) + '\n');
    return 0;
  } catch (e) {
    const err = toRunError(e, { modelFile });
    process.stderr.write(`model-lab: ${err.message}\n`);
    return 1;
  }
}
