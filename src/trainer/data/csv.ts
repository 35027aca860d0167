/**
 * CSV/TSV tables → feature and label arrays. Two modes share one profiler and one encoder:
 *  - in memory (`loadCsv`): the whole file is read and parsed at once, for files that fit;
 *  - streaming (`csvDataset`): two passes over the file, the first computes statistics, categories
 *    and the row count, the second yields encoded rows through `tf.data`. Memory is bounded by the
 *    parser's buffers and the category lists, not by the file size, so a file larger than memory
 *    trains.
 * Everything a model needs to see new data the same way (categories, normalisation statistics,
 * class names) is returned as a JSON-able `CsvSchema`, to be stored with the run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseCsvStream, type Options as CsvParseOptions, type Parser } from 'csv-parse';
import type * as tfTypes from '@tensorflow/tfjs';
import { DataError, readInMemoryTextFile } from './dataError';
import { ArrayData, DEFAULT_SEED, hashUniform, limitSamples, shuffleSamples } from './split';
import { decodeUtf8, Utf8StreamDecoder } from './utf8';

type TF = typeof tfTypes;

export type CsvDelimiter = ',' | '\t' | ';';
export const CSV_DELIMITERS: readonly CsvDelimiter[] = [',', '\t', ';'];
export type Normalization = 'zscore' | 'minmax' | 'none';
export const NORMALIZATIONS: readonly Normalization[] = ['zscore', 'minmax', 'none'];
/** A column by header name, or by 0-based index (negative counts from the end: -1 is the last). */
export type ColumnRef = string | number;

/** Cells that mean "no value". */
export const DEFAULT_MISSING = ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', '?'];
/** A numeric label with more distinct values than this is regression unless `task` says otherwise. */
export const MAX_AUTO_CLASSES = 20;
const DEFAULT_MAX_CATEGORIES = 1000;
/** Records looked at to decide whether the first row is a header. */
const HEADER_SAMPLE_ROWS = 100;
/**
 * Streaming read size. Small enough that a chunk's records die young (scavenged cheaply instead of
 * promoted to the old generation, which is what makes RSS grow), large enough to amortise a read.
 */
const READ_CHUNK_BYTES = 64 * 1024;

export interface CsvOptions {
  /** Sniffed from the start of the file when not given (comma, tab or semicolon). */
  delimiter?: CsvDelimiter;
  /** Detected when not given: a first row of text above numeric columns is a header. */
  header?: boolean;
  /** Label column (default: the last). */
  label?: ColumnRef;
  /** Feature columns (default: all but the label). */
  features?: ColumnRef[];
  /** Columns to one-hot even if their values look numeric (text columns are one-hot anyway). */
  categorical?: ColumnRef[];
  /** Numeric feature scaling (default 'zscore'). */
  normalize?: Normalization;
  /** Default: regression for a numeric label with more than 20 distinct values, else classification. */
  task?: 'classification' | 'regression';
  /** Cell values that count as missing (default DEFAULT_MISSING). */
  missingValues?: string[];
  /**
   * A missing feature: 'impute' (default) uses the column mean (numeric, so 0 after z-score) or no
   * category (all-zero one-hot); 'drop' drops the row. A row without a label is always dropped.
   */
  missing?: 'impute' | 'drop';
  /** Largest one-hot width per column, so a free-text column cannot blow up memory (default 1000). */
  maxCategories?: number;
}

export interface CsvColumn {
  name: string;
  index: number;
  role: 'feature' | 'label' | 'ignored';
  type: 'numeric' | 'categorical';
  /** Non-missing cells (in rows used for statistics). */
  count: number;
  /** Missing cells, over all data rows. */
  missing: number;
  mean?: number;
  std?: number;
  min?: number;
  max?: number;
  /** One-hot order for a categorical feature or a classification label. */
  categories?: string[];
}

