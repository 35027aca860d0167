/**
 * IDX files, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): a 4-byte
 * magic (two zero bytes, a type code, the number of dimensions), one big-endian uint32 per
 * dimension, then the data, big-endian, row-major. Raw or gzip-compressed (the downloads are .gz).
 *
 * Pure: Buffers and paths in, typed arrays and shapes out, so the parser is unit-tested and fuzzed
 * without tfjs. Every size read from a header is checked against the real buffer length before
 * anything is allocated, so a corrupt header cannot ask for gigabytes.
 */
import * as zlib from 'node:zlib';
import type * as tfTypes from '@tensorflow/tfjs';
import { DataError, readDataFile } from './dataError';
import { firstNonFinite, indexIn } from '../nonFinite';
import { msg } from '../messages';

type TF = typeof tfTypes;

export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dtype: IdxDtype;
  shape: number[];
  data: IdxData;
}

const TYPES: Record<number, { dtype: IdxDtype; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

/** Images are 0x00000803 (uint8, 3 dims), labels 0x00000801 (uint8, 1 dim). */
export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

/**
 * Decompressed-size cap. The largest real IDX file (MNIST/Fashion train images) is 47 MB; 1 GiB
 * leaves room for bigger sets in the same format while stopping a gzip bomb from taking the process.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 1024 * 1024 * 1024;

export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/** Returns `buf` unchanged unless it starts with the gzip magic, then its decompressed bytes. */
export function gunzipIfGzipped(buf: Buffer, file: string, maxBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
  if (!isGzip(buf)) return buf;
  let out: Buffer;
  try {
    out = zlib.gunzipSync(buf, { maxOutputLength: maxBytes });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new DataError(msg('idx.gzipTooLarge', maxBytes), { file, cause: e });
    }
    throw new DataError(msg('idx.gzipCorrupt', err.message), { file, cause: e });
  }
  if (out.length === 0) throw new DataError(msg('idx.gzipEmpty'), { file });
  return out;
}

function formatBytes(n: number): string {
  return Number.isSafeInteger(n) ? `${n} bytes` : `about ${n.toPrecision(3)} bytes`;
}

function hex8(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

/**
 * Parses one IDX file (raw or gzip). `fileName` is only used in error messages.
 * Offsets in errors are into the decompressed bytes.
 */
export function parseIdx(input: Buffer, fileName: string, opts: { maxDecompressedBytes?: number } = {}): IdxArray {
  const file = fileName;
  if (input.length === 0) throw new DataError(msg('data.empty'), { file });
  const buf = gunzipIfGzipped(input, file, opts.maxDecompressedBytes);
  if (buf.length < 4) throw new DataError(msg('idx.tooShort', buf.length), { file, offset: 0 });
  const magic = buf.readUInt32BE(0);
  const type = TYPES[buf[2]];
  if (buf[0] !== 0 || buf[1] !== 0 || !type || buf[3] === 0) {
    throw new DataError(
      msg('idx.magic', hex8(magic), hex8(IDX_IMAGES_MAGIC), hex8(IDX_LABELS_MAGIC)),
      { file, offset: 0 },
    );
  }
  const ndims = buf[3];
  const headerBytes = 4 + 4 * ndims;
  if (buf.length < headerBytes) {
    throw new DataError(msg('idx.truncatedHeader', ndims, headerBytes, buf.length), { file, offset: buf.length });
  }
  const shape: number[] = [];
  for (let i = 0; i < ndims; i++) shape.push(buf.readUInt32BE(4 + 4 * i));
  const available = buf.length - headerBytes;
  // The product is a double (it may be astronomically large or Infinity): it only decides whether the
  // file is long enough; the allocation below uses it only after it is known to fit in the buffer.
  const count = shape.includes(0) ? 0 : shape.reduce((a, b) => a * b, 1); // 0 first: Infinity × 0 would be NaN
  const needed = count * type.bytes;
  if (needed > available) {
    const perItem = shape.slice(1).reduce((a, b) => a * b, 1) * type.bytes;
    const whole = perItem > 0 ? Math.floor(available / perItem) : 0;
    throw new DataError(
      msg('idx.truncatedData', shape.join(' × '), type.dtype, formatBytes(needed), headerBytes, available, buf.length, whole, shape[0]),
      { file, offset: buf.length, item: whole },
    );
  }
  if (needed < available) {
    // Trailing bytes mean the header and the data disagree (a wrong dimension, two files concatenated).
    throw new DataError(
      msg('idx.trailing', available - needed, shape.join(' × '), type.dtype, needed, available),
      { file, offset: headerBytes + needed },
    );
  }
  const data = readBigEndian(buf, headerBytes, count, type.dtype);
  if (type.dtype === 'float32' || type.dtype === 'float64') {
    const bad = firstNonFinite(data);
    if (bad >= 0) {
      const at = indexIn(shape, bad);
      throw new DataError(msg('idx.notFinite', at.join(', '), data[bad]), { file: fileName, item: at[0] ?? 0, offset: headerBytes + bad * type.bytes });
    }
  }
  return { dtype: type.dtype, shape, data };
}

function readBigEndian(buf: Buffer, offset: number, count: number, dtype: IdxDtype): IdxData {
  switch (dtype) {
    case 'uint8':
      // A copy, not a view: the caller may keep it after the file buffer is dropped, and it must not alias a pooled Buffer.
      return new Uint8Array(buf.subarray(offset, offset + count));
    case 'int8':
      return new Int8Array(new Uint8Array(buf.subarray(offset, offset + count)).buffer);
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = buf.readInt16BE(offset + 2 * i);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = buf.readInt32BE(offset + 4 * i);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = buf.readFloatBE(offset + 4 * i);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = buf.readDoubleBE(offset + 8 * i);
      return out;
    }
  }
}

