/**
 * TFRecord framing: each record is its length (uint64 little-endian), the masked CRC-32C of those
 * 8 bytes, the data, and the masked CRC-32C of the data.
 */
import { maskedCrc32c } from '../../protocol/crc32c';

/** One record, framed, ready to append to a file. */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}
