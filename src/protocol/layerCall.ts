/**
 * Reads a `tf.layers.*` call from source text — the call under a position, its literal arguments
 * (numbers, strings, arrays, booleans; anything else kept as written) — and computes its output
 * shape from an input shape with each axis's arithmetic, as tfjs does. Pure and shared: the
 * editor's hovers explain a call with it, the trainer explains a build error with it.
 */
import { perAxis, transposedOutput, windowOutput, type AxisResult, type Padding, type Shape } from './layerMath';

export type ArgValue = number | string | boolean | null | ArgValue[] | { raw: string };

export interface LayerCall {
  /** The factory, e.g. `conv2d`. */
  factory: string;
  args: Record<string, ArgValue>;
  /** Offsets in the text: from `tf` (or `layers`) to the closing parenthesis. */
  start: number;
  end: number;
}

const CALL = /\b(?:tf\s*\.\s*)?layers\s*\.\s*([A-Za-z][A-Za-z0-9]*)\s*\(/g;

/** The `tf.layers.X(...)` call whose name or arguments contain `offset`, innermost first. */
export function findLayerCall(text: string, offset: number): LayerCall | undefined {
  let best: LayerCall | undefined;
  for (const m of text.matchAll(CALL)) {
    const open = (m.index ?? 0) + m[0].length - 1;
    if ((m.index ?? 0) > offset) break;
    const close = matchingParen(text, open);
    if (close === undefined || close < offset) continue;
    best = { factory: m[1], args: parseObjectLiteral(text.slice(open + 1, close)), start: m.index ?? 0, end: close + 1 };
  }
  return best;
}

function matchingParen(text: string, open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(text, i);
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return undefined;
}

function skipString(text: string, i: number): number {
  const q = text[i];
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === q) return j;
  }
  return text.length;
}

/** `{ filters: 8, kernelSize: [3, 3], padding: 'same' }` → its literal values; other forms → {}. */
export function parseObjectLiteral(inner: string): Record<string, ArgValue> {
  const s = inner.trim();
  if (!s.startsWith('{')) return {};
  const p = new Parser(s);
  const v = p.value();
  return v && typeof v === 'object' && !Array.isArray(v) && !('raw' in v) ? (v as Record<string, ArgValue>) : {};
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  private ws(): void {
    for (;;) {
      while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
      if (this.s.startsWith('//', this.i)) {
        const nl = this.s.indexOf('\n', this.i);
        this.i = nl < 0 ? this.s.length : nl;
      } else if (this.s.startsWith('/*', this.i)) {
        const end = this.s.indexOf('*/', this.i + 2);
        this.i = end < 0 ? this.s.length : end + 2;
      } else return;
    }
  }

  value(): ArgValue | Record<string, ArgValue> | undefined {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"' || c === "'" || c === '`') {
      const end = skipString(this.s, this.i);
      const str = this.s.slice(this.i + 1, end);
      this.i = end + 1;
      return str;
    }
    const m = /^-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/i.exec(this.s.slice(this.i));
    if (m) {
      this.i += m[0].length;
      if (!/^\s*[,}\]]/.test(this.s.slice(this.i))) return this.rawUntilEnd(m[0]);
      return Number(m[0]);
    }
    return this.rawUntilEnd('');
  }

  /** An expression we do not evaluate: kept as written up to the next `,` `}` `]` at depth 0. */
  private rawUntilEnd(prefix: string): { raw: string } | boolean | null {
    let depth = 0;
    const from = this.i;
    for (; this.i < this.s.length; this.i++) {
      const c = this.s[this.i];
      if (c === '"' || c === "'" || c === '`') this.i = skipString(this.s, this.i);
      else if ('([{'.includes(c)) depth++;
      else if (')]}'.includes(c)) {
        if (depth === 0) break;
        depth--;
      } else if (c === ',' && depth === 0) break;
    }
    const raw = (prefix + this.s.slice(from, this.i)).trim();
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    if (raw === 'null') return null;
    return { raw };
  }

  private object(): Record<string, ArgValue> {
    const out: Record<string, ArgValue> = {};
    this.i++;
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}' || this.i >= this.s.length) {
        this.i++;
        return out;
      }
      const key = /^(?:([A-Za-z_$][\w$]*)|'([^']*)'|"([^"]*)")/.exec(this.s.slice(this.i));
      if (!key) {
        this.rawUntilEnd('');
      } else {
        this.i += key[0].length;
        this.ws();
        const name = key[1] ?? key[2] ?? key[3];
        if (this.s[this.i] === ':') {
          this.i++;
          const v = this.value();
          if (v !== undefined) out[name] = v as ArgValue;
        } else out[name] = { raw: name }; // shorthand `{ units }`
      }
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') return out;
    }
  }

  private array(): ArgValue[] {
    const out: ArgValue[] = [];
    this.i++;
    for (;;) {
      this.ws();
      if (this.s[this.i] === ']' || this.i >= this.s.length) {
        this.i++;
        return out;
      }
      out.push(this.value() as ArgValue);
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== ']') return out;
    }
  }
}

const num = (v: ArgValue | undefined): number | undefined => (typeof v === 'number' ? v : undefined);
const nums = (v: ArgValue | undefined): number | number[] | undefined =>
  typeof v === 'number' ? v : Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
