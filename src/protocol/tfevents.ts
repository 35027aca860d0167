/**
 * TensorBoard log folders as runs Model Lab can chart: TFRecord event files (`*.tfevents.*`, as
 * TensorFlow/Keras, PyTorch's SummaryWriter and `model-lab export --tensorboard` write them) decoded
 * into scalar series by tag, one run per folder that holds event files. Pure: bytes in, runs out;
 * it reads the protobuf wire format by hand (event.proto, summary.proto, tensor.proto field numbers)
 * and imports only protocol modules, so the host, the CLI and the webview can all use it.
 */
import { maskedCrc32c } from './crc32c';
import type { BatchPoint, EpochPoint, Metrics } from './trainer';
import type { RunView } from './webview';

/** One value of a scalar series. */
export interface ScalarPoint {
  step: number;
  /** Seconds since the Unix epoch, as event files keep it. */
  wallTime: number;
  value: number;
}

/** One folder of event files. */
export interface TfEventsRun {
  /** The folder relative to the log folder, `/`-separated; '.' for the log folder itself. */
  name: string;
  /** Scalar series by tag, each sorted by step; for a step written twice, the last write wins. */
  scalars: Record<string, ScalarPoint[]>;
  /** Text summaries by tag (the last one written), e.g. `model/layers` from a Model Lab export. */
  texts: Record<string, string>;
  /** Wall time of the first event and of the last (s); undefined when the files held no event. */
  firstWallTime?: number;
  lastWallTime?: number;
  /** What could not be read: a cut-off tail (a writer still running) or a bad checksum, with file and byte. */
  problems: string[];
}

/** True for the file names TensorFlow, Keras and PyTorch give event files. */
export function isEventFileName(name: string): boolean {
  return /(^|\.)tfevents\./.test(name) && !name.endsWith('.tmp');
}

// ---- protobuf wire format: only what the messages below need ------------------------------------

class Wire {
  at = 0;
  constructor(readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.at >= this.buf.length;
  }

  /** Varints above 2^53 (int64 two's complement of a negative step) come back as BigInt-exact numbers via asIntN. */
  varint(): bigint {
    let v = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.at >= this.buf.length) throw new Error('varint past the end of the message');
      const b = this.buf[this.at++];
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
    }
    throw new Error('varint longer than 10 bytes');
  }

  take(n: number): Uint8Array {
    if (n < 0 || this.at + n > this.buf.length) throw new Error('field past the end of the message');
    const s = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return s;
  }

  /** Next field: its number, wire type and raw value (a number for varints, bytes otherwise). */
  field(): { no: number; wire: number; int: bigint; bytes: Uint8Array } {
    const key = this.varint();
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    switch (wire) {
      case 0:
        return { no, wire, int: this.varint(), bytes: EMPTY };
      case 1:
        return { no, wire, int: 0n, bytes: this.take(8) };
      case 2:
        return { no, wire, int: 0n, bytes: this.take(Number(this.varint())) };
      case 5:
        return { no, wire, int: 0n, bytes: this.take(4) };
      default:
        throw new Error(`unsupported protobuf wire type ${wire}`);
    }
  }
}

const EMPTY = new Uint8Array(0);
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
// TextDecoder is a global wherever this module runs (Node, the webview); the protocol room's lib
// (ES2022 only, neither Node nor DOM types) does not declare it.
type Utf8Decoder = { decode(bytes: Uint8Array): string };
const utf8: Utf8Decoder = new (globalThis as unknown as { TextDecoder: new (label: string) => Utf8Decoder }).TextDecoder('utf-8');
const int64 = (v: bigint) => Number(BigInt.asIntN(64, v));

/** Each field of a message, in order. */
function* fieldsOf(buf: Uint8Array) {
  const w = new Wire(buf);
  while (!w.done) yield w.field();
}

