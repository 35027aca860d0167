/**
 * Layer hints: the pure mapping (summary → per-line hints, error → diagnostic) on summaries a real
 * trainer child (dist/trainer.js) answers for the fixture model files, and SummaryRunner's cache,
 * coalescing, supersede, timeout and dispose on real child processes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  compactCount,
  displayWidth,
  errorDiagnostic,
  failureText,
  partialBuildError,
  hintLimitColumn,
  useCompactHints,
  findCreateModelLine,
  layerHints,
  mayBeModelFile,
  shiftHints,
  type LayerHint,
} from '../../src/editor/layerHints';
import { parseErrorLocation, SummaryRunner, type SummaryOutcome } from '../../src/editor/summaryRunner';
import type { ModelSummary } from '../../src/protocol/modelSummary';
import { DIST, ensureBuilt } from './builtTrainer';

const FIXTURES = path.resolve(__dirname, '../fixtures/editor');
const fixture = (name: string) => path.join(FIXTURES, name);
const TRAINER = path.join(DIST, 'trainer.js');

/** 1-based line of the n-th line of `file` containing `needle`. */
function lineOf(file: string, needle: string, nth = 0): number {
  const hits = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l, i) => (l.includes(needle) ? i + 1 : 0))
    .filter(Boolean);
  if (hits[nth] === undefined) throw new Error(`"${needle}" is not in ${file}`);
  return hits[nth];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function summaryOf(o: SummaryOutcome): ModelSummary {
  if (o.kind !== 'summary') throw new Error(`expected a summary, got ${JSON.stringify(o)}`);
  return o.summary;
}

const hintAt = (hints: LayerHint[], line: number) => {
  const h = hints.find((x) => x.line === line);
  if (!h) throw new Error(`no hint on line ${line}; hints on ${hints.map((x) => x.line).join(', ')}`);
  return h;
};