const str = (v: ArgValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

export const SPATIAL: Record<string, { axes: number; kind: 'conv' | 'pool' | 'transposed' }> = {
  conv1d: { axes: 1, kind: 'conv' },
  conv2d: { axes: 2, kind: 'conv' },
  conv3d: { axes: 3, kind: 'conv' },
  depthwiseConv2d: { axes: 2, kind: 'conv' },
  separableConv2d: { axes: 2, kind: 'conv' },
  conv2dTranspose: { axes: 2, kind: 'transposed' },
  maxPooling1d: { axes: 1, kind: 'pool' },
  averagePooling1d: { axes: 1, kind: 'pool' },
  maxPooling2d: { axes: 2, kind: 'pool' },
  averagePooling2d: { axes: 2, kind: 'pool' },
  maxPooling3d: { axes: 3, kind: 'pool' },
  averagePooling3d: { axes: 3, kind: 'pool' },
};

export interface ShapeStep {
  /** Spatial axis index (0 = height, or the steps of a sequence), or 'flatten'. */
  axis: number | 'flatten';
  result: AxisResult;
}

export interface CallArithmetic {
  /** Input shape without the batch axis. */
  input: Shape;
  output: Shape | undefined;
  steps: ShapeStep[];
  /** The first axis whose window does not fit, if any. */
  tooSmall?: { axis: number; window: number; input: number };
}

/** The output shape of this call from its input shape, with each axis's arithmetic. */
export function callArithmetic(call: LayerCall, inputNoBatch: Shape): CallArithmetic {
  const a = call.args;
  const spatial = SPATIAL[call.factory];
  if (spatial && inputNoBatch.length === spatial.axes + 1) {
    const isPool = spatial.kind === 'pool';
    const sizeArg = isPool ? nums(a.poolSize) : nums(a.kernelSize);
    const sizes = perAxis(sizeArg, spatial.axes, isPool ? 2 : 1);
    // Pooling windows step by their own size on each axis unless told otherwise (tfjs's default).
    const strides = a.strides === undefined && isPool ? sizes : perAxis(nums(a.strides), spatial.axes, 1);
    const dil = perAxis(nums(a.dilationRate), spatial.axes, 1);
    const padding = (str(a.padding) ?? 'valid') as Padding;
    const steps: ShapeStep[] = [];
    let tooSmall: CallArithmetic['tooSmall'];
    const out: (number | null)[] = [];
    for (let i = 0; i < spatial.axes; i++) {
      const p = { size: sizes[i], stride: strides[i], dilation: dil[i], padding };
      const r = spatial.kind === 'transposed' ? transposedOutput(inputNoBatch[i], p) : windowOutput(inputNoBatch[i], p);
      const axis = i;
      steps.push({ axis, result: r });
      if (!tooSmall && r.output !== null && r.output < 1 && inputNoBatch[i] !== null)
        tooSmall = { axis, window: sizes[i] + (sizes[i] - 1) * (dil[i] - 1), input: inputNoBatch[i] as number };
      out.push(r.output);
    }
    const channelsIn = inputNoBatch[spatial.axes];
    const channels =
      spatial.kind === 'pool' ? channelsIn
      : call.factory === 'depthwiseConv2d' ? (channelsIn === null ? null : channelsIn * (num(a.depthMultiplier) ?? 1))
      : (num(a.filters) ?? null);
    return { input: inputNoBatch, output: [...out, channels], steps, tooSmall };
  }
  switch (call.factory) {
    case 'dense': {
      const units = num(a.units);
      return { input: inputNoBatch, output: units === undefined ? undefined : [...inputNoBatch.slice(0, -1), units], steps: [] };
    }
    case 'flatten': {
      const total = inputNoBatch.every((d) => d !== null) ? (inputNoBatch as number[]).reduce((x, y) => x * y, 1) : null;
      return { input: inputNoBatch, output: [total], steps: [{ axis: 'flatten', result: { input: null, output: total, formula: `${inputNoBatch.join(' × ')} = ${total ?? '?'}` } }] };
    }
    case 'globalAveragePooling2d':
    case 'globalMaxPooling2d':
    case 'globalAveragePooling1d':
    case 'globalMaxPooling1d':
      return { input: inputNoBatch, output: [inputNoBatch[inputNoBatch.length - 1]], steps: [] };
    case 'dropout':
    case 'batchNormalization':
    case 'layerNormalization':
    case 'activation':
      return { input: inputNoBatch, output: inputNoBatch, steps: [] };
    case 'lstm':
    case 'gru':
    case 'simpleRNN': {
      const units = num(a.units);
      if (units === undefined) return { input: inputNoBatch, output: undefined, steps: [] };
      return { input: inputNoBatch, output: a.returnSequences === true ? [inputNoBatch[0], units] : [units], steps: [] };
    }
    case 'embedding': {
      const dim = num(a.outputDim);
      return { input: inputNoBatch, output: dim === undefined ? undefined : [...inputNoBatch, dim], steps: [] };
    }
    default:
      return { input: inputNoBatch, output: undefined, steps: [] };
  }
}

/** `inputShape` (or `batchInputShape` without its first axis) written in the call, if any. */
export function declaredInputShape(call: LayerCall): Shape | undefined {
  const given = call.args.inputShape;
  if (Array.isArray(given) && given.every((d) => typeof d === 'number' || d === null)) return given as Shape;
  const batch = call.args.batchInputShape;
  if (Array.isArray(batch) && batch.length > 1 && batch.every((d) => typeof d === 'number' || d === null)) return (batch as Shape).slice(1);
  return undefined;
}

