/**
 * TensorBoard event files: `Event` protobufs (tensorflow/core/util/event.proto) in TFRecord
 * framing, named `events.out.tfevents.<seconds>.<host>` as TensorFlow names them. Messages are
 * encoded by hand with ProtoWriter; the field numbers below are those of the .proto files named.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ProtoWriter } from './protoWriter';
import { frameRecord } from './tfrecord';
import { msg } from '../messages';

/** The version string TensorBoard expects in the first event of a file. */
export const FILE_VERSION = 'brain.Event:2';

// event.proto: Event
const EVENT_WALL_TIME = 1;
const EVENT_STEP = 2;
const EVENT_FILE_VERSION = 3;
const EVENT_SUMMARY = 5;
// summary.proto: Summary, Summary.Value, SummaryMetadata, SummaryMetadata.PluginData
const SUMMARY_VALUE = 1;
const VALUE_TAG = 1;
const VALUE_SIMPLE_VALUE = 2;
const VALUE_TENSOR = 8;
const VALUE_METADATA = 9;
const METADATA_PLUGIN_DATA = 1;
const METADATA_DATA_CLASS = 4;
const PLUGIN_NAME = 1;
const PLUGIN_CONTENT = 2;
const DATA_CLASS_TENSOR = 2;
// tensor.proto: TensorProto; types.proto: DataType
const TENSOR_DTYPE = 1;
const TENSOR_SHAPE = 2;
const TENSOR_STRING_VAL = 8;
const DT_STRING = 7;

function event(wallTimeSec: number, step: number): ProtoWriter {
  return new ProtoWriter().double(EVENT_WALL_TIME, wallTimeSec).int(EVENT_STEP, step);
}

function summaryEvent(wallTimeSec: number, step: number, value: ProtoWriter): Uint8Array {
  return event(wallTimeSec, step).message(EVENT_SUMMARY, new ProtoWriter().message(SUMMARY_VALUE, value)).finish();
}

function pluginMetadata(pluginName: string, content: Uint8Array, dataClass?: number): ProtoWriter {
  const m = new ProtoWriter().message(METADATA_PLUGIN_DATA, new ProtoWriter().string(PLUGIN_NAME, pluginName).bytes(PLUGIN_CONTENT, content));
  return dataClass === undefined ? m : m.int(METADATA_DATA_CLASS, dataClass);
}

/**
 * The first event of every file. Without a step field, as TensorFlow writes it: the record is then
 * byte for byte the same length (24) as in every TensorFlow or PyTorch event file.
 */
export function fileVersionEvent(wallTimeSec: number): Uint8Array {
  return new ProtoWriter().double(EVENT_WALL_TIME, wallTimeSec).string(EVENT_FILE_VERSION, FILE_VERSION).finish();
}

/** A scalar as TensorBoard's scalars dashboard reads it (`simple_value`, a float32). */
export function scalarEvent(tag: string, value: number, step: number, wallTimeSec: number): Uint8Array {
  return summaryEvent(wallTimeSec, step, new ProtoWriter().string(VALUE_TAG, tag).float(VALUE_SIMPLE_VALUE, value));
}

/** Markdown for the text dashboard: a scalar string tensor under the `text` plugin. */
export function textEvent(tag: string, markdown: string, step: number, wallTimeSec: number): Uint8Array {
  const tensor = new ProtoWriter().int(TENSOR_DTYPE, DT_STRING).message(TENSOR_SHAPE, new ProtoWriter()).string(TENSOR_STRING_VAL, markdown);
  const value = new ProtoWriter()
    .string(VALUE_TAG, tag)
    .message(VALUE_METADATA, pluginMetadata('text', new Uint8Array(0), DATA_CLASS_TENSOR))
    .message(VALUE_TENSOR, tensor);
  return summaryEvent(wallTimeSec, step, value);
}

// ---- HParams plugin (tensorboard/plugins/hparams/{plugin_data,api}.proto) ---------------------
// Each run gets session start and end info only, no `_hparams_/experiment`: TensorBoard then infers
// the hparam and metric columns from all runs in the log folder, where one run's experiment summary
// would hide the hparams the other runs have and it lacks.

export type HParamValue = number | string | boolean;

