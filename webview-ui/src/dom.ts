/**
 * DOM helpers the panel's views share. Elements are built with DOM calls (never HTML strings with
 * style attributes or handlers) so the strict CSP holds; sizes and colours are set through CSSOM.
 */
import { parseColor, type Rgb } from './contrast';

export type Attrs = Record<string, string>;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** Sets `textContent` only when it changes (keeps screen readers and selection calm on redraws). */
export function setText(e: HTMLElement, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}

/** A theme variable's value (`--vscode-charts-blue`), or `fallback`. */
export function cssVar(name: string, fallback: string, from: Element = document.documentElement): string {
  return getComputedStyle(from).getPropertyValue(name).trim() || fallback;
}

let probe: CanvasRenderingContext2D | null | undefined;

/**
 * Any CSS colour (`#abc`, `rgb()`, a named colour) as RGB and alpha: the canvas normalises what
 * the browser understands into `#rrggbb` or `rgba(…)`.
 */
export function resolveColor(css: string): { rgb: Rgb; alpha: number } | undefined {
  const direct = parseColor(css);
  if (direct) return direct;
  probe ??= document.createElement('canvas').getContext('2d');
  if (!probe) return undefined;
  probe.fillStyle = '#000000';
  probe.fillStyle = css;
  return parseColor(String(probe.fillStyle));
}

/** Starts a download of `blob` as `name` (webviews allow `a[download]` with blob URLs). */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** True when the user asked the system for less motion. */
export const reducedMotion = (): boolean => window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;