// types.proto DataType values that hold a number
const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_INT32 = 3;
const DT_INT64 = 9;
const DT_HALF = 19;
const DT_BFLOAT16 = 14;
const DT_STRING = 7;

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function bfloat16ToFloat(h: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setUint32(0, h << 16);
  return b.getFloat32(0);
}

/** A TensorProto's dtype, element count and first number or string. */
interface TensorInfo {
  dtype: number;
  elements: number;
  number?: number;
  string?: string;
}

/** tensor.proto TensorProto: 1 dtype, 2 tensor_shape, 4 tensor_content, 5 float_val, 6 double_val, 7 int_val, 8 string_val, 10 int64_val, 13 half_val. */
function readTensor(buf: Uint8Array): TensorInfo {
  let dtype = 0;
  let elements = 1;
  let content: Uint8Array | undefined;
  const nums: number[] = [];
  let str: string | undefined;
  for (const f of fieldsOf(buf)) {
    if (f.no === 1 && f.wire === 0) dtype = Number(f.int);
    else if (f.no === 2 && f.wire === 2) {
      // TensorShapeProto: 2 dim (Dim: 1 size)
      for (const d of fieldsOf(f.bytes)) {
        if (d.no !== 2 || d.wire !== 2) continue;
        for (const s of fieldsOf(d.bytes)) if (s.no === 1 && s.wire === 0) elements *= Math.max(0, int64(s.int));
      }
    } else if (f.no === 4 && f.wire === 2) content = f.bytes;
    else if (f.no === 5) {
      // float_val: packed (wire 2) or, from older writers, one fixed32 per value
      if (f.wire === 5) nums.push(view(f.bytes).getFloat32(0, true));
      else if (f.wire === 2) for (let i = 0; i + 4 <= f.bytes.length; i += 4) nums.push(view(f.bytes).getFloat32(i, true));
    } else if (f.no === 6) {
      if (f.wire === 1) nums.push(view(f.bytes).getFloat64(0, true));
      else if (f.wire === 2) for (let i = 0; i + 8 <= f.bytes.length; i += 8) nums.push(view(f.bytes).getFloat64(i, true));
    } else if (f.no === 7 || f.no === 10 || f.no === 13) {
      const conv = (v: bigint) => (f.no === 13 ? (dtype === DT_BFLOAT16 ? bfloat16ToFloat(Number(v)) : halfToFloat(Number(v))) : f.no === 7 ? Number(BigInt.asIntN(32, v)) : int64(v));
      if (f.wire === 0) nums.push(conv(f.int));
      else if (f.wire === 2) {
        const w = new Wire(f.bytes);
        while (!w.done) nums.push(conv(w.varint()));
      }
    } else if (f.no === 8 && f.wire === 2 && str === undefined) str = utf8.decode(f.bytes);
  }
  const info: TensorInfo = { dtype, elements };
  if (nums.length > 0) info.number = nums[0];
  else if (content && content.length > 0) {
    const v = view(content);
    if (dtype === DT_FLOAT && content.length >= 4) info.number = v.getFloat32(0, true);
    else if (dtype === DT_DOUBLE && content.length >= 8) info.number = v.getFloat64(0, true);
    else if (dtype === DT_INT32 && content.length >= 4) info.number = v.getInt32(0, true);
    else if (dtype === DT_INT64 && content.length >= 8) info.number = Number(v.getBigInt64(0, true));
    else if (dtype === DT_HALF && content.length >= 2) info.number = halfToFloat(v.getUint16(0, true));
    else if (dtype === DT_BFLOAT16 && content.length >= 2) info.number = bfloat16ToFloat(v.getUint16(0, true));
  }
  if (str !== undefined) info.string = str;
  return info;
}

const NUMERIC_DTYPES = new Set([DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT64, DT_HALF, DT_BFLOAT16]);

/** One Summary.Value as this reader sees it. */
type ReadValue =
  | { kind: 'scalar'; tag: string; value: number }
  | { kind: 'text'; tag: string; text: string }
  | { kind: 'other'; tag: string };