const HP_VERSION = 1;
const HP_SESSION_START = 3;
const HP_SESSION_END = 4;
// SessionStartInfo, SessionEndInfo; google.protobuf.Value and the map entry
const START_HPARAMS = 1;
const START_TIME = 5;
const END_STATUS = 1;
const END_TIME = 2;
const MAP_KEY = 1;
const MAP_VALUE = 2;
const PBVALUE_NUMBER = 2;
const PBVALUE_STRING = 3;
const PBVALUE_BOOL = 4;

/** api.proto Status */
export type SessionStatus = 'success' | 'failure' | 'unknown';
const STATUS_CODE: Record<SessionStatus, number> = { unknown: 0, success: 1, failure: 2 };

function hparamsEvent(tag: string, field: number, body: ProtoWriter, wallTimeSec: number): Uint8Array {
  const content = new ProtoWriter().int(HP_VERSION, 0).message(field, body).finish();
  return summaryEvent(wallTimeSec, 0, new ProtoWriter().string(VALUE_TAG, tag).message(VALUE_METADATA, pluginMetadata('hparams', content)));
}

/** `_hparams_/session_start_info`: this run's hparam values. */
export function hparamsSessionStartEvent(hparams: Record<string, HParamValue>, wallTimeSec: number): Uint8Array {
  const start = new ProtoWriter();
  for (const [name, v] of Object.entries(hparams)) {
    const value = new ProtoWriter();
    if (typeof v === 'number') value.double(PBVALUE_NUMBER, v);
    else if (typeof v === 'boolean') value.int(PBVALUE_BOOL, v);
    else value.string(PBVALUE_STRING, v);
    start.message(START_HPARAMS, new ProtoWriter().string(MAP_KEY, name).message(MAP_VALUE, value));
  }
  start.double(START_TIME, wallTimeSec);
  return hparamsEvent('_hparams_/session_start_info', HP_SESSION_START, start, wallTimeSec);
}

/** `_hparams_/session_end_info`: how the run ended. */
export function hparamsSessionEndEvent(status: SessionStatus, wallTimeSec: number): Uint8Array {
  const end = new ProtoWriter().int(END_STATUS, STATUS_CODE[status]).double(END_TIME, wallTimeSec);
  return hparamsEvent('_hparams_/session_end_info', HP_SESSION_END, end, wallTimeSec);
}

// ---- the file -----------------------------------------------------------------------------------

/** Records are gathered and written in blocks of about this size: few syscalls, bounded memory. */
const FLUSH_BYTES = 1 << 20;

/**
 * Appends events to one event file. The file starts with the file_version event. It is written
 * under a temporary name and renamed by `close`, so a failed export (a full disk) leaves no
 * half file, and an existing file of the same name is replaced whole: exporting a run twice does
 * not double its points.
 */
export class EventFileWriter {
  readonly file: string;
  private readonly tmp: string;
  private fd: number | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Events written, the file_version event included. */
  count = 0;

  constructor(dir: string, startWallTimeSec: number, host = os.hostname()) {
    fs.mkdirSync(dir, { recursive: true });
    const safeHost = host.replace(/[^A-Za-z0-9._-]/g, '_') || 'localhost';
    this.file = path.join(dir, `events.out.tfevents.${Math.floor(startWallTimeSec)}.${safeHost}`);
    this.tmp = `${this.file}.${process.pid}.tmp`;
    this.fd = fs.openSync(this.tmp, 'w');
    this.add(fileVersionEvent(startWallTimeSec));
  }

  add(eventBytes: Uint8Array): void {
    const framed = frameRecord(eventBytes);
    this.pending.push(framed);
    this.pendingBytes += framed.length;
    this.count++;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.pendingBytes === 0 || this.fd === undefined) return;
    const block = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let at = 0;
    while (at < block.length) at += fs.writeSync(this.fd, block, at);
  }

  /** Writes the rest, syncs and puts the file in place. */
  close(): void {
    if (this.fd === undefined) return;
    try {
      this.flush();
      fs.fsyncSync(this.fd);
    } catch (e) {
      this.abort();
      throw new Error(msg('tb.cannotWrite', this.tmp, (e as Error).message), { cause: e });
    }
    fs.closeSync(this.fd);
    this.fd = undefined;
    fs.renameSync(this.tmp, this.file);
  }

  /** Drops the file being written. */
  abort(): void {
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already unusable; the delete below is what matters
      }
      this.fd = undefined;
    }
    fs.rmSync(this.tmp, { force: true });
  }
}
