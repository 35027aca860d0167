/**
 * Seeded fuzzing of every binary parser: random bytes, and valid files mutated (truncated, bytes
 * flipped, header sizes set to huge values, text headers rewritten). Each case must either give a
 * structurally consistent result, no bigger than its input can justify, or throw a DataError. Any
 * other exception (a RangeError from a huge allocation, a TypeError from reading past the end) is a
 * bug, and so is an input that parses to different results on two runs. The seeds are fixed, so a failure reproduces: the message names the parser, case and seed.
 */
import * as zlib from 'node:zlib';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, test } from 'vitest';
import { parseCifarBatch, parseTar } from '../../src/trainer/data/cifar';
import { DataError } from '../../src/trainer/data/dataError';
import { parseIdx } from '../../src/trainer/data/idx';
import { DEFAULT_MAX_PIXELS, decodeImage } from '../../src/trainer/data/images';
import { parseNpy } from '../../src/trainer/data/npy';
import { tarFile } from './tarFile';

type Rand = () => number;

/** mulberry32: small, fast, and the same sequence on every machine. */
function rng(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];
const randomBytes = (r: Rand, n: number) => Buffer.from(Array.from({ length: n }, () => int(r, 256)));

const HUGE_U32 = [0xffffffff, 0x7fffffff, 0x80000000, 0x10000, 65535, 1_000_000, 0, 1];

/** One random mutation of a valid file; `headerBytes` focuses some mutations on the header. */
function mutate(r: Rand, base: Buffer, headerBytes: number, bigEndian: boolean): { buf: Buffer; how: string } {
  const b = Buffer.from(base);
  switch (int(r, 7)) {
    case 0: {
      const at = int(r, b.length);
      return { buf: b.subarray(0, at), how: `truncate at ${at}` };
    }
    case 1: {
      const k = 1 + int(r, 8);
      for (let i = 0; i < k; i++) b[int(r, b.length)] ^= 1 + int(r, 255);
      return { buf: b, how: `flip ${k} bytes` };
    }
    case 2: {
      const at = int(r, Math.min(headerBytes, b.length));
      b[at] ^= 1 + int(r, 255);
      return { buf: b, how: `flip header byte ${at}` };
    }
    case 3: {
      const at = int(r, Math.max(1, Math.min(headerBytes, b.length - 4)));
      const v = pick(r, HUGE_U32);
      if (at + 4 <= b.length) (bigEndian ? b.writeUInt32BE(v, at) : b.writeUInt32LE(v, at));
      return { buf: b, how: `uint32 ${v} at ${at}` };
    }
    case 4:
      return { buf: Buffer.concat([b, randomBytes(r, 1 + int(r, 64))]), how: 'append' };
    case 5: {
      const at = int(r, b.length);
      return { buf: Buffer.concat([b.subarray(0, at), randomBytes(r, 1 + int(r, 16)), b.subarray(at)]), how: `insert at ${at}` };
    }
    default: {
      const at = int(r, b.length);
      const len = 1 + int(r, 32);
      return { buf: Buffer.concat([b.subarray(0, at), b.subarray(at + len)]), how: `delete ${len} at ${at}` };
    }
  }
}

interface Tally {
  ok: number;
  rejected: number;
}

/**
 * Runs `cases` inputs through `parse`; `check` asserts a successful result is consistent. The first
 * non-DataError (or failed check) fails the test with enough to reproduce it.
 */
function fuzz(name: string, seed: number, cases: number, make: (r: Rand, i: number) => { buf: Buffer; how: string }, parse: (b: Buffer) => unknown, check: (result: never, input: Buffer) => void): Tally {
  const r = rng(seed);
  const tally: Tally = { ok: 0, rejected: 0 };
  let peakArrayBuffers = 0;
  for (let i = 0; i < cases; i++) {
    const { buf, how } = make(r, i);
    const where = `${name} case ${i} (seed ${seed}, ${how}, ${buf.length} bytes)`;
    let result: unknown;
    try {
      result = parse(buf);
    } catch (e) {
      if (!(e instanceof DataError)) throw new Error(`${where} threw ${(e as Error)?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack}`);
      // Every DataError names its input.
      if (!e.message.startsWith('fuzz')) throw new Error(`${where}: DataError without the file name: ${e.message}`);
      tally.rejected++;
      continue;
    }
    try {
      check(result as never, buf);
      // Same bytes in, same result out: a decoder reading uninitialised memory fails here.
      consistent(sameResult(parse(buf), result), 'a second parse of the same bytes gave a different result');
    } catch (e) {
      throw new Error(`${where} parsed to an inconsistent result: ${(e as Error).message}`);
    }
    tally.ok++;
    // Sampled, not exact: a huge allocation that was made and dropped inside a case still shows up
    // here until the next GC, which is what this is for.
    if (i % 16 === 0) peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers);
  }
  expect(peakArrayBuffers, `${name}: ArrayBuffer memory peaked at ${peakArrayBuffers} bytes`).toBeLessThan(512 * 1024 * 1024);
  return tally;
}

