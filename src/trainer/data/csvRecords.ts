/**
 * CSV/TSV records: the delimiter sniffed from the start of a file, a file split into records (fields
 * and the line each ends on) in memory or chunk by chunk for streaming, parse errors naming the line.
 * The first of the three CSV modules: csvSchema.ts profiles and encodes records, csv.ts makes datasets.
 */
import * as fs from 'node:fs';
import { parse as parseCsvStream, type Options as CsvParseOptions, type Parser } from 'csv-parse';
import { DataError, readInMemoryTextFile } from './dataError';
import { decodeUtf8, Utf8StreamDecoder } from './utf8';
import { msg } from '../messages';

export type CsvDelimiter = ',' | '\t' | ';';
export const CSV_DELIMITERS: readonly CsvDelimiter[] = [',', '\t', ';'];

/**
 * Streaming read size. Small enough that a chunk's records die young (scavenged cheaply instead of
 * promoted to the old generation, which is what makes RSS grow), large enough to amortise a read.
 */
const READ_CHUNK_BYTES = 64 * 1024;

// ---- reading records -------------------------------------------------------------------------------

export interface CsvRecord {
  fields: string[];
  /** 1-based line where the record ends (records with quoted newlines span lines). */
  line: number;
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
export const isNumeric = (s: string): boolean => NUMBER_RE.test(s);
/** How NumPy, pandas, R and spreadsheets write NaN and ±Infinity; such a cell in a numeric column is refused, not one-hot. */
const NON_FINITE_RE = /^[+-]?(?:inf|infinity|nan|#num!)$/i;
/** A cell that reads as a number that is not finite: a NaN/Infinity literal, or a numeral beyond float32 (1e39). */
export const isNonFiniteCell = (s: string): boolean => NON_FINITE_RE.test(s) || (NUMBER_RE.test(s) && !Number.isFinite(Math.fround(Number(s))));

/**
 * Picks the delimiter whose count per line is the most consistent (then the largest) over the first
 * lines; quoted text is skipped so commas inside quotes do not vote.
 */
export function sniffDelimiter(text: string, preferTab = false): CsvDelimiter {
  const counts = new Map<CsvDelimiter, number[]>(CSV_DELIMITERS.map((d) => [d, [0]]));
  let inQuotes = false;
  let lines = 1;
  for (let i = 0; i < text.length && lines <= 20; i++) {
    const c = text[i];
    if (c === '"') inQuotes = !inQuotes;
    else if (inQuotes) continue;
    else if (c === '\n') {
      if (i + 1 >= text.length) break;
      lines++;
      for (const a of counts.values()) a.push(0);
    } else if (c === ',' || c === '\t' || c === ';') {
      const a = counts.get(c)!;
      a[a.length - 1]++;
    }
  }
  let best: { d: CsvDelimiter; share: number; n: number } | undefined;
  for (const [d, a] of counts) {
    // The mode of the per-line counts and the share of lines that have it.
    const freq = new Map<number, number>();
    for (const n of a) freq.set(n, (freq.get(n) ?? 0) + 1);
    let mode = 0;
    let modeFreq = 0;
    for (const [n, f] of freq) if (n > 0 && (f > modeFreq || (f === modeFreq && n > mode))) [mode, modeFreq] = [n, f];
    if (mode === 0) continue;
    const share = modeFreq / a.length + (preferTab && d === '\t' ? 0.01 : 0);
    if (!best || share > best.share || (share === best.share && mode > best.n)) best = { d, share, n: mode };
  }
  return best?.d ?? ',';
}

function wrapParseError(e: unknown, file: string, lineBase: number): never {
  if (e instanceof DataError) throw e;
  const err = e as { code?: string; lines?: number; message?: string };
  if (typeof err?.code === 'string')
    throw new DataError(msg('csv.cannotParse', String(err.message)), { file, row: err.lines === undefined ? undefined : lineBase + err.lines, cause: e });
  throw e;
}

/**
 * Text in, records out, synchronously, chunk by chunk. Quote-free text (most numeric tables) is
 * split on newlines and the delimiter directly, which is an order of magnitude faster than a
 * general CSV parser and exact for such text; from the first chunk that holds a quote on, csv-parse
 * takes over for the rest of the file, so quoted fields with delimiters and newlines parse right.
 */
class RecordSplitter {
  private leftover = '';
  /** Lines fully consumed by the fast path. */
  private line = 0;
  private parser?: Parser;
  /** Lines before the parser took over; its line numbers count from there. */
  private base = 0;

  constructor(
    private readonly file: string,
    private readonly delimiter: CsvDelimiter,
  ) {}

  private splitLine(s: string, start: number, end: number, out: CsvRecord[]): void {
    if (end > start && s.charCodeAt(end - 1) === 13) end--; // \r\n
    if (end > start) out.push({ fields: s.slice(start, end).split(this.delimiter), line: this.line });
  }

  push(text: string, final: boolean): CsvRecord[] {
    const out: CsvRecord[] = [];
    if (!this.parser) {
      const s = this.leftover + text;
      if (s.indexOf('"') < 0) {
        let start = 0;
        for (let nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', start)) {
          this.line++;
          this.splitLine(s, start, nl, out);
          start = nl + 1;
        }
        this.leftover = s.slice(start);
        if (final && this.leftover.length > 0) {
          this.line++;
          this.splitLine(this.leftover, 0, this.leftover.length, out);
          this.leftover = '';
        }
        return out;
      }
      const base = (this.base = this.line);
      this.parser = parseCsvStream({
        delimiter: this.delimiter,
        // Column counts are checked by the profiler, so the error names both counts and the line.
        relax_column_count: true,
        skip_empty_lines: true,
        on_record: (fields: string[], ctx: { lines: number }): CsvRecord => ({ fields, line: base + ctx.lines }),
      } as unknown as CsvParseOptions); // the typings cannot say on_record returns a different shape
      // Errors are read from `errored` right after each write; this listener only stops the
      // stream's own 'error' event from being unhandled.
      this.parser.on('error', () => undefined);
      text = s;
      this.leftover = '';
    }
    const p = this.parser;
    if (text.length > 0) p.write(text);
    if (final) p.end();
    if (p.errored) wrapParseError(p.errored, this.file, this.base);
    for (let r = p.read() as CsvRecord | null; r !== null; r = p.read() as CsvRecord | null) out.push(r);
    return out;
  }
}

/** All records of a file that fits in memory. */
/** What to do about a CSV too large to load whole: the streaming mode has no such limit. */
export const STREAM_ADVICE =
  "Add stream: true to the dataset spec, e.g. { type: 'csv', path: '…', stream: true }, to train on it in pieces with bounded memory, or set MODEL_LAB_MAX_IN_MEMORY_MB to allow more";
/** For loaders that take a table whole (time series, text+label) and have no streaming mode. */
export const TABLE_ADVICE = 'This loader holds the whole table in memory: use a smaller file, or set MODEL_LAB_MAX_IN_MEMORY_MB to allow more';

/** All records of a file that fits in memory; a larger one is refused before reading, with `advice`. */
export function readRecordsSync(file: string, delimiter?: CsvDelimiter, advice = STREAM_ADVICE): { records: CsvRecord[]; delimiter: CsvDelimiter } {
  const what = 'a CSV read into memory (where it takes about 7 times its size)';
  const text = decodeUtf8(readInMemoryTextFile(file, what, advice), file, { tooLongAdvice: advice });
  const d = delimiter ?? sniffDelimiter(text.slice(0, 65536), /\.(tsv|tab)$/i.test(file));
  return { records: new RecordSplitter(file, d).push(text, true), delimiter: d };
}

export function checkFileForStreaming(file: string): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new DataError(msg('data.cannotRead', (e as Error).message), { file, cause: e });
  }
  if (!st.isFile()) throw new DataError(msg('data.notAFile'), { file });
  if (st.size === 0) throw new DataError(msg('data.empty'), { file });
  return st.size;
}

