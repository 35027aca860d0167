import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isEventFileName, parseEventFile, runsFromEventFiles } from '../../src/protocol/tfevents';
import { parseHostToWebview } from '../../src/protocol/webview';
import { epochTable, initialState, metricSpecs, shownRun, update } from '../../webview-ui/src/state';
import { exportRunToTensorBoard } from '../../src/trainer/tensorboard/exportRun';
import { logFoldersOf, readTensorBoardLogDir, readTensorBoardRunViews } from '../../src/training/tensorboardLogDir';
import { crc32cBitwise, mask } from './tfrecordReader';

// ---- bytes built by hand from event.proto, summary.proto and tensor.proto ------------------------
// Every length below is under 128, so each varint length is one byte; f(n, wire) is a field key.
const f = (n: number, wire: number) => (n << 3) | wire;
const ld = (n: number, bytes: number[]) => {
  if (bytes.length > 127) throw new Error('the hand encoder only does one-byte lengths');
  return [f(n, 2), bytes.length, ...bytes];
};
const str = (s: string) => [...Buffer.from(s, 'utf8')];
const f64 = (v: number) => { const b = Buffer.alloc(8); b.writeDoubleLE(v); return [...b]; };
const f32 = (v: number) => { const b = Buffer.alloc(4); b.writeFloatLE(v); return [...b]; };
/** TFRecord framing with the tests' own CRC: u64 length, masked crc, data, masked crc. */
function frame(data: number[]): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(data.length));
  const c1 = Buffer.alloc(4);
  c1.writeUInt32LE(mask(crc32cBitwise(len)));
  const c2 = Buffer.alloc(4);
  c2.writeUInt32LE(mask(crc32cBitwise(Uint8Array.from(data))));
  return Buffer.concat([len, c1, Buffer.from(data), c2]);
}
/** Event { wall_time = 1 (double); step = 2 (varint, < 128 here); ... } */
const event = (wall: number, step: number, rest: number[]) => [f(1, 1), ...f64(wall), ...(step ? [f(2, 0), step] : []), ...rest];
/** Event.summary = 5 { value = 1 { tag = 1; metadata = 9 { plugin_data = 1 { plugin_name = 1 } }; tensor = 8 } } */
const tensorSummary = (tag: string, tensor: number[], plugin?: string) =>
  ld(5, ld(1, [...ld(1, str(tag)), ...(plugin ? ld(9, ld(1, ld(1, str(plugin)))) : []), ...ld(8, tensor)]));
/** TensorProto { dtype = 1; tensor_shape = 2 (empty: a scalar); tensor_content = 4 } as TF2's C++ writer writes scalars. */
const floatContent = (v: number) => [f(1, 0), 1, ...ld(2, []), ...ld(4, f32(v))];
/** TensorProto { dtype = DT_DOUBLE (2); tensor_shape {}; double_val = 6 packed } */
const doubleVal = (v: number) => [f(1, 0), 2, ...ld(2, []), ...ld(6, f64(v))];
/** TensorProto { dtype = DT_FLOAT; tensor_shape {}; float_val = 5 packed } */
const floatVal = (v: number) => [f(1, 0), 1, ...ld(2, []), ...ld(5, f32(v))];

