/**
 * The schema of a CSV table: which columns are features and which the label, numeric or categorical,
 * their statistics and categories (profiling, pass 1), and the encoder that turns a record into the
 * numbers the model sees (pass 2). Everything a model needs to see new data the same way is a
 * JSON-able `CsvSchema`, stored with the run. Records come from csvRecords.ts; csv.ts makes datasets.
 */
import { DataError } from './dataError';
import { type CsvDelimiter, type CsvRecord, isNonFiniteCell, isNumeric } from './csvRecords';
import { msg } from '../messages';

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
export const HEADER_SAMPLE_ROWS = 100;

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

// ---- profiling (pass 1) ---------------------------------------------------------------------------

/** Running statistics of one column; categories are tracked up to a cap. */
class ColumnAcc {
  count = 0;
  missing = 0;
  numeric = true;
  firstText?: { value: string; line: number };
  /** The first NaN/Infinity cell; refused at the end if the column is otherwise numeric. */
  firstNonFinite?: { value: string; line: number };
  mean = 0;
  m2 = 0; // Welford: numerically stable over millions of rows
  min = Infinity;
  max = -Infinity;
  /** null once more than the cap distinct values were seen. */
  cats: Map<string, number> | null = new Map();

  constructor(private readonly cap: number) {}

  add(v: string, line: number): void {
    this.count++;
    if (this.numeric && isNonFiniteCell(v)) {
      this.firstNonFinite ??= { value: v, line };
    } else if (this.numeric) {
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

export function columnNames(first: string[], header: boolean): string[] {
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

export function resolveColumn(ref: ColumnRef, names: string[], file: string, what: string): number {
  if (typeof ref === 'number') {
    const j = ref < 0 ? names.length + ref : ref;
    if (!Number.isInteger(ref) || j < 0 || j >= names.length)
      throw new DataError(msg('csv.columnOutOfRange', what, ref, names.length, names.length - 1, names.join(', ')), { file });
    return j;
  }
  const j = names.indexOf(ref);
  if (j < 0) throw new DataError(msg('csv.columnNotFound', what, ref, names.join(', ')), { file });
  return j;
}

/** Pass 1: fed records in order; ends with the schema. */
export class CsvProfiler {
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
    if (this.featureCols.includes(this.labelCol)) throw new DataError(msg('csv.labelIsFeature', this.names[this.labelCol]), { file: this.file });
    if (this.featureCols.length === 0) throw new DataError(msg('csv.noFeatures', this.names[this.labelCol]), { file: this.file });
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
        msg(this.header ? 'csv.width' : 'csv.widthFirstRow', rec.fields.length, this.width),
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
      throw new DataError(this.dataRows === 0 ? msg('csv.noDataRows') : msg('csv.noLabels', this.dataRows), { file: this.file });
    const normalize = this.opts.normalize ?? 'zscore';
    const cap = this.opts.maxCategories ?? DEFAULT_MAX_CATEGORIES;
    const columns: CsvColumn[] = this.names.map((name, j) => {
      const a = this.accs[j];
      const role = j === this.labelCol ? 'label' : this.featureCols.includes(j) ? 'feature' : 'ignored';
      const categorical = !a.numeric || this.forcedCategorical.has(j);
      const col: CsvColumn = { name, index: j, role, type: categorical ? 'categorical' : 'numeric', count: a.count, missing: this.missingAll[j] };
      if (role === 'ignored') return col;
      if (a.numeric && a.firstNonFinite)
        throw new DataError(
          msg('csv.notFinite', name, a.firstNonFinite.value),
          { file: this.file, row: a.firstNonFinite.line },
        );
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
            msg('csv.tooManyCategories', name, cap, a.firstText ? msg('csv.firstText', a.firstText.value, a.firstText.line) : ''),
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
      throw new DataError(msg('csv.labelNotNumeric', label.name, String(la.firstText?.value)), { file: this.file, row: la.firstText?.line });
    if (kind === 'classification') {
      const cats = la.categories();
      if (!cats) throw new DataError(msg('csv.tooManyClasses', label.name, cap), { file: this.file });
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
  private readonly slots: { name: string; col: number; offset: number; shift: number; scale: number; fill: number; map?: Map<string, number>; numericKeys: boolean }[] = [];
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
        this.slots.push({ name: c.name, col: c.index, offset, shift, scale, fill: mean, numericKeys: false });
        offset += 1;
      } else {
        const cats = c.categories ?? [];
        const numericKeys = cats.every(isNumeric);
        this.slots.push({ name: c.name, col: c.index, offset, shift: 0, scale: 1, fill: 0, map: new Map(cats.map((k, i) => [k, i])), numericKeys });
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
    if (f.length !== width) throw new DataError(msg('csv.widthChanged', f.length, width), { file: this.schema.file, row: rec.line });
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
        // Rows left out of the statistics (validation) were not profiled, and scaling can overflow float32.
        if (!Number.isFinite(x[xOff + s.offset]))
          throw new DataError(msg(Number.isFinite(n) ? 'csv.overflows' : 'csv.valueNotFinite', s.name, v), { file: this.schema.file, row: rec.line });
      }
    }
    if (this.labelMap) {
      const i = this.labelMap.get(this.labelNumericKeys ? String(Number(lv)) : lv);
      if (i === undefined) throw new DataError(msg('csv.unknownClass', lv, String(this.schema.label.classNames?.join(', '))), { file: this.schema.file, row: rec.line });
      y[yOff + i] = 1;
      return i;
    }
    y[yOff] = Number(lv);
    if (!Number.isFinite(y[yOff])) throw new DataError(msg('csv.labelNotFinite', this.schema.label.name, lv), { file: this.schema.file, row: rec.line });
    return 0;
  }
}
