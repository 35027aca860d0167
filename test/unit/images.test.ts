import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodeImage, loadImageFolder, resizeBilinear, toTensors } from '../../src/trainer/data/images';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { catchDataError } from './catchDataError';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'images-test-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Rgb = [number, number, number];
/** A w x h image whose pixel (x, y) is f(x, y). */
function rgba(w: number, h: number, f: (x: number, y: number) => Rgb): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = f(x, y);
      data.set([r, g, b, 255], (y * w + x) * 4);
    }
  return data;
}
function pngFile(w: number, h: number, f: (x: number, y: number) => Rgb): Buffer {
  const png = new PNG({ width: w, height: h });
  rgba(w, h, f).copy(png.data);
  return PNG.sync.write(png);
}
function jpegFile(w: number, h: number, f: (x: number, y: number) => Rgb): Buffer {
  return jpeg.encode({ width: w, height: h, data: rgba(w, h, f) }, 100).data;
}
/** A fresh dataset root with files given as { 'class/name.png': bytes }. */
function folder(files: Record<string, Buffer | string>): string {
  const root = path.join(dir, `set${n++}`);
  for (const [rel, bytes] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), bytes);
  }
  fs.mkdirSync(root, { recursive: true });
  return root;
}

/**
 * A PNG written by this test's own encoder (not pngjs): chunks, CRCs and zlib by hand, so decoding
 * is checked against an independent writer. Supports the layouts pngjs's writer never produces.
 */