/**
 * Summary.Value: 1 tag, 2 simple_value, 8 tensor, 9 metadata (SummaryMetadata: 1 plugin_data
 * (PluginData: 1 plugin_name), 4 data_class). TF2 writers send the metadata only with a tag's first
 * value, so the plugin seen first for each tag is remembered in `plugins`.
 */
function readValue(buf: Uint8Array, plugins: Map<string, string>): ReadValue | undefined {
  let tag = '';
  let simple: number | undefined;
  let tensor: Uint8Array | undefined;
  let plugin: string | undefined;
  for (const f of fieldsOf(buf)) {
    if (f.no === 1 && f.wire === 2) tag = utf8.decode(f.bytes);
    else if (f.no === 2 && f.wire === 5) simple = view(f.bytes).getFloat32(0, true);
    else if (f.no === 8 && f.wire === 2) tensor = f.bytes;
    else if (f.no === 9 && f.wire === 2) {
      for (const m of fieldsOf(f.bytes)) {
        if (m.no === 1 && m.wire === 2) for (const p of fieldsOf(m.bytes)) if (p.no === 1 && p.wire === 2) plugin = utf8.decode(p.bytes);
        // data_class 1 = DATA_CLASS_SCALAR: a scalar whatever the plugin
        if (m.no === 4 && m.wire === 0 && m.int === 1n && plugin === undefined) plugin = 'scalars';
      }
    }
  }
  if (plugin !== undefined && !plugins.has(tag)) plugins.set(tag, plugin);
  if (simple !== undefined) return { kind: 'scalar', tag, value: simple };
  if (!tensor) return { kind: 'other', tag };
  const known = plugins.get(tag);
  const t = readTensor(tensor);
  if ((known === undefined || known === 'scalars') && NUMERIC_DTYPES.has(t.dtype) && t.elements === 1 && t.number !== undefined)
    return { kind: 'scalar', tag, value: t.number };
  if (known === 'text' && t.dtype === DT_STRING && t.string !== undefined) return { kind: 'text', tag, text: t.string };
  return { kind: 'other', tag };
}

/** What one event file holds. */
export interface EventFileContents {
  scalars: { tag: string; step: number; wallTime: number; value: number }[];
  texts: { tag: string; text: string }[];
  firstWallTime?: number;
  lastWallTime?: number;
  /** Set when reading stopped early: why, and at which byte. */
  problem?: string;
}

/** Event: 1 wall_time, 2 step, 5 summary (Summary: 1 value). */
function readEvent(record: Uint8Array, plugins: Map<string, string>, out: EventFileContents): void {
  let wallTime = 0;
  let step = 0;
  const values: Uint8Array[] = [];
  for (const f of fieldsOf(record)) {
    if (f.no === 1 && f.wire === 1) wallTime = view(f.bytes).getFloat64(0, true);
    else if (f.no === 2 && f.wire === 0) step = int64(f.int);
    else if (f.no === 5 && f.wire === 2) for (const s of fieldsOf(f.bytes)) if (s.no === 1 && s.wire === 2) values.push(s.bytes);
  }
  if (out.firstWallTime === undefined) out.firstWallTime = wallTime;
  out.lastWallTime = wallTime;
  for (const buf of values) {
    const v = readValue(buf, plugins);
    if (v?.kind === 'scalar') out.scalars.push({ tag: v.tag, step, wallTime, value: v.value });
    else if (v?.kind === 'text') out.texts.push({ tag: v.tag, text: v.text });
  }
}

/**
 * Decodes one event file's bytes. Reading stops at the first record that is cut off (a writer still
 * at work) or fails its checksum, as TensorBoard's own reader does; `problem` then says where,
 * and everything before it is kept. `name` appears in that message.
 */
