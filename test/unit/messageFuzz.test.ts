// Fuzzing both message boundaries with seeded random mutations of recorded valid messages:
// trainer -> host (messages recorded from a real in-process training run, then mutated and sent
// through a real IPC channel into the real TrainerProcess by a test double of the trainer) and
// webview -> host (the panel's messages into the parser the panel calls). Nothing may throw out of
// the host; every malformed message is dropped with the field named; every valid one is accepted
// intact; no accepted message carries a path outside the runs folder.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseTrainerToHost, type TrainerToHost } from '../../src/protocol/trainer';
import { parseWebviewToHost, RUN_AGAIN_COMMANDS, RUN_CONTROL_COMMANDS } from '../../src/protocol/webview';
import { runTraining, silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { pathOutsideRuns } from '../../src/training/confineTrainerMessage';
import { TrainerProcess } from '../../src/training/trainerProcess';
import { mulberry32 as rng } from '../../src/trainer/data/split';

/** How many mutated messages each boundary gets (the numbers quoted in BENCHMARKS.md). */
const TRAINER_IPC_MESSAGES = 3000;
const TRAINER_PARSER_MESSAGES = 20000;
const WEBVIEW_MESSAGES = 20000;
const SEED = 20261201;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const TRAINER_TYPES = ['ready', 'started', 'run', 'executor', 'fit', 'batches', 'epoch', 'paused', 'resumed', 'checkpoint', 'log', 'response', 'bogus', '', 'constructor', '__proto__'];

function mutator(random: () => number, runsDir: string) {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(random() * a.length)];
  // A fresh copy each time: a value put into a message may be mutated by the next mutation of that
  // message, and a shared one could then be made to contain itself.
  const deep = (): Json => {
    let d: Json = 0;
    for (let i = 0; i < 200; i++) d = [d];
    return d;
  };
  const values = (): Json[] => [
    null, true, false, 0, -1, 1.5, 1e308, -1e308, '', 'x', 'x'.repeat(100_000), [], {}, [1, 'a', null], { a: { b: {} } }, deep(),
    '../../../etc/hostname', '/etc/passwd', path.join(runsDir, '..', 'elsewhere'), path.join(runsDir, 'run', '..', '..', 'x'), '\u0000', '<script>alert(1)</script>',
    { __proto__: { polluted: true } } as unknown as Json, { constructor: { prototype: { polluted: true } } },
  ];
  /** Every place in a JSON value: [parent, key]. */
  const places = (v: Json, out: [Json[] | Record<string, Json>, string | number][] = []): typeof out => {
    if (Array.isArray(v)) v.forEach((c, i) => (out.push([v, i]), places(c, out)));
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) out.push([v, k]), places(v[k], out);
    return out;
  };
  return (original: Json): Json => {
    const m = structuredClone(original) as Record<string, Json>;
    const n = 1 + Math.floor(random() * 3);
    for (let i = 0; i < n; i++) {
      const all = places(m);
      const op = random();
      if (op < 0.1) m.type = pick(TRAINER_TYPES);
      else if (op < 0.2 && ('runDir' in m || 'dir' in m)) m['runDir' in m ? 'runDir' : 'dir'] = pick(values().filter((x) => typeof x === 'string'));
      else if (op < 0.3) m[pick(['extra', 'runDir', 'dir', 'points', 'spec', 'ok'])] = pick(values());
      else if (all.length > 0) {
        const [parent, key] = pick(all);
        if (op < 0.55) {
          if (Array.isArray(parent)) parent.splice(key as number, 1);
          else delete parent[key as string];
        } else (parent as Record<string, Json>)[key as string] = pick(values());
      }
    }
    return m;
  };
}

const isInsideRuns = (runsDir: string, p: string) => !path.relative(runsDir, p).startsWith('..') && path.isAbsolute(p);