/** Deep equality that compares typed arrays as bytes: vitest's toEqual walks them element by element, 100x slower. */
function sameResult(a: unknown, b: unknown): boolean {
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) return false;
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    if (Array.isArray(a) !== Array.isArray(b) || ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => sameResult((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b);
}

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
function consistent(ok: boolean, msg: string): void {
  if (!ok) throw new Error(msg);
}

// ---- valid seed files -----------------------------------------------------------------------------

function idxFile(type: number, dims: number[], data: Buffer): Buffer {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h[2] = type;
  h[3] = dims.length;
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([h, data]);
}
const seedR = rng(1);
const IDX_SEEDS = [
  idxFile(0x08, [5, 6, 7], randomBytes(seedR, 210)),
  idxFile(0x08, [9], Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8])),
  idxFile(0x0b, [3, 4], randomBytes(seedR, 24)),
  idxFile(0x0d, [2, 2, 2], randomBytes(seedR, 32)),
  idxFile(0x0e, [3], randomBytes(seedR, 24)),
];

function cifarFile(n: number): Buffer {
  const b = randomBytes(seedR, n * 3073);
  for (let i = 0; i < n; i++) b[i * 3073] = int(seedR, 10);
  return b;
}
const CIFAR_SEEDS = [cifarFile(1), cifarFile(3)];

const TAR_SEEDS = [tarFile([['a/data_batch_1.bin', randomBytes(seedR, 700)], ['a/batches.meta.txt', Buffer.from('cat\ndog\n')]]), tarFile([['test_batch.bin', randomBytes(seedR, 100)]])];

