/**
 * `model-lab export RUN... --tensorboard DIR [--runs-dir DIR] [--json]`: saved runs as TensorBoard
 * event files, one TensorBoard run per Model Lab run under DIR, so `tensorboard --logdir DIR`
 * shows and compares them. Parses its own arguments and needs no tfjs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliLocale, formatMessage, t } from './messages';
import { exportRunToTensorBoard, type TensorBoardExport } from '../trainer/tensorboard/exportRun';

/** The export help in English; the CLI prints it in its language (src/cli/messages.ts). */
export const EXPORT_USAGE = formatMessage('en', 'exportUsage');

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
    if (flag !== '--tensorboard' && flag !== '--runs-dir') return t('export.unknownOption', flag);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) return t('export.needsFolder', flag);
    if (flag === '--tensorboard') {
      if (out.tensorboard !== undefined) return t('args.givenTwice', '--tensorboard');
      out.tensorboard = value;
    } else {
      if (out.runsDir !== undefined) return t('args.givenTwice', '--runs-dir');
      out.runsDir = value;
    }
  }
  if (out.tensorboard === undefined) return t('export.needsTensorboard');
  if (out.runs.length === 0) return t('export.needsRun');
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
    process.stdout.write(t('exportUsage') + '\n');
    return 0;
  }
  if (typeof args === 'string') {
    process.stderr.write(`model-lab: ${args}\n\n${t('exportUsage')}\n`);
    return 2;
  }
  const runsDir = path.resolve(cwd, args.runsDir ?? path.join('.modellab', 'runs'));
  const outDir = path.resolve(cwd, args.tensorboard);
  if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) {
    process.stderr.write(`model-lab: ${t('export.isFile', args.tensorboard)}\n`);
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
      process.stderr.write(`model-lab: ${t('export.cannot', e instanceof Error ? e.message : String(e))}\n`);
      failed = true;
      continue;
    }
    if (args.json) process.stdout.write(JSON.stringify(result) + '\n');
    else
      process.stdout.write(
        // English counts take a plural s; the catalogue's line is for the other languages.
        (cliLocale() === 'en'
          ? `exported ${path.basename(result.runDir)}: ${plural(result.batchPoints, 'batch point')}, ${plural(result.epochPoints, 'epoch point')}, ` +
            `${plural(result.tags.length, 'tag')} -> ${result.file}`
          : t('export.done', path.basename(result.runDir), result.batchPoints, result.epochPoints, result.tags.length, result.file)) + '\n',
      );
  }
  if (!args.json && !failed) process.stdout.write(t('export.view', outDir) + '\n');
  return failed ? 1 : 0;
}