export function parseEventFile(bytes: Uint8Array, name: string): EventFileContents {
  const out: EventFileContents = { scalars: [], texts: [] };
  const plugins = new Map<string, string>();
  const v = view(bytes);
  let at = 0;
  while (at < bytes.length) {
    if (at + 12 > bytes.length) {
      out.problem = `${name}: the last record is cut off at byte ${at} (the file may still be being written)`;
      break;
    }
    const lengthBig = v.getBigUint64(at, true);
    if (v.getUint32(at + 8, true) !== maskedCrc32c(bytes.subarray(at, at + 8))) {
      out.problem = `${name}: bad length checksum at byte ${at}; not a TFRecord file, or damaged there`;
      break;
    }
    const start = at + 12;
    if (lengthBig > BigInt(bytes.length - start - 4)) {
      out.problem = `${name}: the last record is cut off at byte ${at} (the file may still be being written)`;
      break;
    }
    const length = Number(lengthBig);
    const record = bytes.subarray(start, start + length);
    if (v.getUint32(start + length, true) !== maskedCrc32c(record)) {
      out.problem = `${name}: bad data checksum in the record at byte ${at}; the file is damaged there`;
      break;
    }
    try {
      readEvent(record, plugins, out);
    } catch (e) {
      out.problem = `${name}: the record at byte ${at} is not a valid Event (${(e as Error).message})`;
      break;
    }
    at = start + length + 4;
  }
  return out;
}

/** The folder part of a `/` or `\` separated relative path; '.' for a file at the top. */
function folderOf(relPath: string): string {
  const parts = relPath.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  parts.pop();
  return parts.length ? parts.join('/') : '.';
}

/**
 * Groups event files (paths relative to the log folder, any order) into runs, one per folder.
 * Files of one folder are read in name order (their names start with the time they were made), so
 * a restarted writer's later values of a step replace the earlier ones.
 */
export function runsFromEventFiles(files: { path: string; contents: EventFileContents }[]): TfEventsRun[] {
  const byFolder = new Map<string, { path: string; contents: EventFileContents }[]>();
  for (const f of files) {
    const folder = folderOf(f.path);
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), f]);
  }
  const runs: TfEventsRun[] = [];
  for (const [name, group] of byFolder) {
    group.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const series = new Map<string, Map<number, ScalarPoint>>();
    const run: TfEventsRun = { name, scalars: {}, texts: {}, problems: [] };
    for (const { contents } of group) {
      for (const s of contents.scalars) {
        let m = series.get(s.tag);
        if (!m) series.set(s.tag, (m = new Map()));
        m.delete(s.step); // re-inserted last: a later write of a step wins
        m.set(s.step, { step: s.step, wallTime: s.wallTime, value: s.value });
      }
      for (const t of contents.texts) run.texts[t.tag] = t.text;
      if (contents.firstWallTime !== undefined) {
        run.firstWallTime = Math.min(run.firstWallTime ?? Infinity, contents.firstWallTime);
        run.lastWallTime = Math.max(run.lastWallTime ?? -Infinity, contents.lastWallTime ?? contents.firstWallTime);
      }
      if (contents.problem) run.problems.push(contents.problem);
    }
    for (const [tag, m] of series) run.scalars[tag] = [...m.values()].sort((a, b) => a.step - b.step);
    runs.push(run);
  }
  return runs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// ---- as the run view the panel charts -----------------------------------------------------------

/** `epoch/loss` (Model Lab's export) and `epoch_loss` (Keras) are per-epoch series; the rest is per batch/step. */
function splitTag(tag: string): { per: 'epoch' | 'batch'; metric: string } {
  const m = /^(epoch|batch)[/_](.+)$/.exec(tag);
  if (m) return { per: m[1] as 'epoch' | 'batch', metric: m[2] };
  return { per: 'batch', metric: tag };
}

/**
 * A run (or Keras's `train` + `validation` pair, merged with the validation series as `val_…`) as
 * the RunView the panel charts: epoch series as epoch points (step = epoch from 0), the others as
 * batch points by step, each batch given to the first epoch that ended at or after its wall time.
 */
