import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DATASET_NAMES, DATASET_PRESETS, loadDataset, prepareDataset } from '../../src/trainer/data/datasets';
import { DataError } from '../../src/trainer/data/dataError';
import { cacheFileName, cacheSubdirFor, defaultCacheDir, downloadOnce, progressReporter, removeStalePartFiles } from '../../src/trainer/data/download';
import { MAX_DATA_FILE_BYTES } from '../../src/trainer/data/dataError';
import { tarFile } from './tarFile';

// Only ever a server this test starts on the loopback address: no test touches the network.
const BODY = crypto.randomBytes(200_000);
const SHA = crypto.createHash('sha256').update(BODY).digest('hex');
const hits: Record<string, number> = {};
/** Dataset files the server serves by path (set by the prepareDataset tests). */
const FILES: Record<string, Buffer> = {};
let server: http.Server;
let base: string;
let dir: string;
let cacheN = 0;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'download-test-'));
  server = http.createServer((req, res) => {
    const url = req.url ?? '';
    hits[url] = (hits[url] ?? 0) + 1;
    const file = Object.prototype.hasOwnProperty.call(FILES, url) ? FILES[url] : undefined;
    if (file) {
      res.writeHead(200, { 'content-length': file.length });
      // 20 writes, so the progress lines have something to report
      const step = Math.ceil(file.length / 20);
      for (let at = 0; at < file.length; at += step) res.write(file.subarray(at, at + step));
      res.end();
      return;
    }
    if (url === '/data.bin' || url === '/sub/data.bin') {
      res.writeHead(200, { 'content-length': BODY.length });
      // several writes, so progress is reported more than once
      for (let at = 0; at < BODY.length; at += 50_000) res.write(BODY.subarray(at, at + 50_000));
      res.end();
    } else if (url === '/nolength.bin') {
      res.writeHead(200); // chunked: no Content-Length
      res.end(BODY.subarray(0, 1000));
    } else if (url === '/redirect') {
      res.writeHead(302, { location: '/sub/data.bin' });
      res.end();
    } else if (url === '/cut.bin') {
      res.writeHead(200, { 'content-length': 10_000 });
      res.write(BODY.subarray(0, 4000), () => res.socket?.destroy());
    } else if (url === '/trickle.bin') {
      // one byte every 100 ms: never idle long enough for the idle timeout
      res.writeHead(200, { 'content-length': 1000 });
      const t = setInterval(() => res.write('x'), 100);
      res.on('close', () => clearInterval(t));
    } else if (url === '/huge.bin') {
      res.writeHead(200, { 'content-length': String(3 * 1024 ** 3) });
      res.flushHeaders(); // a 3 GiB promise, and nothing sent
    } else if (url === '/big-nolength.bin') {
      res.writeHead(200); // chunked, no Content-Length: only the bytes tell the size
      for (let i = 0; i < 5; i++) res.write(BODY);
      res.end();
    } else if (url === '/stall.bin') {
      res.writeHead(200, { 'content-length': 10 });
      res.flushHeaders(); // and then never a byte
    } else {
      res.writeHead(404);
      res.end('not here');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

const freshCache = () => path.join(dir, `cache${cacheN++}`);
const listing = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d).sort() : []);

async function rejection(p: Promise<unknown>): Promise<DataError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}

test('downloads into the cache with progress, then serves the cached file without asking again', async () => {
  const cache = freshCache();
  const progress: [number, number | undefined][] = [];
  const file = await downloadOnce(`${base}/data.bin`, cache, { onProgress: (b, t) => progress.push([b, t]), sha256: SHA });
  expect(file).toBe(path.join(cache, 'data.bin'));
  expect(fs.readFileSync(file).equals(BODY)).toBe(true);
  expect(listing(cache)).toEqual(['data.bin']); // no temp file left
  expect(progress.length).toBeGreaterThan(1);
  expect(progress.every(([b, t], i) => t === BODY.length && (i === 0 || b > progress[i - 1][0]))).toBe(true);
  expect(progress[progress.length - 1]).toEqual([BODY.length, BODY.length]);
  const before = hits['/data.bin'];
  expect(await downloadOnce(`${base}/data.bin`, cache)).toBe(file);
  expect(hits['/data.bin']).toBe(before);
});

