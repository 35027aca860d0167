import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exportRunToTensorBoard } from '../../src/trainer/tensorboard/exportRun';
import { asBytes, asString, decodeWire, one, readRecords, sub } from './tfrecordReader';

// protoc (Debian: protobuf-compiler) decodes each record against the .proto definitions, so the
// wire types of every field are checked by Google's parser, not only by this project's readers.
const PROTO_DIR = path.resolve(__dirname, '../fixtures/tensorboard');
const INCLUDE = ['/usr/include', '/usr/local/include'].find((d) => fs.existsSync(path.join(d, 'google/protobuf/struct.proto')));
const hasProtoc = spawnSync('protoc', ['--version'], { encoding: 'utf8' }).status === 0 && INCLUDE !== undefined;

function decode(message: string, bytes: Uint8Array): string {
  const r = spawnSync('protoc', [`-I${PROTO_DIR}`, `-I${INCLUDE}`, `--decode=${message}`, 'tb.proto'], { input: bytes, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`protoc could not decode a ${message}: ${r.stderr}`);
  return r.stdout;
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-protoc-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!hasProtoc)('exported event files, decoded by protoc', () => {
  test('every record is a tensorflow.Event with the fields and values written', () => {
    const run = path.join(tmp, 'run');
    fs.mkdirSync(run);
    const t0 = Date.parse('2026-12-01T08:00:00.000Z');
    fs.writeFileSync(
      path.join(run, 'run.json'),
      JSON.stringify({
        id: 'r1', modelFile: '/w/m.ts', config: { epochs: 2, batchSize: 4, validationSplit: 0.25, shuffle: true, dataset: 'iris' },
        backend: { name: 'wasm', reason: 'x' }, versions: { tfjs: '4.22.0', node: 'v20.20.2', modelLab: '0.1.0' }, startedAt: new Date(t0).toISOString(), endedAt: new Date(t0 + 5000).toISOString(),
        status: 'failed', layers: [{ name: 'd', className: 'Dense', outputShape: [null, 3], params: 15 }], totalParams: 15,
      }),
    );
    fs.writeFileSync(
      path.join(run, 'metrics.jsonl'),
      [{ type: 'batch', epoch: 0, batch: 0, step: 7, time: t0 + 1000, loss: 0.5 }, { type: 'epoch', epoch: 1, time: t0 + 2000, val_loss: 0.25 }].map((l) => JSON.stringify(l)).join('\n') + '\n',
    );
    const records = readRecords(new Uint8Array(fs.readFileSync(exportRunToTensorBoard(run, path.join(tmp, 'tb')).file)));
    const text = records.map((r) => decode('tensorflow.Event', r));
    expect(text[0]).toBe(`wall_time: ${t0 / 1000}\nfile_version: "brain.Event:2"\n`);
    expect(text).toContain(`wall_time: ${t0 / 1000 + 1}\nstep: 7\nsummary {\n  value {\n    tag: "batch/loss"\n    simple_value: 0.5\n  }\n}\n`);
    expect(text).toContain(`wall_time: ${t0 / 1000 + 2}\nstep: 1\nsummary {\n  value {\n    tag: "epoch/val_loss"\n    simple_value: 0.25\n  }\n}\n`);
    const layers = text.find((t) => t.includes('tag: "model/layers"'))!;
    expect(layers).toContain('dtype: DT_STRING');
    expect(layers).toContain('string_val: "| Layer | Type | Output shape | Params |');
    expect(layers).toContain('plugin_name: "text"');
    expect(layers).toContain('data_class: DATA_CLASS_TENSOR');

    // the hparams plugin's content as HParamsPluginData, with protoc's own google/protobuf/struct.proto
    const pluginContent = (tag: string): Uint8Array => {
      for (const r of records) {
        const value = sub(sub(decodeWire(r), 5) ?? [], 1);
        if (!value || asString(one(value, 1)!) !== tag) continue;
        return asBytes(one(sub(sub(value, 9)!, 1)!, 2)!)!;
      }
      throw new Error(`no ${tag}`);
    };
    const start = decode('tensorflow.HParamsPluginData', pluginContent('_hparams_/session_start_info'));
    expect(start).toMatch(/^session_start_info \{\n/);
    for (const [key, value] of [['epochs', 'number_value: 2'], ['validationSplit', 'number_value: 0.25'], ['shuffle', 'bool_value: true'], ['dataset', 'string_value: "iris"'], ['totalParams', 'number_value: 15']])
      expect(start).toContain(`  hparams {\n    key: "${key}"\n    value {\n      ${value}\n    }\n  }\n`);
    expect(start).toContain(`  start_time_secs: ${t0 / 1000}\n`);
    expect(decode('tensorflow.HParamsPluginData', pluginContent('_hparams_/session_end_info'))).toBe(
      `session_end_info {\n  status: STATUS_FAILURE\n  end_time_secs: ${t0 / 1000 + 5}\n}\n`,
    );
  });
});
