/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0,
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html): the magic "\x93NUMPY",
 * two version bytes, a little-endian header length (2 bytes in v1, 4 in v2/v3), then a Python dict
 * literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces and a
 * newline, then the raw elements.
 *
 * Output uses the dtypes tfjs has: every float kind becomes float32, every integer kind int32
 * (64-bit and uint32 values are range-checked, never silently wrapped), bool stays bool. Fortran-
 * ordered arrays are transposed to C order, so `shape` always means row-major.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { DataError, readDataFile } from './dataError';
import { firstNonFinite, indexIn } from '../nonFinite';
import { msg } from '../messages';

type TF = typeof tfTypes;

export type NpyDtype = 'float32' | 'int32' | 'bool';

export interface NpyArray {
  shape: number[];
  dtype: NpyDtype;
  data: Float32Array | Int32Array | Uint8Array;
  /** The dtype as written in the file, e.g. '<f8'. */
  descr: string;
  /** np.save can write several arrays to one file; np.load reads the first and ignores the rest, as does this. */
  trailingBytes: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const SUPPORTED = '<f4 <f8 <i1 <i2 <i4 <i8 <u1 <u2 <u4 <u8 |b1 |u1 |i1 (and the > big-endian forms)';

type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };

/**
 * A parser for the Python literal subset NumPy writes (dict, tuple, list, str, int, bool, None).
 * Never `eval`: the header is untrusted input.
 */
