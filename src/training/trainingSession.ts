import * as vscode from 'vscode';
import type { BackendChoice, EndStatus, RunMode, ThreadsChoice, TrainerToHost } from '../protocol/trainer';
import type { RunOverrides } from '../protocol/runOverrides';
import { applyRunEvent, type RunEvent, type RunView } from '../protocol/webview';
import type { RunSource, RunUpdate } from './runSource';
import { readEvalReport } from './runViewFromStore';
import { TrainerProcess } from './trainerProcess';
import { BatchThinner } from '../protocol/thinBatches';

export interface StartOptions {
  modelFile: string;
  workspaceDir: string;
  runsDir: string;
  backend: BackendChoice;
  /** Training threads (absent: the trainer's 'auto'). */
  threads?: ThreadsChoice;
  nodePath?: string;
  overrides?: RunOverrides;
  /** 'script': modelFile is an ordinary tfjs script (Run Script with Model Lab). */
  mode?: RunMode;
  /** 'script' only: the script's own arguments (its process.argv after the file). */
  scriptArgs?: string[];
}

export interface RunResult {
  runId: string;
  runDir: string;
  status: EndStatus;
}

/**
 * The host side of training: owns at most one trainer process at a time, folds its messages into
 * the RunView the panel shows, and tells listeners what changed.
 */
export class TrainingSession implements RunSource, vscode.Disposable {
  private view: RunView | null = null;
  /** Bounds the live run's batch points (the panel's snapshot, this host's memory) however long it trains. */
  private thinner = new BatchThinner();
  private process: TrainerProcess | undefined;
  private readonly updates = new vscode.EventEmitter<RunUpdate>();
  private readonly runningChanged = new vscode.EventEmitter<boolean>();
  private readonly pausedChanged = new vscode.EventEmitter<boolean>();
  readonly onDidUpdate = this.updates.event;
  readonly onDidChangeRunning = this.runningChanged.event;
  /** Fires true when the trainer says `paused`, false on `resumed` or when a paused run ends. */
  readonly onDidChangePaused = this.pausedChanged.event;

  constructor(
    private readonly trainerScript: string,
    private readonly output: vscode.OutputChannel,
  ) {}

  get current(): RunView | null {
    return this.view;
  }

  get running(): boolean {
    return this.process !== undefined;
  }

  /** Starts a run; the promise settles when it ends. */
  start(opts: StartOptions): Promise<RunResult> {
    if (this.process) throw new Error('A training run is already in progress.');
    const proc = new TrainerProcess({ trainerScript: this.trainerScript, execPath: opts.nodePath });
    this.process = proc;
    this.runningChanged.fire(true);
    // Until the trainer names the run, the panel shows a pending run for this file.
    this.thinner = new BatchThinner();
    this.view = {
      runId: '',
      modelFile: opts.modelFile,
      runDir: '',
      batchesPerEpoch: 0,
      layers: [],
      totalParams: 0,
      status: 'running',
      startedAt: Date.now(),
      batches: [],
      epochs: [],
      ...(opts.mode === 'script' && { mode: 'script' as const }),
    };
    this.updates.fire({ kind: 'reset' });
    this.output.appendLine(`[${new Date().toLocaleTimeString()}] Training ${opts.modelFile}`);

    proc.onOutput((text) => this.output.append(text));
    proc.onMessage((m) => this.onMessage(m));
    proc.start({
      modelFile: opts.modelFile,
      runsDir: opts.runsDir,
      backend: opts.backend,
      ...(opts.threads !== undefined && { threads: opts.threads }),
      workspaceDir: opts.workspaceDir,
      overrides: opts.overrides,
      ...(opts.mode === 'script' && { mode: opts.mode }),
      ...(opts.mode === 'script' && opts.scriptArgs && { scriptArgs: opts.scriptArgs }),
    });
    return proc.ended.then((end) => {
      proc.dispose();
      if (this.process === proc) {
        this.process = undefined;
        this.runningChanged.fire(false);
      }
      const view = this.view;
      return { runId: view?.runId ?? '', runDir: end.runDir ?? view?.runDir ?? '', status: end.status };
    });
  }

  /** Shows a saved run in the views; refused while a run trains, which keeps the panel. */
  showRun(view: RunView): boolean {
    if (this.process) return false;
    this.view = view;
    this.updates.fire({ kind: 'reset' });
    return true;
  }

  get paused(): boolean {
    return this.process !== undefined && this.view?.paused === true;
  }

  /** The running process if `runId` (when given) names the run in progress; a panel showing an older run is ignored. */
  private target(runId?: string): TrainerProcess | undefined {
    if (!this.process) return undefined;
    if (runId !== undefined && this.view && this.view.runId && runId !== this.view.runId) return undefined;
    return this.process;
  }

  /**
   * First Stop: the trainer finishes the batch in progress (however long it takes), then saves and
   * evaluates; the views say "finishing batch…". A second Stop kills it (the batch is lost, what was
   * saved stays).
   */
  stop(runId?: string): void {
    const proc = this.target(runId);
    if (!proc) return;
    if (proc.stopRequested) return this.kill(runId);
    this.output.appendLine(vscode.l10n.t('Stop: finishing the current batch, then saving the model. Stop again to kill the trainer.'));
    proc.stop();
    const view = this.view;
    if (view) {
      view.stopping = true;
      this.updates.fire({ kind: 'event', runId: view.runId, event: { type: 'stopping' } });
    }
  }

