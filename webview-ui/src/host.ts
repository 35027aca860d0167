/**
 * The one place that touches `acquireVsCodeApi`. VS Code allows calling it only once per page, and
 * tests (or a plain browser page) need to put a stand-in in its place, so everything else talks to
 * the host through `postToHost` and `onHostMessage`.
 */
import { parseHostToWebview, type HostToWebview, type WebviewToHost } from '../../src/protocol/webview';

/** The part of VS Code's webview API the panel uses. */
export interface HostApi {
  postMessage(msg: unknown): void;
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
 * Calls `cb` for each well-formed message from the host; anything else is logged and dropped, never
 * trusted. Returns a function that removes the listener.
 */
export function onHostMessage(cb: (msg: HostToWebview) => void, target: Window = window): () => void {
  const listener = (e: MessageEvent): void => {
    const msg = parseHostToWebview(e.data);
    if (!msg) {
      console.warn('Model Lab: dropped a malformed message from the host', e.data);
      return;
    }
    cb(msg);
  };
  target.addEventListener('message', listener);
  return () => target.removeEventListener('message', listener);
}