function parsePyLiteral(text: string, fail: (msg: string) => never): PyValue {
  let i = 0;
  const MAX_DEPTH = 16; // real headers nest 2 deep; a cap keeps "(((((…" from overflowing the stack
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const value = (depth: number): PyValue => {
    if (depth > MAX_DEPTH) fail(`header nests deeper than ${MAX_DEPTH} levels`);
    ws();
    const c = text[i];
    if (c === undefined) fail('header ends early');
    if (c === '{' || c === '(' || c === '[') {
      const close = c === '{' ? '}' : c === '(' ? ')' : ']';
      i++;
      const items: PyValue[] = [];
      const dict: { [k: string]: PyValue } = {};
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          break;
        }
        const v = value(depth + 1);
        if (c === '{') {
          if (typeof v !== 'string') fail('header dict has a key that is not a string');
          ws();
          if (text[i] !== ':') fail(`expected ':' after key '${v}' in the header dict`);
          i++;
          dict[v] = value(depth + 1);
        } else {
          items.push(v);
        }
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected ',' or '${close}' at header character ${i}, found ${JSON.stringify(text[i] ?? 'end')}`);
      }
      return c === '{' ? dict : items;
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('unterminated string in header');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const m = /^(True|False|None|-?\d+L?)/.exec(text.slice(i, i + 40));
    if (!m) fail(`unexpected ${JSON.stringify(text.slice(i, i + 10))} at header character ${i}`);
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0].replace('L', '')); // Python 2 wrote long ints as 3L
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail(`unexpected text after the header dict at character ${i}`);
  return v;
}

interface Descr {
  littleEndian: boolean;
  kind: 'f' | 'i' | 'u' | 'b';
  size: number;
}

function parseDescr(descr: PyValue, fail: (msg: string) => never): Descr {
  if (typeof descr !== 'string') fail(`structured dtypes (descr ${JSON.stringify(descr)}) are not supported; save a plain numeric array`);
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  const size = m ? Number(m[3]) : 0;
  const kind = m?.[2] as Descr['kind'];
  const ok = m && ((kind === 'f' && (size === 4 || size === 8)) || ((kind === 'i' || kind === 'u') && [1, 2, 4, 8].includes(size)) || (kind === 'b' && size === 1));
  if (!m || !ok) fail(`dtype '${descr}' is not supported; supported: ${SUPPORTED}`);
  if (m[1] === '|' && size !== 1) fail(`dtype '${descr}' has no byte order but is ${size} bytes wide`);
  // '=' is native order; numpy normalises it away when saving, but be exact if someone wrote it.
  const littleEndian = m[1] === '<' || m[1] === '|' || (m[1] === '=' && new Uint8Array(new Uint16Array([1]).buffer)[0] === 1);
  return { littleEndian, kind, size };
}

/** Parses a .npy file held in memory. `file` is used in error messages. */
export function parseNpy(buf: Buffer, file: string): NpyArray {
  if (buf.length === 0) throw new DataError(msg('data.empty'), { file });
  if (buf.length < 10 || MAGIC.some((b, k) => buf[k] !== b)) {
    const found = buf.subarray(0, 6).toString('latin1');
    throw new DataError(msg('npy.notNpy', JSON.stringify(found)), { file, offset: 0 });
  }
  const major = buf[6];
  const minor = buf[7];
  if (major < 1 || major > 3) throw new DataError(msg('npy.version', major, minor), { file, offset: 6 });
  const lenBytes = major === 1 ? 2 : 4;
  if (buf.length < 8 + lenBytes) throw new DataError(msg('npy.truncatedLength'), { file, offset: buf.length });
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const headerStart = 8 + lenBytes;
  const dataStart = headerStart + headerLen;
  if (dataStart > buf.length) {
    throw new DataError(msg('npy.truncatedHeader', headerLen, headerStart, buf.length), { file, offset: buf.length });
  }
  // v3 headers are UTF-8 (field names may be non-ASCII); v1/v2 are latin1.
  const headerText = buf.subarray(headerStart, dataStart).toString(major === 3 ? 'utf8' : 'latin1');
  const fail = (why: string): never => {
    throw new DataError(msg('npy.badHeader', JSON.stringify(headerText.trim().slice(0, 120)), why), { file, offset: headerStart });
  };
  const header = parsePyLiteral(headerText, fail);
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return fail('the header is not a dict');
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!Object.prototype.hasOwnProperty.call(header, key)) fail(`the header dict has no '${key}'`);
  }
  const d = parseDescr(header.descr, fail);
  const fortran = header.fortran_order;
  if (typeof fortran !== 'boolean') fail(`'fortran_order' should be True or False, found ${JSON.stringify(fortran)}`);
  const shapeV = header.shape;
  if (!Array.isArray(shapeV)) return fail(`'shape' should be a tuple, found ${JSON.stringify(shapeV)}`);
  const shape = shapeV.map((s) => {
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) fail(`'shape' should hold non-negative integers, found ${JSON.stringify(s)}`);
    return s as number;
  });
  // Compared against the real byte count before allocating: a corrupt shape must not decide an allocation.
  const count = shape.includes(0) ? 0 : shape.reduce((a, b) => a * b, 1);
  const needed = count * d.size;
  const available = buf.length - dataStart;
  if (needed > available) {
    const shown = Number.isSafeInteger(needed) ? `${needed}` : msg('npy.about', needed.toPrecision(3));
    throw new DataError(
      msg('npy.truncatedData', shape.join(', '), String(header.descr), shown, dataStart, available),
      { file, offset: buf.length, item: Math.floor(available / d.size) },
    );
  }
  const descr = header.descr as string;
  const { dtype, data } = readElements(buf, dataStart, count, d, file, descr);
  const out = fortran && shape.length > 1 ? fortranToC(data, shape) : data;
  if (dtype === 'float32') {
    const bad = firstNonFinite(out);
    if (bad >= 0) {
      const at = indexIn(shape, bad);
      throw new DataError(
        msg('npy.notFinite', at.join(', '), out[bad], d.size === 8 && !Number.isNaN(out[bad]) ? msg('npy.beyondFloat32') : ''),
        { file, item: at[0] ?? 0 },
      );
    }
  }
  return { shape, dtype, data: out, descr, trailingBytes: available - needed };
}

function readElements(buf: Buffer, offset: number, count: number, d: Descr, file: string, descr: string): { dtype: NpyDtype; data: Float32Array | Int32Array | Uint8Array } {
  const le = d.littleEndian;
  const view = new DataView(buf.buffer, buf.byteOffset + offset, count * d.size);
  if (d.kind === 'b') {
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getUint8(i) !== 0 ? 1 : 0;
    return { dtype: 'bool', data: out };
  }
  if (d.kind === 'f') {
    const out = new Float32Array(count);
    if (d.size === 4) for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, le);
    else for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, le); // float64 → float32: tfjs has no float64
    return { dtype: 'float32', data: out };
  }
  const out = new Int32Array(count);
  const outOfRange = (i: number, v: bigint | number): never => {
    throw new DataError(msg('npy.int32', i, String(v), descr), {
      file,
      item: i,
      offset: offset + i * d.size,
    });
  };
  const signed = d.kind === 'i';
  switch (d.size) {
    case 1:
      for (let i = 0; i < count; i++) out[i] = signed ? view.getInt8(i) : view.getUint8(i);
      break;
    case 2:
      for (let i = 0; i < count; i++) out[i] = signed ? view.getInt16(2 * i, le) : view.getUint16(2 * i, le);
      break;
    case 4:
      for (let i = 0; i < count; i++) {
        const v = signed ? view.getInt32(4 * i, le) : view.getUint32(4 * i, le);
        if (v > 0x7fffffff) outOfRange(i, v);
        out[i] = v;
      }
      break;
    case 8:
      for (let i = 0; i < count; i++) {
        const v = signed ? view.getBigInt64(8 * i, le) : view.getBigUint64(8 * i, le);
        if (v > 2147483647n || v < -2147483648n) outOfRange(i, v);
        out[i] = Number(v);
      }
      break;
  }
  return { dtype: 'int32', data: out };
}

/** Fortran order (first index fastest) to C order (last index fastest). */
function fortranToC<T extends Float32Array | Int32Array | Uint8Array>(src: T, shape: number[]): T {
  const out = new (src.constructor as { new (n: number): T })(src.length);
  if (src.length === 0) return out;
  const nd = shape.length;
  const fStride: number[] = new Array(nd);
  fStride[0] = 1;
  for (let k = 1; k < nd; k++) fStride[k] = fStride[k - 1] * shape[k - 1];
  const idx = new Array(nd).fill(0);
  let f = 0; // Fortran offset of the current C-order index, kept incrementally
  for (let c = 0; c < src.length; c++) {
    out[c] = src[f];
    for (let k = nd - 1; k >= 0; k--) {
      idx[k]++;
      f += fStride[k];
      if (idx[k] < shape[k]) break;
      f -= fStride[k] * shape[k];
      idx[k] = 0;
    }
  }
  return out;
}

/** Reads and parses a .npy file from disk. */
export function loadNpy(path: string): NpyArray {
  return parseNpy(readDataFile(path), path);
}

/** One tensor of the array's shape and dtype; the caller owns (and disposes) it. */
export function toTensor(tf: TF, arr: NpyArray): tfTypes.Tensor {
  return tf.tensor(arr.data, arr.shape, arr.dtype);
}