test('follows redirects; without Content-Length the total is undefined', async () => {
  const cache = freshCache();
  const file = await downloadOnce(`${base}/redirect`, cache, { fileName: 'mnist.bin' });
  expect(file).toBe(path.join(cache, 'mnist.bin'));
  expect(fs.readFileSync(file).equals(BODY)).toBe(true);
  const totals: (number | undefined)[] = [];
  const small = await downloadOnce(`${base}/nolength.bin`, cache, { onProgress: (_b, t) => totals.push(t) });
  expect(fs.statSync(small).size).toBe(1000);
  expect(totals.length).toBeGreaterThan(0);
  expect(totals.every((t) => t === undefined)).toBe(true);
});

test('a sha256 mismatch throws and caches nothing', async () => {
  const cache = freshCache();
  const e = await rejection(downloadOnce(`${base}/data.bin`, cache, { sha256: '0'.repeat(64) }));
  expect(e.message).toContain(`sha256 mismatch: expected ${'0'.repeat(64)}, downloaded ${SHA}`);
  expect(listing(cache)).toEqual([]);
});

test('HTTP errors, a connection cut mid-body and a stalled server: clear errors, nothing cached', async () => {
  const cache = freshCache();
  const e404 = await rejection(downloadOnce(`${base}/nothing.bin`, cache));
  expect(e404.file).toBe(`${base}/nothing.bin`);
  expect(e404.message).toContain('HTTP 404');
  const cut = await rejection(downloadOnce(`${base}/cut.bin`, cache));
  expect(cut.message).toMatch(/of 10000 bytes/);
  const stall = await rejection(downloadOnce(`${base}/stall.bin`, cache, { idleTimeoutMs: 300 }));
  expect(stall.message).toContain('ETIMEDOUT');
  expect(listing(cache)).toEqual([]);
});

