/**
 * Evaluation on demand: a saved run's model (model/, or checkpoints/best|last) on the run's own
 * validation data, re-resolved exactly as training resolved it (the same model file, dataset spec,
 * limit and seed from run.json), so the held-out tail is the same samples the end-of-run eval.json
 * judged. Written next to it as eval.json (final model) or eval-best.json / eval-last.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { EvalReport } from '../protocol/evalReport';
import { EVAL_FILE } from '../protocol/evalReport';
import type { RunRecord } from '../protocol/trainer';
import { MODEL_DIR, readRun } from '../training/runStore';
import { checkpointDir } from './checkpoints';
import { isStreamingSpec, loadDataset, openStreamingDataset } from './data/datasets';
import { RunFailure } from './errors';
import { datasetToEvalData, disposeEvalData, evaluateModel, validationTail, type EvalData } from './evaluate';
import { loadModel } from './fsModelIo';
import { disposeTrainingData, isDataset as isTfDataset, loadModelContract, type TrainingData } from './modelContract';
import { LOAD_DATA } from './runTraining';

type TF = typeof tfTypes;

export type EvalCheckpoint = 'final' | 'best' | 'last';
export const EVAL_CHECKPOINTS: readonly EvalCheckpoint[] = ['final', 'best', 'last'];

/** Samples read from a validation tf.data.Dataset, as at the end of training. */
const EVAL_MAX_SAMPLES = 2000;

/** eval.json for the final model, eval-best.json / eval-last.json for a checkpoint. */
export function evalFileName(checkpoint: EvalCheckpoint): string {
  return checkpoint === 'final' ? EVAL_FILE : `eval-${checkpoint}.json`;
}

/** The folder holding the model to evaluate; a RunFailure saying what is missing when there is none. */
export function modelDirFor(runDir: string, checkpoint: EvalCheckpoint): string {
  const dir = checkpoint === 'final' ? path.join(runDir, MODEL_DIR) : checkpointDir(runDir, checkpoint);
  if (!fs.existsSync(path.join(dir, 'model.json')))
    throw new RunFailure({
      message:
        checkpoint === 'final'
          ? `Run ${path.basename(runDir)} has no saved model (model/): it did not finish; try --checkpoint last or best`
          : `Run ${path.basename(runDir)} has no ${checkpoint} checkpoint (checkpoints/${checkpoint}/)`,
    });
  return dir;
}

export interface EvaluateRunResult {
  report: EvalReport;
  file: string;
  record: RunRecord;
}

/** Evaluates a saved run and writes its eval file. Throws a RunFailure (one-line message) when it cannot. */
export async function evaluateRun(tf: TF, runDir: string, opts: { checkpoint?: EvalCheckpoint } = {}): Promise<EvaluateRunResult> {
  const checkpoint = opts.checkpoint ?? 'final';
  if (!fs.existsSync(path.join(runDir, 'run.json'))) throw new RunFailure({ message: `${runDir} is not a run folder (no run.json)` });
  const { record } = readRun(runDir);
  const modelDir = modelDirFor(runDir, checkpoint);
  const modelFile = record.modelFile;
  if (!fs.existsSync(modelFile)) throw new RunFailure({ message: `The run's model file is gone: ${modelFile} (its data cannot be loaded again)` });

  const model = await loadModel(tf, modelDir);
  let data: TrainingData | undefined;
  let own: EvalData | undefined;
  try {
    const config = record.config;
    let evalData: EvalData | undefined;
    if (config.dataset === LOAD_DATA) {
      const contract = await loadModelContract(tf, modelFile);
      data = await contract.loadData();
      if (!data) throw new RunFailure({ message: `${path.basename(modelFile)}: loadData() gave no data`, file: modelFile });
      const v = await validationOf(tf, data, config.validationSplit, 'the validation set from loadData()');
      evalData = v?.data;
      if (v?.own) own = v.data;
    } else if (isStreamingSpec(config.dataset) && typeof config.dataset === 'object' && config.dataset.type === 'csv') {
      const spec = config.dataset;
      const s = await openStreamingDataset(tf, { ...spec, validation: spec.validation ?? config.validationSplit }, { batchSize: config.batchSize, modelFile });
      if (s.validationDataset && s.validationRows > 0)
        evalData = own = await datasetToEvalData(tf, s.validationDataset, `the ${s.validationRows} validation rows of ${path.basename(spec.path)}`, EVAL_MAX_SAMPLES);
    } else {
      const ds = loadDataset(tf, config.dataset, { limit: config.limit, modelFile });
      const n = ds.xs.shape[0];
      const vc = ds.validationCount ?? 0;
      if (vc > 0 && vc < n && config.validationSplit > 0) {
        // A time series validates on its most recent windows, as training did.
        const [xs, vxs] = tf.split(ds.xs, [n - vc, vc]);
        const [ys, vys] = tf.split(ds.ys, [n - vc, vc]);
        tf.dispose([ds.xs, ds.ys, xs, ys]);
        evalData = own = { xs: vxs, ys: vys, description: `the most recent ${vc} windows` };
      } else {
        data = { kind: 'tensors', xs: ds.xs, ys: ds.ys };
        evalData = own = validationTail(tf, data, config.validationSplit);
      }
    }
    if (!evalData) throw new RunFailure({ message: 'No evaluation: the run has no validation data (validationSplit is 0, or a tf.data.Dataset without validation)' });
    const classNames = record.dataset?.classNames;
    const report = await evaluateModel(tf, model, evalData, { ...(classNames && { classNames }) });
    const file = path.join(runDir, evalFileName(checkpoint));
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(report) + '\n');
    fs.renameSync(tmp, file);
    return { report, file, record };
  } finally {
    disposeEvalData(own);
    disposeTrainingData(tf, data);
    model.dispose();
  }
}

/** loadData()'s validation: its own set (tensors or a dataset), else the validationSplit tail of its tensors. */
async function validationOf(tf: TF, data: TrainingData, validationSplit: number, description: string): Promise<{ data: EvalData; own: boolean } | undefined> {
  const v = data.validation;
  let made: EvalData | undefined;
  if (v && isTfDataset(v)) made = await datasetToEvalData(tf, v, description, EVAL_MAX_SAMPLES);
  else if (v) return { data: { xs: v.xs, ys: v.ys, description }, own: false };
  else if (data.kind === 'tensors') made = validationTail(tf, data, validationSplit);
  return made && { data: made, own: true };
}
