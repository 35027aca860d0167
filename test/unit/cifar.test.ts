import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CIFAR10_CLASS_NAMES, CIFAR_RECORD_BYTES, extractCifarArchive, loadCifarFolder, parseCifarBatch, parseTar, toTensors } from '../../src/trainer/data/cifar';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { catchDataError } from './catchDataError';

let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cifar-test-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Pixel value of sample `seed` at (y, x), channel c: distinct across planes and positions. */
const px = (seed: number, y: number, x: number, c: number) => (seed * 7 + y * 32 + x + c * 85) % 256;

/** CIFAR-10 binary records as the official batches: label byte, then the R, G, B planes (rows first). */
function batch(labels: number[], seed0 = 0): Buffer {
  const out = Buffer.alloc(labels.length * CIFAR_RECORD_BYTES);
  labels.forEach((label, i) => {
    const at = i * CIFAR_RECORD_BYTES;
    out[at] = label;
    for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) out[at + 1 + c * 1024 + y * 32 + x] = px(seed0 + i, y, x, c);
  });
  return out;
}


describe('parseCifarBatch', () => {
  test('planar records become HWC floats in 0–1 with their labels', () => {
    const set = parseCifarBatch(batch([3, 9, 0]), 'b.bin');
    expect(set.shape).toEqual([3, 32, 32, 3]);
    expect(Array.from(set.labels)).toEqual([3, 9, 0]);
    const at = (n: number, y: number, x: number, c: number) => set.images[((n * 32 + y) * 32 + x) * 3 + c];
    for (const [n, y, x] of [[0, 0, 0], [0, 0, 1], [1, 1, 0], [2, 31, 31], [1, 17, 5]]) {
      for (let c = 0; c < 3; c++) expect(at(n, y, x, c)).toBe(Math.fround(px(n, y, x, c) / 255));
    }
  });

  test('a gzip-compressed batch reads the same', () => {
    expect(parseCifarBatch(zlib.gzipSync(batch([1, 2])), 'b.bin.gz')).toEqual(parseCifarBatch(batch([1, 2]), 'b.bin'));
  });

  test('toTensors gives xs [N,32,32,3] and one-hot ys [N,10]', () => {
    const { xs, ys } = toTensors(tf, parseCifarBatch(batch([4, 8]), 'b'));
    expect(xs.shape).toEqual([2, 32, 32, 3]);
    expect(Array.from(ys.argMax(-1).dataSync())).toEqual([4, 8]);
    tf.dispose([xs, ys]);
  });

  test('a size that is not a multiple of 3073 names the record where it breaks', () => {
    const cut = batch([1, 2, 3]).subarray(0, 2 * CIFAR_RECORD_BYTES + 100);
    const e = catchDataError(() => parseCifarBatch(cut, 'data_batch_1.bin'));
    expect(e.item).toBe(2);
    expect(e.offset).toBe(2 * CIFAR_RECORD_BYTES);
    expect(e.message).toContain('record 2 (0-based) is cut off after 100 of its 3073 bytes');
  });

  test('a label above 9 names the record (a CIFAR-100 file, say)', () => {
    const b = batch([1, 2, 3]);
    b[CIFAR_RECORD_BYTES] = 42;
    const e = catchDataError(() => parseCifarBatch(b, 'data_batch_1.bin'));
    expect(e.item).toBe(1);
    expect(e.offset).toBe(CIFAR_RECORD_BYTES);
    expect(e.message).toContain('label 42 is out of range');
  });

  test('a 0-byte file', () => {
    expect(catchDataError(() => parseCifarBatch(Buffer.alloc(0), 'z.bin')).message).toBe('z.bin: the file is empty (0 bytes)');
  });
});

describe('loadCifarFolder', () => {
  test('reads the train batches in order with class names from batches.meta.txt, from the archive folder or its parent', () => {
    const root = path.join(dir, 'extracted');
    const bin = path.join(root, 'cifar-10-batches-bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'data_batch_1.bin'), batch([0, 1]));
    fs.writeFileSync(path.join(bin, 'data_batch_2.bin'), batch([2, 3, 4], 2));
    fs.writeFileSync(path.join(bin, 'test_batch.bin'), batch([9]));
    fs.writeFileSync(path.join(bin, 'batches.meta.txt'), 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n');
    const fromParent = loadCifarFolder(root);
    expect(fromParent.shape).toEqual([5, 32, 32, 3]);
    expect(Array.from(fromParent.labels)).toEqual([0, 1, 2, 3, 4]);
    expect(fromParent.classNames).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
    expect(fromParent.files.map((f) => path.basename(f))).toEqual(['data_batch_1.bin', 'data_batch_2.bin']);
    // the third sample is the first of batch 2: seed 2
    expect(fromParent.images[2 * 3072 + 5]).toBe(Math.fround(px(2, 0, 1, 2) / 255));
    expect(loadCifarFolder(bin)).toEqual(fromParent);

    const test1 = loadCifarFolder(bin, { split: 'test' });
    expect(Array.from(test1.labels)).toEqual([9]);
    const limited = loadCifarFolder(bin, { limit: 3 });
    expect(Array.from(limited.labels)).toEqual([0, 1, 2]);
  });

  test('standard class names when batches.meta.txt is missing', () => {
    const d = path.join(dir, 'nometa');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'test_batch.bin'), batch([5]));
    expect(loadCifarFolder(d, { split: 'test' }).classNames).toEqual(CIFAR10_CLASS_NAMES);
  });

  test('a folder without batches, and a meta file with the wrong number of names', () => {
    const d = path.join(dir, 'empty');
    fs.mkdirSync(d);
    expect(catchDataError(() => loadCifarFolder(d)).message).toContain('no CIFAR-10 batches: expected data_batch_1.bin');
    fs.writeFileSync(path.join(d, 'data_batch_1.bin'), batch([1]));
    fs.writeFileSync(path.join(d, 'batches.meta.txt'), 'cat\ndog\n');
    const e = catchDataError(() => loadCifarFolder(d));
    expect(e.file).toBe(path.join(d, 'batches.meta.txt'));
    expect(e.message).toContain('expected 10 class names');
  });
});