export function runViewFromTfEvents(run: TfEventsRun, opts: { runDir: string; validation?: TfEventsRun; id?: string }): RunView {
  const epochs = new Map<number, EpochPoint>();
  const batches = new Map<number, BatchPoint>();
  const add = (r: TfEventsRun, prefix: string) => {
    for (const [tag, points] of Object.entries(r.scalars)) {
      const { per, metric } = splitTag(tag);
      const name = prefix + metric;
      for (const p of points) {
        const time = p.wallTime * 1000;
        if (per === 'epoch') {
          const e = epochs.get(p.step) ?? { epoch: p.step, time, metrics: {} as Metrics };
          e.time = Math.max(e.time, time);
          e.metrics[name] = p.value;
          epochs.set(p.step, e);
        } else {
          const b = batches.get(p.step) ?? { epoch: 0, batch: p.step, step: p.step, time, metrics: {} as Metrics };
          b.metrics[name] = p.value;
          batches.set(p.step, b);
        }
      }
    }
  };
  add(run, '');
  if (opts.validation) add(opts.validation, 'val_');
  const epochList = [...epochs.values()].sort((a, b) => a.epoch - b.epoch);
  const batchList = [...batches.values()].sort((a, b) => a.step - b.step);
  if (epochList.length > 0) {
    let e = 0;
    let firstStepOfEpoch = batchList[0]?.step ?? 0;
    for (const b of batchList) {
      while (e < epochList.length - 1 && b.time > epochList[e].time) {
        e++;
        firstStepOfEpoch = b.step;
      }
      b.epoch = epochList[e].epoch;
      b.batch = b.step - firstStepOfEpoch;
    }
  }
  const countPerEpoch = new Map<number, number>();
  for (const b of batchList) countPerEpoch.set(b.epoch, (countPerEpoch.get(b.epoch) ?? 0) + 1);
  const first = Math.min(run.firstWallTime ?? Infinity, opts.validation?.firstWallTime ?? Infinity);
  const last = Math.max(run.lastWallTime ?? -Infinity, opts.validation?.lastWallTime ?? -Infinity);
  return {
    runId: opts.id ?? run.name,
    modelFile: '',
    runDir: opts.runDir,
    batchesPerEpoch: Math.max(0, ...countPerEpoch.values()),
    layers: [],
    totalParams: 0,
    status: 'completed',
    startedAt: Number.isFinite(first) ? first * 1000 : 0,
    ...(Number.isFinite(last) && { endedAt: last * 1000 }),
    batches: batchList,
    epochs: epochList,
  };
}

/**
 * Every run of a log folder as run views: Keras's `<run>/train` and `<run>/validation` folders
 * become one run `<run>` with `val_` metrics; every other folder is a run of its own.
 * `joinDir(name)` gives the absolute folder of a run name; the log folder's own run ('.') is called
 * `rootName` (the log folder's name, say).
 */
export function runViewsFromTfEvents(runs: TfEventsRun[], joinDir: (name: string) => string, rootName = '.'): RunView[] {
  const byName = new Map(runs.map((r) => [r.name, r]));
  const out: RunView[] = [];
  const used = new Set<string>();
  const parentOf = (name: string) => (name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '.');
  for (const r of runs) {
    if (used.has(r.name)) continue;
    const leaf = r.name.slice(r.name.lastIndexOf('/') + 1);
    const parent = parentOf(r.name);
    const sibling = (leafName: string) => byName.get(parent === '.' ? leafName : `${parent}/${leafName}`);
    if (leaf === 'train' && sibling('validation')) {
      const validation = sibling('validation')!;
      used.add(validation.name);
      out.push(runViewFromTfEvents(r, { runDir: joinDir(parent), validation, id: parent === '.' ? rootName : parent }));
    } else if (leaf === 'validation' && sibling('train')) {
      continue; // merged into its train run
    } else {
      out.push(runViewFromTfEvents(r, { runDir: joinDir(r.name), id: r.name === '.' ? rootName : r.name }));
    }
    used.add(r.name);
  }
  return out;
}