export interface CsvSchema {
  file: string;
  delimiter: CsvDelimiter;
  header: boolean;
  columns: CsvColumn[];
  label: { name: string; index: number; kind: 'classification' | 'regression'; classNames?: string[] };
  normalize: Normalization;
  /** Name of each encoded feature, in order: a numeric column's name, or `column=category`. */
  featureNames: string[];
  /** Data rows kept. */
  rows: number;
  /** Data rows dropped for a missing label (or a missing feature with missing: 'drop'). */
  droppedRows: number;
  /** Missing cells per column name (only columns that have some). */
  missing: Record<string, number>;
}

export interface CsvData extends ArrayData {
  schema: CsvSchema;
  kind: 'classification' | 'regression';
  classNames?: string[];
  /** Class index of each row (classification). */
  labels?: Int32Array;
  description: string;
}

// ---- reading records -------------------------------------------------------------------------------

interface CsvRecord {
  fields: string[];
  /** 1-based line where the record ends (records with quoted newlines span lines). */
  line: number;
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const isNumeric = (s: string): boolean => NUMBER_RE.test(s);

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
    throw new DataError(`cannot parse CSV: ${err.message}`, { file, row: err.lines === undefined ? undefined : lineBase + err.lines, cause: e });
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

/** What to do about a CSV too large to load whole: the streaming mode has no such limit. */
const STREAM_ADVICE =
  "Add stream: true to the dataset spec, e.g. { type: 'csv', path: '…', stream: true }, to train on it in pieces with bounded memory, or set MODEL_LAB_MAX_IN_MEMORY_MB to allow more";
/** For loaders that take a table whole (time series, text+label) and have no streaming mode. */
const TABLE_ADVICE = 'This loader holds the whole table in memory: use a smaller file, or set MODEL_LAB_MAX_IN_MEMORY_MB to allow more';

/** All records of a file that fits in memory; a larger one is refused before reading, with `advice`. */
function readRecordsSync(file: string, delimiter?: CsvDelimiter, advice = STREAM_ADVICE): { records: CsvRecord[]; delimiter: CsvDelimiter } {
  const what = 'a CSV read into memory (where it takes about 7 times its size)';
  const text = decodeUtf8(readInMemoryTextFile(file, what, advice), file, { tooLongAdvice: advice });
  const d = delimiter ?? sniffDelimiter(text.slice(0, 65536), /\.(tsv|tab)$/i.test(file));
  return { records: new RecordSplitter(file, d).push(text, true), delimiter: d };
}

function checkFileForStreaming(file: string): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new DataError(`cannot read: ${(e as Error).message}`, { file, cause: e });
  }
  if (!st.isFile()) throw new DataError('not a file', { file });
  if (st.size === 0) throw new DataError('the file is empty (0 bytes)', { file });
  return st.size;
}

/** The delimiter from the first 64 KiB (a character cut at the end of the sample is harmless here). */
async function sniffFile(file: string): Promise<CsvDelimiter> {
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
async function* streamRecordGroups(file: string, delimiter: CsvDelimiter): AsyncGenerator<CsvRecord[]> {
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
    throw new DataError(`cannot read: ${(e as Error).message}`, { file, cause: e });
  } finally {
    // Stopped early (or failed): close the file now, not when the GC gets to it.
    source.destroy();
  }
}

// ---- profiling (pass 1) ---------------------------------------------------------------------------

/** Running statistics of one column; categories are tracked up to a cap. */
class ColumnAcc {
  count = 0;
  missing = 0;
  numeric = true;
  firstText?: { value: string; line: number };
  mean = 0;
  m2 = 0; // Welford: numerically stable over millions of rows
  min = Infinity;
  max = -Infinity;
  /** null once more than the cap distinct values were seen. */
  cats: Map<string, number> | null = new Map();

  constructor(private readonly cap: number) {}

  add(v: string, line: number): void {
    this.count++;
    if (this.numeric) {
      if (isNumeric(v)) {
        const x = Number(v);
        const d = x - this.mean;
        this.mean += d / this.count;
        this.m2 += d * (x - this.mean);
        if (x < this.min) this.min = x;
        if (x > this.max) this.max = x;
      } else {
        this.numeric = false;
        this.firstText = { value: v, line };
      }
    }
    if (this.cats) {
      this.cats.set(v, (this.cats.get(v) ?? 0) + 1);
      if (this.cats.size > this.cap) this.cats = null;
    }
  }

