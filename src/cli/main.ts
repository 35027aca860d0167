/**
 * `model-lab train FILE`: the trainer the extension uses, driven from a terminal. Parsing and
 * formatting live in args.ts and progress.ts; this file wires them to the process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { version } from '../../package.json';
import { parseArgs, usageText, type TrainArgs } from './args';
import { cliLocale, resolveCliLocale, setCliLocale, t } from './messages';
import { evaluateCommand } from './evaluate';
import { runExport } from './export';
import { previewCommand } from './preview';
import { summaryCommand } from './summary';
import {
  formatBackendLine,
  formatEndLine,
  formatEpochSummary,
  formatFailureLine,
  formatProgressLine,
  formatRunLine,
  isProgressCheckpoint,
  keyActions,
  keysHint as keysHintText,
  ProgressTracker,
  type KeyAction,
} from './progress';
import { RUN_STAT_KEYS, type Metrics, type RunMode, type TrainerToHost } from '../protocol/trainer';
import { TRAINER_LANG_ENV } from '../protocol/locale';
import { setTrainerLocale } from '../trainer/messages';
import { TrainerProcess, type TrainerEnd } from '../training/trainerProcess';
import { resolveResumeTarget } from './resumeTarget';
import { listRunEntries } from '../training/runStore';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
/** The shell's convention for "ended by Ctrl-C". */
const EXIT_INTERRUPTED = 130;
/** Width for progress lines written to a file or pipe, where nothing wraps. */
const LOG_COLUMNS = 120;
/** A terminal redraw rate the eye cannot tell from live. */
const REDRAW_MS = 100;
/**
 * Test hook: with this set to 1, the run control keys (p, c, s/q) are read from stdin even when it
 * is a pipe, not a terminal, so tests can drive them through a child process. Not for users.
 */
export const TEST_KEYS_ENV = 'MODEL_LAB_TEST_KEYS_FROM_PIPE';

function usageError(message: string): number {
  process.stderr.write(`model-lab: ${message}\n\n${usageText()}\n`);
  return EXIT_USAGE;
}

/** Paths inside the current directory are shown relative to it. */
function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

/** The human view: permanent lines, plus one progress line redrawn in place on a terminal. */
class Screen {
  private barShown = false;
  private lastDraw = 0;
  readonly tty: boolean;

  constructor(private readonly out: NodeJS.WriteStream) {
    this.tty = out.isTTY === true;
  }

  get columns(): number {
    return this.tty ? (this.out.columns ?? 80) : LOG_COLUMNS;
  }

  line(text: string): void {
    this.clearBar();
    this.out.write(text + '\n');
  }