const hasTar = spawnSync('tar', ['--version']).status === 0;

describe('extractCifarArchive', () => {
  // Archives made by the system's tar, in the layout of the official cifar-10-binary.tar.gz.
  test.skipIf(!hasTar).each(['gnu', 'posix'])(`unpacks a %s-format .tar.gz made by tar, then loads it${hasTar ? '' : ' — SKIPPED: no tar command here'}`, (format) => {
    const src = path.join(dir, `tarsrc-${format}`);
    const bin = path.join(src, 'cifar-10-batches-bin');
    fs.mkdirSync(bin, { recursive: true });
    for (let i = 1; i <= 5; i++) fs.writeFileSync(path.join(bin, `data_batch_${i}.bin`), batch([i, i - 1], i * 10));
    fs.writeFileSync(path.join(bin, 'test_batch.bin'), batch([7]));
    fs.writeFileSync(path.join(bin, 'batches.meta.txt'), CIFAR10_CLASS_NAMES.join('\n') + '\n');
    fs.writeFileSync(path.join(bin, 'readme.html'), '<p>not wanted</p>');
    const archive = path.join(dir, `cifar-10-binary-${format}.tar.gz`);
    const r = spawnSync('tar', [`--format=${format}`, '-czf', archive, '-C', src, 'cifar-10-batches-bin'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const dest = path.join(dir, `unpacked-${format}`);
    const out = extractCifarArchive(archive, dest);
    expect(out).toBe(path.join(dest, 'cifar-10-batches-bin'));
    expect(fs.readdirSync(out).sort()).toEqual(['batches.meta.txt', 'data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']);
    const train = loadCifarFolder(dest);
    expect(Array.from(train.labels)).toEqual([1, 0, 2, 1, 3, 2, 4, 3, 5, 4]);
    expect(train.images[3072 * 2]).toBe(Math.fround(px(20, 0, 0, 0) / 255));
    // unpacked already: the archive is not read again (it could even be gone)
    fs.rmSync(archive);
    expect(extractCifarArchive(archive, dest)).toBe(out);
  });

  /** One ustar header as POSIX lays it out: name, mode, size in octal, type '0', magic, checksum. */
  function tarHeader(name: string, prefix: string, size: number): Buffer {
    const h = Buffer.alloc(512);
    h.write(name, 0, 'latin1');
    h.write('0000644\0', 100, 'latin1');
    h.write(size.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
    h[156] = 0x30;
    h.write('ustar\0' + '00', 257, 'latin1');
    h.write(prefix, 345, 'latin1');
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    return h;
  }

  test('a tar header with a bad checksum, a truncated archive, and an archive without batches', () => {
    const body = Buffer.alloc(1024, 7); // 600 bytes of data padded to whole 512-byte blocks
    const tar = Buffer.concat([tarHeader('data_batch_1.bin', 'x', 600), body, Buffer.alloc(1024)]);
    expect(parseTar(tar, 't.tar').map((e) => [e.name, e.data.length])).toEqual([['x/data_batch_1.bin', 600]]);
    const bad = Buffer.from(tar);
    bad[0] ^= 1;
    const e1 = catchDataError(() => parseTar(bad, 't.tar'));
    expect(e1.message).toContain('header checksum');
    expect(e1.offset).toBe(0);
    expect(catchDataError(() => parseTar(tar.subarray(0, 800), 't.tar')).message).toContain('an entry of 600 bytes starts at offset 512, but the archive is 800 bytes');
    const other = path.join(dir, 'other.tar.gz');
    fs.writeFileSync(other, zlib.gzipSync(Buffer.concat([tarHeader('notes.txt', '', 600), body, Buffer.alloc(1024)])));
    const none = catchDataError(() => extractCifarArchive(other, path.join(dir, 'none')));
    expect(none.message).toContain('no CIFAR-10 batches in the archive');
    expect(fs.existsSync(path.join(dir, 'none'))).toBe(false);
  });
});
