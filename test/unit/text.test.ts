import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DataError } from '../../src/trainer/data/dataError';
import { buildVocabulary, decodeIds, encodeTokens, loadTextCsv, loadTextFolder, loadTextWindows, PAD_ID, textWindows, tokenize, UNK, UNK_ID } from '../../src/trainer/data/text';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-text-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(rel: string, content: string | Buffer): string {
  const f = path.join(dir, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, content);
  return f;
}

describe('tokens and vocabulary', () => {
  test('characters by code point; words lower-cased with punctuation as tokens', () => {
    expect(tokenize('ab😀\r\nc')).toEqual(['a', 'b', '😀', '\n', 'c']);
    expect(tokenize("The cat's hat, the END.", { level: 'word' })).toEqual(['the', "cat's", 'hat', ',', 'the', 'end', '.']);
  });

  test('most frequent first, capped, <pad>=0 and <unk>=1, unknown tokens map to <unk>', () => {
    const v = buildVocabulary([['b', 'a', 'b', 'c', 'b', 'a', 'd']], { maxSize: 4 });
    expect(v.tokens).toEqual(['<pad>', UNK, 'b', 'a']);
    expect(Array.from(encodeTokens(['a', 'c', 'b', 'zz'], v))).toEqual([3, UNK_ID, 2, UNK_ID]);
    expect(decodeIds([2, 3, PAD_ID], v)).toBe('ba');
    expect(() => buildVocabulary([], { maxSize: 2 })).toThrow(/maxVocab/);
  });
});

describe('generation windows', () => {
  test('each window of W ids is followed by its next-token target', () => {
    const d = textWindows('abcabd', 'mem', { window: 3, shuffle: false, maxVocab: 10 });
    // vocab by frequency: a(2) b(2) c(1) d(1) → ids 2,3,4,5
    expect(d.vocab.tokens).toEqual(['<pad>', '<unk>', 'a', 'b', 'c', 'd']);
    expect(d.xShape).toEqual([3, 3]);
    expect(Array.from(d.x)).toEqual([2, 3, 4, 3, 4, 2, 4, 2, 3]);
    expect(d.yShape).toEqual([3, 6]);
    const targets = [0, 1, 2].map((k) => Array.from(d.y.subarray(k * 6, k * 6 + 6)).indexOf(1));
    expect(targets).toEqual([2, 3, 5]); // a, b, d
    const idx = textWindows('abcabd', 'mem', { window: 3, shuffle: false, targets: 'index', step: 2 });
    expect(idx.yShape).toEqual([2, 1]);
    expect(Array.from(idx.y)).toEqual([2, 5]);
    expect(d.samples[0]).toBe('abc → a');
  });

  test('word level with a vocabulary cap maps rare words to <unk>', () => {
    const f = write('words.txt', 'the cat sat on the mat the end');
    const d = loadTextWindows(f, { level: 'word', window: 2, maxVocab: 3, shuffle: false });
    expect(d.vocab.tokens).toEqual(['<pad>', '<unk>', 'the']);
    expect(Array.from(d.x.subarray(0, 4))).toEqual([2, 1, 1, 1]);
  });

  test('too short a text, and non-UTF-8, are DataErrors naming the file (and the byte offset)', () => {
    expect(() => textWindows('abc', 'short.txt', { window: 3 })).toThrow(/needs at least 4/);
    const f = write('bad.txt', Buffer.concat([Buffer.from('héllo '), Buffer.from([0xff]), Buffer.from(' world')]));
    try {
      loadTextWindows(f);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(DataError);
      expect((e as DataError).offset).toBe(7);
      expect((e as DataError).file).toBe(f);
    }
  });
});

describe('classification', () => {
  test('a folder per class → padded ids and one-hot labels, classes sorted', () => {
    write('docs/pos/1.txt', 'good great');
    write('docs/pos/2.txt', 'great');
    write('docs/neg/1.txt', 'bad awful bad terrible day');
    const d = loadTextFolder(path.join(dir, 'docs'), { level: 'word', length: 4, shuffle: false });
    expect(d.classNames).toEqual(['neg', 'pos']);
    expect(d.xShape).toEqual([3, 4]);
    expect(d.yShape).toEqual([3, 2]);
    expect(Array.from(d.labels!)).toEqual([0, 1, 1]);
    const v = d.vocab.tokens;
    expect(Array.from(d.x.subarray(0, 4)).map((i) => v[i])).toEqual(['bad', 'awful', 'bad', 'terrible']); // cut to 4
    expect(Array.from(d.x.subarray(8, 12)).map((i) => v[i])).toEqual(['great', '<pad>', '<pad>', '<pad>']); // padded
  });

  test('an empty class folder and a single class are errors', () => {
    fs.mkdirSync(path.join(dir, 'empty/a'), { recursive: true });
    write('empty/b/x.txt', 'hi');
    expect(() => loadTextFolder(path.join(dir, 'empty'))).toThrow(/class folder "a" is empty/);
    write('one/a/x.txt', 'hi');
    expect(() => loadTextFolder(path.join(dir, 'one'))).toThrow(/at least two/);
  });

  test('a CSV of text and label columns, with quoted commas', () => {
    const f = write('reviews.csv', 'review,sentiment\n"fine, really",pos\nawful,neg\n"not good, not bad",neg\n');
    const d = loadTextCsv(f, { level: 'word', length: 3, shuffle: false });
    expect(d.classNames).toEqual(['neg', 'pos']);
    expect(Array.from(d.labels!)).toEqual([1, 0, 0]);
    expect(d.samples[0]).toBe('[pos] fine , really');
    expect(() => loadTextCsv(f, { textColumn: 'text' })).toThrow('text column "text" not found; the columns are: review, sentiment');
  });
});