let tmp: string;
beforeAll(async () => {
  await ensureBuilt(['trainer.js']);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'layer-hints-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('layer hints from real summaries', () => {
  test('sequential CNN: one hint per layer line with its shape and parameters, the total on createModel', async () => {
    const file = fixture('sequentialCnn.model.ts');
    // An explicit undefined (as the controller passes when no timeout is configured) means the default, not setTimeout(NaN).
    const runner = new SummaryRunner({ trainerScript: TRAINER, timeoutMs: undefined });
    const summary = summaryOf(await runner.summarize(file));
    runner.dispose();
    const hints = layerHints(summary, { source: fs.readFileSync(file, 'utf8') });

    expect(hintAt(hints, lineOf(file, 'tf.layers.conv2d', 0)).text).toBe('→ [batch, 24, 24, 8] · 208 params');
    // A layer without parameters shows its shape only.
    expect(hintAt(hints, lineOf(file, 'tf.layers.maxPooling2d', 0)).text).toBe('→ [batch, 12, 12, 8]');
    expect(hintAt(hints, lineOf(file, 'tf.layers.conv2d', 1)).text).toBe(`→ [batch, 8, 8, 16] · ${(5 * 5 * 8 * 16 + 16).toLocaleString('en-US')} params`);
    expect(hintAt(hints, lineOf(file, 'tf.layers.flatten')).text).toBe('→ [batch, 256]');
    expect(hintAt(hints, lineOf(file, 'units: 128')).text).toBe('→ [batch, 128] · 32,896 params');
    const bn = hintAt(hints, lineOf(file, 'batchNormalization'));
    expect(bn.text).toBe('→ [batch, 128] · 512 params');
    expect(bn.hover).toContain('256 non-trainable');
    expect(hintAt(hints, lineOf(file, 'units: 10')).text).toBe('→ [batch, 10] · 1,290 params');

    // createModel's line carries the model's total; nothing else gets a hint.
    const total = 208 + 3216 + 32896 + 512 + 1290;
    const cm = hintAt(hints, lineOf(file, 'export function createModel'));
    expect(cm.text).toBe(`→ model: ${total.toLocaleString('en-US')} params`);
    expect(cm.hover).toContain('[batch, 28, 28, 1]');
    expect(hints).toHaveLength(9);

    const conv = hintAt(hints, lineOf(file, 'tf.layers.conv2d', 0));
    // Hovering shows the details from the layer call on (V8 reports the call at the method's name).
    expect(conv.column).toBe(fs.readFileSync(file, 'utf8').split('\n')[conv.line - 1].indexOf('conv2d(') + 1);
    expect(conv.hover).toMatch(/\| conv2d_\w+ \(Conv2D\) \| `\[batch, 24, 24, 8\]` \| 208 \|/);

    // The compact form for narrow editors: one sample's dimensions and a short count; the hover keeps the detail.
    expect(conv.compactText).toBe('→ 24×24×8 · 208');
    expect(hintAt(hints, lineOf(file, 'tf.layers.maxPooling2d', 0)).compactText).toBe('→ 12×12×8');
    expect(hintAt(hints, lineOf(file, 'units: 128')).compactText).toBe('→ 128 · 33k');
    expect(cm.compactText).toBe('→ Σ 38k');

    // auto: these conv lines are ~100 columns, so a full hint passes column 80 and the whole file goes compact.
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const lineText = (n: number) => lines[n - 1];
    expect(useCompactHints(hints, lineText, { style: 'auto', limitColumn: 80, tabSize: 2 })).toBe(true);
    expect(useCompactHints(hints, lineText, { style: 'auto', limitColumn: 160, tabSize: 2 })).toBe(false);
    expect(useCompactHints(hints, lineText, { style: 'full', limitColumn: 80, tabSize: 2 })).toBe(false);
    expect(useCompactHints(hints, lineText, { style: 'compact', limitColumn: 400, tabSize: 2 })).toBe(true);
  });

  test('the column a hint may reach: a bounded word wrap, else the first ruler, else 80; tabs count to their stop', () => {
    expect(hintLimitColumn('wordWrapColumn', 100, [120])).toBe(100);
    expect(hintLimitColumn('bounded', 90, undefined)).toBe(90);
    expect(hintLimitColumn('off', 100, [120, 140])).toBe(120);
    expect(hintLimitColumn('on', 100, [{ column: 110, color: '#f00' }])).toBe(110);
    expect(hintLimitColumn('off', 100, [])).toBe(80);
    expect(displayWidth('\tab', 4)).toBe(6);
    expect(displayWidth('a\tb  ', 4)).toBe(5);
    expect([999, 1000, 12_345, 32_896, 1_234_567, 23_000_000].map(compactCount)).toEqual(['999', '1k', '12k', '33k', '1.2M', '23M']);
  });

  test('functional model: layers made in a loop share one hint; a layer made in another file goes to createModel', async () => {
    const file = fixture('loopFunctional.model.ts');
    const runner = new SummaryRunner({ trainerScript: TRAINER });
    const outcome = await runner.summarize(file);
    runner.dispose();
    const summary = summaryOf(outcome); // the model's console.log before the JSON did not spoil it
    const hints = layerHints(summary, { source: fs.readFileSync(file, 'utf8') });

    // 3x3 convs with stride 2, 'same': 28 -> 14 -> 7 -> 4; params 3*3*in*out + out.
    const convParams = 9 * 1 * 8 + 8 + (9 * 8 * 16 + 16) + (9 * 16 * 32 + 32);
    const loop = hintAt(hints, lineOf(file, 'tf.layers.conv2d'));
    expect(loop.layers.map((l) => l.className)).toEqual(['Conv2D', 'Conv2D', 'Conv2D']);
    expect(loop.text).toBe(`→ ×3 … last [batch, 4, 4, 32] · ${convParams.toLocaleString('en-US')} params`);
    expect(loop.hover).toContain('`[batch, 14, 14, 8]`');
    expect(loop.hover).toContain('`[batch, 7, 7, 16]`');

    expect(hintAt(hints, lineOf(file, 'tf.input')).text).toBe('→ [batch, 28, 28, 1]');
    expect(hintAt(hints, lineOf(file, 'tf.layers.flatten')).text).toBe('→ [batch, 512]');

    const cm = hintAt(hints, lineOf(file, 'export function createModel'));
    const dense = 512 * 10 + 10;
    expect(cm.layers.map((l) => l.className)).toEqual(['Dense']);
    expect(cm.text).toBe(`→ [batch, 10] · ${dense.toLocaleString('en-US')} params (made elsewhere) · model: ${(convParams + dense).toLocaleString('en-US')} params`);
    expect(cm.hover).toContain('made at loopHelpers.ts:');
    expect(hints.map((h) => h.line)).toEqual([...hints.map((h) => h.line)].sort((a, b) => a - b));
  });

  test('without the source text, layers with no line in the file go to line 1', () => {
    const summary: ModelSummary = {
      file: '/m.model.ts', modelName: 'm', modelClass: 'Sequential', inputs: [], outputs: [], totalParams: 4, trainableParams: 4, nonTrainableParams: 0, compiled: false,
      layers: [{ name: 'd', className: 'Dense', outputShape: [null, 2], params: 4, trainableParams: 4, nonTrainableParams: 0 }],
    };
    const hints = layerHints(summary);
    expect(hints.map((h) => [h.line, h.text])).toEqual([[1, '→ [batch, 2] · 4 params (made elsewhere) · model: 4 params']]);
  });
});

