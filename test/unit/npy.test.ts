import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadNpy, parseNpy, toTensor } from '../../src/trainer/data/npy';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';
import { catchDataError } from './catchDataError';

let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npy-test-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * A .npy file laid out byte for byte as numpy.lib.format writes it: magic, version, little-endian
 * header length, the dict repr padded with spaces to a multiple of 64 bytes and ended by '\n'.
 */
function npy(descr: string, shape: number[], data: Buffer, opts: { fortran?: boolean; version?: 1 | 2 | 3; header?: string } = {}): Buffer {
  const version = opts.version ?? 1;
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = opts.header ?? `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${tuple}, }`;
  const lenBytes = version === 1 ? 2 : 4;
  const enc = version === 3 ? 'utf8' : 'latin1';
  const pre = 6 + 2 + lenBytes;
  const total = pre + Buffer.byteLength(dict, enc) + 1;
  dict += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const header = Buffer.from(dict, enc);
  const head = Buffer.alloc(pre);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(head);
  if (version === 1) head.writeUInt16LE(header.length, 8);
  else head.writeUInt32LE(header.length, 8);
  return Buffer.concat([head, header, data]);
}

/** Element bytes for a typed array in the given byte order. */
function bytes(values: number[] | bigint[], kind: 'f4' | 'f8' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2' | 'u8', little = true): Buffer {
  const size = Number(kind.slice(1));
  const b = Buffer.alloc(values.length * size);
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  values.forEach((x, i) => {
    const o = i * size;
    switch (kind) {
      case 'f4': return v.setFloat32(o, Number(x), little);
      case 'f8': return v.setFloat64(o, Number(x), little);
      case 'i1': return v.setInt8(o, Number(x));
      case 'u1': return v.setUint8(o, Number(x));
      case 'i2': return v.setInt16(o, Number(x), little);
      case 'u2': return v.setUint16(o, Number(x), little);
      case 'i4': return v.setInt32(o, Number(x), little);
      case 'i8': return v.setBigInt64(o, BigInt(x), little);
      case 'u8': return v.setBigUint64(o, BigInt(x), little);
    }
  });
  return b;
}


describe('dtypes', () => {
  test('<f4 2x3 keeps values and shape', () => {
    const a = parseNpy(npy('<f4', [2, 3], bytes([0.5, -1, 2, 3.25, 1e-3, 7], 'f4')), 'a.npy');
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(a.data).toEqual(new Float32Array([0.5, -1, 2, 3.25, 1e-3, 7]));
    expect(a.trailingBytes).toBe(0);
  });

  test('<f8 becomes float32 (tfjs has no float64)', () => {
    const a = parseNpy(npy('<f8', [2], bytes([Math.PI, -2.5], 'f8')), 'a.npy');
    expect(a.dtype).toBe('float32');
    expect(a.data).toEqual(new Float32Array([Math.PI, -2.5]));
  });

  test.each([
    ['<i1', 'i1', [-128, 127, 0]],
    ['|i1', 'i1', [-5, 5, 1]],
    ['<i2', 'i2', [-32768, 32767, 12]],
    ['<i4', 'i4', [-2147483648, 2147483647, 3]],
    ['<i8', 'i8', [-2147483648, 2147483647, -1]],
    ['<u1', 'u1', [0, 255, 128]],
    ['|u1', 'u1', [0, 255, 9]],
    ['<u2', 'u2', [0, 65535, 300]],
    ['<u8', 'u8', [0, 2147483647, 5]],
  ] as const)('%s reads as int32', (descr, kind, values) => {
    const a = parseNpy(npy(descr, [3], bytes([...values], kind)), 'a.npy');
    expect(a.dtype).toBe('int32');
    expect(Array.from(a.data)).toEqual(values);
  });

  test('|b1 reads as bool', () => {
    const a = parseNpy(npy('|b1', [4], Buffer.from([1, 0, 0, 1])), 'a.npy');
    expect(a.dtype).toBe('bool');
    expect(Array.from(a.data)).toEqual([1, 0, 0, 1]);
  });

  test('big-endian arrays are converted', () => {
    expect(Array.from(parseNpy(npy('>f4', [2], bytes([1.5, -3], 'f4', false)), 'x').data)).toEqual([1.5, -3]);
    expect(Array.from(parseNpy(npy('>f8', [1], bytes([0.25], 'f8', false)), 'x').data)).toEqual([0.25]);
    expect(Array.from(parseNpy(npy('>i2', [2], bytes([-2, 513], 'i2', false)), 'x').data)).toEqual([-2, 513]);
    expect(Array.from(parseNpy(npy('>i4', [1], bytes([-70000], 'i4', false)), 'x').data)).toEqual([-70000]);
    expect(Array.from(parseNpy(npy('>i8', [2], bytes([-7, 1 << 30], 'i8', false)), 'x').data)).toEqual([-7, 1 << 30]);
    expect(Array.from(parseNpy(npy('>u2', [1], bytes([65000], 'u2', false)), 'x').data)).toEqual([65000]);
  });

  test('<i8 values beyond int32 are an error naming the element, never wrapped', () => {
    const e = catchDataError(() => parseNpy(npy('<i8', [3], bytes([1n, 2n ** 40n, 3n], 'i8')), 'big.npy'));
    expect(e.item).toBe(1);
    expect(e.message).toContain('element 1 (1099511627776)');
    expect(e.message).toContain('int32');
    expect(catchDataError(() => parseNpy(npy('<i8', [1], bytes([-(2n ** 31n) - 1n], 'i8')), 'x')).item).toBe(0);
  });

  test('toTensor keeps shape and dtype', () => {
    const t = toTensor(tf, parseNpy(npy('<i2', [2, 2], bytes([1, 2, 3, 4], 'i2')), 'a.npy'));
    expect(t.shape).toEqual([2, 2]);
    expect(t.dtype).toBe('int32');
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3, 4]);
    t.dispose();
  });
});