function handPng(w: number, h: number, colorType: number, bitDepth: number, rows: Buffer[], extra: { name: string; data: Buffer }[] = []): Buffer {
  const chunk = (name: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(name, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  // filter type 0 (None) on every row
  const raw = Buffer.concat(rows.map((r) => Buffer.concat([Buffer.from([0]), r])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...extra.map((c) => chunk(c.name, c.data)),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const f3 = (v: number) => Math.fround(v / 255);

describe('loadImageFolder', () => {
  test('one class per sorted subfolder, RGB pixels exact, non-images skipped and counted', () => {
    const red = (x: number, y: number): Rgb => [10 * x + y, 200, 255 - x];
    const root = folder({
      'dog/b.png': pngFile(4, 3, () => [1, 2, 3]),
      'dog/a.png': pngFile(4, 3, () => [4, 5, 6]),
      'cat/one.PNG': pngFile(4, 3, red),
      'cat/notes.txt': 'not an image',
      'README.md': '# my set',
      'dog/.DS_Store': 'x',
    });
    const set = loadImageFolder(root, { channels: 3 });
    expect(set.classNames).toEqual(['cat', 'dog']);
    expect(set.files).toEqual([path.join('cat', 'one.PNG'), path.join('dog', 'a.png'), path.join('dog', 'b.png')]);
    expect(Array.from(set.labels)).toEqual([0, 1, 1]);
    expect(set.shape).toEqual([3, 3, 4, 3]);
    expect(set.skipped).toBe(3);
    expect(set.skippedExamples.sort()).toEqual(['README.md', path.join('cat', 'notes.txt'), path.join('dog', '.DS_Store')].sort());
    // the first image is `red`: every pixel decodes to what was written
    for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) for (let c = 0; c < 3; c++) expect(set.images[(y * 4 + x) * 3 + c]).toBe(f3(red(x, y)[c]));
    // the second image is dog/a.png (sorted), all [4, 5, 6]
    expect(Array.from(set.images.subarray(36, 39))).toEqual([f3(4), f3(5), f3(6)]);
  });

  test('grayscale uses the ITU-R 601 luma weights (as PIL and tf.image.rgbToGrayscale)', () => {
    const root = folder({ 'a/x.png': pngFile(2, 1, (x) => (x === 0 ? [255, 0, 0] : [30, 60, 90])) });
    const set = loadImageFolder(root, { channels: 1 });
    expect(set.shape).toEqual([1, 1, 2, 1]);
    expect(set.images[0]).toBeCloseTo(0.299, 6);
    expect(set.images[1]).toBeCloseTo((0.299 * 30 + 0.587 * 60 + 0.114 * 90) / 255, 6);
  });

  test('JPEG (by magic, whatever the extension) decodes close to what was encoded', () => {
    const smooth = (x: number, y: number): Rgb => [8 * x, 8 * y, 128];
    const root = folder({ 'j/photo.jpg': jpegFile(16, 16, smooth), 'j/renamed.png': jpegFile(16, 16, smooth) });
    const set = loadImageFolder(root, { channels: 3 });
    expect(set.shape).toEqual([2, 16, 16, 3]);
    let worst = 0;
    for (let y = 0; y < 16; y++)
      for (let x = 0; x < 16; x++)
        for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(set.images[(y * 16 + x) * 3 + c] * 255 - smooth(x, y)[c]));
    expect(worst).toBeLessThan(6); // quality-100 JPEG is lossy by a few levels at most
    expect(Array.from(set.images.subarray(768))).toEqual(Array.from(set.images.subarray(0, 768)));
  });

  test('mixed sizes: an error naming the first image that differs, unless a size is given', () => {
    const root = folder({ 'a/1.png': pngFile(4, 4, () => [0, 0, 0]), 'a/2.png': pngFile(4, 4, () => [9, 9, 9]), 'b/3.png': pngFile(8, 2, () => [100, 100, 100]) });
    const e = catchDataError(() => loadImageFolder(root, { channels: 3 }));
    expect(e.file).toBe(path.join(root, 'b', '3.png'));
    expect(e.item).toBe(2);
    expect(e.message).toContain(`is 8x2 but ${path.join('a', '1.png')} (the first image) is 4x4`);
    const set = loadImageFolder(root, { channels: 1, size: [2, 2] });
    expect(set.shape).toEqual([3, 2, 2, 1]);
    // constant images stay constant through the resize
    expect(Array.from(set.images.subarray(8, 12))).toEqual(new Array(4).fill(set.images[8]));
    expect(set.images[8]).toBeCloseTo(100 / 255, 6);
  });

  test('toTensors gives xs [N,H,W,C] and one-hot ys over the classes', () => {
    const root = folder({ 'a/1.png': pngFile(2, 2, () => [1, 1, 1]), 'b/2.png': pngFile(2, 2, () => [2, 2, 2]), 'c/3.png': pngFile(2, 2, () => [3, 3, 3]) });
    const { xs, ys } = toTensors(tf, loadImageFolder(root, { channels: 3 }));
    expect(xs.shape).toEqual([3, 2, 2, 3]);
    expect(ys.shape).toEqual([3, 3]);
    expect(Array.from(ys.argMax(-1).dataSync())).toEqual([0, 1, 2]);
    tf.dispose([xs, ys]);
  });

  test('an empty folder, and a class folder without images', () => {
    const empty = folder({});
    expect(catchDataError(() => loadImageFolder(empty, { channels: 3 })).message).toContain('no class folders');
    const root = folder({ 'a/1.png': pngFile(2, 2, () => [1, 1, 1]), 'b/readme.txt': 'x' });
    const e = catchDataError(() => loadImageFolder(root, { channels: 3 }));
    expect(e.file).toBe(path.join(root, 'b'));
    expect(e.message).toContain('class folder "b" has no PNG or JPEG images');
    expect(catchDataError(() => loadImageFolder(path.join(dir, 'missing'), { channels: 3 })).message).toContain('cannot read the folder');
  });

  test('an undecodable image is named, with its index', () => {
    const good = pngFile(2, 2, () => [1, 1, 1]);
    const root = folder({ 'a/1.png': good, 'a/2.png': good.subarray(0, good.length - 20), 'a/3.jpg': 'hello' });
    const e = catchDataError(() => loadImageFolder(root, { channels: 3 }));
    expect(e.file).toBe(path.join(root, 'a', '2.png'));
    expect(e.item).toBe(1);
    expect(e.message).toMatch(/PNG/);
    fs.rmSync(path.join(root, 'a', '2.png'));
    const j = catchDataError(() => loadImageFolder(root, { channels: 3 }));
    expect(j.message).toBe(`${path.join(root, 'a', '3.jpg')}, item 1, byte offset 0: not a PNG or JPEG: the file starts with bytes 68 65 6c 6c`);
  });
});

describe('decodeImage', () => {
  test('pngjs round trip: the pixels written are the pixels read', () => {
    const f = (x: number, y: number): Rgb => [(x * 37 + y) % 256, (y * 91) % 256, (x ^ y) & 255];
    const img = decodeImage(pngFile(13, 7, f), 'x.png');
    expect([img.width, img.height]).toEqual([13, 7]);
    expect(Buffer.from(img.data)).toEqual(rgba(13, 7, f));
  });

  test('PNGs from an independent writer: palette, gray+alpha, 16-bit gray', () => {
    const palette = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255]);
    const p = decodeImage(handPng(3, 1, 3, 8, [Buffer.from([2, 0, 1])], [{ name: 'PLTE', data: palette }]), 'p.png');
    expect(Array.from(p.data)).toEqual([0, 0, 255, 255, 255, 0, 0, 255, 0, 255, 0, 255]);
    const ga = decodeImage(handPng(2, 1, 4, 8, [Buffer.from([10, 255, 200, 0])]), 'ga.png');
    expect(Array.from(ga.data)).toEqual([10, 10, 10, 255, 200, 200, 200, 0]);
    const g16 = decodeImage(handPng(2, 1, 0, 16, [Buffer.from([0xff, 0xff, 0x80, 0x00])]), 'g16.png');
    expect(Array.from(g16.data)).toEqual([255, 255, 255, 255, 128, 128, 128, 255]);
  });

  test('image data that ends early is an error, not pixels from uninitialised memory', () => {
    // 4 rows declared, 2 rows of data, every CRC valid: pngjs alone would fill the rest from whatever was in memory.
    const short = handPng(3, 4, 0, 8, [Buffer.from([1, 2, 3]), Buffer.from([4, 5, 6])]);
    expect(() => decodeImage(short, 'short.png')).toThrow(/short\.png: corrupt or truncated PNG: the image data holds 8 of the 16 bytes a 3x4 image needs/);
    const full = decodeImage(handPng(3, 2, 0, 8, [Buffer.from([1, 2, 3]), Buffer.from([4, 5, 6])]), 'ok.png');
    expect(Array.from(full.data.filter((_, i) => i % 4 === 0))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('a header that claims far more pixels than the data can hold is refused before decoding', () => {
    const png = pngFile(4, 4, () => [0, 0, 0]);
    png.writeUInt32BE(30000, 16); // width
    png.writeUInt32BE(30000, 20); // height (the IHDR CRC is now wrong too, but this check comes first)
    expect(() => decodeImage(png, 'huge.png')).toThrow(/more than the 40000000-pixel limit/);
    png.writeUInt32BE(5000, 16);
    png.writeUInt32BE(5000, 20);
    expect(() => decodeImage(png, 'big.png')).toThrow(/cannot come from \d+ bytes of image data/);
    const jpg = jpegFile(8, 8, () => [1, 2, 3]);
    const sof = jpg.indexOf(Buffer.from([0xff, 0xc0]));
    jpg.writeUInt16BE(4000, sof + 5);
    jpg.writeUInt16BE(4000, sof + 7);
    expect(() => decodeImage(jpg, 'big.jpg')).toThrow(/corrupt or truncated JPEG: 4000x4000 pixels cannot come from a \d+-byte file/);
  });
});

describe('resizeBilinear', () => {
  test('halving averages each 2x2 block (half-pixel centres)', () => {
    const src = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]); // 4x4, 1 channel
    expect(Array.from(resizeBilinear(src, 4, 4, 1, 2, 2))).toEqual([2.5, 4.5, 10.5, 12.5]);
  });

  test('doubling interpolates between pixels and clamps at the edges, per channel', () => {
    const src = Float32Array.from([0, 100, 4, 200]); // 1x2, 2 channels
    const out = resizeBilinear(src, 1, 2, 2, 1, 4);
    expect(Array.from(out)).toEqual([0, 100, 1, 125, 3, 175, 4, 200]);
  });

  test('same size is a copy', () => {
    const src = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(resizeBilinear(src, 2, 1, 3, 2, 1)).toEqual(src);
  });
});
