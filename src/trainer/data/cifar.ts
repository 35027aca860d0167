/**
 * CIFAR-10 "binary version" batches (https://www.cs.toronto.edu/~kriz/cifar.html): each record is
 * one label byte (0–9) then 3072 pixel bytes: the 32x32 red plane, then green, then blue, rows
 * first. Batches are data_batch_1..5.bin (train) and test_batch.bin, 10,000 records each, with the
 * class names one per line in batches.meta.txt.
 *
 * Pure: Buffers/paths in, HWC float32 (what tfjs conv layers expect) and labels out.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { DataError, readDataFile } from './dataError';
import { gunzipIfGzipped } from './idx';
import { msg } from '../messages';

type TF = typeof tfTypes;

export const CIFAR_SIZE = 32;
export const CIFAR_CHANNELS = 3;
export const CIFAR_CLASSES = 10;
const PLANE = CIFAR_SIZE * CIFAR_SIZE;
export const CIFAR_RECORD_BYTES = 1 + PLANE * CIFAR_CHANNELS; // 3073

/** The names in the official batches.meta.txt, used when a folder lacks that file. */
export const CIFAR10_CLASS_NAMES: readonly string[] = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

export const CIFAR_TRAIN_FILES: readonly string[] = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR_TEST_FILES: readonly string[] = ['test_batch.bin'];

export interface CifarSet {
  /** N*32*32*3 floats in 0–1, NHWC. */
  images: Float32Array;
  shape: [number, 32, 32, 3];
  labels: Uint8Array;
}

/** Parses one batch file. A gzip-compressed batch (e.g. data_batch_1.bin.gz) is decompressed first. */
export function parseCifarBatch(input: Buffer, file: string, opts: { limit?: number } = {}): CifarSet {
  if (input.length === 0) throw new DataError(msg('data.empty'), { file });
  const buf = gunzipIfGzipped(input, file);
  if (buf.length % CIFAR_RECORD_BYTES !== 0) {
    const whole = Math.floor(buf.length / CIFAR_RECORD_BYTES);
    const have = buf.length - whole * CIFAR_RECORD_BYTES;
    throw new DataError(
      msg('cifar.partial', buf.length, CIFAR_RECORD_BYTES, whole, have),
      { file, item: whole, offset: whole * CIFAR_RECORD_BYTES },
    );
  }
  const total = buf.length / CIFAR_RECORD_BYTES;
  const n = opts.limit === undefined ? total : Math.max(0, Math.min(total, Math.floor(opts.limit)));
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = buf[i * CIFAR_RECORD_BYTES];
    if (label >= CIFAR_CLASSES) {
      // A label > 9 usually means a CIFAR-100 batch (2 label bytes per record) or a file that is not CIFAR at all.
      throw new DataError(msg('cifar.labelRange', label), {
        file,
        item: i,
        offset: i * CIFAR_RECORD_BYTES,
      });
    }
    labels[i] = label;
  }
  const images = new Float32Array(n * PLANE * CIFAR_CHANNELS);
  for (let i = 0; i < n; i++) {
    const src = i * CIFAR_RECORD_BYTES + 1;
    const dst = i * PLANE * CIFAR_CHANNELS;
    // Planar (CHW) on disk to interleaved (HWC) in memory.
    for (let p = 0; p < PLANE; p++) {
      images[dst + p * 3] = buf[src + p] / 255;
      images[dst + p * 3 + 1] = buf[src + PLANE + p] / 255;
      images[dst + p * 3 + 2] = buf[src + 2 * PLANE + p] / 255;
    }
  }
  return { images, shape: [n, CIFAR_SIZE, CIFAR_SIZE, CIFAR_CHANNELS], labels };
}

/** Class names from batches.meta.txt: one per line, blank lines ignored. */
export function parseCifarMeta(text: string, file: string): string[] {
  const names = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (names.length !== CIFAR_CLASSES) {
    throw new DataError(msg('cifar.classNames', CIFAR_CLASSES, names.length), { file });
  }
  return names;
}

export interface CifarFolderSet extends CifarSet {
  classNames: string[];
  /** The batch files read, in order. */
  files: string[];
}

export interface CifarFolderOptions {
  split?: 'train' | 'test';
  /** Keep only the first `limit` samples (reads only the batches needed). */
  limit?: number;
}

/**
 * Loads the train (data_batch_1..5.bin) or test (test_batch.bin) split from the folder the
 * official archive extracts to. Accepts that folder or its parent (which holds cifar-10-batches-bin/).
 */