  /** Distinct values in one-hot order: numbers by value (merging "1" and "1.0"), text alphabetically. */
  categories(): string[] | undefined {
    if (!this.cats) return undefined;
    if (this.numeric) return [...new Set([...this.cats.keys()].map((k) => Number(k)))].sort((a, b) => a - b).map(String);
    return [...this.cats.keys()].sort();
  }
}

function columnNames(first: string[], header: boolean): string[] {
  const seen = new Map<string, number>();
  return first.map((f, j) => {
    let name = header && f !== '' ? f : `col${j}`;
    const n = seen.get(name) ?? 0;
    seen.set(name, n + 1);
    if (n > 0) name = `${name}_${n + 1}`;
    return name;
  });
}

/**
 * A header is a first row with text where the rows below hold numbers; for an all-text table, a
 * first row whose values never recur below.
 */
export function detectHeader(first: string[], rest: string[][], missing: Set<string>): boolean {
  if (rest.length === 0) return first.every((f) => f !== '' && !isNumeric(f));
  let allText = true;
  for (let j = 0; j < first.length; j++) {
    const below = rest.map((r) => r[j]).filter((v) => v !== undefined && !missing.has(v));
    const belowNumeric = below.length > 0 && below.every(isNumeric);
    const f = first[j];
    if (belowNumeric && !missing.has(f) && !isNumeric(f)) return true;
    if (f === '' || isNumeric(f) || below.includes(f)) allText = false;
  }
  return allText;
}

function resolveColumn(ref: ColumnRef, names: string[], file: string, what: string): number {
  if (typeof ref === 'number') {
    const j = ref < 0 ? names.length + ref : ref;
    if (!Number.isInteger(ref) || j < 0 || j >= names.length)
      throw new DataError(`${what} column ${ref} is out of range: the file has ${names.length} columns (0..${names.length - 1}): ${names.join(', ')}`, { file });
    return j;
  }
  const j = names.indexOf(ref);
  if (j < 0) throw new DataError(`${what} column "${ref}" not found; the columns are: ${names.join(', ')}`, { file });
  return j;
}

/** Pass 1: fed records in order; ends with the schema. */
class CsvProfiler {
  private buffered: CsvRecord[] = [];
  private decided = false;
  private header = false;
  private width = 0;
  private names: string[] = [];
  private labelCol = -1;
  private featureCols: number[] = [];
  private forcedCategorical = new Set<number>();
  private accs: ColumnAcc[] = [];
  private missingAll: number[] = [];
  private dataRows = 0;
  private rows = 0;
  private dropped = 0;
  /** Kept rows left out of the statistics (validation rows). */
  heldOut = 0;
  private readonly missingSet: Set<string>;

  constructor(
    private readonly file: string,
    private readonly delimiter: CsvDelimiter,
    private readonly opts: CsvOptions,
    /** Rows for which this returns false are counted but not used for statistics (validation rows). */
    private readonly useForStats: (dataRow: number) => boolean = () => true,
  ) {
    this.missingSet = new Set(opts.missingValues ?? DEFAULT_MISSING);
  }

  add(rec: CsvRecord): void {
    if (this.decided) return this.addData(rec);
    this.buffered.push(rec);
    if (this.buffered.length > HEADER_SAMPLE_ROWS) this.decide();
  }

