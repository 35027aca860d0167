/**
 * Image-folder datasets: one subfolder per class (class index = position in the sorted folder
 * names), PNG and JPEG files inside, decoded in pure JS (pngjs, jpeg-js) so no native tfjs-node is
 * needed. Output is HWC float32 in 0–1, optionally resized (bilinear) and converted to grayscale.
 *
 * Before a decoder sees a file, its header dimensions are checked against the file's length (a
 * compressed image cannot legitimately expand beyond a fixed ratio), so a corrupt or hostile header
 * cannot make a decoder allocate gigabytes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import type * as tfTypes from '@tensorflow/tfjs';
import { DataError } from './dataError';
import { msg } from '../messages';

type TF = typeof tfTypes;

export interface DecodedImage {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel, row-major. */
  data: Uint8Array;
}

export interface DecodeOptions {
  /** Refuse images with more pixels than this. 40 MP covers any camera photo; training images are far smaller. */
  maxPixels?: number;
}

export const DEFAULT_MAX_PIXELS = 40_000_000;
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(buf: Uint8Array): boolean {
  return buf.length >= 8 && PNG_SIGNATURE.every((b, i) => buf[i] === b);
}

export function isJpeg(buf: Uint8Array): boolean {
  return buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;
}

/** Bytes of filtered scanlines a PNG's zlib stream must hold: one filter byte per row, per Adam7 pass if interlaced. */
function pngRawSize(width: number, height: number, bitsPerPixel: number, interlaced: boolean): number {
  const rows = (w: number, h: number) => (w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * bitsPerPixel) / 8)));
  if (!interlaced) return rows(width, height);
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  return passes.reduce((sum, [x0, y0, dx, dy]) => sum + rows(Math.max(0, Math.ceil((width - x0) / dx)), Math.max(0, Math.ceil((height - y0) / dy))), 0);
}

/**
 * PNG checks before pngjs runs: IHDR dimensions against the IDAT size (deflate cannot expand more
 * than ~1032:1, so a larger claim is a corrupt header), then the image data inflated here to check
 * it is long enough. The second check is needed because pngjs 7's sync inflate, on Node ≥ 9, hands
 * back its whole output buffer when the stream ends early, uninitialised bytes included: a short
 * IDAT would otherwise decode to whatever was in memory, differently on every run.
 */
function checkPng(buf: Buffer, file: string, maxPixels: number): void {
  if (buf.length < 33 || buf.toString('latin1', 12, 16) !== 'IHDR') throw new DataError(msg('img.noIhdr'), { file, offset: 8 });
  const width = buf.readUInt32BE(16);
  const height = buf.readUInt32BE(20);
  const bitDepth = buf[24];
  const colorType = buf[25];
  const interlaced = buf[28] === 1;
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  if (width === 0 || height === 0) throw new DataError(msg('img.pngSize', width, height), { file, offset: 16 });
  if (!channels || ![1, 2, 4, 8, 16].includes(bitDepth)) throw new DataError(msg('img.pngColour', colorType, bitDepth), { file, offset: 24 });
  if (width * height > maxPixels) throw new DataError(msg('img.tooManyPixels', 'PNG', width, height, width * height, maxPixels), { file, offset: 16 });
  const idat: Buffer[] = [];
  let idatBytes = 0;
  for (let at = 8; at + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(at);
    if (buf.toString('latin1', at + 4, at + 8) === 'IDAT') {
      const part = buf.subarray(at + 8, Math.min(buf.length, at + 8 + len));
      idat.push(part);
      idatBytes += part.length;
    }
    at += 12 + len;
  }
  const raw = pngRawSize(width, height, channels * bitDepth, interlaced);
  if (raw > 1100 * idatBytes + 4096) {
    throw new DataError(msg('img.pngTooShort', width, height, idatBytes), { file, offset: 16 });
  }
  let inflated: Buffer;
  try {
    inflated = zlib.inflateSync(Buffer.concat(idat), { maxOutputLength: raw });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // More data than the image needs: libpng and pngjs both ignore the excess.
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) return;
    throw new DataError(msg('img.pngData', err.message), { file, cause: e });
  }
  if (inflated.length < raw) {
    throw new DataError(msg('img.pngShort', inflated.length, raw, width, height), { file });
  }
}

/**
 * JPEG header sanity: the SOF dimensions against the file length. Every 8x8 block of every
 * component carries at least one bit of DC code, so a complete JPEG has at most 512 pixels per
 * byte; jpeg-js's tolerant mode would otherwise "decode" a 20-byte file as a huge blank image.
 */