describe('build errors become diagnostics', () => {
  test('a syntax error: its line and column, the message without the file name', async () => {
    const file = fixture('syntaxError.model.ts');
    const runner = new SummaryRunner({ trainerScript: TRAINER });
    const o = await runner.summarize(file);
    runner.dispose();
    expect(o.kind).toBe('error');
    if (o.kind !== 'error') return;
    expect(o.error).toMatchObject({ reason: 'build', file, line: 7, column: 31, message: 'Unexpected ";"' });
    expect(errorDiagnostic(o.error, file, fs.readFileSync(file, 'utf8'))).toEqual({ line: 7, column: 31, message: 'Unexpected ";"', severity: 'error' });
  });

  test('createModel() throwing after a layer built: that layer keeps its hint, the throw line gets the error', async () => {
    const file = fixture('throws.model.ts');
    const runner = new SummaryRunner({ trainerScript: TRAINER });
    const summary = summaryOf(await runner.summarize(file));
    runner.dispose();
    const line = lineOf(file, 'throw new Error');
    const error = partialBuildError(summary);
    expect(error).toMatchObject({ reason: 'build', file, line, message: 'createModel() failed: units must be a power of two' });
    expect(errorDiagnostic(error!, file)).toMatchObject({ line, severity: 'error', message: 'createModel() failed: units must be a power of two' });
    const hints = layerHints(summary, { source: fs.readFileSync(file, 'utf8') });
    // The dense layer's hint only: no model total on createModel's line for a model that did not build.
    expect(hints.map((h) => [h.line, h.text])).toEqual([[lineOf(file, 'tf.layers.dense'), '→ [batch, 3] · 15 params']]);
    expect(failureText(error!.message)).toBe('✗ createModel() failed: units must be a power of two');
  });

  test('a kernel larger than its feature map: the layers before keep their hints (names as written or readable), the line says why', async () => {
    const file = fixture('kernelTooLarge.model.ts');
    const runner = new SummaryRunner({ trainerScript: TRAINER });
    const summary = summaryOf(await runner.summarize(file));
    runner.dispose();
    // The user's name, and tfjs's default made readable (not max_pooling2d_MaxPooling2D1).
    expect(summary.layers.map((l) => [l.name, l.outputShape])).toEqual([['edges', [null, 24, 24, 8]], ['max_pooling2d_1', [null, 12, 12, 8]]]);
    const hints = layerHints(summary, { source: fs.readFileSync(file, 'utf8') });
    expect(hints.map((h) => [h.line, h.text])).toEqual([
      [lineOf(file, "name: 'edges'"), '→ [batch, 24, 24, 8] · 208 params'],
      [lineOf(file, 'maxPooling2d'), '→ [batch, 12, 12, 8]'],
    ]);
    const line = lineOf(file, 'kernelSize: 15');
    const error = partialBuildError(summary)!;
    expect(error.line).toBe(line);
    expect(errorDiagnostic(error, file)).toMatchObject({ line, severity: 'error' });
    expect(error.message).toBe(
      `createModel() failed: conv2d on line ${line}: the kernel (15) is larger than the 12×12 feature map that line ${line - 1} makes (input [batch, 12, 12, 8]: 12 − 15 + 1 = −2). Use kernelSize ≤ 12, padding: 'same', or downsample less before it.`,
    );
  });

  test('an unresolvable import: the import line', async () => {
    const file = fixture('missingImport.model.ts');
    const runner = new SummaryRunner({ trainerScript: TRAINER });
    const o = await runner.summarize(file);
    runner.dispose();
    if (o.kind !== 'error') throw new Error(`expected an error, got ${o.kind}`);
    expect(o.error).toMatchObject({ reason: 'build', file, line: lineOf(file, './doesNotExist'), message: 'Could not resolve "./doesNotExist"' });
  });

  test('the error message shapes: located first, located last, file only; errors elsewhere go to createModel', () => {
    const model = fixture('loopFunctional.model.ts');
    expect(parseErrorLocation('loopHelpers.ts:5:10: Expected ")"', model)).toEqual({ reason: 'build', message: 'Expected ")"', file: fixture('loopHelpers.ts'), line: 5, column: 10 });
    expect(parseErrorLocation('createModel() failed: bad (loopFunctional.model.ts:12:3)', model)).toEqual({ reason: 'build', message: 'createModel() failed: bad', file: model, line: 12, column: 3 });
    expect(parseErrorLocation('loopFunctional.model.ts: does not export createModel', model)).toEqual({ reason: 'build', message: 'does not export createModel', file: model });
    // A file the error names that is not beside the model: unknown, not a guess.
    expect(parseErrorLocation('elsewhere.ts:1:1: x', model).file).toBeUndefined();

    const source = fs.readFileSync(model, 'utf8');
    const cmLine = lineOf(model, 'export function createModel');
    expect(errorDiagnostic({ reason: 'build', message: 'Expected ")"', file: fixture('loopHelpers.ts'), line: 5, column: 10 }, model, source)).toEqual({
      line: cmLine,
      message: 'Expected ")" (loopHelpers.ts:5:10)',
      severity: 'error',
    });
    expect(errorDiagnostic({ reason: 'timeout', message: 'took too long' }, model, source)).toEqual({ line: cmLine, message: 'took too long', severity: 'warning' });
    expect(errorDiagnostic({ reason: 'spawn', message: 'no node' }, model, source)).toBeUndefined();
  });
});

