/**
 * The shape arithmetic of tfjs layers, exactly as tfjs-layers computes it (conv_utils.convOutputLength
 * and deconvLength), with each step written out so the editor's hovers and the trainer's error
 * messages can show a user *why* a size came out as it did. Pure; shared by the host (hovers) and
 * the trainer (errors that name the arithmetic).
 */

export type Padding = 'valid' | 'same' | 'causal';

export interface WindowParams {
  /** Kernel or pool size along this axis. */
  size: number;
  stride: number;
  dilation: number;
  padding: Padding;
}

export interface AxisResult {
  input: number | null;
  output: number | null;
  /** The computation in plain arithmetic, e.g. `⌊(12 − 15 + 1 + 1 − 1) / 1⌋ = −2`. */
  formula: string;
}

const minus = (n: number) => (n < 0 ? `−${-n}` : String(n));

/** Output length of a convolution or pooling window along one axis (tfjs convOutputLength). */
export function windowOutput(input: number | null, p: WindowParams): AxisResult {
  const effective = p.size + (p.size - 1) * (p.dilation - 1);
  if (input === null) return { input, output: null, formula: 'unknown input size' };
  if (p.padding === 'same' || p.padding === 'causal') {
    const out = Math.floor((input + p.stride - 1) / p.stride);
    return { input, output: out, formula: p.stride === 1 ? `${input} ('${p.padding}' keeps the size)` : `⌈${input} / ${p.stride}⌉ = ${out}` };
  }
  const valid = input - effective + 1;
  const out = Math.floor((valid + p.stride - 1) / p.stride);
  const k = p.dilation === 1 ? `${p.size}` : `${effective} (${p.size} dilated by ${p.dilation})`;
  const formula = p.stride === 1 ? `${input} − ${k} + 1 = ${minus(out)}` : `⌈(${input} − ${k} + 1) / ${p.stride}⌉ = ${minus(out)}`;
  return { input, output: out, formula };
}

/** Output length of a transposed convolution along one axis (tfjs deconvLength). */
export function transposedOutput(input: number | null, p: WindowParams): AxisResult {
  if (input === null) return { input, output: null, formula: 'unknown input size' };
  const effective = p.size + (p.size - 1) * (p.dilation - 1);
  if (p.padding === 'same') return { input, output: input * p.stride, formula: `${input} × ${p.stride} = ${input * p.stride}` };
  const out = input * p.stride + Math.max(effective - p.stride, 0);
  return { input, output: out, formula: `${input} × ${p.stride} + max(${effective} − ${p.stride}, 0) = ${out}` };
}

/** `n` or `[a, b]` as one value per spatial axis. */
export function perAxis(v: number | readonly number[] | undefined, axes: number, fallback: number): number[] {
  if (v === undefined) return Array(axes).fill(fallback);
  if (typeof v === 'number') return Array(axes).fill(v);
  return Array.from({ length: axes }, (_, i) => v[i] ?? v[v.length - 1] ?? fallback);
}

export type Shape = readonly (number | null)[];

/** `12×12` for the spatial part of a feature-map shape without batch (channels last). */
export function spatialText(shapeNoBatch: Shape): string {
  return shapeNoBatch.slice(0, -1).map((d) => (d === null ? '?' : String(d))).join('×');
}

/** Number formatting used in hints and tables: 1,234,567. */
export function formatCount(n: number, locale = 'en-US'): string {
  return n.toLocaleString(locale);
}