export function loadCifarFolder(dir: string, opts: CifarFolderOptions = {}): CifarFolderSet {
  let root = dir;
  const nested = path.join(dir, 'cifar-10-batches-bin');
  if (fs.existsSync(nested) && fs.statSync(nested).isDirectory()) root = nested;
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new DataError(msg('data.notAFolder'), { file: dir });
  const names = opts.split === 'test' ? CIFAR_TEST_FILES : CIFAR_TRAIN_FILES;
  const present = names.filter((n) => fs.existsSync(path.join(root, n)));
  if (present.length === 0) {
    throw new DataError(msg('cifar.noBatches', names.join(', ')), { file: root });
  }
  const metaFile = path.join(root, 'batches.meta.txt');
  const classNames = fs.existsSync(metaFile) ? parseCifarMeta(fs.readFileSync(metaFile, 'utf8'), metaFile) : [...CIFAR10_CLASS_NAMES];
  const parts: CifarSet[] = [];
  const files: string[] = [];
  let remaining = opts.limit === undefined ? Infinity : Math.max(0, Math.floor(opts.limit));
  for (const name of present) {
    if (remaining <= 0) break;
    const file = path.join(root, name);
    const part = parseCifarBatch(readDataFile(file), file, { limit: Number.isFinite(remaining) ? remaining : undefined });
    parts.push(part);
    files.push(file);
    remaining -= part.labels.length;
  }
  const n = parts.reduce((a, p) => a + p.labels.length, 0);
  const images = new Float32Array(n * PLANE * CIFAR_CHANNELS);
  const labels = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * PLANE * CIFAR_CHANNELS);
    labels.set(p.labels, at);
    at += p.labels.length;
  }
  return { images, shape: [n, CIFAR_SIZE, CIFAR_SIZE, CIFAR_CHANNELS], labels, classNames, files };
}

export interface TarEntry {
  name: string;
  data: Buffer;
}

function tarOctal(buf: Buffer, at: number, len: number): number {
  const text = buf.toString('latin1', at, at + len).replace(/\0.*$/s, '').trim();
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : NaN;
}

/**
 * Regular files of a (ustar or old-style) tar archive held in memory. Each 512-byte header's
 * checksum is verified, so a corrupt archive is an error at the header's offset rather than
 * garbage batches. Entry data are views into `buf`.
 */
export function parseTar(buf: Buffer, file: string): TarEntry[] {
  const entries: TarEntry[] = [];
  for (let at = 0; at + 512 <= buf.length; ) {
    const header = buf.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break; // end-of-archive marker
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
    const stored = tarOctal(header, 148, 8);
    if (stored !== sum) throw new DataError(msg('cifar.tarChecksum', Number.isNaN(stored) ? msg('cifar.unreadable') : stored, sum), { file, offset: at });
    const size = tarOctal(header, 124, 12);
    if (Number.isNaN(size)) throw new DataError(msg('cifar.tarSize'), { file, offset: at + 124 });
    const dataAt = at + 512;
    if (dataAt + size > buf.length) {
      throw new DataError(msg('cifar.tarTruncated', size, dataAt, buf.length), { file, offset: buf.length });
    }
    const type = String.fromCharCode(header[156]);
    // POSIX ustar ("ustar\0") keeps a path prefix at 345; GNU tar ("ustar  ") keeps times there instead.
    const ustar = header.toString('latin1', 257, 263) === 'ustar\0';
    const name = (ustar ? header.toString('utf8', 345, 500).replace(/\0.*$/s, '') + '/' : '') + header.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    if (type === '0' || type === '\0') entries.push({ name: name.replace(/^\/+/, ''), data: buf.subarray(dataAt, dataAt + size) });
    at = dataAt + Math.ceil(size / 512) * 512;
  }
  return entries;
}

/**
 * Unpacks the official cifar-10-binary.tar.gz (e.g. fetched with downloadOnce) into
 * `destDir/cifar-10-batches-bin/` and returns that folder, for loadCifarFolder. Only the known batch
 * and meta files are written, under their base names, so archive paths cannot point outside
 * `destDir`. Already unpacked (all six batches present): returns at once.
 */
export function extractCifarArchive(archivePath: string, destDir: string): string {
  const out = path.join(destDir, 'cifar-10-batches-bin');
  const wanted = [...CIFAR_TRAIN_FILES, ...CIFAR_TEST_FILES, 'batches.meta.txt'];
  if ([...CIFAR_TRAIN_FILES, ...CIFAR_TEST_FILES].every((n) => fs.existsSync(path.join(out, n)))) return out;
  // 184 MB unpacked; the cap only stops a wrong file or a bomb.
  const tar = gunzipIfGzipped(readDataFile(archivePath), archivePath, 1024 * 1024 * 1024);
  const found = parseTar(tar, archivePath).filter((e) => wanted.includes(path.posix.basename(e.name)));
  if (!found.some((e) => e.name.endsWith('.bin'))) {
    throw new DataError(msg('cifar.noBatchesInArchive', wanted.join(', ')), { file: archivePath });
  }
  fs.mkdirSync(out, { recursive: true });
  for (const e of found) {
    const dest = path.join(out, path.posix.basename(e.name));
    // Temp then rename: an interrupted unpack never leaves a short batch that looks complete.
    const tmp = `${dest}.${process.pid}.part`;
    fs.writeFileSync(tmp, e.data);
    fs.renameSync(tmp, dest);
  }
  return out;
}

/** xs [N,32,32,3] float32 and one-hot ys [N,10]; the caller owns (and disposes) both. */
export function toTensors(tf: TF, set: CifarSet): { xs: tfTypes.Tensor4D; ys: tfTypes.Tensor2D } {
  const xs = tf.tensor4d(set.images, set.shape);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(set.labels), 'int32'), CIFAR_CLASSES).toFloat() as tfTypes.Tensor2D);
  return { xs, ys };
}
