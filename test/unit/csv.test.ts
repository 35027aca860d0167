import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { csvDataset, loadCsv } from '../../src/trainer/data/csv';
import { sniffDelimiter } from '../../src/trainer/data/csvRecords';
import { detectHeader } from '../../src/trainer/data/csvSchema';
import { DataError } from '../../src/trainer/data/dataError';
import { mulberry32 } from '../../src/trainer/data/split';
import { decodeUtf8, firstInvalidUtf8, Utf8StreamDecoder } from '../../src/trainer/data/utf8';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';

let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-csv-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, content);
  return f;
}

/** The DataError a call throws (sync or async), so its fields can be checked. */
async function dataError(fn: () => unknown): Promise<DataError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof DataError) return e;
    throw e;
  }
  throw new Error('expected a DataError');
}

async function streamAll(file: string, opts: Parameters<typeof csvDataset>[2] = {}) {
  const s = await csvDataset(tf, file, { batchSize: 7, ...opts });
  const xs: number[] = [];
  const ys: number[] = [];
  await s.dataset.forEachAsync((b) => {
    const { xs: bx, ys: by } = b as { xs: tf.Tensor; ys: tf.Tensor };
    xs.push(...bx.dataSync());
    ys.push(...by.dataSync());
    tf.dispose([bx, by]);
  });
  return { s, xs, ys };
}

describe('reading', () => {
  test('a header is detected above numeric rows; columns are named from it', () => {
    const f = write('h.csv', 'sepal,petal,species\n1,2,a\n3,4,b\n5,6,a\n');
    const d = loadCsv(f, { shuffle: false });
    expect(d.schema.header).toBe(true);
    expect(d.schema.columns.map((c) => c.name)).toEqual(['sepal', 'petal', 'species']);
    expect(d.xShape).toEqual([3, 2]);
    expect(d.classNames).toEqual(['a', 'b']);
  });

  test('without a header the first row is data and columns are col0…', () => {
    const f = write('nh.csv', '1,2,a\n3,4,b\n5,6,a\n');
    const d = loadCsv(f, { shuffle: false });
    expect(d.schema.header).toBe(false);
    expect(d.schema.rows).toBe(3);
    expect(d.schema.columns.map((c) => c.name)).toEqual(['col0', 'col1', 'col2']);
    expect(detectHeader(['x', 'y'], [['a', 'b'], ['c', 'd']], new Set())).toBe(true); // all text, names never recur
    expect(detectHeader(['a', 'b'], [['a', 'b'], ['c', 'd']], new Set())).toBe(false);
  });

  test('TSV and semicolon files are sniffed', () => {
    const t = loadCsv(write('t.tsv', 'a\tb\tlabel\n1\t2\tx\n3\t4\ty\n'), { shuffle: false });
    expect(t.schema.delimiter).toBe('\t');
    expect(t.xShape).toEqual([2, 2]);
    const s = loadCsv(write('s.csv', 'a;b;label\n1,5;2;x\n3;4;y\n'.replace('1,5', '"1,5"')), { shuffle: false });
    expect(s.schema.delimiter).toBe(';');
    expect(sniffDelimiter('a,b;c\n1,2;3\n4,5;6\n7,8;9,9\n')).toBe(';'); // the consistent one wins
  });

  test('quoted fields may hold delimiters, quotes and newlines; later line numbers still count', async () => {
    const f = write('q.csv', 'text,n,label\n"hello, world",1,a\n"two\nlines",2,b\n"say ""hi""",3,a\nx,4\n');
    const e = await dataError(() => loadCsv(f));
    expect(e.row).toBe(6); // the ragged row is on line 6 because record 3 spans lines 3–4
    const ok = write('q2.csv', 'text,n,label\n"hello, world",1,a\n"two\nlines",2,b\n"say ""hi""",3,a\n');
    const d = loadCsv(ok, { shuffle: false, normalize: 'none' });
    expect(d.schema.columns[0].categories).toEqual(['hello, world', 'say "hi"', 'two\nlines']);
    expect(d.schema.rows).toBe(3);
    expect(Array.from(d.x)).toEqual([1, 0, 0, 1, 0, 0, 1, 2, 0, 1, 0, 3]);
  });

  test('CRLF line ends and blank lines are handled', () => {
    const d = loadCsv(write('crlf.csv', 'a,label\r\n1,x\r\n\r\n2,y\r\n'), { shuffle: false, normalize: 'none' });
    expect(Array.from(d.x)).toEqual([1, 2]);
    expect(d.classNames).toEqual(['x', 'y']);
  });
});

