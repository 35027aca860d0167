/**
 * How numbers, durations, counts and shapes read, the same in the terminal (src/cli/) and the panel
 * (webview-ui/): pure and dependency-free so both can import it.
 */

/** `m:ss`, or `h:mm:ss` past an hour; `unknown` (default `--:--`) when there is no duration. */
export function formatDuration(ms: number | undefined, unknown = '--:--'): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return unknown;
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const ss = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A metric value in at most ~8 characters: 4 decimals, exponent form for the very large or small. */
export function formatMetric(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e4 || a < 1e-4)) return v.toExponential(2);
  return v.toFixed(a >= 100 ? 1 : 4);
}

/** Samples per second, rounded to what a reader can take in; `-` when unknown. */
export function formatRate(samplesPerSec: number | undefined): string {
  if (samplesPerSec === undefined || !Number.isFinite(samplesPerSec)) return '-';
  if (samplesPerSec >= 100) return String(Math.round(samplesPerSec));
  return samplesPerSec.toFixed(1);
}

/** A count with thousands separators, as in parameter counts: `32,896`. */
export const formatCount = (n: number): string => n.toLocaleString('en-US');

type Shape = readonly (number | null)[];

/** `[null,24,24,8]`; several outputs' shapes side by side. `separator` goes between dimensions. */
export function formatShape(shape: Shape | readonly Shape[], separator = ','): string {
  const one = (s: Shape): string => `[${s.map((d) => (d === null ? 'null' : String(d))).join(separator)}]`;
  return shape.length > 0 && Array.isArray(shape[0]) ? (shape as readonly Shape[]).map(one).join(' ') : one(shape as Shape);
}

/** A duration in words of units, for the status bar and the Runs view: `1h 02m`, `4m 05s`, `12s`. */
export function formatShortDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}