describe('bounded downloads', () => {
  test('a trickle that never goes idle fails on the total timeout, and on the speed floor; nothing is cached', async () => {
    const cache = freshCache();
    const slowOff = { minBytesPerSec: 0 };
    const total = await rejection(downloadOnce(`${base}/trickle.bin`, cache, { idleTimeoutMs: 5_000, totalTimeoutMs: 1_200, ...slowOff }));
    expect(total.message).toMatch(/^http:.*\/trickle\.bin: the download took more than 1\.2 s \(\d+ of 1000 bytes received\); the partial file was discarded$/);
    const slow = await rejection(downloadOnce(`${base}/trickle.bin`, cache, { idleTimeoutMs: 5_000, minBytesPerSec: 1000, slowWindowMs: 600 }));
    expect(slow.message).toMatch(/the download is too slow: \d+ bytes in the last 0\.6 s, less than 1000 bytes\/s \(\d+ of 1000 bytes received\)/);
    expect(listing(cache)).toEqual([]);
  });

  test('with default options, a body larger than a loader can read is refused before a byte is stored', async () => {
    const cache = freshCache();
    const e = await rejection(downloadOnce(`${base}/huge.bin`, cache));
    expect(e.message).toContain(`the file is ${3 * 1024 ** 3} bytes, more than the ${MAX_DATA_FILE_BYTES}-byte limit (the largest file a loader can read)`);
    expect(MAX_DATA_FILE_BYTES).toBe(2 ** 31 - 1); // what fs.readFileSync can return in one buffer
    // a larger maxBytes cannot raise the cap past what the loaders read
    const e2 = await rejection(downloadOnce(`${base}/huge.bin`, cache, { maxBytes: 4 * 1024 ** 3 }));
    expect(e2.message).toContain(`more than the ${MAX_DATA_FILE_BYTES}-byte limit`);
    expect(listing(cache)).toEqual([]);
  });

  test('without Content-Length the cap holds as the bytes arrive; the .part file is removed', async () => {
    const cache = freshCache();
    const e = await rejection(downloadOnce(`${base}/big-nolength.bin`, cache, { maxBytes: 300_000 }));
    expect(e.message).toContain('the download passed the 300000-byte limit (the largest file a loader can read); the partial file was discarded');
    expect(listing(cache)).toEqual([]);
    // under the cap it is cached whole
    const ok = await downloadOnce(`${base}/big-nolength.bin`, cache, { maxBytes: 2_000_000 });
    expect(fs.statSync(ok).size).toBe(5 * BODY.length);
    expect(listing(cache)).toEqual(['big-nolength.bin']);
  });

  test('an unusable cached file (empty, or beyond the cap) is fetched again instead of served', async () => {
    const cache = freshCache();
    fs.mkdirSync(cache, { recursive: true });
    fs.writeFileSync(path.join(cache, 'data.bin'), '');
    const before = hits['/data.bin'] ?? 0;
    const file = await downloadOnce(`${base}/data.bin`, cache);
    expect(fs.readFileSync(file).equals(BODY)).toBe(true);
    expect(hits['/data.bin']).toBe(before + 1);
    // a sparse file one byte past the cap, as an older version's 4 GiB cap could leave
    const big = path.join(cache, 'sub-data.bin');
    fs.closeSync(fs.openSync(big, 'w'));
    fs.truncateSync(big, MAX_DATA_FILE_BYTES + 1);
    const again = await downloadOnce(`${base}/sub/data.bin`, cache, { fileName: 'sub-data.bin' });
    expect(fs.statSync(again).size).toBe(BODY.length);
  });

  test(".part files of a killed download are cleaned at the next download; a live one's are kept", async () => {
    const cache = freshCache();
    fs.mkdirSync(cache, { recursive: true });
    // a pid that is not running: one past the largest the kernel hands out is never a process
    const deadPid = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1;
    fs.writeFileSync(path.join(cache, `data.bin.${deadPid}.abcd1234.part`), 'half');
    fs.writeFileSync(path.join(cache, `data.bin.${process.pid}.ffff0000.part`), 'mine, in progress');
    fs.writeFileSync(path.join(cache, 'other.bin.1.abcd.part.keep'), 'not ours');
    await downloadOnce(`${base}/data.bin`, cache);
    expect(listing(cache)).toEqual(['data.bin', `data.bin.${process.pid}.ffff0000.part`, 'other.bin.1.abcd.part.keep']);
    expect(removeStalePartFiles(cache, 'data.bin')).toEqual([]);
  });

  test('.part files of any download killed before are cleaned even when the file asked for is already cached', async () => {
    const cache = freshCache();
    await downloadOnce(`${base}/data.bin`, cache);
    const deadPid = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1;
    fs.writeFileSync(path.join(cache, `other.bin.${deadPid}.0123abcd.part`), 'half of another file');
    await downloadOnce(`${base}/data.bin`, cache);
    expect(listing(cache)).toEqual(['data.bin']);
  });
});

test('offline (nothing listening) says so', async () => {
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const cache = freshCache();
  const e = await rejection(downloadOnce(`http://127.0.0.1:${port}/train-images-idx3-ubyte.gz`, cache));
  expect(e.message).toContain('ECONNREFUSED');
  expect(e.message).toContain('looks offline');
  expect(e.message).toContain('give its path instead');
  expect(listing(cache)).toEqual([]);
});

test('only http(s) URLs, and cache names cannot escape the cache folder', async () => {
  expect((await rejection(downloadOnce('file:///etc/passwd', freshCache()))).message).toContain('only http and https');
  expect((await rejection(downloadOnce(`${base}/data.bin`, freshCache(), { fileName: '../x' }))).message).toContain('plain file name');
  expect(cacheFileName('https://example.org/a/b/train-images-idx3-ubyte.gz?x=1')).toBe('train-images-idx3-ubyte.gz');
  expect(cacheFileName('https://example.org/%2E%2E%2Fetc%2Fpasswd')).toBe('_etc_passwd');
  expect(cacheFileName('https://example.org/')).toBe('download');
  expect(cacheFileName('https://example.org/a%E0%A4%A.bin')).toBe('a_E0_A4_A.bin'); // a malformed escape is not a crash
});

// ---- prepareDataset: URL specs and presets, downloaded once into the cache before loadDataset ----

