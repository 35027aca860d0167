/**
 * CSV/TSV tables → feature and label arrays. Two modes share one profiler and one encoder:
 *  - in memory (`loadCsv`): the whole file is read and parsed at once, for files that fit;
 *  - streaming (`csvDataset`): two passes over the file, the first computes statistics, categories
 *    and the row count, the second yields encoded rows through `tf.data`. Memory is bounded by the
 *    parser's buffers and the category lists, not by the file size, so a file larger than memory
 *    trains.
 * Everything a model needs to see new data the same way (categories, normalisation statistics,
 * class names) is returned as a JSON-able `CsvSchema`, to be stored with the run. This module makes
 * the datasets; csvRecords.ts reads records and csvSchema.ts profiles and encodes them.
 */
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { DataError } from './dataError';
import { type ArrayData, DEFAULT_SEED, hashUniform, limitSamples, shuffleSamples } from './split';
import { checkFileForStreaming, type CsvDelimiter, readRecordsSync, sniffFile, streamRecordGroups, TABLE_ADVICE } from './csvRecords';
import { columnNames, type ColumnRef, CsvEncoder, type CsvOptions, CsvProfiler, type CsvSchema, DEFAULT_MISSING, detectHeader, HEADER_SAMPLE_ROWS, resolveColumn } from './csvSchema';
import { msg } from '../messages';

type TF = typeof tfTypes;

export interface CsvData extends ArrayData {
  schema: CsvSchema;
  kind: 'classification' | 'regression';
  classNames?: string[];
  /** Class index of each row (classification). */
  labels?: Int32Array;
  description: string;
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
  if (records.length === 0) throw new DataError(msg('csv.noRows'), { file });
  const first = records[0];
  const header = opts.header ?? detectHeader(first.fields, records.slice(1, HEADER_SAMPLE_ROWS + 1).map((r) => r.fields), new Set(opts.missingValues ?? DEFAULT_MISSING));
  const data = header ? records.slice(1) : records;
  for (const r of data)
    if (r.fields.length !== first.fields.length)
      throw new DataError(msg(header ? 'csv.width' : 'csv.widthFirstRow', r.fields.length, first.fields.length), { file, row: r.line });
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