  /** Kills the trainer now: the batch in progress is lost; metrics and checkpoints already written stay. */
  kill(runId?: string): void {
    const proc = this.target(runId);
    if (!proc) return;
    this.output.appendLine(vscode.l10n.t('Killing the trainer: the batch in progress is lost; metrics and checkpoints already saved are kept.'));
    proc.kill();
  }

  pause(runId?: string): void {
    const proc = this.target(runId);
    if (!proc || this.view?.paused) return;
    this.output.appendLine('Pausing after the current batch…');
    proc.pause();
  }

  resume(runId?: string): void {
    const proc = this.target(runId);
    if (!proc) return;
    proc.resume();
  }

  checkpoint(runId?: string): void {
    const proc = this.target(runId);
    if (!proc) return;
    this.output.appendLine('Saving a checkpoint after the current batch…');
    proc.checkpoint();
  }

  private emit(view: RunView, event: RunEvent): void {
    applyRunEvent(view, event);
    this.updates.fire({ kind: 'event', runId: view.runId, event });
  }

  private onMessage(m: TrainerToHost): void {
    const view = this.view;
    if (!view) return;
    switch (m.type) {
      case 'ready':
        view.backend = m.backend;
        this.output.appendLine(`Backend: ${m.backend.name} (${m.backend.reason}); tfjs ${m.versions.tfjs}, Node ${m.versions.node}`);
        return;
      case 'started':
        // The run folder exists: a crash from here on is recorded there, and Stop can name the run.
        Object.assign(view, { runId: m.runId, runDir: m.runDir });
        return;
      case 'run':
        Object.assign(view, {
          runId: m.runId,
          runDir: m.runDir,
          modelFile: m.modelFile,
          config: m.config,
          batchesPerEpoch: m.batchesPerEpoch,
          layers: m.layers,
          totalParams: m.totalParams,
        });
        this.output.appendLine(`Run ${m.runId} → ${m.runDir}`);
        this.updates.fire({ kind: 'reset' });
        return;
      case 'log':
        this.output.appendLine(`[${m.level}] ${m.message}`);
        return;
      case 'executor':
        this.emit(view, { type: 'backend', backend: m.backend });
        return;
      case 'fit':
        // A script's later fit call: the run's epoch total grows, so the panel never shows "epoch 10/3".
        if (view.config) view.config = { ...view.config, epochs: Math.max(view.config.epochs, m.firstEpoch + m.epochs) };
        if (m.batchesPerEpoch > 0) view.batchesPerEpoch = m.batchesPerEpoch;
        if (m.fit > 1) this.updates.fire({ kind: 'reset' });
        return;
      case 'batches':
      case 'epoch': {
        const event = m.type === 'batches' ? { type: 'batches' as const, points: m.points } : { type: 'epoch' as const, point: m.point };
        applyRunEvent(view, event);
        if (m.type === 'batches') view.batches = this.thinner.apply(view.batches);
        if (m.type === 'epoch') this.output.appendLine(`epoch ${m.point.epoch + 1}: ${formatMetrics(m.point.metrics)}`);
        this.updates.fire({ kind: 'event', runId: view.runId, event });
        return;
      }
      case 'histograms':
        this.emit(view, { type: 'histograms', line: m.line });
        return;
      case 'paused':
        this.output.appendLine(`Paused after batch ${m.batch + 1} of epoch ${m.epoch + 1}.`);
        this.emit(view, { type: 'paused' });
        this.pausedChanged.fire(true);
        return;
      case 'resumed':
        this.output.appendLine(`Resumed after ${(m.pausedMs / 1000).toFixed(1)} s.`);
        this.emit(view, { type: 'resumed' });
        this.pausedChanged.fire(false);
        return;
      case 'checkpoint': {
        const c = m.checkpoint;
        if (!(c.kind === 'last' && c.reason === 'epoch')) {
          const value = c.monitor !== undefined && c.value !== undefined ? `, ${c.monitor} ${c.value.toFixed(4)}` : '';
          this.output.appendLine(`Checkpoint ${c.kind} saved (epoch ${c.epoch + 1}, step ${c.step + 1}${value}): ${m.dir}`);
        }
        this.emit(view, { type: 'checkpoint', checkpoint: { ...c, dir: m.dir } });
        return;
      }
      case 'end': {
        if (m.runDir && !view.runDir) view.runDir = m.runDir;
        const wasPaused = view.paused === true;
        this.emit(view, { type: 'end', status: m.status, error: m.error, time: Date.now() });
        if (wasPaused) this.pausedChanged.fire(false);
        this.output.appendLine(`Run ended: ${m.status}${m.error ? ` — ${m.error.message}` : ''}`);
        if (m.error?.details) this.output.appendLine(m.error.details);
        // The trainer writes eval.json before its `end`; a run that ended early has none.
        const report = view.runDir ? readEvalReport(view.runDir, (why) => this.output.appendLine(`[warn] ${why}`)) : undefined;
        if (report) this.emit(view, { type: 'eval', report });
        return;
      }
    }
  }

  dispose(): void {
    this.process?.dispose();
    this.process = undefined;
    this.updates.dispose();
    this.runningChanged.dispose();
    this.pausedChanged.dispose();
  }
}

export function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join(' ');
}
