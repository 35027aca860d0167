import { constants as bufferConstants } from 'node:buffer';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { loadCsv } from '../../src/trainer/data/csv';
import { DataError, DEFAULT_MAX_IN_MEMORY_TEXT_BYTES } from '../../src/trainer/data/dataError';
import { loadTextCsv, loadTextWindows } from '../../src/trainer/data/text';
import { loadTimeseries } from '../../src/trainer/data/timeseries';
import { decodeUtf8, MAX_STRING_CHARS } from '../../src/trainer/data/utf8';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'large-text-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  delete process.env.MODEL_LAB_MAX_IN_MEMORY_MB;
});

function dataError(f: () => unknown): DataError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}

/** A file of `bytes` that takes no disk space: a hole, as `truncate -s` makes. */
function sparse(name: string, bytes: number): string {
  const file = path.join(dir, name);
  fs.closeSync(fs.openSync(file, 'w'));
  fs.truncateSync(file, bytes);
  return file;
}

describe('text files too large to hold in memory', () => {
  test('a 300 MB CSV is refused from its size alone, with the reason and the stream: true advice', () => {
    const file = sparse('big.csv', 300 * 1024 ** 2);
    const before = process.memoryUsage().arrayBuffers;
    const e = dataError(() => loadCsv(file));
    expect(e.file).toBe(file);
    expect(e.message).toBe(
      `${file}: the file is 300.0 MB, more than the 256.0 MB limit for a CSV read into memory (where it takes about 7 times its size). ` +
        "Add stream: true to the dataset spec, e.g. { type: 'csv', path: '…', stream: true }, to train on it in pieces with bounded memory, or set MODEL_LAB_MAX_IN_MEMORY_MB to allow more",
    );
    // not read: no buffer anywhere near the file's size was allocated
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 ** 2);
    expect(DEFAULT_MAX_IN_MEMORY_TEXT_BYTES).toBe(256 * 1024 ** 2);
  });

  test('MODEL_LAB_MAX_IN_MEMORY_MB sets the limit: a small CSV over it is refused, under it loads', () => {
    const rows = ['x,label', ...Array.from({ length: 200 }, (_, i) => `${i},${i % 2}`)].join('\n') + '\n';
    const file = path.join(dir, 'small.csv');
    fs.writeFileSync(file, rows);
    process.env.MODEL_LAB_MAX_IN_MEMORY_MB = String(1 / 1024); // 1 KiB
    expect(dataError(() => loadCsv(file)).message).toMatch(/the file is 0\.0 MB, more than the 0\.0 MB limit for a CSV read into memory.*stream: true/);
    process.env.MODEL_LAB_MAX_IN_MEMORY_MB = '1';
    expect(loadCsv(file).xShape).toEqual([200, 1]);
  });

  test('loaders with no streaming mode say what to do instead (no stream: true advice)', () => {
    process.env.MODEL_LAB_MAX_IN_MEMORY_MB = String(1 / 1024);
    const table = path.join(dir, 'texts.csv');
    fs.writeFileSync(table, 'text,label\n' + 'a fine day,pos\nrain again,neg\n'.repeat(100));
    const t = dataError(() => loadTextCsv(table));
    expect(t.message).toContain('This loader holds the whole table in memory: use a smaller file, or set MODEL_LAB_MAX_IN_MEMORY_MB to allow more');
    expect(t.message).not.toContain('stream: true');
    const series = path.join(dir, 'series.csv');
    fs.writeFileSync(series, 'v\n' + Array.from({ length: 400 }, (_, i) => String(i)).join('\n'));
    expect(dataError(() => loadTimeseries(series)).message).toContain('This loader holds the whole table in memory');
    const corpus = path.join(dir, 'corpus.txt');
    fs.writeFileSync(corpus, 'to be or not to be '.repeat(100));
    const c = dataError(() => loadTextWindows(corpus));
    expect(c.message).toMatch(/more than the 0\.0 MB limit for a text file read into memory\. The text loader holds the whole corpus in memory: use a smaller file/);
  });

  test('text longer than one JavaScript string can hold says so, not "not valid UTF-8"', () => {
    // The real limit is the engine's: one more code unit cannot be made at all.
    expect(MAX_STRING_CHARS).toBe(bufferConstants.MAX_STRING_LENGTH);
    expect(MAX_STRING_CHARS).toBeGreaterThan(500_000_000);
    expect(() => 'x'.repeat(MAX_STRING_CHARS + 1)).toThrow(RangeError);
    // The same check with a small limit, so the test needs no 512 MB of text.
    const ascii = new TextEncoder().encode('abcdef');
    const e = dataError(() => decodeUtf8(ascii, 'big.txt', { maxChars: 5, tooLongAdvice: 'Use a smaller file' }));
    expect(e.message).toBe('big.txt: the text is 6 characters, more than the 5 one JavaScript string can hold (about 0 MB of text). Use a smaller file');
    // counted in UTF-16 units, not bytes: 9 bytes of Chinese are 3 units and fit; 3 emoji are 6 and do not
    expect(decodeUtf8(new TextEncoder().encode('中文字'), 'zh.txt', { maxChars: 5 })).toBe('中文字');
    expect(dataError(() => decodeUtf8(new TextEncoder().encode('😀😀😀'), 'e.txt', { maxChars: 5 })).message).toMatch(/the text is 6 characters/);
    // a real bad byte is still reported as one, at its offset
    const bad = dataError(() => decodeUtf8(Uint8Array.from([0x61, 0x62, 0xff]), 'bad.txt'));
    expect(bad.message).toBe('bad.txt, byte offset 2: the file is not valid UTF-8 text (save it as UTF-8)');
  });
});