describe('SummaryRunner on real child processes', () => {
  test('results are cached by content: unchanged bytes spawn nothing, changed bytes do, the old bytes hit again', async () => {
    const file = path.join(tmp, 'cache.model.ts');
    const original = fs.readFileSync(fixture('sequentialCnn.model.ts'), 'utf8');
    fs.writeFileSync(file, original);
    const spawned: string[] = [];
    const runner = new SummaryRunner({ trainerScript: TRAINER, onDidSpawn: (f) => spawned.push(f) });
    try {
      const first = await runner.summarize(file);
      expect(first).toMatchObject({ kind: 'summary', cached: false });
      const again = await runner.summarize(file);
      expect(again).toMatchObject({ kind: 'summary', cached: true });
      expect(spawned).toEqual([file]);

      fs.writeFileSync(file, original.replace('units: 128', 'units: 64'));
      const changed = await runner.summarize(file);
      expect(summaryOf(changed).layers[5].outputShape).toEqual([null, 64]);
      expect(changed.kind === 'summary' && changed.cached).toBe(false);
      expect(spawned).toHaveLength(2);

      fs.writeFileSync(file, original);
      const back = await runner.summarize(file);
      expect(back).toMatchObject({ kind: 'summary', cached: true });
      expect(summaryOf(back).layers[5].outputShape).toEqual([null, 128]);
      expect(spawned).toHaveLength(2);

      // force skips the cache.
      expect(await runner.summarize(file, { force: true })).toMatchObject({ kind: 'summary', cached: false });
      expect(spawned).toHaveLength(3);
    } finally {
      runner.dispose();
    }
  });

  test('build errors are cached too; two requests for the same content share one child', async () => {
    const spawned: string[] = [];
    const runner = new SummaryRunner({ trainerScript: TRAINER, onDidSpawn: (f) => spawned.push(f) });
    try {
      const file = fixture('syntaxError.model.ts');
      const [a, b] = await Promise.all([runner.summarize(file), runner.summarize(file)]);
      expect(a).toBe(b);
      expect(a.kind).toBe('error');
      expect(spawned).toHaveLength(1);
      expect(await runner.summarize(file)).toMatchObject({ kind: 'error', cached: true, error: { reason: 'build' } });
      expect(spawned).toHaveLength(1);
    } finally {
      runner.dispose();
    }
  });

  test('a request for new content supersedes the one in flight: its child is killed, its request says so', async () => {
    const file = path.join(tmp, 'supersede.model.ts');
    fs.writeFileSync(file, fs.readFileSync(fixture('hangs.model.ts'), 'utf8'));
    const runner = new SummaryRunner({ trainerScript: TRAINER });
    try {
      const older = runner.summarize(file);
      expect(runner.isRunning(file)).toBe(true);
      fs.writeFileSync(file, fs.readFileSync(fixture('sequentialCnn.model.ts'), 'utf8'));
      const newer = runner.summarize(file);
      const o = await older;
      expect(o).toMatchObject({ kind: 'cancelled', reason: 'superseded' });
      expect(o.pid).toBeTypeOf('number');
      expect(isAlive(o.pid!)).toBe(false);
      const n = await newer;
      expect(summaryOf(n).layers[0].outputShape).toEqual([null, 24, 24, 8]);
      expect(n.pid).not.toBe(o.pid);
      expect(runner.isRunning(file)).toBe(false);
    } finally {
      runner.dispose();
    }
  });

  test('a createModel() that never returns is killed at the timeout, and the timeout is not cached', async () => {
    const file = fixture('hangs.model.ts');
    const spawned: number[] = [];
    const runner = new SummaryRunner({ trainerScript: TRAINER, timeoutMs: 3000, onDidSpawn: (_, pid) => spawned.push(pid ?? -1) });
    try {
      const o = await runner.summarize(file);
      if (o.kind !== 'error') throw new Error(`expected a timeout, got ${JSON.stringify(o)}`);
      expect(o.error.reason).toBe('timeout');
      expect(o.error.message).toMatch(/longer than 3 s/);
      expect(isAlive(o.pid!)).toBe(false);
      expect(errorDiagnostic(o.error, file, fs.readFileSync(file, 'utf8'))).toMatchObject({ line: lineOf(file, 'export function createModel'), severity: 'warning' });
      // Not cached: the next request starts a child again (cancelled here, so the test need not wait out a second timeout).
      const next = runner.summarize(file);
      expect(spawned).toHaveLength(2);
      runner.cancel(file);
      expect(await next).toMatchObject({ kind: 'cancelled', reason: 'cancelled' });
    } finally {
      runner.dispose();
    }
  });

  test('dispose kills the children and refuses new requests', async () => {
    const runner = new SummaryRunner({ trainerScript: TRAINER });
    const pending = runner.summarize(fixture('hangs.model.ts'));
    runner.dispose();
    const o = await pending;
    expect(o).toMatchObject({ kind: 'cancelled', reason: 'disposed' });
    expect(isAlive(o.pid!)).toBe(false);
    expect(await runner.summarize(fixture('sequentialCnn.model.ts'))).toMatchObject({ kind: 'cancelled', reason: 'disposed' });
  });

  test('a Node that cannot start is a spawn error, not a diagnostic', async () => {
    const runner = new SummaryRunner({ trainerScript: TRAINER, execPath: path.join(tmp, 'no-such-node') });
    const o = await runner.summarize(fixture('sequentialCnn.model.ts'));
    runner.dispose();
    if (o.kind !== 'error') throw new Error(`expected an error, got ${o.kind}`);
    expect(o.error.reason).toBe('spawn');
    expect(o.error.message).toMatch(/ENOENT/);
    expect(errorDiagnostic(o.error, fixture('sequentialCnn.model.ts'))).toBeUndefined();
  });
});

