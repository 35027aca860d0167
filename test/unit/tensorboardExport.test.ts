import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { crc32c, maskCrc, maskedCrc32c } from '../../src/protocol/crc32c';
import { exportRunToTensorBoard } from '../../src/trainer/tensorboard/exportRun';
import { asDouble, asInt64, asString, crc32cBitwise, decodeEvent, decodeWire, fields, mask, one, readRecords, sub, type DecodedEvent, type WireField } from './tfrecordReader';

/** The CRC-32C test vectors of RFC 3720 (iSCSI), appendix B.4, plus the usual check value. */
const VECTORS: [string, Uint8Array, number][] = [
  ['32 bytes of zeros', new Uint8Array(32), 0x8a9136aa],
  ['32 bytes of 0xFF', new Uint8Array(32).fill(0xff), 0x62a8ab43],
  ['32 ascending bytes 0..31', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
  ['32 descending bytes 31..0', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
  [
    'an iSCSI SCSI Read (10) command PDU',
    Uint8Array.from([
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
      0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]),
    0xd9963a56,
  ],
  ['"123456789"', new TextEncoder().encode('123456789'), 0xe3069283],
  ['no bytes', new Uint8Array(0), 0],
];

describe('CRC-32C', () => {
  test.each(VECTORS)('%s', (_name, bytes, expected) => {
    expect(crc32c(bytes)).toBe(expected);
    // the tests' own bitwise implementation agrees on the published values too
    expect(crc32cBitwise(bytes)).toBe(expected);
  });

  test('agrees with an independent bitwise implementation on random data of every length up to 300', () => {
    let seed = 12345;
    for (let n = 0; n <= 300; n++) {
      const b = Uint8Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff);
      expect(crc32c(b)).toBe(crc32cBitwise(b));
    }
  });

  test('the TFRecord mask is ((crc >>> 15) | (crc << 17)) + 0xa282ead8, mod 2^32', () => {
    for (const crc of [0, 1, 0x8a9136aa, 0xffffffff, 0x80000000, 0x7fff]) {
      expect(maskCrc(crc)).toBe(mask(crc));
      expect(maskCrc(crc)).toBeGreaterThanOrEqual(0);
      expect(maskCrc(crc)).toBeLessThan(2 ** 32);
    }
    expect(maskCrc(0)).toBe(0xa282ead8);
    // 0x8a9136aa rotated right by 15 bits is 0x6d551522 (worked out in Python), plus the delta, mod 2^32
    expect(maskCrc(0x8a9136aa)).toBe((0x6d551522 + 0xa282ead8) % 2 ** 32);
    expect(maskedCrc32c(new Uint8Array(32))).toBe(mask(0x8a9136aa));
  });
});

// ---- a run folder written by hand, as the trainer writes one -------------------------------------

const START = Date.parse('2026-11-28T19:05:01.000Z');
const RUN_ID = '20261128-190501-tiny';
// The shape of run.json, written as the trainer writes it.
const record = {
  id: RUN_ID,
  modelFile: '/w/tiny.model.ts',
  config: {
    epochs: 2,
    batchSize: 16,
    validationSplit: 0.2,
    shuffle: true,
    dataset: 'iris',
    callbacks: { terminateOnNaN: true, earlyStopping: { monitor: 'val_loss', patience: 3, minDelta: 0, mode: 'auto', restoreBestWeights: false } },
  },
  backend: { name: 'wasm', reason: 'test' },
  versions: { tfjs: '4.22.0', node: process.version, modelLab: '0.1.0' },
  startedAt: new Date(START).toISOString(),
  endedAt: new Date(START + 9000).toISOString(),
  status: 'completed',
  totalParams: 67,
  layers: [
    { name: 'dense_Dense1', className: 'Dense', outputShape: [null, 8], params: 40 },
    { name: 'dense_Dense2', className: 'Dense', outputShape: [null, 3], params: 27 },
  ],
  batchesPerEpoch: 3,
};

interface Line { type: string; epoch: number; batch?: number; step?: number; time: number; [k: string]: unknown }
const lines: Line[] = [];
for (let epoch = 0; epoch < 2; epoch++) {
  for (let batch = 0; batch < 3; batch++) {
    const step = epoch * 3 + batch;
    // loss values that float32 cannot hold exactly, so the test sees the rounding TensorBoard does
    lines.push({ type: 'batch', epoch, batch, step, time: START + 1000 + step * 250, loss: 1.1 / (step + 1), acc: 0.3 + step * 0.05, samples_per_sec: 1234.5 });
  }
  lines.push({ type: 'epoch', epoch, time: START + 4000 * (epoch + 1), loss: 0.5 - epoch * 0.1, acc: 0.7, val_loss: 0.6 - epoch * 0.1, val_acc: 0.65, lr: 0.001 });
}
// A diverged batch: JSON has no NaN, so the trainer's NaN is stored as null.
lines.push({ type: 'batch', epoch: 1, batch: 3, step: 6, time: START + 8500, loss: null, acc: 0.1 });
lines.push({ type: 'end', epoch: 1, time: START + 9000, status: 'completed' });

let tmp: string;
let runDir: string;
let outDir: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-export-'));
  runDir = path.join(tmp, 'runs', RUN_ID);
  outDir = path.join(tmp, 'tb');
  fs.mkdirSync(runDir, { recursive: true });
  fs.writeFileSync(path.join(runDir, 'run.json'), JSON.stringify(record, null, 2));
  // and a line cut short by a kill, which the run reader skips
  fs.writeFileSync(path.join(runDir, 'metrics.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n{"type":"batch","ep');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function readEvents(file: string): DecodedEvent[] {
  return readRecords(new Uint8Array(fs.readFileSync(file))).map(decodeEvent);
}

/** SessionStartInfo's map<string, google.protobuf.Value> as plain values. */
function sessionHParams(content: WireField[]): Record<string, unknown> {
  const start = sub(content, 3);
  if (!start) throw new Error('no session_start_info in the plugin data');
  const out: Record<string, unknown> = {};
  for (const entry of fields(start, 1)) {
    const e = decodeWire((entry as { bytes: Uint8Array }).bytes);
    const key = asString(one(e, 1)!)!;
    const v = sub(e, 2)!;
    const num = one(v, 2);
    const str = one(v, 3);
    const bool = one(v, 4);
    out[key] = num ? asDouble(num) : str ? asString(str) : bool ? asInt64(bool) === 1n : undefined;
  }
  return out;
}

describe('exportRunToTensorBoard', () => {
  test('writes one valid TFRecord event file whose every scalar, step, time and tag reads back', () => {
    const result = exportRunToTensorBoard(runDir, outDir);
    const tbRun = path.join(outDir, RUN_ID);
    expect(result.runDir).toBe(tbRun);
    const files = fs.readdirSync(tbRun);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^events\\.out\\.tfevents\\.${START / 1000}\\.[A-Za-z0-9._-]+$`));
    expect(path.join(tbRun, files[0])).toBe(result.file);

    // Every event file TensorFlow or PyTorch writes starts with these 12 bytes: the length of the
    // file_version record (24) and its masked CRC, 0x224b7fa3, as hexdumps of such files show.
    expect([...fs.readFileSync(result.file).subarray(0, 12)]).toEqual([0x18, 0, 0, 0, 0, 0, 0, 0, 0xa3, 0x7f, 0x4b, 0x22]);
    const events = readEvents(result.file);
    expect(events[0].fileVersion).toBe('brain.Event:2');
    expect(events[0].wallTime).toBe(START / 1000);

    const scalars = events.flatMap((e) => e.values.filter((v) => v.simpleValue !== undefined).map((v) => ({ tag: v.tag, step: e.step, wallTime: e.wallTime, value: v.simpleValue! })));
    const expected: { tag: string; step: bigint; wallTime: number; value: number }[] = [];
    for (const l of lines) {
      if (l.type === 'end') continue;
      for (const [k, v] of Object.entries(l)) {
        if (['type', 'epoch', 'batch', 'step', 'time'].includes(k)) continue;
        expected.push({
          tag: `${l.type}/${k}`,
          step: BigInt(l.type === 'batch' ? l.step! : l.epoch),
          wallTime: l.time / 1000,
          value: v === null ? NaN : Math.fround(v as number),
        });
      }
    }
    expect(scalars).toEqual(expected);
    expect(scalars.find((s) => s.tag === 'epoch/val_loss' && s.step === 1n)?.value).toBeCloseTo(0.5, 6);
    expect(result.batchPoints).toBe(7);
    expect(result.epochPoints).toBe(2);
    expect(result.tags).toEqual(['batch/acc', 'batch/loss', 'batch/samples_per_sec', 'epoch/acc', 'epoch/loss', 'epoch/lr', 'epoch/val_acc', 'epoch/val_loss']);
  });

  test('writes the layers and the config as text summaries of the text plugin', () => {
    const events = readEvents(exportRunToTensorBoard(runDir, outDir).file);
    const texts = events.flatMap((e) => e.values.filter((v) => v.pluginName === 'text'));
    expect(texts.map((t) => t.tag).sort()).toEqual(['model/layers', 'run/config']);
    for (const t of texts) {
      expect(t.tensor?.dtype).toBe(7); // DT_STRING
      expect(t.tensor?.dims).toEqual([]); // a scalar string
      expect(t.tensor?.strings).toHaveLength(1);
    }
    const layers = texts.find((t) => t.tag === 'model/layers')!.tensor!.strings[0];
    expect(layers).toContain('| dense_Dense1 | Dense | [None,8] | 40 |');
    expect(layers).toContain('| dense_Dense2 | Dense | [None,3] | 27 |');
    expect(layers).toContain('Total params: 67');
    const config = texts.find((t) => t.tag === 'run/config')!.tensor!.strings[0];
    expect(config).toContain('"batchSize": 16');
    expect(config).toContain('"dataset": "iris"');
  });

  test('writes the hyperparameters for the HParams dashboard, with how the run ended', () => {
    const events = readEvents(exportRunToTensorBoard(runDir, outDir).file);
    const hp = events.flatMap((e) => e.values.filter((v) => v.pluginName === 'hparams').map((v) => ({ ...v, wallTime: e.wallTime })));
    expect(hp.map((v) => v.tag)).toEqual(['_hparams_/session_start_info', '_hparams_/session_end_info']);
    const [start, end] = hp;
    expect(asInt64(one(start.pluginContent!, 1)!)).toBe(0n); // HParamsPluginData.version
    expect(sessionHParams(start.pluginContent!)).toEqual({
      epochs: 2,
      batchSize: 16,
      validationSplit: 0.2,
      shuffle: true,
      dataset: 'iris',
      'callbacks.terminateOnNaN': true,
      'callbacks.earlyStopping.monitor': 'val_loss',
      'callbacks.earlyStopping.patience': 3,
      'callbacks.earlyStopping.minDelta': 0,
      'callbacks.earlyStopping.mode': 'auto',
      'callbacks.earlyStopping.restoreBestWeights': false,
      totalParams: 67,
    });
    const endInfo = sub(end.pluginContent!, 4)!;
    expect(asInt64(one(endInfo, 1)!)).toBe(1n); // STATUS_SUCCESS
    expect(asDouble(one(endInfo, 2)!)).toBe((START + 9000) / 1000);
  });

  test('exporting again replaces the file instead of doubling every point', () => {
    const a = exportRunToTensorBoard(runDir, outDir);
    const b = exportRunToTensorBoard(runDir, outDir);
    expect(b.file).toBe(a.file);
    expect(fs.readdirSync(path.dirname(b.file))).toHaveLength(1);
    // file_version, session start, 2 texts, session end; 6 batches × 3 + 1 × 2 and 2 epochs × 5 scalars
    expect(readEvents(b.file)).toHaveLength(5 + 6 * 3 + 2 + 2 * 5);
  });

  test('the reader rejects a file with one flipped byte (both CRCs are checked)', () => {
    const bytes = new Uint8Array(fs.readFileSync(exportRunToTensorBoard(runDir, outDir).file));
    const inData = Uint8Array.from(bytes);
    inData[20] ^= 0x01;
    expect(() => readRecords(inData)).toThrow(/bad data CRC at byte 0/);
    const inLength = Uint8Array.from(bytes);
    inLength[0] ^= 0x01;
    expect(() => readRecords(inLength)).toThrow(/bad length CRC at byte 0/);
  });
});

// TensorBoard's own loader, when this machine's Python has it (it is not on PyPI-less machines).
const hasTensorBoard = spawnSync('/usr/bin/python3', ['-c', 'import tensorboard.backend.event_processing.event_accumulator'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!hasTensorBoard)('TensorBoard reads the export', () => {
  test('its EventAccumulator sees the same scalars and the text tags', () => {
    const file = exportRunToTensorBoard(runDir, outDir).file;
    const script = [
      'import json, sys',
      'from tensorboard.backend.event_processing import event_accumulator as ea',
      'acc = ea.EventAccumulator(sys.argv[1], size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})',
      'acc.Reload()',
      'tags = acc.Tags()',
      'print(json.dumps({"scalars": {t: [[s.step, s.value] for s in acc.Scalars(t)] for t in tags["scalars"]}, "tensors": sorted(tags["tensors"])}))',
    ].join('\n');
    const r = spawnSync('/usr/bin/python3', ['-c', script, path.dirname(file)], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { scalars: Record<string, [number, number][]>; tensors: string[] };
    expect(out.scalars['epoch/val_loss'].map(([s]) => s)).toEqual([0, 1]);
    expect(out.scalars['batch/loss']).toHaveLength(7);
    expect(out.tensors).toEqual(expect.arrayContaining(['model/layers', 'run/config']));
  });
});
