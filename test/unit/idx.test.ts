import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadIdxPair, parseIdx, readIdxFile, toTensors } from '../../src/trainer/data/idx';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { catchDataError } from './catchDataError';

let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idx-test-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** An IDX file exactly as the MNIST files are laid out: magic, big-endian dims, then the data. */
function idx(typeCode: number, dims: number[], data: Buffer): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = typeCode;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

// Three 2x3 images with distinct pixels, and their labels.
const PIXELS = Buffer.from([0, 255, 51, 102, 153, 204, 1, 2, 3, 4, 5, 6, 255, 255, 255, 0, 0, 0]);
const IMAGES = idx(0x08, [3, 2, 3], PIXELS);
const LABELS = idx(0x08, [3], Buffer.from([7, 0, 9]));

function write(name: string, bytes: Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}


describe('reading', () => {
  test('MNIST-layout images and labels load as [N,H,W,1] floats in 0–1 with their labels', () => {
    const set = loadIdxPair(write('i', IMAGES), write('l', LABELS));
    expect(set.shape).toEqual([3, 2, 3, 1]);
    expect(Array.from(set.images)).toEqual(Array.from(PIXELS, (p) => Math.fround(p / 255)));
    expect(Array.from(set.labels)).toEqual([7, 0, 9]);
    expect(set.classes).toBe(10);
  });

  test('gzip files (detected by their magic, whatever the name) give the same result as raw ones', () => {
    const raw = loadIdxPair(write('i2', IMAGES), write('l2', LABELS));
    const gz = loadIdxPair(write('i2.gz', zlib.gzipSync(IMAGES)), write('l2.bin', zlib.gzipSync(LABELS)));
    expect(gz).toEqual(raw);
  });

  test('limit keeps the first samples', () => {
    const set = loadIdxPair(write('i3', IMAGES), write('l3', LABELS), { limit: 2 });
    expect(set.shape).toEqual([2, 2, 3, 1]);
    expect(Array.from(set.labels)).toEqual([7, 0]);
  });

  test('every IDX element type is read big-endian', () => {
    const be = (n: number, write: (b: Buffer) => void) => {
      const b = Buffer.alloc(n);
      write(b);
      return b;
    };
    expect(Array.from(parseIdx(idx(0x09, [2], Buffer.from([0xff, 0x7f])), 'f').data)).toEqual([-1, 127]);
    expect(Array.from(parseIdx(idx(0x0b, [2], be(4, (b) => (b.writeInt16BE(-300, 0), b.writeInt16BE(1234, 2)))), 'f').data)).toEqual([-300, 1234]);
    expect(Array.from(parseIdx(idx(0x0c, [1], be(4, (b) => b.writeInt32BE(-70000, 0))), 'f').data)).toEqual([-70000]);
    expect(Array.from(parseIdx(idx(0x0d, [1], be(4, (b) => b.writeFloatBE(1.5, 0))), 'f').data)).toEqual([1.5]);
    const f64 = parseIdx(idx(0x0e, [1, 1], be(8, (b) => b.writeDoubleBE(Math.PI, 0))), 'f');
    expect(f64).toEqual({ dtype: 'float64', shape: [1, 1], data: new Float64Array([Math.PI]) });
  });

  test('toTensors gives xs [N,H,W,1] and one-hot ys', () => {
    const set = loadIdxPair(write('i4', IMAGES), write('l4', LABELS));
    const { xs, ys } = toTensors(tf, set);
    expect(xs.shape).toEqual([3, 2, 3, 1]);
    expect(ys.shape).toEqual([3, 10]);
    expect(Array.from(ys.argMax(-1).dataSync())).toEqual([7, 0, 9]);
    expect(xs.dataSync()[1]).toBe(1);
    tf.dispose([xs, ys]);
  });
});