function npyFile(descr: string, shape: number[], data: Buffer, fortran = false, version = 1): Buffer {
  let dict = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pre = version === 1 ? 10 : 12;
  dict += ' '.repeat((64 - ((pre + dict.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(pre);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(head);
  if (version === 1) head.writeUInt16LE(dict.length, 8);
  else head.writeUInt32LE(dict.length, 8);
  return Buffer.concat([head, Buffer.from(dict, 'latin1'), data]);
}
const NPY_SEEDS = [
  npyFile('<f4', [3, 4], randomBytes(seedR, 48)),
  npyFile('<f8', [2, 3], randomBytes(seedR, 48), true),
  npyFile('<i8', [4], Buffer.alloc(32, 0)),
  npyFile('>i2', [2, 2, 2], randomBytes(seedR, 16), true, 2),
  npyFile('|u1', [10], randomBytes(seedR, 10), false, 3),
  npyFile('|b1', [5], Buffer.from([0, 1, 0, 1, 1])),
];
const NPY_HEADER_WORDS = ['<f4', '>f8', '|b1', '<i8', '<c16', 'O', 'True', 'False', 'None', '(', ')', '{', '}', ',', ':', "'", '99999999999', '18446744073709551616', '-1', '0', '4294967296', '1e9'];

function rgbaImage(w: number, h: number): Buffer {
  return randomBytes(seedR, w * h * 4).map((v, i) => (i % 4 === 3 ? 255 : v)) as Buffer;
}
function png(w: number, h: number, colorType: 0 | 2 | 4 | 6): Buffer {
  const p = new PNG({ width: w, height: h });
  rgbaImage(w, h).copy(p.data);
  return PNG.sync.write(p, { colorType });
}
const PNG_SEEDS = [png(8, 8, 6), png(5, 3, 2), png(16, 4, 0), png(3, 3, 4)];
const JPEG_SEEDS = [8, 16, 24].map((s) => jpeg.encode({ width: s, height: s, data: rgbaImage(s, s) }, 75).data);

// ---- the fuzz runs ------------------------------------------------------------------------------

const fromSeeds = (seeds: Buffer[], headerBytes: (b: Buffer) => number, bigEndian: boolean, randomShare = 0.1) => (r: Rand) => {
  if (r() < randomShare) {
    const buf = randomBytes(r, int(r, 300));
    return { buf, how: 'random bytes' };
  }
  const base = pick(r, seeds);
  let m = mutate(r, base, headerBytes(base), bigEndian);
  if (r() < 0.3 && m.buf.length > 0) {
    const again = mutate(r, m.buf, headerBytes(base), bigEndian);
    m = { buf: again.buf, how: `${m.how}, ${again.how}` };
  }
  return m;
};

const totals: Record<string, Tally> = {};

describe('every binary parser gives a consistent result or a DataError', () => {
  test('IDX raw: 4,000 cases', () => {
    totals.idx = fuzz(
      'idx',
      101,
      4000,
      fromSeeds(IDX_SEEDS, (b) => 4 + 4 * b[3], true),
      (b) => parseIdx(b, 'fuzz.idx'),
      (a: ReturnType<typeof parseIdx>, input) => {
        consistent(a.data.length === product(a.shape), `data length ${a.data.length} for shape [${a.shape}]`);
        consistent(a.shape.length === input[3], 'dimension count differs from the header');
        consistent(a.data.byteLength <= input.length * 2, 'output bigger than the input can justify');
      },
    );
  });

  test('IDX gzip: 1,500 cases (compressed mutants, and compressed files of mutants)', () => {
    const gzSeeds = IDX_SEEDS.map((b) => zlib.gzipSync(b));
    const mutantOfGz = fromSeeds(gzSeeds, () => 10, true, 0);
    const gzOfMutant = fromSeeds(IDX_SEEDS, (b) => 4 + 4 * b[3], true, 0);
    totals.idxGz = fuzz(
      'idx.gz',
      202,
      1500,
      (r) => {
        if (r() < 0.5) return mutantOfGz(r);
        const m = gzOfMutant(r);
        return { buf: zlib.gzipSync(m.buf), how: `gzip of (${m.how})` };
      },
      (b) => parseIdx(b, 'fuzz.idx.gz', { maxDecompressedBytes: 1 << 20 }),
      (a: ReturnType<typeof parseIdx>) => consistent(a.data.length === product(a.shape), `data length ${a.data.length} for shape [${a.shape}]`),
    );
  });

  test('CIFAR-10 batches: 1,500 cases', () => {
    totals.cifar = fuzz(
      'cifar',
      303,
      1500,
      fromSeeds(CIFAR_SEEDS, () => 3073 * 3, true),
      (b) => parseCifarBatch(b, 'fuzz.bin'),
      (c: ReturnType<typeof parseCifarBatch>, input) => {
        const n = c.labels.length;
        consistent(c.shape[0] === n && n * 3073 === input.length, `shape ${c.shape} from ${input.length} bytes`);
        consistent(c.images.length === n * 3072, 'image buffer size');
        consistent(c.labels.every((l) => l < 10), 'label out of range');
        consistent(c.images.every((v) => v >= 0 && v <= 1), 'pixel outside 0–1');
      },
    );
  });

  test('NPY: 4,000 cases (binary mutations and rewritten header text)', () => {
    const binary = fromSeeds(NPY_SEEDS, () => 12, false);
    totals.npy = fuzz(
      'npy',
      404,
      4000,
      (r) => {
        if (r() < 0.6) return binary(r);
        // Rewrite the header text: swap tokens for others (huge or negative sizes, other dtypes, stray brackets).
        const base = pick(r, NPY_SEEDS);
        const hl = base.readUInt16LE(8);
        const isV1 = base[6] === 1;
        const start = isV1 ? 10 : 12;
        const len = isV1 ? hl : base.readUInt32LE(8);
        const tokens = base.subarray(start, start + len).toString('latin1').split(/(\s+|[(){},:'])/);
        const k = 1 + int(r, 3);
        for (let j = 0; j < k; j++) tokens[int(r, tokens.length)] = pick(r, NPY_HEADER_WORDS);
        const text = Buffer.from(tokens.join(''), 'latin1');
        const head = Buffer.from(base.subarray(0, start));
        if (isV1) head.writeUInt16LE(text.length, 8);
        else head.writeUInt32LE(text.length, 8);
        return { buf: Buffer.concat([head, text, base.subarray(start + len)]), how: `header ${JSON.stringify(text.toString('latin1').trim())}` };
      },
      (b) => parseNpy(b, 'fuzz.npy'),
      (a: ReturnType<typeof parseNpy>, input) => {
        consistent(a.data.length === product(a.shape), `data length ${a.data.length} for shape [${a.shape}]`);
        const kind = a.dtype === 'float32' ? Float32Array : a.dtype === 'int32' ? Int32Array : Uint8Array;
        consistent(a.data instanceof kind, `${a.dtype} held in ${a.data.constructor.name}`);
        consistent(a.data.length <= input.length, 'more elements than input bytes');
        consistent(a.trailingBytes >= 0, 'negative trailing bytes');
      },
    );
  });

  test('tar (CIFAR archive): 1,000 cases', () => {
    totals.tar = fuzz(
      'tar',
      707,
      1000,
      fromSeeds(TAR_SEEDS, () => 512, true),
      (b) => parseTar(b, 'fuzz.tar'),
      (entries: ReturnType<typeof parseTar>, input) => {
        const bytes = entries.reduce((n, e) => n + e.data.length, 0);
        consistent(bytes + entries.length * 512 <= input.length, `${entries.length} entries of ${bytes} bytes from ${input.length}`);
        consistent(entries.every((e) => e.data.buffer === input.buffer), 'entry data is not a view of the input');
      },
    );
  });

  const decodedOk = (img: ReturnType<typeof decodeImage>, input: Buffer) => {
    consistent(img.width > 0 && img.height > 0 && img.data.length === img.width * img.height * 4, `${img.width}x${img.height} with ${img.data.length} bytes`);
    consistent(img.width * img.height <= Math.min(DEFAULT_MAX_PIXELS, 1100 * input.length + 4096), `${img.width}x${img.height} from ${input.length} bytes`);
  };

  /**
   * pngjs rejects any chunk whose CRC is wrong, so most mutants stop there. Recomputing the CRCs
   * after mutating sends half the cases on into inflate, unfiltering and the pixel conversion.
   */
  const withFixedCrcs = (b: Buffer): Buffer => {
    const out = Buffer.from(b);
    for (let at = 8; at + 12 <= out.length; ) {
      const len = out.readUInt32BE(at);
      if (at + 12 + len > out.length) break;
      out.writeUInt32BE(zlib.crc32(out.subarray(at + 4, at + 8 + len)), at + 8 + len);
      at += 12 + len;
    }
    return out;
  };

  test('PNG decode: 3,000 cases', () => {
    const mutant = fromSeeds(PNG_SEEDS, () => 33, true);
    totals.png = fuzz(
      'png',
      505,
      3000,
      (r) => {
        const m = mutant(r);
        return r() < 0.5 ? { buf: withFixedCrcs(m.buf), how: `${m.how}, CRCs fixed` } : m;
      },
      (b) => decodeImage(b, 'fuzz.png'),
      decodedOk,
    );
  });

  test('JPEG decode: 2,000 cases', () => {
    totals.jpeg = fuzz('jpeg', 606, 2000, fromSeeds(JPEG_SEEDS, () => 200, true), (b) => decodeImage(b, 'fuzz.jpg'), decodedOk);
  });

  test('the mutations reach both outcomes for every parser', () => {
    // If a parser accepted everything or rejected everything, the fuzzing would be exercising nothing.
    const names = ['idx', 'idxGz', 'cifar', 'tar', 'npy', 'png', 'jpeg'];
    expect(Object.keys(totals).sort()).toEqual([...names].sort());
    for (const n of names) {
      expect(totals[n].ok, `${n} accepted cases`).toBeGreaterThan(10);
      expect(totals[n].rejected, `${n} rejected cases`).toBeGreaterThan(50);
    }
    const all = Object.values(totals).reduce((s, t) => s + t.ok + t.rejected, 0);
    expect(all).toBe(17000);
    console.log(`fuzz: ${all} cases: ${names.map((n) => `${n} ${totals[n].ok} ok / ${totals[n].rejected} DataError`).join(', ')}`);
  });
});
