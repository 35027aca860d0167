/**
 * The few protobuf wire-format encodings TensorBoard's messages need (varint, fixed64 double,
 * fixed32 float, length-delimited), so event files are written without a protobuf library.
 * Fields are appended in the order called; a nested message is encoded first and added as bytes.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

export class ProtoWriter {
  private parts: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.size += bytes.length;
  }

  private key(field: number, wire: number): void {
    this.varint(BigInt(field) << 3n | BigInt(wire));
  }

  /** Unsigned, or a negative int64 as its two's complement (10 bytes), as protobuf does. */
  private varint(v: bigint): void {
    let n = BigInt.asUintN(64, v);
    const out: number[] = [];
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n !== 0n) b |= 0x80;
      out.push(b);
    } while (n !== 0n);
    this.push(Uint8Array.from(out));
  }

  /** int32, int64, enum, bool. Zero is written too: these messages use no proto3 defaults to skip. */
  int(field: number, v: number | bigint | boolean): this {
    this.key(field, WIRE_VARINT);
    this.varint(typeof v === 'boolean' ? (v ? 1n : 0n) : BigInt(v));
    return this;
  }

  double(field: number, v: number): this {
    this.key(field, WIRE_FIXED64);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.push(b);
    return this;
  }

  float(field: number, v: number): this {
    this.key(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }

  bytes(field: number, v: Uint8Array): this {
    this.key(field, WIRE_BYTES);
    this.varint(BigInt(v.length));
    this.push(v);
    return this;
  }

  string(field: number, v: string): this {
    return this.bytes(field, utf8.encode(v));
  }

  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
