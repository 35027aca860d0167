import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DataError } from '../../src/trainer/data/dataError';
import { cacheFileName, downloadOnce } from '../../src/trainer/data/download';

// Only ever a server this test starts on the loopback address: no test touches the network.
const BODY = crypto.randomBytes(200_000);
const SHA = crypto.createHash('sha256').update(BODY).digest('hex');
const hits: Record<string, number> = {};
let server: http.Server;
let base: string;
let dir: string;
let cacheN = 0;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'download-test-'));
  server = http.createServer((req, res) => {
    const url = req.url ?? '';
    hits[url] = (hits[url] ?? 0) + 1;
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
