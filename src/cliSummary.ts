/**
 * `model-lab summary FILE [--json]`: the model's layers, shapes and parameter counts without
 * training. Runs in the CLI process on tfjs's cpu backend (building a model needs no speed), and
 * loads tfjs only when this command is used so `train` and `--help` stay fast.
 */
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { toRunError } from './trainer/errors';
import { silenceTfjsNodeBanner } from './trainer/runTraining';
import { formatSummaryTable, summarizeModelFile } from './trainer/summary';

/** Prints the summary (a table, or one JSON object with --json); returns the exit status. */
export async function summaryCommand(file: string, opts: { json: boolean; cwd?: string }): Promise<number> {
  const cwd = opts.cwd ?? process.cwd();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand: tfjs takes a second to import
  const tf = require('@tensorflow/tfjs') as typeof tfTypes;
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
  try {
    const summary = await summarizeModelFile(tf, path.resolve(cwd, file));
    process.stdout.write(opts.json ? JSON.stringify(summary) + '\n' : formatSummaryTable(summary, cwd) + '\n');
    return 0;
  } catch (e) {
    const err = toRunError(e, { modelFile: path.resolve(cwd, file) });
    process.stderr.write(`model-lab: ${err.message}\n`);
    return 1;
  }
}
