import type * as vscode from 'vscode';
import type { RunEvent, RunView } from '../protocol/webview';

/** What a view needs from the host about the run it shows. */
export type RunUpdate = { kind: 'event'; runId: string; event: RunEvent } | { kind: 'reset' };

export interface RunSource {
  /** The run to show (the latest), or null before the first run. */
  readonly current: RunView | null;
  /** Fires for each event of the current run, and with `reset` when a different run becomes current. */
  readonly onDidUpdate: vscode.Event<RunUpdate>;
  /** Asks the run to stop after its current batch; a second stop kills it. */
  stop(runId: string): void;
  /** Kills the run's trainer now (the user pressed Stop again while the batch was finishing). */
  kill(runId: string): void;
  /** Asks the run to hold after its current batch. */
  pause(runId: string): void;
  /** Continues a paused run. */
  resume(runId: string): void;
  /** Asks for checkpoints/last after the current batch. */
  checkpoint(runId: string): void;
}