  private decide(): void {
    const [first, ...rest] = this.buffered;
    this.decided = true;
    this.buffered = [];
    if (!first) return;
    this.width = first.fields.length;
    this.header = this.opts.header ?? detectHeader(first.fields, rest.map((r) => r.fields), this.missingSet);
    this.names = columnNames(first.fields, this.header);
    this.labelCol = resolveColumn(this.opts.label ?? -1, this.names, this.file, 'label');
    this.featureCols = this.opts.features
      ? this.opts.features.map((r) => resolveColumn(r, this.names, this.file, 'feature'))
      : this.names.map((_, j) => j).filter((j) => j !== this.labelCol);
    if (this.featureCols.includes(this.labelCol)) throw new DataError(`column "${this.names[this.labelCol]}" is both the label and a feature`, { file: this.file });
    if (this.featureCols.length === 0) throw new DataError(`no feature columns: the file has only the label column "${this.names[this.labelCol]}"`, { file: this.file });
    for (const r of this.opts.categorical ?? []) this.forcedCategorical.add(resolveColumn(r, this.names, this.file, 'categorical'));
    const cap = this.opts.maxCategories ?? DEFAULT_MAX_CATEGORIES;
    this.accs = this.names.map(() => new ColumnAcc(cap));
    this.missingAll = this.names.map(() => 0);
    if (this.header) this.checkWidth(first);
    else this.addData(first);
    for (const r of rest) this.addData(r);
  }

  private checkWidth(rec: CsvRecord): void {
    if (rec.fields.length !== this.width)
      throw new DataError(
        `${rec.fields.length} columns, but ${this.header ? 'the header has' : 'the first row has'} ${this.width}`,
        { file: this.file, row: rec.line },
      );
  }

  private addData(rec: CsvRecord): void {
    this.checkWidth(rec);
    const f = rec.fields;
    const index = this.dataRows++;
    let missingFeature = false;
    for (const j of this.featureCols) {
      if (this.missingSet.has(f[j])) {
        this.missingAll[j]++;
        missingFeature = true;
      }
    }
    const labelMissing = this.missingSet.has(f[this.labelCol]);
    if (labelMissing) this.missingAll[this.labelCol]++;
    if (labelMissing || (missingFeature && this.opts.missing === 'drop')) {
      this.dropped++;
      return;
    }
    this.rows++;
    if (!this.useForStats(index)) {
      this.heldOut++;
      return;
    }
    for (const j of this.featureCols) if (!this.missingSet.has(f[j])) this.accs[j].add(f[j], rec.line);
    this.accs[this.labelCol].add(f[this.labelCol], rec.line);
  }

  finish(): CsvSchema {
    if (!this.decided) this.decide();
    if (this.width === 0 || this.rows === 0)
      throw new DataError(this.dataRows === 0 ? 'no data rows' : `all ${this.dataRows} data rows lack a label`, { file: this.file });
    const normalize = this.opts.normalize ?? 'zscore';
    const cap = this.opts.maxCategories ?? DEFAULT_MAX_CATEGORIES;
    const columns: CsvColumn[] = this.names.map((name, j) => {
      const a = this.accs[j];
      const role = j === this.labelCol ? 'label' : this.featureCols.includes(j) ? 'feature' : 'ignored';
      const categorical = !a.numeric || this.forcedCategorical.has(j);
      const col: CsvColumn = { name, index: j, role, type: categorical ? 'categorical' : 'numeric', count: a.count, missing: this.missingAll[j] };
      if (role === 'ignored') return col;
      if (a.numeric && a.count > 0) {
        col.mean = a.mean;
        col.std = Math.sqrt(a.m2 / a.count);
        col.min = a.min;
        col.max = a.max;
      }
      if (categorical && role === 'feature') {
        const cats = a.categories();
        if (!cats)
          throw new DataError(
            `feature column "${name}" has more than ${cap} distinct values, too many to one-hot` +
              (a.firstText ? ` (its first non-numeric value is "${a.firstText.value}" on line ${a.firstText.line})` : '') +
              '; leave it out of `features` or raise `maxCategories`',
            { file: this.file },
          );
        col.categories = cats;
      }
      return col;
    });
    const label = columns[this.labelCol];
    const la = this.accs[this.labelCol];
    const distinct = la.categories()?.length ?? Infinity;
    const kind = this.opts.task ?? (la.numeric && distinct > MAX_AUTO_CLASSES ? 'regression' : 'classification');
    if (kind === 'regression' && !la.numeric)
      throw new DataError(`label column "${label.name}" is not numeric ("${la.firstText?.value}"), so it cannot be a regression target`, { file: this.file, row: la.firstText?.line });
    if (kind === 'classification') {
      const cats = la.categories();
      if (!cats) throw new DataError(`label column "${label.name}" has more than ${cap} distinct values, too many classes (use task: 'regression' for a numeric target)`, { file: this.file });
      label.categories = cats;
    }
    const featureNames: string[] = [];
    for (const j of this.featureCols) {
      const c = columns[j];
      if (c.type === 'numeric') featureNames.push(c.name);
      else for (const cat of c.categories ?? []) featureNames.push(`${c.name}=${cat}`);
    }
    const missing: Record<string, number> = {};
    for (const c of columns) if (c.missing > 0) missing[c.name] = c.missing;
    return {
      file: this.file,
      delimiter: this.delimiter,
      header: this.header,
      columns,
      label: { name: label.name, index: label.index, kind, ...(kind === 'classification' ? { classNames: label.categories } : {}) },
      normalize,
      featureNames,
      rows: this.rows,
      droppedRows: this.dropped,
      missing,
    };
  }
}

