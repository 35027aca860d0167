/**
 * `model-lab evaluate RUN [--checkpoint best|last|final] [--json] [--runs-dir DIR]`: a saved run's
 * model judged again on the run's validation data (evaluateRun.ts), written as eval.json (or
 * eval-best.json / eval-last.json) and printed: accuracy and a per-class table, or MAE/RMSE/R².
 * Answered in this process on tfjs's cpu backend (src/trainer/requests.ts), as the editor's `evaluate` request is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { t } from './messages';
import type { EvalReport } from '../protocol/evalReport';
import { RUN_FILE } from '../protocol/runFolder';
import type { EvalCheckpoint } from '../protocol/trainer';
import { toRunError } from '../trainer/errors';
import { answerRequest, loadCpuTfjs } from '../trainer/requests';

const fmt = (v: number | null | undefined, digits = 4) => (v === null || v === undefined ? 'n/a' : v.toFixed(digits));
const pct = (v: number | null | undefined) => (v === null || v === undefined ? '  n/a' : `${(v * 100).toFixed(1)}%`);

/** The report as a few readable lines per output. */
export function formatEvalReport(report: EvalReport): string {
  const lines = [t('eval.samples', report.count, report.data)];
  for (const o of report.outputs) {
    const head = report.outputs.length > 1 ? `${o.output}: ` : '';
    if (o.kind === 'classification') {
      lines.push(t('eval.classification', head, pct(o.accuracy), pct(o.macro.precision), pct(o.macro.recall), pct(o.macro.f1)));
      const w = Math.max(5, ...o.classNames.map((n) => n.length));
      lines.push(`  ${'class'.padEnd(w)}  precision  recall      F1  support`);
      o.perClass.forEach((c, i) =>
        lines.push(`  ${(o.classNames[i] ?? String(i)).padEnd(w)}  ${pct(c.precision).padStart(9)}  ${pct(c.recall).padStart(6)}  ${pct(c.f1).padStart(6)}  ${String(c.support).padStart(7)}`),
      );
    } else if (o.kind === 'regression') {
      lines.push(`${head}MAE ${fmt(o.mae)} · RMSE ${fmt(o.rmse)} · R² ${fmt(o.r2)}`);
    } else {
      lines.push(t('eval.reconstruction', head, fmt(o.meanError)));
    }
  }
  return lines.join('\n');
}

/** A run folder as typed, or a run id in the runs folder; undefined when neither exists. */
export function resolveRunDir(run: string, runsDir: string, cwd: string): string | undefined {
  const asPath = path.resolve(cwd, run);
  if (fs.existsSync(path.join(asPath, RUN_FILE))) return asPath;
  const byId = path.join(runsDir, run);
  return fs.existsSync(path.join(byId, RUN_FILE)) ? byId : undefined;
}

/** Evaluates and prints; returns the exit status (0 written, 1 could not evaluate, 2 no such run). */
export async function evaluateCommand(run: string, opts: { json: boolean; checkpoint?: EvalCheckpoint; runsDir?: string; cwd?: string }): Promise<number> {
  const cwd = opts.cwd ?? process.cwd();
  const runsDir = path.resolve(cwd, opts.runsDir ?? path.join('.modellab', 'runs'));
  const runDir = resolveRunDir(run, runsDir, cwd);
  if (!runDir) {
    process.stderr.write(`model-lab: ${t('cmd.noRun', run, runsDir)}\n`);
    return 2;
  }
  const tf = await loadCpuTfjs();
  try {
    const { report, file } = await answerRequest(tf, { kind: 'evaluate', runDir, ...(opts.checkpoint && { checkpoint: opts.checkpoint }) });
    process.stdout.write(opts.json ? JSON.stringify(report) + '\n' : `${formatEvalReport(report)}\n${t('cmd.written', file)}\n`);
    return 0;
  } catch (e) {
    const err = toRunError(e, {});
    process.stderr.write(`model-lab: ${err.message}\n`);
    return 1;
  }
}
