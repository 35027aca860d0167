/**
 * Turns whatever a run throws into a RunError: one line a user can act on (naming the file and line
 * or both shapes) plus the details. Also checks a model against its data before fit, because tfjs's
 * own message for a mismatch names internal layer ids, not the data.
 */
import { formatShape, readableLayerNames } from '../protocol/format';
import * as path from 'node:path';
import * as fs from 'node:fs';
import type { RunError } from '../protocol/trainer';
import { explainBuildError } from './explainBuildError';
import { msg } from './messages';

/** An error that already carries the RunError to report; everything else is converted by toRunError. */
export class RunFailure extends Error {
  readonly runError: RunError;
  constructor(runError: RunError) {
    super(runError.message);
    this.name = 'RunFailure';
    this.runError = runError;
  }
}

/** Maps a stack (from bundled code) back to the user's sources; see loadModelFile. */
export type StackMapper = (stack: string) => string;

export interface ErrorContext {
  /** The model file, so a frame in it (after mapping) gives file/line/column. */
  modelFile?: string;
  mapStack?: StackMapper;
  /** Prefix for the one-line message, e.g. "createModel() failed". */
  during?: string;
}

function firstLine(s: string): string {
  const line = s.split('\n').find((l) => l.trim() !== '') ?? s;
  return line.trim();
}

/** The first frame that points into the user's files (not node_modules, not Node internals). */
function userFrame(stack: string, modelFile: string | undefined): { file: string; line: number; column: number } | undefined {
  const re = /\(?((?:[A-Za-z]:)?[^\s()]+?):(\d+):(\d+)\)?\s*$/;
  const frames: { file: string; line: number; column: number }[] = [];
  for (const l of stack.split('\n')) {
    if (!/^\s+at /.test(l)) continue;
    const m = re.exec(l);
    if (!m) continue;
    const file = m[1].startsWith('file://') ? m[1].slice(7) : m[1];
    if (file.startsWith('node:') || file.includes(`${path.sep}node_modules${path.sep}`) || !path.isAbsolute(file)) continue;
    frames.push({ file, line: Number(m[2]), column: Number(m[3]) });
  }
  if (!modelFile) return undefined;
  const inModel = frames.find((f) => path.resolve(f.file) === path.resolve(modelFile));
  if (inModel) return inModel;
  // Otherwise a local file the model imports (bundled with it), never the trainer's own code.
  const modelDir = path.dirname(path.resolve(modelFile)) + path.sep;
  const ours = new Set([__filename, require.main?.filename].filter(Boolean));
  return frames.find((f) => path.resolve(f.file).startsWith(modelDir) && !ours.has(f.file) && !f.file.includes(`${path.sep}dist${path.sep}`));
}

/** A stack without the frames of Model Lab's own bundles (dist/trainer.js, dist/cli.js): a user sees their code and tfjs's. */
function withoutOwnFrames(stack: string): string {
  const ours = [__filename, require.main?.filename].filter((f): f is string => !!f);
  return stack
    .split('\n')
    .filter((l) => !/^\s+at /.test(l) || !ours.some((f) => l.includes(f)))
    .join('\n');
}

/** Converts any thrown value to a RunError. */
export function toRunError(e: unknown, ctx: ErrorContext = {}): RunError {
  if (e instanceof RunFailure) return e.runError;
  let message: string;
  let stack: string | undefined;
  if (e instanceof Error) {
    message = e.message || e.name;
    stack = e.stack;
  } else if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') {
    message = (e as { message: string }).message; // thrown plain objects, errors from another realm
  } else {
    message = String(e);
  }
  if (stack && ctx.mapStack) stack = ctx.mapStack(stack);
  const where = stack ? userFrame(stack, ctx.modelFile) : undefined;
  let one = readableLayerNames(firstLine(message));
  // A typed array too large to allocate is tfjs running out of memory for a tensor: say so plainly.
  const oom = e instanceof RangeError && /Invalid typed array length: (\d+)|Array buffer allocation failed/.exec(message);
  if (oom) {
    const values = oom[1] ? Number(oom[1]) : undefined;
    one = values
      ? msg('oom.tensor', values.toLocaleString('en-US'), ((values * 4) / 2 ** 30).toFixed(1))
      : msg('oom.tensorUnknown');
  }
  if (ctx.during) one = msg('error.during', ctx.during, one);
  if (where && ctx.modelFile && path.resolve(where.file) === path.resolve(ctx.modelFile)) {
    let source: string | undefined;
    try {
      source = fs.readFileSync(where.file, 'utf8');
    } catch {
      source = undefined; // the file changed or went: keep tfjs's words
    }
    const plain = source === undefined ? undefined : explainBuildError(message, source, where.line);
    if (plain) one = ctx.during ? msg('error.during', ctx.during, plain) : plain;
  }
  const err: RunError = { message: one };
  if (where) {
    err.message = `${one} (${path.basename(where.file)}:${where.line}:${where.column})`;
    err.file = where.file;
    err.line = where.line;
    err.column = where.column;
  } else if (ctx.modelFile) {
    err.file = ctx.modelFile;
  }
  const details = [message.includes('\n') ? message : undefined, stack && withoutOwnFrames(stack)].filter(Boolean).join('\n');
  if (details) err.details = details;
  return err;
}

type Shape = readonly (number | null)[];

// The model's batch axis reads `batch`, the data's first axis `N` (its sample count), as formatShape writes shapes everywhere.
const fmt = (s: Shape, batch: 'null' | 'N') => formatShape([null, ...s.slice(1)], batch === 'null' ? 'batch' : 'N');

/** True when a data tensor shape (batch first) fits a model shape (null = any). */
function fits(model: Shape, data: Shape): boolean {
  if (model.length !== data.length) return false;
  return model.every((d, i) => i === 0 || d === null || d === data[i]);
}

/**
 * Throws a RunFailure naming both shapes when the model's single input/output does not fit the data
 * (`Model input expects [null,28,28,1] but the data "mnist" gives [N,784]`).
 */
export function checkModelFitsData(
  model: { inputs: { shape: Shape }[]; outputs: { shape: Shape }[] },
  data: { name: string; xsShape: Shape; ysShape: Shape },
  modelFile?: string,
): void {
  const fail = (message: string) => {
    throw new RunFailure({ message, file: modelFile });
  };
  if (model.inputs.length !== 1)
    fail(msg('fit.inputs', model.inputs.length, data.name, fmt(data.xsShape, 'N')));
  if (model.outputs.length !== 1)
    fail(msg('fit.outputs', model.outputs.length, data.name, fmt(data.ysShape, 'N')));
  const inShape = model.inputs[0].shape;
  const outShape = model.outputs[0].shape;
  if (!fits(inShape, data.xsShape))
    fail(msg('fit.input', fmt(inShape, 'null'), data.name, fmt(data.xsShape, 'N')));
  if (!fits(outShape, data.ysShape))
    fail(msg('fit.output', fmt(outShape, 'null'), data.name, fmt(data.ysShape, 'N')));
}
