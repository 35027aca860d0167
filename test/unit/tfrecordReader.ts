/**
 * A reader of TFRecord event files for tests, written apart from the writer in
 * src/trainer/tensorboard/: its own bit-by-bit CRC-32C (no table), its own framing checks and a
 * generic protobuf wire-format decoder, so a mistake in the writer cannot be mirrored here.
 */

/** CRC-32C, one bit at a time, straight from the definition (reflected polynomial 0x82F63B78). */
export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
    crc >>>= 0;
  }
  return ~crc >>> 0;
}

/** TFRecord's mask, as TensorFlow's crc32c.h writes it: rotate right 15, add kMaskDelta. */
export function mask(crc: number): number {
  const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
  return (rotated + 0xa282ead8) % 2 ** 32;
}

/** Splits a TFRecord file into its records; throws naming the offset of any bad length or CRC. */
export function readRecords(file: Uint8Array): Uint8Array[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < file.length) {
    if (at + 12 > file.length) throw new Error(`truncated record header at byte ${at}`);
    const length = Number(view.getBigUint64(at, true));
    const lengthCrc = view.getUint32(at + 8, true);
    if (lengthCrc !== mask(crc32cBitwise(file.subarray(at, at + 8)))) throw new Error(`bad length CRC at byte ${at}`);
    const start = at + 12;
    if (start + length + 4 > file.length) throw new Error(`truncated record at byte ${at}`);
    const data = file.subarray(start, start + length);
    if (view.getUint32(start + length, true) !== mask(crc32cBitwise(data))) throw new Error(`bad data CRC at byte ${at}`);
    records.push(data);
    at = start + length + 4;
  }
  return records;
}

/** One protobuf field as it sits on the wire. */
export type WireField =
  | { field: number; wire: 0; varint: bigint }
  | { field: number; wire: 1; fixed64: Uint8Array }
  | { field: number; wire: 2; bytes: Uint8Array }
  | { field: number; wire: 5; fixed32: Uint8Array };

/** Decodes any message into its fields, without a schema; throws on anything malformed. */
export function decodeWire(buf: Uint8Array): WireField[] {
  const out: WireField[] = [];
  let at = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= buf.length) throw new Error('varint runs past the end');
      if (shift > 63n) throw new Error('varint longer than 10 bytes');
      const b = buf[at++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
  };
  const take = (n: number) => {
    if (at + n > buf.length) throw new Error(`field needs ${n} bytes, ${buf.length - at} left`);
    const s = buf.subarray(at, at + n);
    at += n;
    return s;
  };
  while (at < buf.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new Error('field number 0');
    if (wire === 0) out.push({ field, wire, varint: varint() });
    else if (wire === 1) out.push({ field, wire, fixed64: take(8) });
    else if (wire === 2) out.push({ field, wire, bytes: take(Number(varint())) });
    else if (wire === 5) out.push({ field, wire, fixed32: take(4) });
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
export const asDouble = (f: WireField) => (f.wire === 1 ? dv(f.fixed64).getFloat64(0, true) : NaN);
export const asFloat = (f: WireField) => (f.wire === 5 ? dv(f.fixed32).getFloat32(0, true) : NaN);
export const asInt64 = (f: WireField) => (f.wire === 0 ? BigInt.asIntN(64, f.varint) : undefined);
export const asBytes = (f: WireField) => (f.wire === 2 ? f.bytes : undefined);
export const asString = (f: WireField) => (f.wire === 2 ? new TextDecoder('utf-8', { fatal: true }).decode(f.bytes) : undefined);
export const fields = (m: WireField[], n: number) => m.filter((f) => f.field === n);
export const one = (m: WireField[], n: number): WireField | undefined => {
  const all = fields(m, n);
  if (all.length > 1) throw new Error(`field ${n} appears ${all.length} times`);
  return all[0];
};
export const sub = (m: WireField[], n: number): WireField[] | undefined => {
  const f = one(m, n);
  const b = f && asBytes(f);
  return b ? decodeWire(b) : undefined;
};

/** What tests look at in an Event (event.proto field numbers: 1 wall_time, 2 step, 3 file_version, 5 summary). */
export interface DecodedEvent {
  wallTime: number;
  step: bigint;
  fileVersion?: string;
  values: DecodedValue[];
}

/** A Summary.Value (summary.proto: 1 tag, 2 simple_value, 8 tensor, 9 metadata). */
export interface DecodedValue {
  tag: string;
  simpleValue?: number;
  pluginName?: string;
  pluginContent?: WireField[];
  dataClass?: number;
  tensor?: { dtype: number; strings: string[]; dims: bigint[] };
}

export function decodeEvent(record: Uint8Array): DecodedEvent {
  const m = decodeWire(record);
  const wt = one(m, 1);
  const st = one(m, 2);
  const fv = one(m, 3);
  const ev: DecodedEvent = { wallTime: wt ? asDouble(wt) : 0, step: (st && asInt64(st)) ?? 0n, values: [] };
  if (fv) ev.fileVersion = asString(fv);
  const summary = sub(m, 5);
  for (const vf of summary ? fields(summary, 1) : []) {
    const v = decodeWire(asBytes(vf)!);
    const out: DecodedValue = { tag: asString(one(v, 1)!) ?? '' };
    const sv = one(v, 2);
    if (sv) out.simpleValue = asFloat(sv);
    const meta = sub(v, 9);
    if (meta) {
      const plugin = sub(meta, 1);
      if (plugin) {
        const name = one(plugin, 1);
        out.pluginName = name && asString(name);
        const content = one(plugin, 2);
        out.pluginContent = content ? decodeWire(asBytes(content)!) : [];
      }
      const dc = one(meta, 4);
      if (dc) out.dataClass = Number(asInt64(dc));
    }
    const tensor = sub(v, 8);
    if (tensor) {
      const shape = sub(tensor, 2) ?? [];
      out.tensor = {
        dtype: Number(asInt64(one(tensor, 1)!)),
        strings: fields(tensor, 8).map((f) => asString(f)!),
        dims: fields(shape, 2).map((d) => asInt64(one(decodeWire(asBytes(d)!), 1)!)!),
      };
    }
    ev.values.push(out);
  }
  return ev;
}
