/**
 * The one error type every dataset loader throws for bad input. Callers (trainer, preview) can tell
 * "the user's data is wrong" (show the message, point at the file) from a bug in Model Lab (any other
 * exception), and the fuzz tests hold every parser to throwing only this.
 */
import * as fs from 'node:fs';
import { msg } from '../messages';

export interface DataErrorLocation {
  /** Path or URL of the input, as the user gave it. */
  file: string;
  /** Byte offset in the (decompressed) file where the problem is. */
  offset?: number;
  /** 1-based row/line of a text file. */
  row?: number;
  /** 0-based index of the sample (image, record, element) that is bad. */
  item?: number;
  cause?: unknown;
}

export class DataError extends Error {
  readonly file: string;
  readonly offset?: number;
  readonly row?: number;
  readonly item?: number;
  /** The message without the location prefix, for UIs that show the location separately. */
  readonly detail: string;

  constructor(detail: string, where: DataErrorLocation) {
    super(msg('data.at', formatLocation(where), detail), where.cause === undefined ? undefined : { cause: where.cause });
    this.name = 'DataError';
    this.detail = detail;
    this.file = where.file;
    if (where.offset !== undefined) this.offset = where.offset;
    if (where.row !== undefined) this.row = where.row;
    if (where.item !== undefined) this.item = where.item;
  }
}

function formatLocation(w: DataErrorLocation): string {
  const parts = [w.file];
  if (w.row !== undefined) parts.push(msg('data.row', w.row));
  if (w.item !== undefined) parts.push(msg('data.item', w.item));
  if (w.offset !== undefined) parts.push(msg('data.offset', w.offset));
  return parts.join(msg('data.listSep'));
}

/**
 * The largest file a loader reads into memory: Node's fs reads at most 2 GiB - 1 into one buffer.
 * Downloads are capped at the same size, so nothing is fetched that could not be loaded.
 */
export const MAX_DATA_FILE_BYTES = 2 ** 31 - 1;

/**
 * Reads a whole input file. fs errors (missing file, a directory, no permission) and a 0-byte file
 * become DataErrors naming the path, so a typo in `config.dataset` reads as a data problem, not a crash.
 */
export function readDataFile(file: string, maxBytes = MAX_DATA_FILE_BYTES): Buffer {
  let size: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new DataError(msg('data.notAFile'), { file });
    size = st.size;
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(msg('data.cannotRead', (e as Error).message), { file, cause: e });
  }
  if (size === 0) throw new DataError(msg('data.empty'), { file });
  if (size > maxBytes) throw new DataError(msg('data.overLimit', size, maxBytes), { file });
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new DataError(msg('data.cannotRead', (e as Error).message), { file, cause: e });
  }
}

/**
 * Text loaders decode and split a whole file in memory (a CSV takes about 7 times its size there),
 * so past this size they refuse a file before reading it. MODEL_LAB_MAX_IN_MEMORY_MB sets it
 * for a machine with the memory to spare.
 */
export const DEFAULT_MAX_IN_MEMORY_TEXT_BYTES = 256 * 1024 ** 2;

export function maxInMemoryTextBytes(env: NodeJS.ProcessEnv = process.env): number {
  const mb = Number(env.MODEL_LAB_MAX_IN_MEMORY_MB);
  return Number.isFinite(mb) && mb > 0 ? Math.floor(mb * 1024 ** 2) : DEFAULT_MAX_IN_MEMORY_TEXT_BYTES;
}

const mb = (n: number) => `${(n / 1024 ** 2).toFixed(1)} MB`;

/**
 * Reads a text file that a loader will hold in memory whole: a file over the limit is refused
 * from its size alone, with why and `advice` (what to do instead), before a byte is read.
 */
export function readInMemoryTextFile(file: string, what: string, advice: string, limit = maxInMemoryTextBytes()): Buffer {
  let size: number | undefined;
  try {
    size = fs.statSync(file).size;
  } catch {
    // readDataFile names the problem
  }
  if (size !== undefined && size > limit)
    throw new DataError(msg('data.overTextLimit', mb(size), mb(limit), what, advice), { file });
  return readDataFile(file);
}
