import type { Metrics } from '../../src/protocol/trainer';

/**
 * The value of the first of `keys` present in `m`, or null when it is missing or not a finite number
 * (a NaN loss arrives as null because VS Code's postMessage serializes as JSON).
 * Several keys because tfjs reports `acc` or `accuracy` depending on how the model was compiled.
 */
export function metricValue(m: Metrics, keys: string[]): number | null {
  for (const k of keys) {
    const v = m[k] as number | null | undefined;
    if (v !== undefined) return typeof v === 'number' && Number.isFinite(v) ? v : null;
  }
  return null;
}