function checkJpeg(buf: Buffer, file: string, maxPixels: number): void {
  let at = 2;
  while (at + 4 <= buf.length) {
    if (buf[at] !== 0xff) return; // malformed marker stream: jpeg-js reports it
    const marker = buf[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (at + 9 > buf.length) return;
      const height = buf.readUInt16BE(at + 5);
      const width = buf.readUInt16BE(at + 7);
      const pixels = width * height;
      if (pixels > maxPixels) throw new DataError(msg('img.tooManyPixels', 'JPEG', width, height, pixels, maxPixels), { file, offset: at + 5 });
      if (pixels > 512 * buf.length + 4096) {
        throw new DataError(msg('img.jpegTooShort', width, height, buf.length), { file, offset: at + 5 });
      }
      return;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    at += 2 + buf.readUInt16BE(at + 2);
  }
}

/** Decodes a PNG or JPEG (told apart by their magic bytes, not the file name) to RGBA. */
export function decodeImage(buf: Buffer, file: string, opts: DecodeOptions = {}): DecodedImage {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (buf.length === 0) throw new DataError(msg('data.empty'), { file });
  let img: { width: number; height: number; data: Uint8Array };
  if (isPng(buf)) {
    checkPng(buf, file, maxPixels);
    try {
      const png = PNG.sync.read(buf);
      img = { width: png.width, height: png.height, data: png.data };
    } catch (e) {
      throw new DataError(msg('img.cannotDecode', 'PNG', (e as Error)?.message ?? String(e)), { file, cause: e });
    }
  } else if (isJpeg(buf)) {
    checkJpeg(buf, file, maxPixels);
    try {
      img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: 1024 });
    } catch (e) {
      throw new DataError(msg('img.cannotDecode', 'JPEG', (e as Error)?.message ?? String(e)), { file, cause: e });
    }
  } else {
    const head = Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(msg('img.notImage', head), { file, offset: 0 });
  }
  // Decoders are third-party code: check what they hand back before indexing into it.
  if (!(img.width > 0 && img.height > 0 && img.data && img.data.length === img.width * img.height * 4)) {
    throw new DataError(msg('img.inconsistent', img.width, img.height), { file });
  }
  return img;
}

/**
 * RGBA bytes to float 0–1 with 1 or 3 channels. Alpha is dropped (not composited), as PIL's
 * convert('RGB') and tf.node.decodePng(…, 3) do, so the same files give the same pixels as there.
 * Grayscale uses the ITU-R 601 luma weights, as PIL's convert('L') and tf.image.rgbToGrayscale.
 */
export function rgbaToFloat(img: DecodedImage, channels: 1 | 3): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n * channels);
  const d = img.data;
  if (channels === 3) {
    for (let p = 0; p < n; p++) {
      out[3 * p] = d[4 * p] / 255;
      out[3 * p + 1] = d[4 * p + 1] / 255;
      out[3 * p + 2] = d[4 * p + 2] / 255;
    }
  } else {
    for (let p = 0; p < n; p++) out[p] = (0.299 * d[4 * p] + 0.587 * d[4 * p + 1] + 0.114 * d[4 * p + 2]) / 255;
  }
  return out;
}

/**
 * Bilinear resize of an HWC float image with half-pixel centres (the convention of PIL, OpenCV and
 * tf.image.resizeBilinear with halfPixelCenters), written into `dst` at `dstOffset` so a dataset
 * is filled without a copy per image. Same size is a plain copy.
 */
export function resizeBilinearInto(
  src: Float32Array,
  h: number,
  w: number,
  c: number,
  outH: number,
  outW: number,
  dst: Float32Array,
  dstOffset = 0,
): void {
  if (h === outH && w === outW) {
    dst.set(src.subarray(0, h * w * c), dstOffset);
    return;
  }
  const sy = h / outH;
  const sx = w / outW;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const wy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const wx = fx - x0;
      const o = dstOffset + (y * outW + x) * c;
      const a = (y0 * w + x0) * c;
      const b = (y0 * w + x1) * c;
      const cc = (y1 * w + x0) * c;
      const d = (y1 * w + x1) * c;
      for (let k = 0; k < c; k++) {
        const top = src[a + k] + (src[b + k] - src[a + k]) * wx;
        const bottom = src[cc + k] + (src[d + k] - src[cc + k]) * wx;
        dst[o + k] = top + (bottom - top) * wy;
      }
    }
  }
}

export function resizeBilinear(src: Float32Array, h: number, w: number, c: number, outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW * c);
  resizeBilinearInto(src, h, w, c, outH, outW, out, 0);
  return out;
}

export interface ImageFolderOptions {
  /** Target [height, width]. Default: the first image's size, and then every image must have it. */
  size?: [number, number];
  /** 1 = grayscale, 3 = RGB. */
  channels: 1 | 3;
  maxPixels?: number;
}