describe('layout and versions', () => {
  test('fortran_order True is transposed to C order (2-d and 3-d)', () => {
    // C array [[1,2,3],[4,5,6]] stored column by column
    const a = parseNpy(npy('<f4', [2, 3], bytes([1, 4, 2, 5, 3, 6], 'f4'), { fortran: true }), 'f.npy');
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
    // shape (2,3,4): C value at (i,j,k) is 100i+10j+k; Fortran stores i fastest, then j, then k
    const f: number[] = [];
    for (let k = 0; k < 4; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) f.push(100 * i + 10 * j + k);
    const b = parseNpy(npy('<i4', [2, 3, 4], bytes(f, 'i4'), { fortran: true }), 'f.npy');
    const c: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) c.push(100 * i + 10 * j + k);
    expect(Array.from(b.data)).toEqual(c);
  });

  test('format versions 2.0 and 3.0 (4-byte header length; UTF-8 header)', () => {
    for (const version of [2, 3] as const) {
      const a = parseNpy(npy('<f4', [1, 2], bytes([5, 6], 'f4'), { version }), 'v.npy');
      expect(a.shape).toEqual([1, 2]);
      expect(Array.from(a.data)).toEqual([5, 6]);
    }
  });

  test('a scalar, an empty array, and a file with a second array after the first', () => {
    const s = parseNpy(npy('<f4', [], bytes([42], 'f4')), 's.npy');
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data)).toEqual([42]);
    expect(parseNpy(npy('<f4', [0, 5], Buffer.alloc(0)), 'e.npy').data.length).toBe(0);
    const two = Buffer.concat([npy('<u1', [2], Buffer.from([1, 2])), npy('<u1', [1], Buffer.from([3]))]);
    const first = parseNpy(two, 'two.npy');
    expect(Array.from(first.data)).toEqual([1, 2]);
    expect(first.trailingBytes).toBe(129); // the whole second file: 128-byte header + 1 byte
  });

  test('header dict in another key order and with Python 2 long ints', () => {
    const a = parseNpy(npy('', [], bytes([1, 2], 'u2'), { header: "{'shape': (2L,), 'fortran_order': False, 'descr': '<u2'}" }), 'p.npy');
    expect(Array.from(a.data)).toEqual([1, 2]);
  });
});

