/**
 * Errors that teach: tfjs's raw build errors turned into plain words at the user's line, with both
 * shapes and the arithmetic. "Negative dimension size caused by adding layer conv2d_Conv2D2 with
 * input shape [,12,12,8]" becomes "conv2d on line 7: the kernel (15) is larger than the 12×12
 * feature map that line 6 makes (12 − 15 + 1 = −2) …". Pure: reads the model file's source text
 * given to it; src/trainer/errors.ts calls it.
 */
import { callArithmetic, findLayerCall, SPATIAL } from '../protocol/layerCall';
import { type Shape } from '../protocol/layerMath';
import { formatSampleShape as formatShape } from '../protocol/format';
import { msg } from './messages';

const NEGATIVE = /Negative dimension size caused by (?:adding|applying) layer (\S+) with input shape \[([^\]]*)\]/;

function parseShape(text: string): Shape {
  return text.split(',').map((d) => (d.trim() === '' || d.trim() === 'null' ? null : Number(d)));
}

/** Offset just inside the first `layers.X(` call that starts on 1-based `line`, if any. */
function callOffsetOnLine(source: string, line: number): number | undefined {
  let start = 0;
  for (let i = 1; i < line; i++) {
    const nl = source.indexOf('\n', start);
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  const end = source.indexOf('\n', start);
  const text = source.slice(start, end < 0 ? undefined : end);
  const m = /layers\s*\.\s*[A-Za-z]/.exec(text);
  return m ? start + m.index + m[0].length : undefined;
}

function lineOf(source: string, offset: number): number {
  let n = 1;
  for (let i = source.indexOf('\n'); i >= 0 && i < offset; i = source.indexOf('\n', i + 1)) n++;
  return n;
}

/** The plain-words message for a build error at `line` of `source`, or undefined to keep tfjs's. */
export function explainBuildError(message: string, source: string, line: number): string | undefined {
  const m = NEGATIVE.exec(message);
  if (!m) return undefined;
  const input = parseShape(m[2]).slice(1);
  const at = callOffsetOnLine(source, line);
  if (at === undefined) return undefined;
  const call = findLayerCall(source, at);
  const spatial = call && SPATIAL[call.factory];
  if (!call || !spatial) return undefined;
  const r = callArithmetic(call, input);
  if (!r.tooSmall) return undefined;
  const window = spatial.kind === 'pool' ? msg('build.poolWindow') : msg('build.kernel');
  const map = spatial.axes === 1 ? msg('build.sequence', String(input[0])) : msg('build.featureMap', input.slice(0, -1).join('×'));
  // The layer that made this input: the tf.layers call before this one in the file.
  let maker = msg('build.itGets');
  const calls = [...source.slice(0, call.start).matchAll(/layers\s*\.\s*[A-Za-z]\w*\s*\(/g)];
  if (calls.length > 0) maker = msg('build.lineMakes', lineOf(source, calls[calls.length - 1].index ?? 0));
  const step = r.steps.find((s) => s.axis === r.tooSmall!.axis);
  const sizeArg = spatial.kind === 'pool' ? 'poolSize' : 'kernelSize';
  return msg('build.tooLarge', call.factory, line, window, r.tooSmall.window, map, maker, formatShape(input), step?.result.formula ?? '', sizeArg, r.tooSmall.input);
}
