/**
 * What a model file's data looks like before training, from the trainer's own loader (loadDataset on
 * `config.dataset`, or the file's `loadData()` when it returns tensors). Answers the `preview` request
 * (src/trainer/requests.ts) and `model-lab preview`.
 */
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { DatasetPreview } from '../protocol/datasetPreview';
import { NAME_VOCAB } from './data/builtins/names';
import { isStreamingSpec, loadDataset, openStreamingDataset, prepareDataset, type Dataset } from './data/datasets';
import { isTensor } from './tensors';
import { loadModelContract } from './modelContract';
import { buildPreview } from './preview';
import { msg } from './messages';

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
      throw new Error(msg('preview.notOneTensor', path.basename(modelFile)));
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
  if (!first) throw new Error(msg('preview.noRows', path.basename(modelFile)));
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