// ---- encoding (pass 2) ----------------------------------------------------------------------------

/** Turns records into feature and label rows with a schema's statistics. */
export class CsvEncoder {
  readonly featureSize: number;
  readonly labelSize: number;
  private readonly slots: { col: number; offset: number; shift: number; scale: number; fill: number; map?: Map<string, number>; numericKeys: boolean }[] = [];
  private readonly labelMap?: Map<string, number>;
  private readonly labelNumericKeys: boolean;
  private readonly missingSet: Set<string>;
  private first = true;

  constructor(readonly schema: CsvSchema, opts: Pick<CsvOptions, 'missingValues' | 'missing'> = {}) {
    this.missingSet = new Set(opts.missingValues ?? DEFAULT_MISSING);
    this.dropOnMissing = opts.missing === 'drop';
    let offset = 0;
    for (const c of schema.columns) {
      if (c.role !== 'feature') continue;
      if (c.type === 'numeric') {
        const mean = c.mean ?? 0;
        // A constant column divides by 1, not 0: it becomes all zeros (z-score) or all zeros (min-max).
        let shift = 0;
        let scale = 1;
        if (schema.normalize === 'zscore') [shift, scale] = [mean, c.std ? c.std : 1];
        else if (schema.normalize === 'minmax') [shift, scale] = [c.min ?? 0, (c.max ?? 0) - (c.min ?? 0) || 1];
        this.slots.push({ col: c.index, offset, shift, scale, fill: mean, numericKeys: false });
        offset += 1;
      } else {
        const cats = c.categories ?? [];
        const numericKeys = cats.every(isNumeric);
        this.slots.push({ col: c.index, offset, shift: 0, scale: 1, fill: 0, map: new Map(cats.map((k, i) => [k, i])), numericKeys });
        offset += cats.length;
      }
    }
    this.featureSize = offset;
    const classes = schema.label.classNames;
    if (schema.label.kind === 'classification' && classes) {
      this.labelMap = new Map(classes.map((k, i) => [k, i]));
      this.labelSize = classes.length;
      this.labelNumericKeys = classes.every(isNumeric);
    } else {
      this.labelSize = 1;
      this.labelNumericKeys = false;
    }
  }

  private readonly dropOnMissing: boolean;