/** The delimiter from the first 64 KiB (a character cut at the end of the sample is harmless here). */
export async function sniffFile(file: string): Promise<CsvDelimiter> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = new Utf8StreamDecoder(file).decode(buf.subarray(0, bytesRead));
    return sniffDelimiter(head, /\.(tsv|tab)$/i.test(file));
  } finally {
    await fh.close();
  }
}

/**
 * Records of a file of any size, streamed in groups (one group per 64 KiB read): bytes → strict
 * UTF-8 (the offset of a bad byte) → records. The read stream is pulled only as groups are consumed,
 * so memory holds about one chunk and its records, whatever the file size.
 */
export async function* streamRecordGroups(file: string, delimiter: CsvDelimiter): AsyncGenerator<CsvRecord[]> {
  const decoder = new Utf8StreamDecoder(file);
  const splitter = new RecordSplitter(file, delimiter);
  const source = fs.createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
  try {
    for await (const chunk of source) {
      const group = splitter.push(decoder.decode(chunk as Buffer), false);
      if (group.length > 0) yield group;
    }
    const last = splitter.push(decoder.end(), true);
    if (last.length > 0) yield last;
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(msg('data.cannotRead', (e as Error).message), { file, cause: e });
  } finally {
    // Stopped early (or failed): close the file now, not when the GC gets to it.
    source.destroy();
  }
}