let dir = '';
let runsDir = '';
/** Messages a real run sent, as they cross IPC (JSON). */
let recorded: TrainerToHost[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-fuzz-'));
  runsDir = path.join(dir, 'runs');
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
  const modelFile = path.join(dir, 'tiny.model.ts');
  fs.writeFileSync(
    modelFile,
    `import * as tf from '@tensorflow/tfjs';
export const config = { epochs: 2, batchSize: 8, validationSplit: 0.25 };
export function loadData() {
  const x = Array.from({ length: 32 }, (_, i) => [i % 4, (i * 7) % 5]);
  return { xs: tf.tensor2d(x), ys: tf.oneHot(tf.tensor1d(x.map((_, i) => i % 2), 'int32'), 2) };
}
export function createModel() {
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 2, activation: 'softmax' })] });
  m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}`,
  );
  const out: TrainerToHost[] = [];
  await runTraining(tf, { name: 'cpu', reason: 'fuzz recording' }, { modelFile, runsDir, runId: 'fuzz-run', backend: 'cpu' }, (m) => out.push(JSON.parse(JSON.stringify(m))), {
    stopRequested: () => false,
  });
  // `end` would end the run early; the double sends its own at the very end.
  recorded = out.filter((m) => m.type !== 'end');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('trainer -> host', () => {
  test('the recording holds every kind of run message, each valid', () => {
    expect(new Set(recorded.map((m) => m.type))).toEqual(new Set(['histograms', 'started', 'run', 'executor', 'batches', 'epoch', 'checkpoint', 'log']));
    for (const m of recorded) expect(parseTrainerToHost(m)).toBeDefined();
  });

  test(`${TRAINER_PARSER_MESSAGES} mutated messages through the parser and the path check: nothing throws, every refusal names a field`, () => {
    const mutate = mutator(rng(SEED), runsDir);
    const runDir = path.join(runsDir, 'fuzz-run');
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < TRAINER_PARSER_MESSAGES; i++) {
      const raw = JSON.parse(JSON.stringify(mutate(recorded[i % recorded.length] as unknown as Json)));
      let why = '';
      const m = parseTrainerToHost(raw, (w) => (why = w));
      if (!m) {
        refused++;
        // "points.0.metrics.loss: Invalid type: …", "type: Invalid type: …": a field path, then why.
        expect(why).toMatch(/^[\w$.]+: \S/);
        continue;
      }
      const outside = pathOutsideRuns(m, runsDir, runDir);
      if (outside) {
        refused++;
        expect(outside).toMatch(/^(runDir|dir): /);
        continue;
      }
      accepted++;
      if ('runDir' in m && m.runDir !== undefined) expect(path.dirname(m.runDir)).toBe(runsDir);
      if (m.type === 'checkpoint') expect(isInsideRuns(runDir, m.dir)).toBe(true);
    }
    expect(accepted + refused).toBe(TRAINER_PARSER_MESSAGES);
    // Both outcomes happen often: the fuzz is neither all noise nor all valid.
    expect(refused).toBeGreaterThan(TRAINER_PARSER_MESSAGES / 10);
    expect(accepted).toBeGreaterThan(TRAINER_PARSER_MESSAGES / 20);
  });

  test(`${TRAINER_IPC_MESSAGES} mutated messages over real IPC into TrainerProcess: valid ones delivered intact, malformed ones dropped naming the field, the run still ends`, async () => {
    const mutate = mutator(rng(SEED + 1), runsDir);
    const sent: Json[] = [];
    const validCopies = new Set<number>();
    for (let i = 0; i < TRAINER_IPC_MESSAGES; i++) {
      const base = recorded[i % recorded.length] as unknown as Json;
      // Every fifth message is a recorded one unchanged: it must arrive as it was.
      if (i % 5 === 0) {
        validCopies.add(sent.length);
        sent.push(base);
      } else sent.push(mutate(base));
    }
    const file = path.join(dir, 'fuzz-messages.json');
    fs.writeFileSync(file, JSON.stringify(sent));
    const tp = new TrainerProcess({ trainerScript: path.resolve(__dirname, '../fixtures/trainerProcess/fuzzTrainer.js'), env: { ...process.env, FUZZ_MESSAGES: file }, stopGraceMs: 2000 });
    const delivered: TrainerToHost[] = [];
    const warnings: string[] = [];
    tp.onMessage((m) => delivered.push(m));
    tp.onOutput((text, stream) => stream === 'stderr' && warnings.push(...text.split('\n').filter((l) => l.startsWith('[model-lab] dropped'))));
    tp.start({ modelFile: path.join(dir, 'tiny.model.ts'), runsDir, runId: 'fuzz-run', backend: 'cpu' });
    const end = await tp.ended;
    tp.dispose();

    expect(end.status).toBe('completed');
    expect(end.runDir).toBe(path.join(runsDir, 'fuzz-run'));
    const last = delivered.at(-1);
    expect(last?.type).toBe('end');
    // Every message either arrived or was dropped with a warning; +1 for the double's `ready`.
    expect(delivered.length - 1 + warnings.length).toBe(sent.length + 1);
    for (const w of warnings) expect(w).toMatch(/^\[model-lab\] dropped a (malformed )?message from the trainer \([\w$.]+: /);
    // The unchanged recorded messages all arrived, in order and intact.
    const valid = [...validCopies].map((i) => JSON.stringify(sent[i]));
    const arrived = delivered.map((m) => JSON.stringify(m));
    let at = 0;
    for (const v of valid) {
      at = arrived.indexOf(v, at);
      expect(at, v.slice(0, 120)).toBeGreaterThanOrEqual(0);
      at++;
    }
    // No delivered message points outside the runs folder.
    for (const m of delivered) {
      if ('runDir' in m && typeof m.runDir === 'string') expect(path.dirname(m.runDir)).toBe(runsDir);
      if (m.type === 'checkpoint') expect(isInsideRuns(runsDir, m.dir)).toBe(true);
    }
    expect(warnings.some((w) => w.includes('(runDir: '))).toBe(true);
  }, 120_000);

  test('a runDir outside the runs folder is refused by name; one inside passes', () => {
    const ok = { type: 'started', runId: 'a', runDir: path.join(runsDir, 'a') } as const;
    expect(pathOutsideRuns(ok, runsDir, undefined)).toBeUndefined();
    for (const bad of ['/etc', path.join(runsDir, '..', 'a'), path.join(runsDir, 'a', 'b'), 'relative/a', path.join(runsDir, '.hidden')])
      expect(pathOutsideRuns({ ...ok, runDir: bad }, runsDir, undefined)).toMatch(/^runDir: .* is not a run folder of the runs folder /);
    const ck = recorded.find((m) => m.type === 'checkpoint')!;
    expect(pathOutsideRuns(ck, runsDir, path.join(runsDir, 'fuzz-run'))).toBeUndefined();
    expect(pathOutsideRuns({ ...ck, dir: '/tmp' } as TrainerToHost, runsDir, path.join(runsDir, 'fuzz-run'))).toMatch(/^dir: "\/tmp" is outside the run folder/);
  });
});

describe('webview -> host', () => {
  test(`${WEBVIEW_MESSAGES} mutated panel messages: nothing throws, refusals name a field, what passes is a known command`, () => {
    const valid = [
      { type: 'ready' },
      ...[...RUN_CONTROL_COMMANDS, ...RUN_AGAIN_COMMANDS].map((type) => ({ type, runId: '20261201-101500-mnist-cnn' })),
      { type: 'openLocation', file: '/work/examples/mnist-cnn.model.ts', line: 19, column: 5 },
      { type: 'seriesRequest', id: 3, metric: 'loss', axis: 'step', x0: 0, x1: 500, pixels: 300, smoothing: 0.6 },
      { type: 'closeCompare' },
    ] as Json[];
    for (const m of valid) expect(parseWebviewToHost(m)).toEqual(m);
    const random = rng(SEED + 2);
    const mutate = mutator(random, runsDir);
    const types = ['ready', ...RUN_CONTROL_COMMANDS, ...RUN_AGAIN_COMMANDS, 'openLocation', 'seriesRequest', 'closeCompare', 'train', 'delete', 'eval', 'openFile'];
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < WEBVIEW_MESSAGES; i++) {
      let m = mutate(valid[i % valid.length]) as Record<string, Json>;
      if (random() < 0.3 && m && typeof m === 'object' && !Array.isArray(m)) m = { ...m, type: types[Math.floor(random() * types.length)] };
      const raw = JSON.parse(JSON.stringify(m));
      let why = '';
      const out = parseWebviewToHost(raw, (w) => (why = w));
      if (out) {
        accepted++;
        expect(['ready', ...RUN_CONTROL_COMMANDS, ...RUN_AGAIN_COMMANDS, 'openLocation', 'seriesRequest', 'valuesRequest', 'closeCompare']).toContain(out.type);
        if (out.type === 'seriesRequest') {
          expect(Number.isInteger(out.pixels) && out.pixels >= 1 && out.pixels <= 8192).toBe(true);
          expect(out.smoothing >= 0 && out.smoothing < 1).toBe(true);
        } else if (out.type === 'valuesRequest') {
          expect(Number.isFinite(out.x) && out.smoothing >= 0 && out.smoothing < 1).toBe(true);
        } else if (out.type === 'openLocation') {
          expect(typeof out.file === 'string' && out.file.length > 0 && out.file.length <= 4096).toBe(true);
          for (const n of [out.line, out.column]) if (n !== undefined) expect(Number.isInteger(n) && n >= 1).toBe(true);
          // Unknown keys are not passed on.
          expect(Object.keys(out).every((k) => ['type', 'file', 'line', 'column'].includes(k))).toBe(true);
        } else if (out.type !== 'ready' && out.type !== 'closeCompare') {
          expect(typeof out.runId === 'string' && out.runId.length < 200).toBe(true);
          expect(Object.keys(out).every((k) => k === 'type' || k === 'runId')).toBe(true);
        }
      } else {
        refused++;
        expect(why).toMatch(/^[\w$.]+: \S/);
      }
    }
    expect(accepted + refused).toBe(WEBVIEW_MESSAGES);
    expect(refused).toBeGreaterThan(WEBVIEW_MESSAGES / 10);
    expect(accepted).toBeGreaterThan(WEBVIEW_MESSAGES / 20);
  });
});