/** MNIST-shaped IDX files in the real format: `n` images 28x28 (pixel = (i + p) % 256) and labels i % 10. */
function idxFiles(n: number): { images: Buffer; labels: Buffer } {
  const raw = Buffer.alloc(16 + n * 784);
  [0x803, n, 28, 28].forEach((v, i) => raw.writeUInt32BE(v, 4 * i));
  for (let i = 0; i < n * 784; i++) raw[16 + i] = (Math.floor(i / 784) + (i % 784)) % 256;
  const lab = Buffer.alloc(8 + n);
  [0x801, n].forEach((v, i) => lab.writeUInt32BE(v, 4 * i));
  for (let i = 0; i < n; i++) lab[8 + i] = i % 10;
  return { images: zlib.gzipSync(raw), labels: zlib.gzipSync(lab) };
}


const modelFile = () => path.join(dir, 'm.model.ts');

describe('prepareDataset', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    const { images, labels } = idxFiles(50);
    FILES['/mnist/train-images-idx3-ubyte.gz'] = images;
    FILES['/mnist/train-labels-idx1-ubyte.gz'] = labels;
    const rec = (label: number) => Buffer.concat([Buffer.from([label]), Buffer.alloc(3072, label * 20)]);
    const batch = Buffer.concat(Array.from({ length: 20 }, (_, i) => rec(i % 10)));
    FILES['/cifar/cifar-10-binary.tar.gz'] = zlib.gzipSync(
      tarFile([
        ...[1, 2, 3, 4, 5].map((i): [string, Buffer] => [`cifar-10-batches-bin/data_batch_${i}.bin`, batch]),
        ['cifar-10-batches-bin/test_batch.bin', batch.subarray(0, 3073 * 5)],
        ['cifar-10-batches-bin/batches.meta.txt', Buffer.from('airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n')],
      ]),
    );
  });

  const idxSpec = () => ({ type: 'idx', url: `${base}/mnist/train-images-idx3-ubyte.gz`, labelsUrl: `${base}/mnist/train-labels-idx1-ubyte.gz`, classes: 10 });

  test('an IDX spec with url downloads once with progress lines; the second run uses the cache; loadDataset reads it', async () => {
    const cache = freshCache();
    const before = { img: hits['/mnist/train-images-idx3-ubyte.gz'] ?? 0, lab: hits['/mnist/train-labels-idx1-ubyte.gz'] ?? 0 };
    const lines: string[] = [];
    const ready = (await prepareDataset(idxSpec(), { log: (m) => lines.push(m), cacheDir: cache, modelFile: modelFile() })) as { type: string; path: string; labels: string };
    expect(ready.type).toBe('idx');
    expect(ready.path).toBe(path.join(cache, cacheSubdirFor(`${base}/mnist/x`), 'train-images-idx3-ubyte.gz'));
    expect(ready).not.toHaveProperty('url');
    const pct = lines.filter((l) => l.startsWith('Downloading train-images-idx3-ubyte.gz: ')).map((l) => Number(/: (\d+)%/.exec(l)![1]));
    // however the bytes arrive in chunks: steps of 10%, rising, ending at 100%
    expect(pct[pct.length - 1]).toBe(100);
    expect(pct.every((v, i) => v % 10 === 0 && (i === 0 || v > pct[i - 1]))).toBe(true);
    expect(lines.some((l) => /^Downloaded train-labels-idx1-ubyte\.gz/.test(l))).toBe(true);

    const again: string[] = [];
    const second = await prepareDataset(idxSpec(), { log: (m) => again.push(m), cacheDir: cache, modelFile: modelFile() });
    expect(second).toEqual(ready);
    expect(again.every((l) => l.startsWith('Using '))).toBe(true);
    // one request per file, in all
    expect(hits['/mnist/train-images-idx3-ubyte.gz']).toBe(before.img + 1);
    expect(hits['/mnist/train-labels-idx1-ubyte.gz']).toBe(before.lab + 1);

    const d = loadDataset(tf, ready, { modelFile: modelFile() });
    expect(d.xs.shape).toEqual([50, 28, 28, 1]);
    expect(d.ys.shape).toEqual([50, 10]);
    tf.dispose([d.xs, d.ys]);
    // the URL spec itself loads from the cache once downloaded (the preview does this) …
    const fromUrl = loadDataset(tf, idxSpec(), { modelFile: modelFile(), cacheDir: cache });
    expect(fromUrl.xs.shape).toEqual([50, 28, 28, 1]);
    tf.dispose([fromUrl.xs, fromUrl.ys]);
    // … and says what to do when it is not
    expect(() => loadDataset(tf, idxSpec(), { modelFile: modelFile(), cacheDir: freshCache() })).toThrow(/not downloaded yet/);
  });

  test('a sha256 mismatch is a clear error and caches nothing; the right one passes', async () => {
    const cache = freshCache();
    const wrong = { ...idxSpec(), sha256: 'a'.repeat(64) };
    await expect(prepareDataset(wrong, { cacheDir: cache, modelFile: modelFile() })).rejects.toThrow(/sha256 mismatch: expected a{64}, downloaded [0-9a-f]{64}; the file was not cached/);
    expect(fs.readdirSync(path.join(cache, cacheSubdirFor(`${base}/mnist/x`)))).toEqual([]);
    const right = { ...idxSpec(), sha256: crypto.createHash('sha256').update(FILES['/mnist/train-images-idx3-ubyte.gz']).digest('hex') };
    await expect(prepareDataset(right, { cacheDir: cache, modelFile: modelFile() })).resolves.toHaveProperty('path');
    // a cached file is checked against a sha256 the spec names later
    await expect(prepareDataset({ ...idxSpec(), sha256: 'b'.repeat(64) }, { cacheDir: cache, modelFile: modelFile() })).rejects.toThrow(/the cached file's sha256 is [0-9a-f]{64}, not the expected b{64}; delete it to download again/);
  });

  test('offline (connection refused): the error says the machine looks offline and to give a local path', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const spec = { type: 'idx', url: `http://127.0.0.1:${port}/train-images-idx3-ubyte.gz`, labelsUrl: `http://127.0.0.1:${port}/train-labels-idx1-ubyte.gz` };
    const e = await rejection(prepareDataset(spec, { cacheDir: freshCache(), modelFile: modelFile() }));
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.message).toContain('looks offline');
    expect(e.message).toMatch(/give a local path instead, e\.g\. \{ type: 'idx', path: /);
  });

  test('a CIFAR-10 url: the .tar.gz is downloaded once and unpacked in the cache', async () => {
    const cache = freshCache();
    const spec = { type: 'cifar10', url: `${base}/cifar/cifar-10-binary.tar.gz`, split: 'test' };
    const before = hits['/cifar/cifar-10-binary.tar.gz'] ?? 0;
    const lines: string[] = [];
    const ready = (await prepareDataset(spec, { log: (m) => lines.push(m), cacheDir: cache, modelFile: modelFile() })) as { path: string };
    expect(ready.path).toBe(path.join(cache, cacheSubdirFor(spec.url), 'cifar-10-batches-bin'));
    expect(lines).toContain('Unpacking cifar-10-binary.tar.gz');
    await prepareDataset(spec, { cacheDir: cache, modelFile: modelFile() });
    expect(hits['/cifar/cifar-10-binary.tar.gz']).toBe(before + 1);
    const d = loadDataset(tf, ready, { modelFile: modelFile() });
    expect(d.xs.shape).toEqual([5, 32, 32, 3]);
    expect(d.classNames).toContain('truck');
    tf.dispose([d.xs, d.ys]);
  });

  test('presets fashion-mnist and mnist-full: cached under their names, loaded with their class names; nothing else is touched', async () => {
    const cache = freshCache();
    // Not downloaded: loadDataset says so (the tests never reach the real URLs).
    expect(() => loadDataset(tf, 'fashion-mnist', { cacheDir: cache })).toThrow(/Fashion-MNIST is not downloaded yet.*give the files instead/);
    const { images, labels } = idxFiles(30);
    fs.mkdirSync(path.join(cache, 'fashion-mnist'), { recursive: true });
    fs.writeFileSync(path.join(cache, 'fashion-mnist', 'train-images-idx3-ubyte.gz'), images);
    fs.writeFileSync(path.join(cache, 'fashion-mnist', 'train-labels-idx1-ubyte.gz'), labels);
    const lines: string[] = [];
    expect(await prepareDataset('fashion-mnist', { log: (m) => lines.push(m), cacheDir: cache })).toBe('fashion-mnist');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.startsWith('Using '))).toBe(true);
    const d = loadDataset(tf, 'fashion-mnist', { cacheDir: cache, limit: 20 });
    expect(d.description).toMatch(/^Fashion-MNIST: 20 images 28x28x1/);
    expect(d.classNames?.[9]).toBe('Ankle boot');
    tf.dispose([d.xs, d.ys]);
    expect(DATASET_NAMES).toEqual(expect.arrayContaining(['fashion-mnist', 'mnist-full']));
    expect(DATASET_PRESETS['mnist-full'].images).toMatch(/^https:\/\/.*train-images-idx3-ubyte\.gz$/);
    // Specs without a URL pass through untouched.
    expect(await prepareDataset('iris', { cacheDir: cache })).toBe('iris');
    const local = { type: 'idx', path: '/x/a.gz', labels: '/x/b.gz' };
    expect(await prepareDataset(local, { cacheDir: cache })).toBe(local);
  });

  test('cache folder: $MODEL_LAB_CACHE, else ~/.cache/model-lab/datasets; progress without a size every 10 MB', () => {
    expect(defaultCacheDir({ MODEL_LAB_CACHE: '/tmp/mlc' })).toBe(path.resolve('/tmp/mlc'));
    expect(defaultCacheDir({})).toBe(path.join(os.homedir(), '.cache', 'model-lab', 'datasets'));
    const steps: string[] = [];
    const mb = 1024 * 1024;
    const withSize = progressReporter('x.gz', (l) => steps.push(l));
    for (let b = 1; b <= 100; b++) withSize(b * 0.2 * mb, 20 * mb);
    expect(steps.map((l) => /: (\d+)%/.exec(l)![1])).toEqual(['10', '20', '30', '40', '50', '60', '70', '80', '90', '100']);
    expect(steps[2]).toBe('Downloading x.gz: 30% (6.0 of 20.0 MB)');
    const lines: string[] = [];
    const r = progressReporter('x.gz', (l) => lines.push(l));
    for (let b = 1; b <= 25; b++) r(b * 1024 * 1024, undefined);
    expect(lines).toEqual(['Downloading x.gz: 10.0 MB', 'Downloading x.gz: 20.0 MB']);
    expect(cacheSubdirFor('https://a.org/x/f.gz')).not.toBe(cacheSubdirFor('https://b.org/x/f.gz'));
    expect(cacheSubdirFor('https://a.org/x/f.gz')).toBe(cacheSubdirFor('https://a.org/x/g.gz'));
  });

  test('spec checks: path or url (not both), sha256 only with its url', async () => {
    const { parseDatasetSpec } = await import('../../src/trainer/data/datasetSpec');
    const p = (v: unknown) => () => parseDatasetSpec(v, modelFile(), DATASET_NAMES);
    expect(p({ type: 'idx', labels: './l.gz' })).toThrow(/\.path is missing: .*or \.url with an http:\/\/ or https:\/\/ URL/);
    expect(p({ type: 'idx', path: './i.gz', url: 'https://x/i.gz', labels: './l' })).toThrow(/give \.path or \.url, not both/);
    expect(p({ type: 'idx', path: './i.gz', labels: './l', sha256: 'a'.repeat(64) })).toThrow(/\.sha256 checks a download: it needs \.url/);
    expect(p({ type: 'cifar10', url: 'ftp://x/c.tar.gz' })).toThrow(/\.url must be an http:\/\/ or https:\/\/ URL/);
    expect(p({ type: 'cifar10', url: 'https://x/c.tar.gz', sha256: 'xyz' })).toThrow(/64 hex digits/);
    expect(parseDatasetSpec({ type: 'cifar10', url: 'https://x/c.tar.gz' }, modelFile(), DATASET_NAMES)).toEqual({ type: 'cifar10', url: 'https://x/c.tar.gz' });
  });
});
