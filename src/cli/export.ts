/**
 * `model-lab export RUN... --tensorboard DIR [--runs-dir DIR] [--json]`: saved runs as TensorBoard
 * event files, one TensorBoard run per Model Lab run under DIR, so `tensorboard --logdir DIR`
 * shows and compares them. Parses its own arguments and needs no tfjs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { t } from './messages';
import { exportRunToTensorBoard, type TensorBoardExport } from '../trainer/tensorboard/exportRun';

export const EXPORT_USAGE = `Usage: model-lab export RUN... --tensorboard DIR [--runs-dir DIR] [--json]

Writes each RUN (a run folder, relative or absolute, or a run id in the runs folder) as TensorBoard
event files in DIR/<run id>/: scalars per batch (batch/loss, …) and per epoch (epoch/loss,
epoch/val_loss, …), the config as hyperparameters and text, the model's layers as text.
Exporting a run again replaces its file. Then: tensorboard --logdir DIR

Options:
  --tensorboard DIR  the TensorBoard log folder to write into (made if missing)
  --runs-dir DIR     where run ids are looked up (default: ./.modellab/runs)
  --json             print one JSON line per exported run instead of text
Exit status: 0 exported, 1 a run could not be read or written, 2 bad arguments or no such run.`;

interface ExportArgs {
  runs: string[];
  tensorboard: string;
  runsDir?: string;
  json: boolean;
}

/** The arguments after `export`; a string is the usage error to print. */
export function parseExportArgs(argv: readonly string[]): ExportArgs | 'help' | string {
  const out: Partial<ExportArgs> & { runs: string[]; json: boolean } = { runs: [], json: false };
  let optionsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (optionsEnded || !arg.startsWith('-') || arg === '-') {
      out.runs.push(arg);
      continue;
    }
    if (arg === '--') {
      optionsEnded = true;
      continue;
    }
    if (arg === '-h' || arg === '--help') return 'help';
    if (arg === '--json') {
      out.json = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (flag !== '--tensorboard' && flag !== '--runs-dir') return `unknown option ${flag}: export takes RUN..., --tensorboard DIR, --runs-dir DIR and --json`;
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) return `${flag} needs a folder`;
    if (flag === '--tensorboard') {
      if (out.tensorboard !== undefined) return '--tensorboard is given twice';
      out.tensorboard = value;
    } else {
      if (out.runsDir !== undefined) return '--runs-dir is given twice';
      out.runsDir = value;
    }
  }
  if (out.tensorboard === undefined) return 'export needs --tensorboard DIR: model-lab export RUN --tensorboard DIR';
  if (out.runs.length === 0) return 'export needs a RUN: model-lab export RUN --tensorboard DIR';
  return out as ExportArgs;
}

/** A run folder as typed (relative to cwd, or absolute), else a run id in the runs folder. */
function findRun(run: string, runsDir: string, cwd: string): string | undefined {
  for (const dir of [path.resolve(cwd, run), path.join(runsDir, run)]) if (fs.existsSync(path.join(dir, 'run.json'))) return dir;
  return undefined;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Runs `model-lab export …` (`argv` = the arguments after `export`); returns the exit status. */
export function runExport(argv: readonly string[], cwd = process.cwd()): number {
  const args = parseExportArgs(argv);
  if (args === 'help') {
    process.stdout.write(EXPORT_USAGE + '\n');
    return 0;
  }
  if (typeof args === 'string') {
    process.stderr.write(`model-lab: ${args}\n\n${EXPORT_USAGE}\n`);
    return 2;
  }
  const runsDir = path.resolve(cwd, args.runsDir ?? path.join('.modellab', 'runs'));
  const outDir = path.resolve(cwd, args.tensorboard);
  if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) {
    process.stderr.write(`model-lab: --tensorboard ${args.tensorboard} is a file, not a folder\n`);
    return 2;
  }
  // Every run is looked up before anything is written: a typo does not leave half an export.
  const dirs: string[] = [];
  for (const run of args.runs) {
    const dir = findRun(run, runsDir, cwd);
    if (!dir) {
      process.stderr.write(`model-lab: ${t('cmd.noRun', run, runsDir)}\n`);
      return 2;
    }
    dirs.push(dir);
  }
  let failed = false;
  for (const dir of dirs) {
    let result: TensorBoardExport;
    try {
      result = exportRunToTensorBoard(dir, outDir);
    } catch (e) {
      process.stderr.write(`model-lab: cannot export: ${e instanceof Error ? e.message : String(e)}\n`);
      failed = true;
      continue;
    }
    if (args.json) process.stdout.write(JSON.stringify(result) + '\n');
    else
      process.stdout.write(
        `exported ${path.basename(result.runDir)}: ${plural(result.batchPoints, 'batch point')}, ${plural(result.epochPoints, 'epoch point')}, ` +
          `${plural(result.tags.length, 'tag')} -> ${result.file}\n`,
      );
  }
  if (!args.json && !failed) process.stdout.write(`view with: tensorboard --logdir ${outDir}\n`);
  return failed ? 1 : 0;
}