  /**
   * Writes one record's features at x[xOff…] and its label at y[yOff…] (one-hot or a number);
   * returns the class index (or 0 for regression), or -1 for the header or a dropped row.
   * x and y must be zeroed where one-hot values go.
   */
  encode(rec: CsvRecord, x: Float32Array, xOff: number, y: Float32Array, yOff: number): number {
    if (this.first) {
      this.first = false;
      if (this.schema.header) return -1;
    }
    const f = rec.fields;
    const width = this.schema.columns.length;
    if (f.length !== width) throw new DataError(`${f.length} columns, but the file has ${width} (did it change while being read?)`, { file: this.schema.file, row: rec.line });
    const lv = f[this.schema.label.index];
    if (this.missingSet.has(lv)) return -1;
    if (this.dropOnMissing) for (const s of this.slots) if (this.missingSet.has(f[s.col])) return -1;
    for (const s of this.slots) {
      const v = f[s.col];
      if (s.map) {
        if (this.missingSet.has(v)) continue;
        const i = s.map.get(s.numericKeys ? String(Number(v)) : v);
        if (i !== undefined) x[xOff + s.offset + i] = 1; // a category not seen in pass 1 (validation-only): all zeros
      } else {
        const n = this.missingSet.has(v) ? s.fill : Number(v);
        x[xOff + s.offset] = (n - s.shift) / s.scale;
      }
    }
    if (this.labelMap) {
      const i = this.labelMap.get(this.labelNumericKeys ? String(Number(lv)) : lv);
      if (i === undefined) throw new DataError(`label "${lv}" is not one of the classes seen in the first pass (${this.schema.label.classNames?.join(', ')})`, { file: this.schema.file, row: rec.line });
      y[yOff + i] = 1;
      return i;
    }
    y[yOff] = Number(lv);
    return 0;
  }
}

// ---- in memory ------------------------------------------------------------------------------------

export interface LoadCsvOptions extends CsvOptions {
  /** Shuffle rows (seeded) so tfjs' validationSplit, which takes the last rows, sees every class (default true). */
  shuffle?: boolean;
  seed?: number;
  /** Keep this many rows (after shuffling). */
  limit?: number;
}

function describeCsv(schema: CsvSchema, rows: number): string {
  const task = schema.label.kind === 'classification' ? `${schema.label.classNames?.length} classes (one-hot)` : 'regression';
  const miss = Object.entries(schema.missing).map(([k, v]) => `${k}: ${v}`).join(', ');
  return (
    `CSV ${path.basename(schema.file)}: ${rows} rows, ${schema.featureNames.length} features (${schema.normalize}), label "${schema.label.name}" → ${task}` +
    (schema.droppedRows ? `, ${schema.droppedRows} rows dropped` : '') +
    (miss ? `; missing values — ${miss}` : '')
  );
}

/** Reads a whole CSV/TSV file into feature and label arrays. */
export function loadCsv(file: string, opts: LoadCsvOptions = {}): CsvData {
  const { records, delimiter } = readRecordsSync(file, opts.delimiter);
  const profiler = new CsvProfiler(file, delimiter, opts);
  for (const r of records) profiler.add(r);
  const schema = profiler.finish();
  const enc = new CsvEncoder(schema, opts);
  const n = schema.rows;
  const x = new Float32Array(n * enc.featureSize);
  const y = new Float32Array(n * enc.labelSize);
  const labels = new Int32Array(n);
  let k = 0;
  for (const r of records) {
    const cls = enc.encode(r, x, k * enc.featureSize, y, k * enc.labelSize);
    if (cls >= 0) labels[k++] = cls;
  }
  let data: ArrayData = { x, y, xShape: [n, enc.featureSize], yShape: [n, enc.labelSize] };
  let lab = labels;
  if (opts.shuffle !== false) {
    // Carry the class index through the shuffle as an extra label column, then split it off again.
    const withLab = new Float32Array(n * (enc.labelSize + 1));
    for (let i = 0; i < n; i++) {
      withLab.set(y.subarray(i * enc.labelSize, (i + 1) * enc.labelSize), i * (enc.labelSize + 1));
      withLab[i * (enc.labelSize + 1) + enc.labelSize] = labels[i];
    }
    const s = shuffleSamples({ ...data, y: withLab, yShape: [n, enc.labelSize + 1] }, opts.seed ?? DEFAULT_SEED);
    const y2 = new Float32Array(n * enc.labelSize);
    lab = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y2.set(s.y.subarray(i * (enc.labelSize + 1), i * (enc.labelSize + 1) + enc.labelSize), i * enc.labelSize);
      lab[i] = s.y[i * (enc.labelSize + 1) + enc.labelSize];
    }
    data = { x: s.x, y: y2, xShape: data.xShape, yShape: data.yShape };
  }
  data = limitSamples(data, opts.limit);
  const kept = data.xShape[0];
  return {
    ...data,
    schema,
    kind: schema.label.kind,
    ...(schema.label.kind === 'classification' ? { classNames: schema.label.classNames, labels: lab.slice(0, kept) } : {}),
    description: describeCsv(schema, kept),
  };
}

