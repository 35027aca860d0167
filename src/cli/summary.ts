/**
 * `model-lab summary FILE [--json]`: the model's layers, shapes and parameter counts without
 * training. Answered in the CLI process on tfjs's cpu backend (src/trainer/requests.ts, as a trainer
 * child answers the editor's `summary` request); tfjs loads only when this command is used.
 */
import * as path from 'node:path';
import { toRunError } from '../trainer/errors';
import { answerRequest, loadCpuTfjs } from '../trainer/requests';
import { formatSummaryTable } from '../trainer/summary';
import { commandTimeout } from './timeout';

/** Prints the summary (a table, or one JSON object with --json); returns the exit status. */
export async function summaryCommand(file: string, opts: { json: boolean; cwd?: string }): Promise<number> {
  const cwd = opts.cwd ?? process.cwd();
  const tf = await loadCpuTfjs();
  const stopTimer = commandTimeout('summary', path.resolve(cwd, file));
  try {
    const { summary } = await answerRequest(tf, { kind: 'summary', file: path.resolve(cwd, file) });
    stopTimer();
    process.stdout.write(opts.json ? JSON.stringify(summary) + '\n' : formatSummaryTable(summary, cwd) + '\n');
    // createModel() failed after some layers built: they are printed (and in the JSON), the error too.
    if (summary.buildError) {
      process.stderr.write(`model-lab: ${summary.buildError.message}\n`);
      return 1;
    }
    return 0;
  } catch (e) {
    stopTimer();
    const err = toRunError(e, { modelFile: path.resolve(cwd, file) });
    process.stderr.write(`model-lab: ${err.message}\n`);
    return 1;
  }
}