describe('encoding', () => {
  test('text columns are one-hot with the category list recorded', () => {
    const f = write('cat.csv', 'color,size,label\nred,1,0\nblue,2,1\ngreen,3,0\nred,4,1\n');
    const d = loadCsv(f, { shuffle: false, normalize: 'none' });
    const color = d.schema.columns[0];
    expect(color.type).toBe('categorical');
    expect(color.categories).toEqual(['blue', 'green', 'red']);
    expect(d.schema.featureNames).toEqual(['color=blue', 'color=green', 'color=red', 'size']);
    expect(Array.from(d.x.subarray(0, 8))).toEqual([0, 0, 1, 1, 1, 0, 0, 2]);
    // numeric labels with few values are classes, ordered by value
    expect(d.kind).toBe('classification');
    expect(d.classNames).toEqual(['0', '1']);
    expect(Array.from(d.y.subarray(0, 4))).toEqual([1, 0, 0, 1]);
  });

  test('a numeric column can be forced categorical; "1" and "1.0" are one category', () => {
    const d = loadCsv(write('forced.csv', 'code,label\n1,a\n1.0,b\n2,a\n'), { shuffle: false, categorical: ['code'] });
    expect(d.schema.columns[0].categories).toEqual(['1', '2']);
    expect(Array.from(d.x)).toEqual([1, 0, 1, 0, 0, 1]);
  });

  test('z-score and min-max statistics are returned and applied', () => {
    const f = write('norm.csv', 'a,b,label\n1,10,x\n2,20,y\n3,30,x\n4,40,y\n');
    const z = loadCsv(f, { shuffle: false });
    const a = z.schema.columns[0];
    expect(a.mean).toBeCloseTo(2.5, 12);
    expect(a.std).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(a.min).toBe(1);
    expect(a.max).toBe(4);
    expect(z.x[0]).toBeCloseTo((1 - 2.5) / Math.sqrt(1.25), 5);
    const m = loadCsv(f, { shuffle: false, normalize: 'minmax' });
    expect(Array.from(m.x)).toEqual([0, 0, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 1, 1].map((v) => Math.fround(v)));
    expect(JSON.parse(JSON.stringify(m.schema))).toEqual(m.schema); // storable as JSON as it is
  });

  test('a numeric label with many distinct values is regression (overridable)', () => {
    const rows = Array.from({ length: 50 }, (_, i) => `${i},${(i * 1.5).toFixed(1)}`).join('\n');
    const f = write('reg.csv', `x,price\n${rows}\n`);
    const r = loadCsv(f, { shuffle: false });
    expect(r.kind).toBe('regression');
    expect(r.yShape).toEqual([50, 1]);
    expect(r.y[3]).toBeCloseTo(4.5, 5);
    const c = loadCsv(f, { shuffle: false, task: 'classification' });
    expect(c.yShape).toEqual([50, 50]);
  });

  test('missing values are counted per column; features imputed, rows without a label dropped', () => {
    const f = write('miss.csv', 'a,b,c,label\n1,NA,red,x\n3,4,,y\n?,6,blue,NaN\n5,8,red,\n7,10,blue,x\n');
    const d = loadCsv(f, { shuffle: false });
    expect(d.schema.missing).toEqual({ a: 1, b: 1, c: 1, label: 2 });
    expect(d.schema.rows).toBe(3);
    expect(d.schema.droppedRows).toBe(2);
    expect(d.description).toContain('missing values');
    const b = d.schema.columns[1];
    expect(b.mean).toBe(7); // from 4 and 10 (rows with a label)
    expect(d.x[1]).toBe(0); // the NA in b became the mean → 0 after z-score
    expect(Array.from(d.x.subarray(6, 8))).toEqual([0, 0]); // the empty category → no one-hot bit
    const dropped = loadCsv(f, { shuffle: false, missing: 'drop' });
    expect(dropped.schema.rows).toBe(1);
  });

  test('shuffling is seeded and keeps each row with its label', () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${i},${i % 3}`).join('\n');
    const f = write('shuf.csv', `v,label\n${rows}\n`);
    const a = loadCsv(f, { normalize: 'none', seed: 1 });
    const b = loadCsv(f, { normalize: 'none', seed: 1 });
    expect(a.x).toEqual(b.x);
    expect(Array.from(a.x)).not.toEqual(Array.from({ length: 30 }, (_, i) => i));
    for (let i = 0; i < 30; i++) {
      expect(a.y[i * 3 + (a.x[i] % 3)]).toBe(1);
      expect(a.labels![i]).toBe(a.x[i] % 3);
    }
  });
});

describe('bad input', () => {
  test('a ragged row names the file, the row and both column counts', async () => {
    const f = write('ragged.csv', 'a,b,label\n1,2,x\n3,4,y\n5,6\n');
    for (const load of [() => loadCsv(f), () => csvDataset(tf, f)]) {
      const e = await dataError(load);
      expect(e.file).toBe(f);
      expect(e.row).toBe(4);
      expect(e.message).toContain(f);
      expect(e.message).toMatch(/row 4.*2 columns, but the header has 3/);
    }
  });

  test('non-UTF-8 bytes name their byte offset, in memory and streamed past the first chunk', async () => {
    const head = Buffer.from('name,label\ncafé,1\n'); // é is valid UTF-8 (2 bytes)
    const bad = Buffer.concat([head, Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.from(',2\n')]); // Latin-1 é
    const f = write('latin1.csv', bad);
    const e = await dataError(() => loadCsv(f));
    expect(e.offset).toBe(head.length + 3);
    expect(e.message).toContain('UTF-8');
    // 200 KB of valid rows first, so the bad byte sits in a later read chunk
    const filler = Buffer.from('ü,1\n'.repeat(50000));
    const big = write('latin1-big.csv', Buffer.concat([head, filler, bad.subarray(head.length)]));
    const e2 = await dataError(() => csvDataset(tf, big));
    expect(e2.offset).toBe(head.length + filler.length + 3);
  });

  test('a 0-byte file is an error naming the file', async () => {
    const f = write('empty.csv', '');
    for (const load of [() => loadCsv(f), () => csvDataset(tf, f)]) {
      const e = await dataError(load);
      expect(e.file).toBe(f);
      expect(e.message).toMatch(/empty \(0 bytes\)/);
    }
  });

  test('an unknown label column lists the columns', async () => {
    const f = write('lab.csv', 'a,b,target\n1,2,3\n');
    const e = await dataError(() => loadCsv(f, { label: 'y' }));
    expect(e.message).toContain('label column "y" not found; the columns are: a, b, target');
    const e2 = await dataError(() => loadCsv(f, { label: 5 }));
    expect(e2.message).toMatch(/out of range.*3 columns/);
  });

  test('an unclosed quote is a DataError with its line, not a crash', async () => {
    const e = await dataError(() => loadCsv(write('quote.csv', 'a,label\n1,x\n"2,y\n')));
    expect(e.message).toMatch(/Quote Not Closed/);
    expect(e.row).toBeGreaterThanOrEqual(3);
  });

  test('a too-wide categorical column is refused instead of one-hot to thousands of columns', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `id${i},${i % 2}`).join('\n');
    const e = await dataError(() => loadCsv(write('wide.csv', `id,label\n${rows}\n`), { maxCategories: 10 }));
    expect(e.message).toMatch(/more than 10 distinct values/);
  });
});

describe('UTF-8 validation', () => {
  test('firstInvalidUtf8 agrees with the fatal TextDecoder on random and mutated bytes (seeded)', () => {
    const rand = mulberry32(99);
    const valid = Buffer.from('aé€😀\n', 'utf8');
    for (let k = 0; k < 3000; k++) {
      const bytes = Buffer.alloc(1 + Math.floor(rand() * 12));
      for (let i = 0; i < bytes.length; i++) bytes[i] = k % 2 ? valid[Math.floor(rand() * valid.length)] : Math.floor(rand() * 256);
      let ok = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        ok = false;
      }
      const at = firstInvalidUtf8(bytes);
      expect(at < 0).toBe(ok);
      if (!ok) {
        // everything before the reported offset decodes
        expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, at))).not.toThrow();
      }
    }
  });

  test('the stream decoder joins sequences split across chunks and reports absolute offsets', () => {
    const text = 'x€y😀z';
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const d = new Utf8StreamDecoder('f');
      expect(d.decode(bytes.subarray(0, cut)) + d.decode(bytes.subarray(cut)) + d.end()).toBe(text);
    }
    const d = new Utf8StreamDecoder('f');
    d.decode(Buffer.from('abc'));
    d.decode(Buffer.from([0xe2, 0x82])); // first two bytes of €
    expect(() => d.decode(Buffer.from([0x41]))).toThrow(expect.objectContaining({ offset: 3 }));
    const t = new Utf8StreamDecoder('f');
    t.decode(Buffer.from([0x61, 0xf0, 0x9f]));
    expect(() => t.end()).toThrow(expect.objectContaining({ offset: 1 })); // truncated at the end of the file
    expect(decodeUtf8(Buffer.from('\ufeffhi'), 'f')).toBe('hi'); // a BOM is not data
  });
});

describe('streaming', () => {
  test('the streamed dataset yields the same values as in-memory mode, over several reads', async () => {
    const rand = mulberry32(3);
    const lines = ['num,"quoted, col",cat,label'];
    for (let i = 0; i < 3000; i++) {
      const v = rand() < 0.05 ? 'NA' : (rand() * 100).toFixed(2);
      lines.push(`${v},"${(rand() * 10).toFixed(3)}",${['p', 'q', 'r'][i % 3]},${['a', 'b'][Math.floor(rand() * 2)]}`);
    }
    const f = write('same.csv', lines.join('\n') + '\n');
    const mem = loadCsv(f, { shuffle: false });
    const { s, xs, ys } = await streamAll(f);
    expect(s.schema).toEqual(mem.schema);
    expect(s.trainRows).toBe(3000);
    expect(xs).toEqual(Array.from(mem.x));
    expect(ys).toEqual(Array.from(mem.y));
    // a second iteration (the next epoch) reads the file again and gives the same rows
    const again = await streamAll(f);
    expect(again.xs).toEqual(xs);
  });

  test('unbatched, the dataset yields one row per element; .batch() makes tensors', async () => {
    const f = write('rows.csv', 'a,label\n1,x\n2,y\n3,x\n');
    const s = await csvDataset(tf, f, { normalize: 'none' });
    const rows = await s.dataset.toArray();
    expect(rows.map((r) => Array.from((r as { xs: Float32Array }).xs))).toEqual([[1], [2], [3]]);
    const [b] = await s.dataset.batch(8).toArray();
    expect((b as { xs: tf.Tensor }).xs.shape).toEqual([3, 1]);
    tf.dispose(b as tf.TensorContainer);
  });

  test('a validation fraction splits rows once: disjoint, complete, statistics from train rows only', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => `${i},${i % 2}`).join('\n');
    const f = write('val.csv', `v,label\n${rows}\n`);
    const s = await csvDataset(tf, f, { validation: 0.25, normalize: 'none', seed: 5 });
    expect(s.trainRows + s.validationRows).toBe(1000);
    expect(s.validationRows).toBeGreaterThan(200);
    expect(s.validationRows).toBeLessThan(300);
    const train = (await s.dataset.toArray()).map((r) => (r as { xs: Float32Array }).xs[0]);
    const val = (await s.validationDataset!.toArray()).map((r) => (r as { xs: Float32Array }).xs[0]);
    expect(train.length).toBe(s.trainRows);
    expect(val.length).toBe(s.validationRows);
    expect([...train, ...val].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const mean = train.reduce((a, b) => a + b, 0) / train.length;
    expect(s.schema.columns[0].mean).toBeCloseTo(mean, 6);
  });

  test('streaming a ~100 MB CSV in batches of 256 keeps the memory it holds well below the file size', async () => {
    const big = path.join(dir, 'big.csv');
    const warm = path.join(dir, 'warm.csv');
    // ~75-byte rows: 12 numeric features, a category and a class label
    const makeRows = (fd: number, bytes: number) => {
      let size = 0;
      let i = 0;
      while (size < bytes) {
        const parts: string[] = [];
        for (let k = 0; k < 5000; k++, i++) {
          const r: string[] = [];
          for (let c = 0; c < 12; c++) r.push((((i * 7919 + c * 104729) % 100003) / 1000).toFixed(3));
          parts.push(`${r.join(',')},${'abc'[i % 3]},${i % 5}`);
        }
        const s = parts.join('\n') + '\n';
        fs.writeSync(fd, s);
        size += s.length;
      }
      return size;
    };
    const header = 'f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11,f12,cat,label\n';
    for (const [file, bytes] of [[big, 100e6], [warm, 4e6]] as const) {
      const fd = fs.openSync(file, 'w');
      fs.writeSync(fd, header);
      makeRows(fd, bytes);
      fs.closeSync(fd);
    }
    // What the process holds: JS heap plus buffers (tensors, chunks), after a full collection
    // (vitest runs with --expose-gc), so the figure does not depend on when V8 chose to collect.
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'vitest.config.mts passes --expose-gc').toBeTypeOf('function');
    const held = () => {
      gc!();
      const m = process.memoryUsage();
      return m.heapUsed + m.external;
    };
    const iterate = async (file: string) => {
      const s = await csvDataset(tf, file, { batchSize: 256 });
      let rows = 0;
      let peak = held();
      await s.dataset.forEachAsync((b) => {
        const { xs, ys } = b as { xs: tf.Tensor; ys: tf.Tensor };
        rows += xs.shape[0];
        tf.dispose([xs, ys]);
        if (rows % (256 * 64) === 0) peak = Math.max(peak, held());
      });
      return { rows, peak: Math.max(peak, held()), s };
    };
    try {
      // The same code on a small file first, so the baseline already includes V8's young generation
      // and tfjs' kernels: what remains is what grows with the file.
      await iterate(warm);
      const before = held();
      const size = fs.statSync(big).size;
      const { rows, peak, s } = await iterate(big);
      expect(rows).toBe(s.trainRows);
      expect(rows).toBeGreaterThan(1_100_000);
      expect(s.featureSize).toBe(15);
      // Reading it into memory would take the text plus 1.15M × 15 floats; streaming holds ~1 chunk.
      expect(peak - before, `memory held grew ${((peak - before) / 1e6).toFixed(1)} MB for a ${(size / 1e6).toFixed(0)} MB file`).toBeLessThan(0.1 * size);
    } finally {
      fs.rmSync(big, { force: true });
      fs.rmSync(warm, { force: true });
    }
  });
});