describe('bad input', () => {
  test('wrong magic', () => {
    const e = catchDataError(() => parseNpy(Buffer.from('PK\x03\x04 this is a zip'), 'x.npz'));
    expect(e.message).toContain('x.npz');
    expect(e.message).toContain('expected the magic "\\x93NUMPY"');
    expect(e.message).toContain('"PK\\u0003\\u0004 t"');
  });

  test('a 0-byte file on disk', () => {
    const p = path.join(dir, 'empty.npy');
    fs.writeFileSync(p, '');
    expect(catchDataError(() => loadNpy(p)).message).toBe(`${p}: the file is empty (0 bytes)`);
  });

  test('unsupported version', () => {
    const b = npy('<f4', [1], bytes([1], 'f4'));
    b[6] = 9;
    expect(catchDataError(() => parseNpy(b, 'v.npy')).message).toContain('unsupported .npy format version 9.0');
  });

  test('truncated header and truncated data report offsets', () => {
    const full = npy('<f4', [10], bytes(new Array(10).fill(1), 'f4'));
    const h = catchDataError(() => parseNpy(full.subarray(0, 40), 't.npy'));
    expect(h.message).toContain('truncated header');
    expect(h.offset).toBe(40);
    const d = catchDataError(() => parseNpy(full.subarray(0, full.length - 6), 't.npy'));
    expect(d.message).toContain('needs 40 bytes after the 128-byte header, but only 34 bytes follow');
    expect(d.offset).toBe(full.length - 6);
    expect(d.item).toBe(8);
  });

  test('a shape far larger than the file is refused before allocating', () => {
    const e = catchDataError(() => parseNpy(npy('<f8', [1000000, 1000000, 1000000], bytes([1], 'f8')), 'huge.npy'));
    expect(e.message).toContain('about 8.00e+18 bytes');
  });

  test.each([
    ['a complex dtype', "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", "dtype '<c8' is not supported; supported: <f4"],
    ['a structured dtype', "{'descr': [('x', '<f4'), ('y', '<f4')], 'fortran_order': False, 'shape': (1,), }", 'structured dtypes'],
    ['a wide type without byte order', "{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }", 'has no byte order but is 4 bytes wide'],
    ['no fortran_order', "{'descr': '<f4', 'shape': (1,), }", "no 'fortran_order'"],
    ['fortran_order 0', "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", "'fortran_order' should be True or False"],
    ['a negative dimension', "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 'non-negative integers'],
    ['an int shape', "{'descr': '<f4', 'fortran_order': False, 'shape': 3, }", "'shape' should be a tuple"],
    ['an unclosed dict', "{'descr': '<f4', 'fortran_order': False, 'shape': (1,) ", "expected ',' or '}'"],
    ['code instead of a dict', "__import__('os').system('x')", 'unexpected'],
    ['500 nested parentheses', '('.repeat(500), 'nests deeper than 16 levels'],
  ])('a header with %s is rejected, naming the problem', (_label, header, problem) => {
    const e = catchDataError(() => parseNpy(npy('', [], bytes([1, 2], 'f4'), { header }), 'bad.npy'));
    expect(e.message).toContain('bad.npy');
    expect(e.message).toContain(problem);
  });
});

const numpyCheck = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
const hasNumpy = numpyCheck.status === 0;

// Files written by NumPy itself, compared with the values NumPy reports for them.
test.skipIf(!hasNumpy)(`reads files written by numpy itself${hasNumpy ? '' : ' — SKIPPED: python3 with numpy is not installed here'}`, () => {
  const out = path.join(dir, 'numpy');
  fs.mkdirSync(out);
  const script = `
import json, sys, numpy as np
from numpy.lib import format as fmt
out = sys.argv[1]
rng = np.random.default_rng(7)
cases = {
  'f4': rng.standard_normal((3, 4)).astype('<f4'),
  'f8': rng.standard_normal((2, 3, 2)),
  'i1': np.arange(-5, 5, dtype='i1'),
  'i2': np.arange(-320, 320, 40, dtype='<i2').reshape(2, 8),
  'i4': np.array([[-2**31, 2**31 - 1], [0, 7]], dtype='<i4'),
  'i8': np.arange(-6, 6, dtype='<i8').reshape(3, 4),
  'u1': rng.integers(0, 256, (4, 5, 3), dtype='u1'),
  'u2': np.array([0, 1, 65535], dtype='<u2'),
  'b1': np.array([[True, False], [False, True]]),
  'f4_be': np.arange(6, dtype='>f4').reshape(2, 3) / 4,
  'i4_be': np.arange(-3, 3, dtype='>i4'),
  'fortran': np.asfortranarray(np.arange(24, dtype='<f4').reshape(2, 3, 4)),
  'scalar': np.float32(2.5),
  'empty': np.zeros((0, 3), dtype='<f4'),
}
expected = {}
for name, a in cases.items():
  a = np.asarray(a)
  np.save(f'{out}/{name}.npy', a)
  expected[name] = {'shape': list(a.shape), 'values': np.ascontiguousarray(a).astype('f8').ravel().tolist(), 'descr': fmt.dtype_to_descr(a.dtype)}
for version in [(2, 0), (3, 0)]:
  a = np.arange(6, dtype='<f4').reshape(3, 2)
  with open(f'{out}/v{version[0]}.npy', 'wb') as f:
    fmt.write_array(f, a, version=version)
  expected[f'v{version[0]}'] = {'shape': [3, 2], 'values': a.ravel().astype('f8').tolist(), 'descr': '<f4'}
print(json.dumps(expected))
`;
  const expected = JSON.parse(execFileSync('python3', ['-c', script, out], { encoding: 'utf8' })) as Record<string, { shape: number[]; values: number[]; descr: string }>;
  expect(Object.keys(expected).length).toBe(16);
  for (const [name, want] of Object.entries(expected)) {
    const got = loadNpy(path.join(out, `${name}.npy`));
    expect({ name, shape: got.shape, descr: got.descr }).toEqual({ name, shape: want.shape, descr: want.descr });
    expect(Array.from(got.data), name).toEqual(want.values.map((v) => (got.dtype === 'float32' ? Math.fround(v) : v)));
  }
});