describe('bad input', () => {
  test('wrong magic says what was found and what was expected', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const e = catchDataError(() => parseIdx(png, 'digits.png'));
    expect(e.message).toContain('digits.png');
    expect(e.message).toContain('0x89504e47');
    expect(e.message).toContain('0x00000803');
    expect(e.offset).toBe(0);
  });

  test('truncated data gives the expected and actual byte counts and the offset where it ends', () => {
    const cut = IMAGES.subarray(0, IMAGES.length - 4); // the last image loses 4 of its 6 bytes
    const e = catchDataError(() => parseIdx(cut, 'train-images'));
    expect(e.file).toBe('train-images');
    expect(e.message).toContain('= 18 bytes');
    expect(e.message).toContain('only 14 bytes');
    expect(e.offset).toBe(cut.length);
    expect(e.item).toBe(2); // two whole images, the third is cut
  });

  test('a truncated header is reported, not read past', () => {
    const e = catchDataError(() => parseIdx(IMAGES.subarray(0, 10), 'x'));
    expect(e.message).toContain('3 dimensions need 16 header bytes');
  });

  test('a huge dimension is refused without allocating it', () => {
    const huge = Buffer.from(IMAGES);
    huge.writeUInt32BE(0xffffffff, 4);
    const e = catchDataError(() => parseIdx(huge, 'x'));
    expect(e.message).toMatch(/truncated data: the header says 4294967295 × 2 × 3 uint8 = 25769803770 bytes/);
  });

  test('bytes after the data are an error (the header disagrees with the file)', () => {
    const e = catchDataError(() => parseIdx(Buffer.concat([LABELS, Buffer.from([1, 2])]), 'labels'));
    expect(e.message).toContain('2 unexpected bytes');
    expect(e.offset).toBe(LABELS.length);
  });

  test('images and labels with different counts', () => {
    const labels = write('l-short', idx(0x08, [2], Buffer.from([1, 2])));
    const e = catchDataError(() => loadIdxPair(write('i5', IMAGES), labels));
    expect(e.file).toBe(labels);
    expect(e.message).toContain('2 labels for 3 images');
  });

  test('a label out of range names the item and its offset', () => {
    const labels = write('l-bad', idx(0x08, [3], Buffer.from([1, 10, 2])));
    const e = catchDataError(() => loadIdxPair(write('i6', IMAGES), labels));
    expect(e.item).toBe(1);
    expect(e.offset).toBe(9);
    expect(e.message).toContain('label 10 is out of range: expected 0–9');
    // …and the same labels are fine with more classes
    expect(loadIdxPair(path.join(dir, 'i6'), labels, { classes: 11 }).classes).toBe(11);
  });

  test('images and labels swapped', () => {
    const e = catchDataError(() => loadIdxPair(write('l7', LABELS), write('i7', IMAGES)));
    expect(e.message).toContain('expected uint8 images of shape [N, H, W]');
  });

  test('a 0-byte file, raw or on disk', () => {
    expect(catchDataError(() => parseIdx(Buffer.alloc(0), 'empty')).message).toContain('empty (0 bytes)');
    const p = write('empty', Buffer.alloc(0));
    expect(catchDataError(() => readIdxFile(p)).message).toBe(`${p}: the file is empty (0 bytes)`);
  });

  test('a missing file is a DataError naming it', () => {
    const p = path.join(dir, 'nope-idx3-ubyte');
    const e = catchDataError(() => readIdxFile(p));
    expect(e.file).toBe(p);
    expect(e.message).toContain('ENOENT');
  });

  test('truncated or corrupt gzip', () => {
    const gz = zlib.gzipSync(IMAGES);
    expect(catchDataError(() => parseIdx(gz.subarray(0, gz.length - 10), 'a.gz')).message).toContain('corrupt or truncated gzip');
    const flipped = Buffer.from(gz);
    flipped[12] ^= 0xff;
    expect(catchDataError(() => parseIdx(flipped, 'b.gz')).message).toMatch(/gzip/);
  });

  test('decompression stops at the size cap (a gzip bomb cannot fill memory)', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(1_000_000));
    expect(bomb.length).toBeLessThan(2000);
    const e = catchDataError(() => parseIdx(bomb, 'bomb.gz', { maxDecompressedBytes: 100_000 }));
    expect(e.message).toContain('more than 100000 bytes');
  });
});