  bar(text: string, now: number): void {
    if (now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.out.write('\r' + text + '\x1b[K');
    this.barShown = true;
  }

  clearBar(): void {
    if (!this.barShown) return;
    this.out.write('\r\x1b[K');
    this.barShown = false;
  }

  err(text: string): void {
    this.clearBar();
    process.stderr.write(text);
  }
}

async function train(args: TrainArgs, mode: RunMode = 'train', scriptArgs?: string[]): Promise<number> {
  const cwd = process.cwd();
  const modelFile = path.resolve(cwd, args.file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(modelFile);
  } catch {
    return usageError(t(mode === 'script' ? 'main.scriptNotFound' : 'main.modelNotFound', args.file));
  }
  if (!stat.isFile()) return usageError(t('main.notAFile', args.file));
  const runsDir = path.resolve(cwd, args.runsDir ?? path.join('.modellab', 'runs'));
  if (fs.existsSync(runsDir) && !fs.statSync(runsDir).isDirectory()) return usageError(t('main.runsDirNotFolder', args.runsDir ?? runsDir));
  let resumeFrom: string | undefined;
  if (args.resume !== undefined) {
    const target = resolveResumeTarget(args.resume, cwd, runsDir);
    if ('error' in target) return usageError(target.error);
    resumeFrom = target.dir;
  }

  // Runs left `running` by a trainer that is gone (killed with its CLI) are marked crashed, so the
  // folder never shows a run as in progress that nothing runs.
  listRunEntries(runsDir, { markStale: true });

  // dist/cli.js and dist/trainer.js are built side by side.
  const trainerScript = path.join(__dirname, 'trainer.js');
  // The trainer words its errors and logs in the CLI's language, --lang included; --json output is
  // machine-read, so it stays English whatever the language.
  const tp = new TrainerProcess({ trainerScript, detached: true, env: { ...process.env, [TRAINER_LANG_ENV]: args.json ? 'en' : cliLocale() } });
  const screen = new Screen(process.stdout);
  const tracker = new ProgressTracker();
  let epochs = 1;
  let batchesPerEpoch = 0;
  let shownBatch = 0;
  let shownEpoch = -1;
  let interrupts = 0;
  /** The keys hint, shown once under the run line when keys are read (set below). */
  let keysHint: string | undefined;

  // A closed stdout (`| head`) must not crash the CLI while the trainer saves the run.
  process.stdout.on('error', () => undefined);

  tp.onOutput((text) => screen.err(text));
  tp.onMessage((m) => {
    if (args.json) {
      process.stdout.write(JSON.stringify(m) + '\n');
      return;
    }
    show(m);
  });

  const show = (m: TrainerToHost) => {
    switch (m.type) {
      case 'ready':
        screen.line(formatBackendLine(m.backend));
        return;
      case 'run':
        epochs = m.config.epochs;
        batchesPerEpoch = m.batchesPerEpoch;
        tracker.onRun(m, Date.now());
        screen.line(formatRunLine(m.runId, m.totalParams, m.batchesPerEpoch, m.config.epochs, m.config.batchSize));
        if (keysHint) screen.line(keysHint);
        keysHint = undefined;
        return;
      case 'executor':
        // The trainer's log line says which executor trains and why; --json passes this on as it is.
        return;
      case 'fit':
        // A script's later fit call: the run's epochs go on past the first call's count.
        epochs = Math.max(epochs, m.firstEpoch + m.epochs);
        batchesPerEpoch = m.batchesPerEpoch;
        tracker.onFit(epochs, m.batchesPerEpoch);
        return;
      case 'batches': {
        tracker.onBatches(m.points);
        const s = tracker.state();
        if (!s) return;
        if (screen.tty) {
          screen.bar(formatProgressLine(s, screen.columns), Date.now());
        } else {
          if (s.epoch !== shownEpoch) {
            shownEpoch = s.epoch;
            shownBatch = 0;
          }
          if (isProgressCheckpoint(shownBatch, s.batch, batchesPerEpoch)) screen.line(formatProgressLine(s, screen.columns));
          shownBatch = s.batch;
        }
        return;
      }
      case 'epoch': {
        const took = tracker.onEpoch(m.point);
        screen.line(formatEpochSummary(m.point.epoch + 1, epochs, modelMetrics(m.point.metrics), took));
        return;
      }
      case 'paused':
        screen.line(t('main.paused', m.batch + 1, m.epoch + 1));
        return;
      case 'resumed':
        screen.line(t('main.resumed', (m.pausedMs / 1000).toFixed(1)));
        return;
      case 'checkpoint': {
        const c = m.checkpoint;
        // `last` after every epoch is routine; say only what a user asked for or should know.
        if (c.kind === 'last' && c.reason === 'epoch') return;
        const value = c.monitor !== undefined && c.value !== undefined ? `, ${c.monitor} ${c.value.toFixed(4)}` : '';
        screen.line(t('main.checkpointSaved', c.kind, c.epoch + 1, c.step + 1, value, displayPath(m.dir)));
        return;
      }
      case 'log':
        if (m.level === 'info') screen.line(m.message);
        else screen.err(t(m.level === 'warn' ? 'main.warning' : 'main.error', m.message) + '\n');
        return;
      case 'end':
        screen.clearBar();
        return;
    }
  };

  // A stop waits for the batch however long it takes (the message offers a second Ctrl-C to kill):
  // no SIGTERM after a grace period, which would record a long batch's run as crashed.
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      screen.err(
        sig === 'SIGINT'
          ? t('main.stoppingCtrlC') + '\n'
          : t('main.stoppingSignal', sig) + '\n',
      );
      tp.stop({ escalate: false });
    } else {
      screen.err(t('main.killing') + '\n');
      tp.kill();
    }
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  // Whatever happens to this process, the trainer (in its own process group) must not outlive it.
  const killOnExit = () => tp.dispose();
  process.on('exit', killOnExit);

  // Run control keys: on a terminal (raw mode, restored on every way out), or from a pipe for tests.
  let pauseRequested = false;
  let stopRequested = false;
  // With --json, stdout carries only trainer messages.
  const note = (text: string) => (args.json ? screen.err(text + '\n') : screen.line(text));
  const onKey = (action: KeyAction) => {
    switch (action) {
      case 'interrupt':
        onSignal('SIGINT');
        return;
      case 'stop':
        if (stopRequested || interrupts > 0) return;
        stopRequested = true;
        screen.err(t('main.stoppingKey') + '\n');
        tp.stop({ escalate: false });
        return;
      case 'pauseResume':
        pauseRequested = !pauseRequested;
        if (pauseRequested) {
          note(t('main.pausing'));
          tp.pause();
        } else tp.resume();
        return;
      case 'checkpoint':
        note(t('main.checkpointRequested'));
        tp.checkpoint();
        return;
    }
  };
  const keys = startKeys(process.stdin, (chunk) => keyActions(chunk).forEach(onKey), !args.json || process.env[TEST_KEYS_ENV] === '1');
  if (keys.active && !args.json) keysHint = keysHintText();
  process.on('exit', keys.restore);