/** Header and rows as text, for loaders that take one or two columns (time series, text+label). */
export function readCsvTable(file: string, opts: { delimiter?: CsvDelimiter; header?: boolean; missingValues?: string[] } = {}): { columns: string[]; rows: string[][]; lines: number[]; header: boolean } {
  const { records } = readRecordsSync(file, opts.delimiter, TABLE_ADVICE);
  if (records.length === 0) throw new DataError('no rows', { file });
  const first = records[0];
  const header = opts.header ?? detectHeader(first.fields, records.slice(1, HEADER_SAMPLE_ROWS + 1).map((r) => r.fields), new Set(opts.missingValues ?? DEFAULT_MISSING));
  const data = header ? records.slice(1) : records;
  for (const r of data)
    if (r.fields.length !== first.fields.length)
      throw new DataError(`${r.fields.length} columns, but ${header ? 'the header has' : 'the first row has'} ${first.fields.length}`, { file, row: r.line });
  return { columns: columnNames(first.fields, header), rows: data.map((r) => r.fields), lines: data.map((r) => r.line), header };
}

/** Resolves a column reference against names, with the DataError the loaders share. */
export function findColumn(ref: ColumnRef, names: string[], file: string, what: string): number {
  return resolveColumn(ref, names, file, what);
}

// ---- streaming ------------------------------------------------------------------------------------

export interface CsvStreamOptions extends CsvOptions {
  /** Fraction of rows held out for validation, chosen per row by a seeded hash (default 0). */
  validation?: number;
  seed?: number;
  /** When set, the datasets yield batches of this size as tensors; otherwise rows as Float32Arrays. */
  batchSize?: number;
}

export interface CsvRow {
  xs: Float32Array;
  ys: Float32Array;
}

export interface CsvStream {
  /**
   * Training rows in file order. Unbatched, elements are plain Float32Array rows (tf.data turns them
   * into [batch, F] tensors in `.batch()`); with `batchSize`, elements are {xs, ys} tensors.
   */
  dataset: tfTypes.data.Dataset<tfTypes.TensorContainer>;
  /** Validation rows (when `validation` > 0), same form. */
  validationDataset?: tfTypes.data.Dataset<tfTypes.TensorContainer>;
  schema: CsvSchema;
  trainRows: number;
  validationRows: number;
  featureSize: number;
  labelSize: number;
  description: string;
}

/**
 * Pass 2: the kept data rows encoded into batches of up to `size` rows. Rows are written straight
 * into the batch buffers (fresh, hence zeroed, per batch), so no per-row garbage piles up.
 */
async function* encodedBatches(
  file: string,
  schema: CsvSchema,
  opts: CsvOptions,
  keep: (dataRow: number) => boolean,
  size: number,
): AsyncGenerator<{ xs: Float32Array; ys: Float32Array; n: number }> {
  const enc = new CsvEncoder(schema, opts);
  const fs_ = enc.featureSize;
  const ls = enc.labelSize;
  let xs = new Float32Array(size * fs_);
  let ys = new Float32Array(size * ls);
  let n = 0;
  let dataRow = schema.header ? -2 : -1;
  for await (const group of streamRecordGroups(file, schema.delimiter)) {
    for (const rec of group) {
      if (++dataRow === -1) {
        enc.encode(rec, xs, 0, ys, 0); // the header: returns -1, writes nothing
        continue;
      }
      if (!keep(dataRow)) continue;
      if (enc.encode(rec, xs, n * fs_, ys, n * ls) < 0) continue;
      if (++n === size) {
        yield { xs, ys, n };
        xs = new Float32Array(size * fs_);
        ys = new Float32Array(size * ls);
        n = 0;
      }
    }
  }
  if (n > 0) yield { xs: xs.subarray(0, n * fs_), ys: ys.subarray(0, n * ls), n };
}

