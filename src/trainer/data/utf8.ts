/**
 * Strict UTF-8 decoding that names the byte offset of the first bad byte. The native fatal
 * TextDecoder does the work (fast path); it only says "invalid", so on failure a small validator
 * re-scans the failing chunk to find where. Text loaders use this instead of Buffer#toString, which
 * would silently turn a Latin-1 file into U+FFFD characters and train on them.
 */
import { constants as bufferConstants } from 'node:buffer';
import { DataError } from './dataError';
import { msg } from '../messages';

/** The longest string the JavaScript engine can make, in UTF-16 code units (about 512 M). */
export const MAX_STRING_CHARS = bufferConstants.MAX_STRING_LENGTH;

/** The UTF-16 length `bytes` decode to: one unit per sequence, two for a 4-byte one (a surrogate pair). */
function utf16Length(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if ((b & 0xc0) !== 0x80) n += b >= 0xf0 ? 2 : 1;
  }
  return n;
}

/** Length of the sequence a lead byte starts, 0 for a byte that cannot start one. */
function sequenceLength(b: number): number {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

/**
 * Offset of the first byte of the first invalid (or, when `final`, truncated) UTF-8 sequence in
 * `bytes`, or -1. Follows the Unicode table of well-formed sequences: no overlongs, no surrogates,
 * nothing above U+10FFFF – the same rules as TextDecoder.
 */
export function firstInvalidUtf8(bytes: Uint8Array, final = true): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    const len = sequenceLength(b);
    if (len === 0) return i;
    // The second byte's allowed range depends on the lead byte (overlongs, surrogates, > U+10FFFF).
    let lo = 0x80;
    let hi = 0xbf;
    if (b === 0xe0) lo = 0xa0;
    else if (b === 0xed) hi = 0x9f;
    else if (b === 0xf0) lo = 0x90;
    else if (b === 0xf4) hi = 0x8f;
    for (let k = 1; k < len; k++) {
      if (i + k >= n) return final ? i : -1;
      const c = bytes[i + k];
      if (c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += len;
  }
  return -1;
}

/** The bytes at the end of `chunk` that start a sequence the chunk does not finish. */
function incompleteTail(chunk: Uint8Array): Uint8Array {
  const n = chunk.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = chunk[n - back];
    if (b >= 0x80 && b <= 0xbf) continue; // continuation byte: keep looking for the lead
    const len = sequenceLength(b);
    return len > back ? chunk.subarray(n - back) : new Uint8Array(0);
  }
  return new Uint8Array(0);
}

function invalidError(file: string, offset: number): DataError {
  return new DataError(msg('text.notUtf8'), { file, offset });
}

function tooLongError(file: string, chars: number, maxChars: number, advice: string | undefined): DataError {
  return new DataError(
    msg('text.tooLong', chars, maxChars, Math.round(maxChars / 1024 ** 2), advice ? `. ${advice}` : ''),
    { file },
  );
}

/**
 * Decodes a whole file's bytes; a leading BOM is dropped. Text longer than one string can hold is
 * refused as such (the engine's own error would read as "not valid UTF-8"), with `tooLongAdvice`.
 */
export function decodeUtf8(bytes: Uint8Array, file: string, opts: { tooLongAdvice?: string; maxChars?: number } = {}): string {
  const maxChars = opts.maxChars ?? MAX_STRING_CHARS;
  // Counting costs a pass, so only where it can matter: never more units than bytes.
  if (bytes.length > maxChars) {
    const chars = utf16Length(bytes);
    if (chars > maxChars) throw tooLongError(file, chars, maxChars, opts.tooLongAdvice);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    const at = firstInvalidUtf8(bytes);
    if (at < 0) throw new DataError(msg('text.cannotDecode', (e as Error).message), { file, cause: e });
    throw invalidError(file, at);
  }
}

/**
 * Decodes a byte stream chunk by chunk, remembering the absolute offset so an error deep inside a
 * multi-gigabyte file still names the exact byte.
 */
export class Utf8StreamDecoder {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  /** Absolute offset of the first byte of the next chunk. */
  private offset = 0;
  /** Undecoded end of the previous chunk (a sequence split across chunks). */
  private tail: Uint8Array = new Uint8Array(0);

  constructor(private readonly file: string) {}

  decode(chunk: Uint8Array): string {
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch {
      const joined = new Uint8Array(this.tail.length + chunk.length);
      joined.set(this.tail, 0);
      joined.set(chunk, this.tail.length);
      const at = firstInvalidUtf8(joined, false);
      throw invalidError(this.file, this.offset - this.tail.length + (at < 0 ? 0 : at));
    }
    // At most the last 3 bytes can be pending; they may reach back into the previous tail when the
    // chunk is tiny, so look at both together (a copy of ≤ 6 bytes).
    const last = chunk.subarray(Math.max(0, chunk.length - 3));
    const joined = new Uint8Array(this.tail.length + last.length);
    joined.set(this.tail, 0);
    joined.set(last, this.tail.length);
    this.tail = incompleteTail(joined).slice();
    this.offset += chunk.length;
    return text;
  }

  /** Flushes; a sequence cut off by the end of the file is an error at its first byte. */
  end(): string {
    try {
      return this.decoder.decode();
    } catch {
      throw invalidError(this.file, this.offset - this.tail.length);
    }
  }
}
