/**
 * The one place that touches `acquireVsCodeApi`. VS Code allows calling it only once per page, and
 * tests (or a plain browser page) need to put a stand-in in its place, so everything else talks to
 * the host through these functions.
 */
import type { WebviewToHost } from '../../src/protocol/webview';

/** The part of VS Code's webview API the panel uses. */
export interface HostApi {
  postMessage(msg: unknown): void;
  getState?(): unknown;
  setState?(state: unknown): void;
}

declare function acquireVsCodeApi(): HostApi;

let api: HostApi | undefined;

/** Replaces the host, for tests and stand-in pages; call before anything posts. */
export function setHostApi(stand: HostApi): void {
  api = stand;
}

function host(): HostApi {
  if (!api) {
    if (typeof acquireVsCodeApi !== 'function') throw new Error('Model Lab webview: no VS Code host (acquireVsCodeApi missing)');
    api = acquireVsCodeApi();
  }
  return api;
}

/** Sends a command to the extension host. */
export function postToHost(msg: WebviewToHost): void {
  host().postMessage(msg);
}

/**
 * Calls `cb` with the data of every message the host posts, unvalidated: the state module
 * (./state.ts) validates each one and counts what it drops. Returns a function that removes the
 * listener.
 */
export function onHostMessage(cb: (data: unknown) => void, target: Window = window): () => void {
  const listener = (e: MessageEvent): void => cb(e.data);
  target.addEventListener('message', listener);
  return () => target.removeEventListener('message', listener);
}

/** What the webview saved for itself (VS Code keeps it while the panel is hidden and across reloads). */
export function loadState(): unknown {
  return host().getState?.();
}

export function saveState(state: unknown): void {
  host().setState?.(state);
}
