/**
 * The optimizer and learning rate a run was asked to use instead of the model file's (Train with
 * Changes, `--optimizer`, `--learning-rate`). Before compiling, they replace config.optimizer and
 * config.learningRate; a model createModel() compiled itself is recompiled with the same loss and
 * metrics and the new optimizer, or only gets its learning rate set. The file is never touched.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { RunOverrides } from '../protocol/runOverrides';
import { getLearningRate, setLearningRate } from './checkpoints';
import { makeOptimizer, type ContractConfig } from './modelContract';

type TF = typeof tfTypes;

/** The file's config with the optimizer overrides in place, for compileIfNeeded. */
export function configWithOptimizerOverrides(config: ContractConfig, o: RunOverrides | undefined): ContractConfig {
  if (!o || (o.optimizer === undefined && o.learningRate === undefined)) return config;
  if (o.optimizer !== undefined) {
    // A new optimizer by name: the file's learning rate only if it was meant for a named optimizer too.
    const lr = o.learningRate ?? (typeof config.optimizer === 'object' ? undefined : config.learningRate);
    return { ...config, optimizer: o.optimizer, ...(lr !== undefined ? { learningRate: lr } : { learningRate: undefined }) };
  }
  // Only the learning rate: an optimizer instance gets it after compiling (applyOptimizerOverrides).
  return typeof config.optimizer === 'object' ? config : { ...config, learningRate: o.learningRate };
}

/**
 * After compileIfNeeded: makes the compiled model train with the overrides. Returns a line for the
 * log saying what changed, or undefined when nothing had to.
 */
export function applyOptimizerOverrides(tf: TF, model: tfTypes.LayersModel, o: RunOverrides | undefined): string | undefined {
  if (!o || (o.optimizer === undefined && o.learningRate === undefined)) return undefined;
  const current = optimizerName(model.optimizer);
  if (o.optimizer !== undefined && current !== o.optimizer) {
    // createModel() compiled with another optimizer: the same loss and metrics, the new optimizer.
    const old = model.optimizer;
    const optimizer = makeOptimizer(tf, { optimizer: o.optimizer, learningRate: o.learningRate });
    model.compile({ optimizer, loss: model.loss, metrics: (model as unknown as { metrics?: string[] }).metrics });
    old?.dispose();
    return `Optimizer overridden: ${o.optimizer} (learning rate ${getLearningRate(optimizer)}) instead of ${current ?? 'the model’s own'}; the model file is unchanged.`;
  }
  if (o.learningRate !== undefined && getLearningRate(model.optimizer) !== o.learningRate) {
    setLearningRate(model.optimizer, o.learningRate);
    return `Learning rate overridden: ${o.learningRate}; the model file is unchanged.`;
  }
  return undefined;
}

/** `adam` for tf.train.adam(…): the optimizer's tfjs class name in lower case. */
export function optimizerName(optimizer: unknown): string | undefined {
  const c = (optimizer as { getClassName?: () => string } | null | undefined)?.getClassName?.();
  return typeof c === 'string' ? c.toLowerCase() : undefined;
}
