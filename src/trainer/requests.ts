/**
 * The trainer's answers to the host's requests (src/protocol/trainer.ts): a model summary for the
 * editor's layer hints, a dataset preview, a saved run evaluated again. One function for both ways
 * in: a serving trainer child answers `request` messages with it (main.ts), and the CLI's `summary`,
 * `preview` and `evaluate` call it in their own process, so both give the same result.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { TrainerRequest, TrainerRequestKind, TrainerResultOf } from '../protocol/trainer';
import { evaluateRun } from './evaluateRun';
import { previewModelFile } from './previewModelFile';
import { silenceTfjsNodeBanner } from './runTraining';
import { summarizeModelFile } from './summary';

type TF = typeof tfTypes;

/**
 * tfjs on its cpu backend, loaded on first use (importing it takes a second): building a model or
 * loading a dataset needs no speed, and the cpu backend is always there.
 */
export async function loadCpuTfjs(): Promise<TF> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand: tfjs takes a second to import
  const tf = require('@tensorflow/tfjs') as TF;
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
  return tf;
}

/** Answers one request; throws (a RunFailure where the cause is known) when it cannot. */
export async function answerRequest<K extends TrainerRequestKind>(tf: TF, request: Extract<TrainerRequest, { kind: K }>): Promise<TrainerResultOf<K>> {
  const r = request as TrainerRequest;
  switch (r.kind) {
    case 'summary':
      return { kind: 'summary', summary: await summarizeModelFile(tf, r.file) } as TrainerResultOf<K>;
    case 'preview':
      return { kind: 'preview', preview: await previewModelFile(tf, r.file, { ...(r.limit !== undefined && { limit: r.limit }) }) } as TrainerResultOf<K>;
    case 'evaluate': {
      const { report, file } = await evaluateRun(tf, r.runDir, { ...(r.checkpoint && { checkpoint: r.checkpoint }) });
      return { kind: 'evaluate', report, file } as TrainerResultOf<K>;
    }
  }
}