export interface ImageFolderSet {
  /** N*H*W*C floats in 0–1, NHWC. */
  images: Float32Array;
  shape: [number, number, number, number];
  /** Class index of each image (into classNames). */
  labels: Int32Array;
  classNames: string[];
  /** Path of each image relative to the root, for previews and error reports. */
  files: string[];
  /** Files and folders that are not PNG/JPEG by name and were ignored (e.g. .DS_Store, README). */
  skipped: number;
  /** A few of them, so the panel can say what was skipped. */
  skippedExamples: string[];
}

/** Largest Float32Array the loader builds in one piece (4 GiB of floats would be ~16 GB of RAM). */
const MAX_FLOATS = 2 ** 30;

function listDir(dir: string, file: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (e) {
    throw new DataError(msg('data.cannotReadFolder', (e as Error).message), { file, cause: e });
  }
}

/**
 * Loads `root/<class>/<image>`. Class names are sorted by code point (not locale), so the class
 * index of a folder is the same on every machine.
 */
export function loadImageFolder(root: string, opts: ImageFolderOptions): ImageFolderSet {
  const channels = opts.channels;
  if (channels !== 1 && channels !== 3) throw new DataError(msg('img.channels', String(channels)), { file: root });
  if (opts.size && !opts.size.every((s) => Number.isInteger(s) && s > 0)) {
    throw new DataError(msg('img.size', opts.size.join(', ')), { file: root });
  }
  let skipped = 0;
  const skippedExamples: string[] = [];
  const skip = (rel: string) => {
    skipped++;
    if (skippedExamples.length < 5) skippedExamples.push(rel);
  };
  const classDirs: string[] = [];
  for (const e of listDir(root, root)) {
    if (e.isDirectory() && !e.name.startsWith('.')) classDirs.push(e.name);
    else skip(e.name);
  }
  if (classDirs.length === 0) {
    throw new DataError(msg('img.noClassFolders'), { file: root });
  }
  const entries: { rel: string; label: number }[] = [];
  classDirs.forEach((cls, label) => {
    const dir = path.join(root, cls);
    let found = 0;
    for (const e of listDir(dir, dir)) {
      const rel = path.join(cls, e.name);
      if (e.isFile() && !e.name.startsWith('.') && IMAGE_EXTENSIONS.includes(path.extname(e.name).toLowerCase())) {
        entries.push({ rel, label });
        found++;
      } else {
        skip(rel);
      }
    }
    if (found === 0) throw new DataError(msg('img.emptyClass', cls), { file: dir });
  });

  const decodeAt = (i: number): DecodedImage => {
    const file = path.join(root, entries[i].rel);
    let buf: Buffer;
    try {
      buf = fs.readFileSync(file);
    } catch (e) {
      throw new DataError(msg('data.cannotRead', (e as Error).message), { file, item: i, cause: e });
    }
    try {
      return decodeImage(buf, file, { maxPixels: opts.maxPixels });
    } catch (e) {
      if (e instanceof DataError) throw new DataError(e.detail, { file, item: i, offset: e.offset, cause: e.cause });
      throw e;
    }
  };

  const first = decodeAt(0);
  const [outH, outW] = opts.size ?? [first.height, first.width];
  const per = outH * outW * channels;
  if (entries.length * per > MAX_FLOATS) {
    throw new DataError(msg('img.tooMany', entries.length, outH, outW, channels, entries.length * per), { file: root });
  }
  const images = new Float32Array(entries.length * per);
  const labels = new Int32Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const img = i === 0 ? first : decodeAt(i);
    if (!opts.size && (img.width !== first.width || img.height !== first.height)) {
      throw new DataError(
        msg('img.sizeDiffers', img.width, img.height, entries[0].rel, first.width, first.height, first.height, first.width),
        { file: path.join(root, entries[i].rel), item: i },
      );
    }
    resizeBilinearInto(rgbaToFloat(img, channels), img.height, img.width, channels, outH, outW, images, i * per);
    labels[i] = entries[i].label;
  }
  return { images, shape: [entries.length, outH, outW, channels], labels, classNames: classDirs, files: entries.map((e) => e.rel), skipped, skippedExamples };
}

/** xs [N,H,W,C] float32 and one-hot ys [N, classes]; the caller owns (and disposes) both. */
export function toTensors(tf: TF, set: ImageFolderSet): { xs: tfTypes.Tensor4D; ys: tfTypes.Tensor2D } {
  const xs = tf.tensor4d(set.images, set.shape);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(set.labels, 'int32'), set.classNames.length).toFloat() as tfTypes.Tensor2D);
  return { xs, ys };
}