/** Reads and parses an IDX file from disk. */
export function readIdxFile(path: string, opts: { maxDecompressedBytes?: number } = {}): IdxArray {
  return parseIdx(readDataFile(path), path, opts);
}

export interface IdxImageSet {
  /** N*H*W*C floats in 0–1, NHWC. */
  images: Float32Array;
  /** [N, H, W, C]; C is 1 for MNIST-style 3-dimensional image files. */
  shape: [number, number, number, number];
  labels: Uint8Array;
  /** Number of classes (labels are 0 … classes-1). */
  classes: number;
}

export interface IdxPairOptions {
  /** Labels must be below this; 10 for MNIST and Fashion-MNIST. */
  classes?: number;
  /** Keep only the first `limit` samples. */
  limit?: number;
  maxDecompressedBytes?: number;
}

/**
 * Combines an images array and a labels array, as parsed by `parseIdx`, into a training set.
 * Separate from the file reading so the checks are tested on in-memory buffers too.
 */
export function idxPairFromArrays(images: IdxArray, labels: IdxArray, imagesFile: string, labelsFile: string, opts: IdxPairOptions = {}): IdxImageSet {
  const classes = opts.classes ?? 10;
  if (images.dtype !== 'uint8' || (images.shape.length !== 3 && images.shape.length !== 4)) {
    throw new DataError(msg('idx.notImages', hex8(IDX_IMAGES_MAGIC), images.dtype, images.shape.join(', ')), { file: imagesFile, offset: 0 });
  }
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
    throw new DataError(msg('idx.notLabels', hex8(IDX_LABELS_MAGIC), labels.dtype, labels.shape.join(', ')), { file: labelsFile, offset: 0 });
  }
  const [n, h, w] = images.shape;
  const c = images.shape[3] ?? 1;
  if (labels.shape[0] !== n) {
    throw new DataError(msg('idx.countMismatch', labels.shape[0], n, imagesFile), { file: labelsFile });
  }
  const keep = opts.limit === undefined ? n : Math.max(0, Math.min(n, Math.floor(opts.limit)));
  const labelData = labels.data as Uint8Array;
  for (let i = 0; i < keep; i++) {
    if (labelData[i] >= classes) {
      const labelsHeader = 8; // magic + one dimension
      throw new DataError(msg('idx.labelRange', labelData[i], classes - 1), { file: labelsFile, item: i, offset: labelsHeader + i });
    }
  }
  const per = h * w * c;
  const pixels = images.data as Uint8Array;
  const out = new Float32Array(keep * per);
  for (let i = 0; i < out.length; i++) out[i] = pixels[i] / 255;
  return { images: out, shape: [keep, h, w, c], labels: labelData.slice(0, keep), classes };
}

/** Loads an images file and a labels file (each raw or .gz), e.g. train-images-idx3-ubyte.gz + train-labels-idx1-ubyte.gz. */
export function loadIdxPair(imagesPath: string, labelsPath: string, opts: IdxPairOptions = {}): IdxImageSet {
  const images = readIdxFile(imagesPath, opts);
  const labels = readIdxFile(labelsPath, opts);
  return idxPairFromArrays(images, labels, imagesPath, labelsPath, opts);
}

/** xs [N,H,W,C] float32 and one-hot ys [N, classes]; the caller owns (and disposes) both. */
export function toTensors(tf: TF, set: IdxImageSet): { xs: tfTypes.Tensor4D; ys: tfTypes.Tensor2D } {
  const xs = tf.tensor4d(set.images, set.shape);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(set.labels), 'int32'), set.classes).toFloat() as tfTypes.Tensor2D);
  return { xs, ys };
}
