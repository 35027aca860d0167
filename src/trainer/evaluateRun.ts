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
import { MODEL_DIR, type RunRecord } from '../protocol/runFolder';
import type { EvalCheckpoint } from '../protocol/trainer';
import { findCheckpointDir } from './checkpoints';
import { RunFailure } from './errors';
import { disposeEvalData, evaluateModel, type EvalData } from './evaluate';
import { loadModel } from './fsModelIo';
import { disposeTrainingData, loadModelContract, type TrainingData } from './modelContract';
import { LOAD_DATA, loadTrainingData, validationEvalData } from './runTraining';
import { readRunFolder } from './runWriter';
import { msg } from './messages';

type TF = typeof tfTypes;


/** eval.json for the final model, eval-best.json / eval-last.json for a checkpoint. */
export function evalFileName(checkpoint: EvalCheckpoint): string {
  return checkpoint === 'final' ? EVAL_FILE : `eval-${checkpoint}.json`;
}

/** The folder holding the model to evaluate; a RunFailure saying what is missing when there is none. */
export function modelDirFor(runDir: string, checkpoint: EvalCheckpoint): string {
  const dir = checkpoint === 'final' ? path.join(runDir, MODEL_DIR) : findCheckpointDir(runDir, checkpoint);
  if (!fs.existsSync(path.join(dir, 'model.json')))
    throw new RunFailure({
      message:
        checkpoint === 'final'
          ? msg('eval.noModel', path.basename(runDir))
          : msg('eval.noCheckpoint', path.basename(runDir), checkpoint),
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
  if (!fs.existsSync(path.join(runDir, 'run.json'))) throw new RunFailure({ message: msg('eval.notRunFolder', runDir) });
  const { record } = readRunFolder(runDir);
  const modelDir = modelDirFor(runDir, checkpoint);
  const modelFile = record.modelFile;
  if (!fs.existsSync(modelFile)) throw new RunFailure({ message: msg('eval.modelFileGone', modelFile) });

  const model = await loadModel(tf, modelDir);
  let data: TrainingData | undefined;
  let own: EvalData | undefined;
  try {
    const config = record.config;
    // The data exactly as training resolved it, so the held-out part is the same samples.
    const contract = config.dataset === LOAD_DATA ? await loadModelContract(tf, modelFile) : undefined;
    const loadData = contract
      ? async () => {
          const d = await contract.loadData();
          if (!d) throw new RunFailure({ message: msg('eval.noData', path.basename(modelFile)), file: modelFile });
          return d;
        }
      : undefined;
    const loaded = await loadTrainingData(tf, loadData, config, modelFile);
    data = loaded.data;
    const sel = await validationEvalData(tf, data, config.validationSplit, loaded.validationDescription);
    own = sel.own;
    const evalData = sel.evalData;
    if (!evalData) throw new RunFailure({ message: msg('eval.noValidation') });
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

