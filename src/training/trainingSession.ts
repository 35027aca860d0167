import * as vscode from 'vscode';
import type { BackendChoice, EndStatus, TrainerToHost } from '../protocol/trainer';
import { applyRunEvent, type RunView } from '../protocol/webview';
import type { RunSource, RunUpdate } from './runSource';
import { TrainerProcess } from './trainerProcess';

export interface StartOptions {
  modelFile: string;
  workspaceDir: string;
  runsDir: string;
  backend: BackendChoice;
  nodePath?: string;
  overrides?: { epochs?: number; batchSize?: number; validationSplit?: number };
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
  private process: TrainerProcess | undefined;
  private readonly updates = new vscode.EventEmitter<RunUpdate>();
  private readonly runningChanged = new vscode.EventEmitter<boolean>();
  readonly onDidUpdate = this.updates.event;
  readonly onDidChangeRunning = this.runningChanged.event;

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
    };
    this.updates.fire({ kind: 'reset' });
    this.output.appendLine(`[${new Date().toLocaleTimeString()}] Training ${opts.modelFile}`);

    proc.onOutput((text) => this.output.append(text));
    proc.onMessage((m) => this.onMessage(m));
    proc.start({
      modelFile: opts.modelFile,
      runsDir: opts.runsDir,
      backend: opts.backend,
      workspaceDir: opts.workspaceDir,
      overrides: opts.overrides,
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

  stop(runId?: string): void {
    if (!this.process) return;
    if (runId !== undefined && this.view && this.view.runId && runId !== this.view.runId) return;
    this.output.appendLine('Stopping after the current batch…');
    this.process.stop();
  }

  private onMessage(m: TrainerToHost): void {
    const view = this.view;
    if (!view) return;
    switch (m.type) {
      case 'ready':
        view.backend = m.backend;
        this.output.appendLine(`Backend: ${m.backend.name} (${m.backend.reason}); tfjs ${m.versions.tfjs}, Node ${m.versions.node}`);
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
      case 'batches':
      case 'epoch': {
        const event = m.type === 'batches' ? { type: 'batches' as const, points: m.points } : { type: 'epoch' as const, point: m.point };
        applyRunEvent(view, event);
        if (m.type === 'epoch') this.output.appendLine(`epoch ${m.point.epoch + 1}: ${formatMetrics(m.point.metrics)}`);
        this.updates.fire({ kind: 'event', runId: view.runId, event });
        return;
      }
      case 'end': {
        if (m.runDir && !view.runDir) view.runDir = m.runDir;
        const event = { type: 'end' as const, status: m.status, error: m.error, time: Date.now() };
        applyRunEvent(view, event);
        this.output.appendLine(`Run ended: ${m.status}${m.error ? ` — ${m.error.message}` : ''}`);
        if (m.error?.details) this.output.appendLine(m.error.details);
        this.updates.fire({ kind: 'event', runId: view.runId, event });
        return;
      }
    }
  }

  dispose(): void {
    this.process?.dispose();
    this.process = undefined;
    this.updates.dispose();
    this.runningChanged.dispose();
  }
}

export function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join(' ');
}