async function* rowsOf(batches: ReturnType<typeof encodedBatches>, featureSize: number, labelSize: number): AsyncGenerator<CsvRow> {
  for await (const b of batches)
    for (let i = 0; i < b.n; i++)
      yield { xs: b.xs.slice(i * featureSize, (i + 1) * featureSize), ys: b.ys.slice(i * labelSize, (i + 1) * labelSize) };
}

/** One tensor pair per batch: tf.data batching row by row costs a promise per row, which dominates for narrow tables. */
async function* tensorsOf(tf: TF, batches: ReturnType<typeof encodedBatches>, featureSize: number, labelSize: number): AsyncGenerator<{ xs: tfTypes.Tensor2D; ys: tfTypes.Tensor2D }> {
  for await (const b of batches) yield { xs: tf.tensor2d(b.xs, [b.n, featureSize]), ys: tf.tensor2d(b.ys, [b.n, labelSize]) };
}

/**
 * A CSV file of any size as tf.data datasets. Pass 1 runs now (statistics, categories, row counts,
 * and every ragged-row or encoding error surfaces before training starts); pass 2 runs each time a
 * dataset is iterated, i.e. once per epoch. Statistics come from the training rows only, so
 * validation scores are not flattered by having seen the validation rows' statistics.
 */
export async function csvDataset(tf: TF, file: string, opts: CsvStreamOptions = {}): Promise<CsvStream> {
  checkFileForStreaming(file);
  const validation = opts.validation ?? 0;
  if (!(validation >= 0 && validation < 1)) throw new RangeError(`validation must be from 0 up to 1 (got ${validation})`);
  if (opts.batchSize !== undefined && !(Number.isInteger(opts.batchSize) && opts.batchSize >= 1)) throw new RangeError(`batchSize must be a whole number ≥ 1 (got ${opts.batchSize})`);
  const seed = opts.seed ?? DEFAULT_SEED;
  const isVal = (i: number) => validation > 0 && hashUniform(seed, i) < validation;
  const delimiter = opts.delimiter ?? (await sniffFile(file));
  const profiler = new CsvProfiler(file, delimiter, opts, (i) => !isVal(i));
  for await (const group of streamRecordGroups(file, delimiter)) for (const rec of group) profiler.add(rec);
  const schema = profiler.finish();
  const enc = new CsvEncoder(schema, opts);
  const validationRows = profiler.heldOut;
  const make = (keep: (i: number) => boolean): tfTypes.data.Dataset<tfTypes.TensorContainer> => {
    const b = opts.batchSize;
    const f = enc.featureSize;
    const l = enc.labelSize;
    const gen = b
      ? () => tensorsOf(tf, encodedBatches(file, schema, opts, keep, b), f, l)
      : () => rowsOf(encodedBatches(file, schema, opts, keep, 256), f, l);
    // tf.data.generator accepts async iterators at run time; its typing only names sync ones.
    return tf.data.generator(gen as unknown as () => Iterator<tfTypes.TensorContainer>);
  };
  return {
    dataset: make((i) => !isVal(i)),
    ...(validation > 0 ? { validationDataset: make(isVal) } : {}),
    schema,
    trainRows: schema.rows - validationRows,
    validationRows,
    featureSize: enc.featureSize,
    labelSize: enc.labelSize,
    description: describeCsv(schema, schema.rows) + ` (streamed${validation > 0 ? `, ${validationRows} validation rows` : ''})`,
  };
}
