// The decoded MNIST copy that spares each run the 30 MB JSON parse: written on first use, read back
// value for value, and ignored (and rewritten) when it does not match the package's files.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readMnistDigits } from '../../src/trainer/data/mnist';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lab-mnist-cache-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'mnist-decoded.bin');

describe('decoded MNIST cache', () => {
  it('writes the decoded digits once and reads the same values back from the copy', () => {
    const parsed = readMnistDigits(dir);
    expect(parsed.count).toBe(10000);
    expect(fs.existsSync(file)).toBe(true);
    expect(fs.statSync(file).size).toBe(516 + 10000 + 10000 * 784 * 4);
    // Prove the second read comes from the copy: change one label in it and see that label come back.
    const buf = fs.readFileSync(file);
    buf[516] = (buf[516] + 1) % 10;
    fs.writeFileSync(file, buf);
    const cached = readMnistDigits(dir);
    expect(cached.labels[0]).toBe((parsed.labels[0] + 1) % 10);
    expect(Array.from(cached.labels.subarray(1))).toEqual(Array.from(parsed.labels.subarray(1)));
    expect(Buffer.from(cached.images.buffer).equals(Buffer.from(parsed.images.buffer))).toBe(true);
  });

  it('ignores a copy made from other files (or a truncated one) and replaces it', () => {
    const buf = fs.readFileSync(file);
    const stale = Buffer.from(buf);
    stale.write('{"format":"model-lab mnist f32 1","key":["0:0"', 0);
    fs.writeFileSync(file, stale);
    const again = readMnistDigits(dir);
    expect(again.labels[0]).not.toBe(buf[516]);
    expect(fs.readFileSync(file).subarray(0, 512).equals(buf.subarray(0, 512))).toBe(true);
    fs.writeFileSync(file, buf.subarray(0, 1000));
    expect(readMnistDigits(dir).count).toBe(10000);
    expect(fs.statSync(file).size).toBe(buf.length);
  });
});