const T0 = 1_700_000_000;
/** A Keras/TF2 `train` file: epoch_loss written as tensor summaries, metadata on the first only. */
function kerasTrainFile(): Buffer {
  return Buffer.concat([
    frame(event(T0, 0, ld(3, str('brain.Event:2')))),
    // graph_def = 4: bytes the reader must step over
    frame(event(T0 + 0.5, 0, ld(4, [0x0a, 0x03, 0x61, 0x62, 0x63]))),
    frame(event(T0 + 1, 0, tensorSummary('epoch_loss', floatContent(0.75), 'scalars'))),
    frame(event(T0 + 1, 0, tensorSummary('epoch_accuracy', floatVal(0.5), 'scalars'))),
    // a histogram (other plugin, rank 2): not a scalar
    frame(event(T0 + 1, 0, tensorSummary('dense/kernel_0', [f(1, 0), 2, ...ld(2, [...ld(2, [f(1, 0), 2]), ...ld(2, [f(1, 0), 3])]), ...ld(6, [...f64(1), ...f64(2), ...f64(3), ...f64(4), ...f64(5), ...f64(6)])], 'histograms'))),
    frame(event(T0 + 2, 1, tensorSummary('epoch_loss', floatContent(0.5)))),
    frame(event(T0 + 2, 1, tensorSummary('epoch_accuracy', floatVal(0.625)))),
    frame(event(T0 + 2, 1, tensorSummary('dense/kernel_0', [f(1, 0), 2, ...ld(2, [...ld(2, [f(1, 0), 1]), ...ld(2, [f(1, 0), 1])]), ...ld(6, f64(9))]))),
    // text plugin: TensorProto { dtype = DT_STRING (7); string_val = 8 }
    frame(event(T0 + 2, 1, tensorSummary('notes', [f(1, 0), 7, ...ld(2, []), ...ld(8, str('hello *TensorBoard*'))], 'text'))),
  ]);
}
function kerasValidationFile(): Buffer {
  return Buffer.concat([
    frame(event(T0, 0, ld(3, str('brain.Event:2')))),
    frame(event(T0 + 1.5, 0, tensorSummary('epoch_loss', doubleVal(0.875), 'scalars'))),
    frame(event(T0 + 2.5, 1, tensorSummary('epoch_loss', doubleVal(0.625)))),
  ]);
}
/** A PyTorch SummaryWriter-style file: Summary.Value.simple_value = 2, global steps. */
function pytorchFile(): Buffer {
  const scalar = (tag: string, v: number) => ld(5, ld(1, [...ld(1, str(tag)), f(2, 5), ...f32(v)]));
  return Buffer.concat([
    frame(event(T0, 0, ld(3, str('brain.Event:2')))),
    ...[0, 10, 20].map((step, i) => frame(event(T0 + i, step, scalar('Loss/train', 1 / (i + 1))))),
  ]);
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfevents-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('parseEventFile on handcrafted TF2 tensor summaries', () => {
  test('reads tensor_content, float_val and double_val scalars; skips graphs and histograms; keeps text', () => {
    const c = parseEventFile(kerasTrainFile(), 'train.tfevents');
    expect(c.problem).toBeUndefined();
    expect(c.scalars).toEqual([
      { tag: 'epoch_loss', step: 0, wallTime: T0 + 1, value: 0.75 },
      { tag: 'epoch_accuracy', step: 0, wallTime: T0 + 1, value: 0.5 },
      { tag: 'epoch_loss', step: 1, wallTime: T0 + 2, value: 0.5 },
      { tag: 'epoch_accuracy', step: 1, wallTime: T0 + 2, value: 0.625 },
    ]);
    expect(c.texts).toEqual([{ tag: 'notes', text: 'hello *TensorBoard*' }]);
    expect(c.firstWallTime).toBe(T0);
    expect(c.lastWallTime).toBe(T0 + 2);
  });

  test('a cut-off tail keeps every complete record and says where it stopped', () => {
    const whole = pytorchFile();
    const cut = whole.subarray(0, whole.length - 5);
    const c = parseEventFile(cut, 'cut.tfevents');
    expect(c.scalars.map((s) => s.step)).toEqual([0, 10]);
    const lastStart = whole.length - frame(event(T0 + 2, 20, ld(5, ld(1, [...ld(1, str('Loss/train')), f(2, 5), ...f32(1 / 3)])))).length;
    expect(c.problem).toBe(`cut.tfevents: the last record is cut off at byte ${lastStart} (the file may still be being written)`);
  });

  test('a damaged record stops the reading there, with the file and byte named', () => {
    const bytes = Buffer.from(pytorchFile());
    const second = frame(event(T0, 0, ld(3, str('brain.Event:2')))).length;
    bytes[second + 14] ^= 0xff; // inside the second record's data
    const c = parseEventFile(bytes, 'bad.tfevents');
    expect(c.scalars).toEqual([]);
    expect(c.problem).toBe(`bad.tfevents: bad data checksum in the record at byte ${second}; the file is damaged there`);
    expect(parseEventFile(Buffer.from('not an event file at all'), 'x.tfevents').problem).toMatch(/^x\.tfevents: bad length checksum at byte 0/);
  });

  test('names TensorFlow, Keras and PyTorch give event files are recognised', () => {
    expect(isEventFileName('events.out.tfevents.1700000000.host')).toBe(true);
    expect(isEventFileName('events.out.tfevents.1700000000.host.1234.0.v2')).toBe(true);
    expect(isEventFileName('events.out.tfevents.1700000000.host.tmp')).toBe(false);
    expect(isEventFileName('metrics.jsonl')).toBe(false);
  });
});

describe('a log folder as runs', () => {
  test('Keras train/validation folders and a PyTorch folder become runs with every series', () => {
    const logDir = path.join(tmp, 'keras-torch');
    fs.mkdirSync(path.join(logDir, 'fit', '20261201-1', 'train'), { recursive: true });
    fs.mkdirSync(path.join(logDir, 'fit', '20261201-1', 'validation'), { recursive: true });
    fs.mkdirSync(path.join(logDir, 'torch'), { recursive: true });
    fs.writeFileSync(path.join(logDir, 'fit', '20261201-1', 'train', `events.out.tfevents.${T0}.host.1.0.v2`), kerasTrainFile());
    fs.writeFileSync(path.join(logDir, 'fit', '20261201-1', 'validation', `events.out.tfevents.${T0}.host.1.1.v2`), kerasValidationFile());
    fs.writeFileSync(path.join(logDir, 'torch', `events.out.tfevents.${T0}.host.77.0`), pytorchFile());
    fs.writeFileSync(path.join(logDir, 'torch', 'notes.txt'), 'not an event file');

    const runs = readTensorBoardLogDir(logDir);
    expect(runs.map((r) => r.name)).toEqual(['fit/20261201-1/train', 'fit/20261201-1/validation', 'torch']);
    expect(runs[2].scalars).toEqual({
      'Loss/train': [0, 10, 20].map((step, i) => ({ step, wallTime: T0 + i, value: Math.fround(1 / (i + 1)) })),
    });
    expect(runs.every((r) => r.problems.length === 0)).toBe(true);

    const views = readTensorBoardRunViews(logDir);
    expect(views.map((v) => v.runId)).toEqual(['fit/20261201-1', 'torch']);
    const keras = views[0];
    expect(keras.runDir).toBe(path.join(logDir, 'fit', '20261201-1'));
    expect(keras.epochs).toEqual([
      { epoch: 0, time: (T0 + 1.5) * 1000, metrics: { loss: 0.75, accuracy: 0.5, val_loss: 0.875 } },
      { epoch: 1, time: (T0 + 2.5) * 1000, metrics: { loss: 0.5, accuracy: 0.625, val_loss: 0.625 } },
    ]);
    expect(keras.batches).toEqual([]);
    expect(keras.startedAt).toBe(T0 * 1000);
    // what the panel accepts and draws: a valid snapshot, a loss chart with train and validation points
    expect(parseHostToWebview({ type: 'snapshot', seq: 1, run: JSON.parse(JSON.stringify(keras)) })).toBeDefined();
    const state = initialState();
    update(state, { type: 'message', data: { type: 'snapshot', seq: 1, run: JSON.parse(JSON.stringify(keras)) } }, 0);
    const track = shownRun(state)!;
    const loss = metricSpecs(track).find((m) => m.base === 'loss');
    expect(loss).toMatchObject({ train: 'loss', val: 'val_loss' });
    const table = epochTable(track);
    expect(table.columns).toEqual(expect.arrayContaining(['loss', 'val_loss', 'accuracy']));
    expect(table.rows.map((r) => r.values[table.columns.indexOf('loss')])).toEqual([0.75, 0.5]);
    expect(table.rows.map((r) => r.values[table.columns.indexOf('val_loss')])).toEqual([0.875, 0.625]);
    const torch = views[1];
    expect(torch.batches.map((b) => [b.step, b.metrics['Loss/train']])).toEqual([[0, 1], [10, Math.fround(0.5)], [20, Math.fround(1 / 3)]]);
    expect(torch.epochs).toEqual([]);
  });

  test('a later file in the same folder (a restarted writer) replaces the steps it writes again', () => {
    const c1 = parseEventFile(pytorchFile(), 'a');
    const again = Buffer.concat([frame(event(T0 + 50, 10, ld(5, ld(1, [...ld(1, str('Loss/train')), f(2, 5), ...f32(0.25)]))))]);
    const c2 = parseEventFile(again, 'b');
    const [run] = runsFromEventFiles([
      { path: `r/events.out.tfevents.${T0 + 50}.h`, contents: c2 },
      { path: `r/events.out.tfevents.${T0}.h`, contents: c1 },
    ]);
    expect(run.scalars['Loss/train'].map((p) => [p.step, p.value])).toEqual([[0, 1], [10, 0.25], [20, Math.fround(1 / 3)]]);
  });
});

describe('runs exported by model-lab open again as runs', () => {
  test('two exported runs in one log folder read back with their batch and epoch series', () => {
    const logDir = path.join(tmp, 'exported');
    const start = Date.parse('2026-12-01T08:00:00.000Z');
    for (const [id, scale] of [['run-a', 1], ['run-b', 2]] as const) {
      const runDir = path.join(tmp, 'runs', id);
      fs.mkdirSync(runDir, { recursive: true });
      // The shape of run.json, written as the trainer writes it.
const record = {
        id,
        modelFile: '/w/m.model.ts',
        config: { epochs: 2, batchSize: 8, validationSplit: 0.1, shuffle: true, dataset: 'iris' },
        backend: { name: 'wasm', reason: 'test' },
        versions: { tfjs: '4.22.0', node: process.version, modelLab: '0.1.0' },
        startedAt: new Date(start).toISOString(),
        status: 'completed',
        layers: [{ name: 'd1', className: 'Dense', outputShape: [null, 3], params: 15 }],
        totalParams: 15,
      };
      fs.writeFileSync(path.join(runDir, 'run.json'), JSON.stringify(record));
      const lines: object[] = [];
      for (let epoch = 0; epoch < 2; epoch++) {
        for (let batch = 0; batch < 2; batch++) {
          const step = epoch * 2 + batch;
          lines.push({ type: 'batch', epoch, batch, step, time: start + 100 * (step + 1), loss: 0.5 * scale / (step + 1) });
        }
        lines.push({ type: 'epoch', epoch, time: start + 100 * (2 * epoch + 2) + 50, loss: 0.25 * scale, val_loss: 0.375 * scale });
      }
      fs.writeFileSync(path.join(runDir, 'metrics.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      exportRunToTensorBoard(runDir, logDir);
    }
    const runs = readTensorBoardLogDir(logDir);
    expect(runs.map((r) => r.name)).toEqual(['run-a', 'run-b']);
    expect(Object.keys(runs[1].scalars).sort()).toEqual(['batch/loss', 'epoch/loss', 'epoch/val_loss']);
    expect(runs[1].scalars['batch/loss'].map((p) => [p.step, p.value])).toEqual([0, 1, 2, 3].map((s) => [s, Math.fround(1 / (s + 1))]));
    expect(runs[1].texts['model/layers']).toContain('| d1 | Dense | [None,3] | 15 |');

    const [a, b] = readTensorBoardRunViews(logDir);
    expect(a.runId).toBe('run-a');
    expect(b.epochs.map((e) => [e.epoch, e.metrics.loss, e.metrics.val_loss])).toEqual([[0, 0.5, 0.75], [1, 0.5, 0.75]]);
    // each batch goes back to the epoch it was trained in, by time
    expect(b.batches.map((p) => [p.step, p.epoch, p.batch])).toEqual([[0, 0, 0], [1, 0, 1], [2, 1, 0], [3, 1, 1]]);
    expect(b.batchesPerEpoch).toBe(2);
    expect(b.status).toBe('completed');
  });
});

describe('the reader never throws on damaged files', () => {
  // Seeded, so a failure reproduces.
  let seed = 20261201;
  const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;

  test('5,000 mutated files: random bytes, and mutated events re-framed with valid checksums', () => {
    const sources = [kerasTrainFile(), kerasValidationFile(), pytorchFile()];
    // the events alone, so mutants can be framed with valid CRCs and reach the protobuf decoder
    const events: number[][] = [
      event(T0, 3, tensorSummary('epoch_loss', floatContent(0.5), 'scalars')),
      event(T0, 4, tensorSummary('t', [f(1, 0), 7, ...ld(8, str('x'))], 'text')),
      event(T0, 5, ld(5, ld(1, [...ld(1, str('a')), f(2, 5), ...f32(1)]))),
      event(T0, 6, tensorSummary('d', doubleVal(2))),
    ];
    for (let i = 0; i < 5000; i++) {
      let bytes: Buffer;
      if (i % 2 === 0) {
        bytes = Buffer.from(sources[rand(sources.length)]);
        for (let k = 1 + rand(4); k > 0; k--) bytes[rand(bytes.length)] = rand(256);
        if (rand(4) === 0) bytes = bytes.subarray(0, rand(bytes.length));
      } else {
        const ev = [...events[rand(events.length)]];
        for (let k = 1 + rand(3); k > 0; k--) {
          const at = rand(ev.length);
          if (rand(3) === 0) ev.splice(at, 1 + rand(3));
          else ev[at] = rand(256);
        }
        bytes = Buffer.concat([frame(ev), frame(events[0])]);
      }
      const c = parseEventFile(bytes, `mutant-${i}`);
      for (const s of c.scalars) {
        expect(typeof s.tag).toBe('string');
        expect(Number.isInteger(s.step)).toBe(true);
        expect(typeof s.value).toBe('number');
      }
      if (c.problem !== undefined) expect(c.problem.startsWith(`mutant-${i}: `)).toBe(true);
    }
  });
});

describe('log folders found in a workspace', () => {
  test('Keras train/validation pairs list their run folder; a PyTorch run folder lists itself; nested folders once', () => {
    const ws = path.join(os.tmpdir(), 'ws');
    const f = (...p: string[]) => path.join(ws, ...p);
    expect(
      logFoldersOf([
        f('logs/fit/20261201-1200/train/events.out.tfevents.1.host.v2'),
        f('logs/fit/20261201-1200/validation/events.out.tfevents.1.host.v2'),
        f('runs/Dec01_12-00-00_host/events.out.tfevents.1764590400.host.1.0'),
        f('tb/events.out.tfevents.1.a'),
        f('tb/inner/events.out.tfevents.2.a'),
      ]),
    ).toEqual([f('logs/fit/20261201-1200'), f('runs/Dec01_12-00-00_host'), f('tb')]);
    expect(logFoldersOf([])).toEqual([]);
  });
});