  tp.start({
    modelFile,
    ...(mode === 'script' && { mode }),
    ...(mode === 'script' && scriptArgs && scriptArgs.length > 0 && { scriptArgs }),
    runsDir,
    backend: args.backend,
    ...(args.threads !== undefined && { threads: args.threads }),
    workspaceDir: cwd,
    ...(resumeFrom !== undefined && { resumeFrom }),
    overrides: {
      ...(args.epochs !== undefined && { epochs: args.epochs }),
      ...(args.batchSize !== undefined && { batchSize: args.batchSize }),
      ...(args.learningRate !== undefined && { learningRate: args.learningRate }),
      ...(args.optimizer !== undefined && { optimizer: args.optimizer }),
      ...(args.validationSplit !== undefined && { validationSplit: args.validationSplit }),
    },
  });

  let end: TrainerEnd;
  try {
    end = await tp.ended;
  } finally {
    for (const s of signals) process.off(s, onSignal);
    process.off('exit', killOnExit);
    keys.restore();
    process.off('exit', keys.restore);
    tp.dispose();
  }

  if (!args.json) screen.line(formatEndLine(end.status, end.runDir && displayPath(end.runDir)));
  if (end.status === 'completed' || end.status === 'stopped') return EXIT_OK;
  process.stderr.write(formatFailureLine(end.status, end.error, displayPath) + '\n');
  return interrupts > 1 ? EXIT_INTERRUPTED : EXIT_FAILED;
}

/**
 * Reads keys from stdin while a run trains: in raw mode when stdin is a terminal, or line by line
 * from a pipe when the test hook (TEST_KEYS_ENV) is set; otherwise stdin is left alone. `restore`
 * (idempotent) puts the terminal back in its own mode and lets go of stdin so the process can exit.
 */
function startKeys(stdin: NodeJS.ReadStream, onChunk: (chunk: string) => void, wanted: boolean): { active: boolean; restore: () => void } {
  const tty = stdin.isTTY === true;
  const hook = process.env[TEST_KEYS_ENV] === '1';
  if (!wanted || !(tty || hook)) return { active: false, restore: () => undefined };
  const wasRaw = tty && stdin.isRaw === true;
  try {
    if (tty) stdin.setRawMode(true);
  } catch {
    return { active: false, restore: () => undefined };
  }
  const onData = (d: Buffer | string) => onChunk(d.toString());
  stdin.on('data', onData);
  stdin.on('error', () => undefined);
  stdin.resume();
  let restored = false;
  return {
    active: true,
    restore: () => {
      if (restored) return;
      restored = true;
      stdin.off('data', onData);
      try {
        if (tty) stdin.setRawMode(wasRaw);
      } catch {
        // the terminal is gone
      }
      stdin.pause();
      // A pipe stays referenced after pause(); drop it so the process can exit.
      (stdin as unknown as { unref?: () => void }).unref?.();
    },
  };
}

/** The model's own metrics: the trainer's run stats (lr, memory, speed) stay out of the epoch summary. */
function modelMetrics(metrics: Metrics): Metrics {
  return Object.fromEntries(Object.entries(metrics).filter(([k]) => !RUN_STAT_KEYS.includes(k)));
}

export async function main(argvWithLang: string[]): Promise<number> {
  const lang = resolveCliLocale(argvWithLang, process.env);
  setCliLocale(lang.locale);
  setTrainerLocale(lang.locale); // summary, preview and evaluate run trainer code in this process
  if (lang.error) return usageError(lang.error);
  const argv = lang.argv;
  // `export` parses its own arguments (cli/export.ts), its --help included.
  if (argv[0] === 'export') return runExport(argv.slice(1));
  const cmd = parseArgs(argv);
  switch (cmd.command) {
    case 'help':
      process.stdout.write(usageText() + '\n');
      return EXIT_OK;
    case 'version':
      process.stdout.write(version + '\n');
      return EXIT_OK;
    case 'usageError':
      return usageError(cmd.message);
    case 'train':
      return train(cmd);
    case 'run':
      return train({ command: 'train', file: cmd.file, backend: cmd.backend, runsDir: cmd.runsDir, json: cmd.json }, 'script', cmd.scriptArgs);
    case 'summary':
      return summaryCommand(cmd.file, { json: cmd.json });
    case 'preview':
      return previewCommand(cmd.file, { json: cmd.json, limit: cmd.limit });
    case 'evaluate':
      return evaluateCommand(cmd.run, { json: cmd.json, checkpoint: cmd.checkpoint, runsDir: cmd.runsDir });
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`model-lab: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = EXIT_FAILED;
    },
  );
}