describe('which files, which lines', () => {
  test('model files by name, or scripts that import tfjs and export createModel', () => {
    const tfImport = "import * as tf from '@tensorflow/tfjs';\n";
    expect(mayBeModelFile('/w/a.model.ts', '')).toBe(true);
    expect(mayBeModelFile('/w/a.model.cjs', '')).toBe(true);
    expect(mayBeModelFile('/w/net.ts', tfImport + 'export function createModel() {}')).toBe(true);
    expect(mayBeModelFile('/w/net.js', "const tf = require('@tensorflow/tfjs-node');\nmodule.exports = { createModel };")).toBe(true);
    expect(mayBeModelFile('/w/net.ts', tfImport + 'export const createModel = () => tf.sequential();')).toBe(true);
    // An ORM's createModel is not a model file; neither is a declaration file or a dependency.
    expect(mayBeModelFile('/w/db.ts', "import { Sequelize } from 'sequelize';\nexport function createModel() {}")).toBe(false);
    expect(mayBeModelFile('/w/net.d.ts', tfImport + 'export function createModel(): void;')).toBe(false);
    expect(mayBeModelFile('/w/node_modules/x/net.js', tfImport + 'export function createModel() {}')).toBe(false);
    expect(mayBeModelFile('/w/readme.md', tfImport + 'export function createModel() {}')).toBe(false);
  });

  test('findCreateModelLine finds function, arrow, CommonJS and default-export forms', () => {
    expect(findCreateModelLine('a\nexport async function createModel() {')).toBe(2);
    expect(findCreateModelLine('a\nb\nexport const createModel = (): tf.LayersModel => {')).toBe(3);
    expect(findCreateModelLine('exports.createModel = function () {')).toBe(1);
    expect(findCreateModelLine('x\nexport default function () {')).toBe(2);
    expect(findCreateModelLine('const createModelLater = 1;')).toBeUndefined();
  });

  test('hints move with edits made after the summary; hints on removed lines go', () => {
    const h = (line: number, column = 5): LayerHint => ({ line, column, text: `h${line}`, compactText: `c${line}`, hover: '', layers: [] });
    const hints = [h(3), h(5), h(8)];
    // Two lines inserted at the end of line 4.
    expect(shiftHints(hints, [{ startLine: 4, startColumn: 10, endLine: 4, insertedLineBreaks: 2 }]).map((x) => x.line)).toEqual([3, 7, 10]);
    // Lines 4-6 replaced by two lines: the hint on 5 goes, the one on 8 moves up one.
    expect(shiftHints(hints, [{ startLine: 4, startColumn: 1, endLine: 6, insertedLineBreaks: 1 }]).map((x) => x.text)).toEqual(['h3', 'h8']);
    expect(shiftHints(hints, [{ startLine: 4, startColumn: 1, endLine: 6, insertedLineBreaks: 1 }]).map((x) => x.line)).toEqual([3, 7]);
    // Enter before the layer call on a hinted line carries the hint down; after it, the hint stays.
    expect(shiftHints(hints, [{ startLine: 5, startColumn: 1, endLine: 5, insertedLineBreaks: 1 }]).map((x) => x.line)).toEqual([3, 6, 9]);
    expect(shiftHints(hints, [{ startLine: 5, startColumn: 40, endLine: 5, insertedLineBreaks: 1 }]).map((x) => x.line)).toEqual([3, 5, 9]);
    // Typing within a line moves nothing; several edits of one event are applied bottom-up.
    expect(shiftHints(hints, [{ startLine: 5, startColumn: 1, endLine: 5, insertedLineBreaks: 0 }])).toEqual(hints);
    expect(
      shiftHints(hints, [
        { startLine: 1, startColumn: 1, endLine: 1, insertedLineBreaks: 1 },
        { startLine: 6, startColumn: 1, endLine: 6, insertedLineBreaks: 1 },
      ]).map((x) => x.line),
    ).toEqual([4, 6, 10]);
  });
});
