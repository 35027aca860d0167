/**
 * Checkpoints in a run folder: `checkpoints/last/` and `checkpoints/best/`, each a tfjs model
 * (model.json + weights.bin, optimizer state included) plus `checkpoint.json`, written in one atomic
 * rename. Also restores a checkpoint into a freshly built model for `--resume`, and reads/sets an
 * optimizer's learning rate.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import {
  CHECKPOINT_FILE,
  checkpointPointerName,
  CHECKPOINTS_DIR,
  parseCheckpointInfo,
  parseCheckpointPointer,
  RUN_FILE,
  type RunRecord,
} from '../protocol/runFolder';
import type { CheckpointInfo } from '../protocol/trainer';
import { RunFailure } from './errors';
import { fileLoadHandler, saveModel } from './fsModelIo';
import { readRunFolder } from './runWriter';
import { msg } from './messages';

type TF = typeof tfTypes;


/** Where a checkpoint of `kind` is written (and where it is once a save has finished): checkpoints/<kind>/. */
export const checkpointDir = (runDir: string, kind: CheckpointInfo['kind']) => path.join(runDir, CHECKPOINTS_DIR, kind);
export const checkpointPointer = (runDir: string, kind: CheckpointInfo['kind']) => path.join(runDir, CHECKPOINTS_DIR, checkpointPointerName(kind));

/**
 * The folder holding the complete checkpoint of `kind`: the one checkpoints/<kind>.json names when
 * it holds a checkpoint.json (a save was cut between its two renames), else checkpoints/<kind>/
 * (a finished save, or a run folder from before the pointer existed).
 */
export function findCheckpointDir(runDir: string, kind: CheckpointInfo['kind']): string {
  try {
    const parsed = parseCheckpointPointer(fs.readFileSync(checkpointPointer(runDir, kind), 'utf8'));
    if (parsed.ok) {
      const dir = path.join(runDir, CHECKPOINTS_DIR, parsed.value.dir);
      if (fs.existsSync(path.join(dir, CHECKPOINT_FILE))) return dir;
    }
  } catch {
    // no pointer: the layout before it, or no checkpoint yet
  }
  return checkpointDir(runDir, kind);
}

/** Saves the model with its optimizer state and `info` as checkpoint.json; returns the folder. */
export async function saveCheckpoint(tf: TF, model: tfTypes.LayersModel, runDir: string, info: CheckpointInfo): Promise<string> {
  const dir = checkpointDir(runDir, info.kind);
  await saveModel(tf, model, dir, {
    includeOptimizer: true,
    extraFiles: { [CHECKPOINT_FILE]: JSON.stringify(info, null, 2) + '\n' },
    pointer: checkpointPointer(runDir, info.kind),
  });
  return dir;
}

export function readCheckpointInfo(dir: string): CheckpointInfo {
  const file = path.join(dir, CHECKPOINT_FILE);
  const parsed = parseCheckpointInfo(fs.readFileSync(file, 'utf8'));
  // The reason starts with "checkpoint.json …", so the folder in front of it names the file in full.
  if (!parsed.ok) throw new Error(path.join(dir, parsed.reason));
  return parsed.value;
}

/** Anything with a learning rate: every tfjs optimizer has a plain `learningRate` field. */
type LrOptimizer = { learningRate?: unknown; setLearningRate?: (lr: number) => void };

export function getLearningRate(optimizer: unknown): number | undefined {
  const lr = (optimizer as LrOptimizer | null)?.learningRate;
  return typeof lr === 'number' ? lr : undefined;
}

/**
 * Sets the learning rate used from the next step on. SGD and Momentum bake `-lr` into a kept scalar
 * at construction, so only their setLearningRate() takes effect; Adam, Adamax, RMSProp, Adagrad and
 * Adadelta read the `learningRate` field at every step (checked in tfjs 4.22).
 */
export function setLearningRate(optimizer: unknown, lr: number): void {
  const o = optimizer as LrOptimizer;
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

export interface ResumeSource {
  runDir: string;
  record: RunRecord;
  checkpointDir: string;
  info: CheckpointInfo;
}

/** Finds the run to resume (a folder, or a run id under runsDir) and its checkpoints/last. */
export function findResumeSource(resumeFrom: string, runsDir: string): ResumeSource {
  const candidates = path.isAbsolute(resumeFrom) ? [resumeFrom] : [path.join(runsDir, resumeFrom), path.resolve(resumeFrom)];
  const runDir = candidates.find((d) => fs.existsSync(path.join(d, RUN_FILE)));
  if (!runDir) throw new RunFailure({ message: msg('resume.noRun', resumeFrom, runsDir) });
  const dir = findCheckpointDir(runDir, 'last');
  let info: CheckpointInfo;
  try {
    info = readCheckpointInfo(dir);
  } catch (e) {
    throw new RunFailure({
      message: msg('resume.noCheckpoint', path.basename(runDir), e instanceof Error && e.message.includes(CHECKPOINT_FILE) ? e.message : path.join(CHECKPOINTS_DIR, 'last', CHECKPOINT_FILE)),
      details: e instanceof Error ? e.message : String(e),
    });
  }
  return { runDir, record: readRunFolder(runDir).record, checkpointDir: dir, info };
}

/**
 * Loads a checkpoint's weights into `model` (built from the model file, so its custom code and
 * compile settings stay) and its optimizer state into model.optimizer. Weights are matched by
 * position, as model.save wrote them; layer names differ between processes.
 */
export async function restoreCheckpoint(tf: TF, model: tfTypes.LayersModel, dir: string): Promise<void> {
  const handler = fileLoadHandler(tf, dir);
  const artifacts = await handler.load!();
  const specs = artifacts.weightSpecs ?? [];
  if (artifacts.weightData === undefined) throw new RunFailure({ message: msg('resume.noWeights', dir) });
  const named = tf.io.decodeWeights(artifacts.weightData, specs);
  try {
    const modelSpecs = specs.filter((s) => s.group !== 'optimizer');
    const optimizerSpecs = specs.filter((s) => s.group === 'optimizer');
    const weights = model.weights;
    const mismatch = (why: string) =>
      new RunFailure({ message: msg('resume.doesNotFit', dir, why) });
    if (modelSpecs.length !== weights.length) throw mismatch(`it has ${modelSpecs.length} weight tensors, the model ${weights.length}`);
    modelSpecs.forEach((s, i) => {
      const want = weights[i].shape;
      if (s.shape.length !== want.length || s.shape.some((d, j) => d !== want[j]))
        throw mismatch(`weight ${weights[i].originalName} is [${want.join(',')}] in the model but [${s.shape.join(',')}] in the checkpoint`);
    });
    model.setWeights(modelSpecs.map((s) => named[s.name]));
    if (optimizerSpecs.length > 0) {
      if (!model.optimizer) throw mismatch('it has optimizer state but the model has no optimizer');
      await model.optimizer.setWeights(optimizerSpecs.map((s) => ({ name: s.name, tensor: named[s.name] })));
    }
  } finally {
    // setWeights copies into variables: the decoded tensors are ours to free.
    tf.dispose(Object.values(named));
  }
}
