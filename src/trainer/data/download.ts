/**
 * Download a dataset file once into a cache folder. The body streams to a temp file in the same
 * folder and is renamed into place only when complete (and its sha256 matches, when given), so a
 * file in the cache is always whole: an interrupted download leaves no cached file behind.
 * Every download is bounded: in size (what a loader can read, MAX_DATA_FILE_BYTES, with or
 * without Content-Length), in idle time, in speed (a trickle fails) and in total time.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataError, MAX_DATA_FILE_BYTES } from './dataError';
import { msg } from '../messages';

export interface DownloadOptions {
  /** Called as bytes arrive; `total` is undefined when the server sends no Content-Length. */
  onProgress?: (bytes: number, total: number | undefined) => void;
  /** Expected SHA-256 of the file, hex. A mismatch deletes the download and throws. */
  sha256?: string;
  /** Name in the cache; default: the last path segment of the URL. */
  fileName?: string;
  /** Give up when no data arrives for this long (ms). Default 30 s. */
  idleTimeoutMs?: number;
  /** Give up when the whole download takes longer than this (ms). Default 1 hour. */
  totalTimeoutMs?: number;
  /**
   * Give up when fewer than `minBytesPerSec` arrive over `slowWindowMs` (defaults 1 KiB/s over
   * 60 s): a server that sends a byte every 20 s never trips the idle timeout, but this.
   */
  minBytesPerSec?: number;
  slowWindowMs?: number;
  /** Refuse bodies larger than this (bytes). Default and upper bound: MAX_DATA_FILE_BYTES, what a loader can read. */
  maxBytes?: number;
  maxRedirects?: number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 60 * 60_000;
export const DEFAULT_MIN_BYTES_PER_SEC = 1024;
export const DEFAULT_SLOW_WINDOW_MS = 60_000;

const isAlive = (pid: number): boolean => {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Deletes `<name>.<pid>.<hex>.part` files in `cacheDir` (of every name when `name` is not given)
 * left by a download whose process is gone (killed mid-download); a live process's download is
 * left alone, and so is one newer than this process (its pid cannot be a reused one of ours).
 */
export function removeStalePartFiles(cacheDir: string, name?: string): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(cacheDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const processStart = Date.now() - process.uptime() * 1000;
  for (const e of entries) {
    if ((name !== undefined && !e.startsWith(`${name}.`)) || !e.endsWith('.part')) continue;
    const m = /\.(\d+)\.[0-9a-f]+\.part$/.exec(name !== undefined ? e.slice(name.length) : e);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && isAlive(pid)) continue;
    const file = path.join(cacheDir, e);
    try {
      // Ours from this very process (another download of it in progress): not a leftover.
      if (pid === process.pid && fs.statSync(file).mtimeMs >= processStart) continue;
      fs.rmSync(file, { force: true });
      removed.push(e);
    } catch {
      // gone already, or not ours to delete
    }
  }
  return removed;
}

/**
 * `file` if it is in the cache and usable: not empty and no larger than a loader can read. An
 * unusable one (cached by an older version with a larger cap, or cut short by hand) is deleted
 * so it is downloaded again rather than failing every run.
 */
export function usableCachedFile(file: string, maxBytes = MAX_DATA_FILE_BYTES): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return undefined;
  }
  if (!st.isFile()) return undefined;
  if (st.size === 0 || st.size > Math.min(maxBytes, MAX_DATA_FILE_BYTES)) {
    fs.rmSync(file, { force: true });
    return undefined;
  }
  return file;
}

const OFFLINE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNRESET', 'ETIMEDOUT']);

/** The cache file name for a URL: its last path segment, restricted to safe characters. */
export function cacheFileName(url: string): string {
  const last = new URL(url).pathname.split('/').filter(Boolean).pop() ?? '';
  let base = last;
  try {
    base = decodeURIComponent(last);
  } catch {
    // malformed %-escape: keep it encoded; the character filter below makes it safe anyway
  }
  const safe = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return safe || 'download';
}

/**
 * Returns the path of `url`'s file in `cacheDir`, downloading it first if it is not there.
 * Only http: and https: URLs; redirects are followed.
 */
export async function downloadOnce(url: string, cacheDir: string, opts: DownloadOptions = {}): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DataError(msg('dl.badUrl'), { file: url });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new DataError(msg('dl.protocol', parsed.protocol), { file: url });
  const name = opts.fileName ?? cacheFileName(url);
  if (name !== path.basename(name) || name === '' || name === '.' || name === '..') throw new DataError(msg('dl.fileName', name), { file: url });
  const dest = path.join(cacheDir, name);
  // Every download's leftovers in this cache, not just this file's: a file already cached never downloads again.
  removeStalePartFiles(cacheDir);
  if (usableCachedFile(dest, opts.maxBytes) !== undefined) return dest;
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = `${dest}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.part`;
  try {
    const digest = await fetchToFile(parsed, tmp, opts, url);
    if (opts.sha256 && digest !== opts.sha256.toLowerCase()) {
      throw new DataError(msg('dl.sha256', opts.sha256.toLowerCase(), digest), { file: url });
    }
    fs.renameSync(tmp, dest);
    return dest;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function fetchToFile(start: URL, tmp: string, opts: DownloadOptions, original: string): Promise<string> {
  const idle = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const totalMs = opts.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS;
  const minRate = opts.minBytesPerSec ?? DEFAULT_MIN_BYTES_PER_SEC;
  const windowMs = opts.slowWindowMs ?? DEFAULT_SLOW_WINDOW_MS;
  // A larger cap would only fetch a file the loaders then refuse.
  const maxBytes = Math.min(opts.maxBytes ?? MAX_DATA_FILE_BYTES, MAX_DATA_FILE_BYTES);
  let redirectsLeft = opts.maxRedirects ?? 5;
  return new Promise<string>((resolve, reject) => {
    let settled = false;
    let out: fs.WriteStream | undefined;
    let req: http.ClientRequest | undefined;
    let res: http.IncomingMessage | undefined;
    let bytes = 0;
    let total: number | undefined;
    const timers: NodeJS.Timeout[] = [];
    const stopTimers = () => timers.forEach((t) => clearTimeout(t));
    const received = () => `${bytes}${total !== undefined ? ` of ${total}` : ''} bytes`;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      stopTimers();
      res?.destroy();
      req?.destroy();
      // Reject only once the temp file is closed: the caller deletes it, and a stream still opening
      // its file would otherwise re-create it after the delete and leave a .part file in the cache.
      if (out && !out.closed) {
        out.once('close', () => reject(e));
        out.destroy();
      } else {
        reject(e);
      }
    };
    timers.push(
      setTimeout(
        () => fail(new DataError(msg('dl.tookTooLong', totalMs / 1000, received()), { file: original })),
        totalMs,
      ),
    );
    let windowStartBytes = 0;
    const checkSpeed = () => {
      const got = bytes - windowStartBytes;
      if (got < (minRate * windowMs) / 1000)
        return fail(
          new DataError(
            msg('dl.tooSlow', got, windowMs / 1000, minRate, received()),
            { file: original },
          ),
        );
      windowStartBytes = bytes;
      timers.push(setTimeout(checkSpeed, windowMs));
    };
    timers.push(setTimeout(checkSpeed, windowMs));
    const get = (u: URL) => {
      const mod = u.protocol === 'https:' ? https : http;
      req = mod.get(u, { headers: { 'user-agent': 'model-lab' } }, (response) => {
        res = response;
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400 && response.headers.location) {
          response.resume();
          if (redirectsLeft-- <= 0) return fail(new DataError(msg('dl.redirects'), { file: original }));
          let next: URL;
          try {
            next = new URL(response.headers.location, u);
          } catch {
            return fail(new DataError(msg('dl.badRedirect', String(response.headers.location)), { file: original }));
          }
          if (next.protocol !== 'http:' && next.protocol !== 'https:') return fail(new DataError(msg('dl.redirectProtocol', next.protocol), { file: original }));
          return get(next);
        }
        if (status !== 200) {
          response.resume();
          return fail(new DataError(msg('dl.http', `${status} ${response.statusMessage ?? ''}`.trim()), { file: original }));
        }
        const lengthHeader = response.headers['content-length'];
        total = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
        if (total !== undefined && total > maxBytes) {
          return fail(new DataError(msg('dl.tooLarge', total, maxBytes), { file: original }));
        }
        const hash = crypto.createHash('sha256');
        const file = fs.createWriteStream(tmp);
        out = file;
        file.on('error', (e) => {
          fail(new DataError(msg('dl.cannotWrite', tmp, e.message), { file: original, cause: e }));
        });
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > maxBytes) {
            return fail(new DataError(msg('dl.passedLimit', maxBytes), { file: original }));
          }
          hash.update(chunk);
          opts.onProgress?.(bytes, total);
        });
        response.pipe(file);
        // 'aborted'/'error' cover a server that closes mid-body; 'close' before 'end' is the same thing.
        let ended = false;
        response.on('end', () => {
          ended = true;
        });
        response.on('error', (e) => fail(offlineOrNetworkError(e, original, bytes, total)));
        response.on('close', () => {
          if (!ended || (total !== undefined && bytes !== total)) {
            fail(new DataError(msg('dl.closed', received()), { file: original }));
          }
        });
        // 'close', not 'finish': the file must be closed before it is renamed (and on Windows, removed).
        file.on('close', () => {
          if (settled) return;
          if (total !== undefined && bytes !== total) return fail(new DataError(msg('dl.short', bytes, total), { file: original }));
          settled = true;
          stopTimers();
          resolve(hash.digest('hex'));
        });
      });
      req.setTimeout(idle, () => {
        req?.destroy(Object.assign(new Error(msg('dl.idle', idle)), { code: 'ETIMEDOUT' }));
      });
      req.on('error', (e) => fail(offlineOrNetworkError(e, original)));
    };
    get(start);
  });
}

/** The errors that say this machine looks offline (their text is in the user's language, so it is not matched). */
const OFFLINE_ERRORS = new WeakSet<DataError>();

/** True for the error a download gives when the machine looks offline (no network, no DNS, refused). */
export function isOfflineError(e: unknown): boolean {
  return e instanceof DataError && OFFLINE_ERRORS.has(e);
}

function offlineOrNetworkError(e: unknown, url: string, bytes?: number, total?: number): DataError {
  const err = e as NodeJS.ErrnoException;
  const at = bytes === undefined ? '' : total !== undefined ? msg('dl.afterOf', bytes, total) : msg('dl.after', bytes);
  if (bytes === undefined && err.code && OFFLINE_CODES.has(err.code)) {
    const offline = new DataError(msg('dl.offline', err.code, at), { file: url, cause: e });
    OFFLINE_ERRORS.add(offline);
    return offline;
  }
  return new DataError(msg('dl.failed', at, err.message), { file: url, cause: e });
}

/** Where downloaded datasets live: $MODEL_LAB_CACHE, else ~/.cache/model-lab/datasets. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.MODEL_LAB_CACHE;
  if (override && override.trim() !== '') return path.resolve(override);
  return path.join(os.homedir(), '.cache', 'model-lab', 'datasets');
}

/**
 * The cache subfolder for a URL: host plus a short hash of the URL's folder, so two servers' (or two
 * folders') `train-images-idx3-ubyte.gz` never share a cache file, while an images/labels pair from
 * one folder lands side by side.
 */
export function cacheSubdirFor(url: string): string {
  const u = new URL(url);
  const folder = `${u.protocol}//${u.host}${u.pathname.replace(/[^/]*$/, '')}`;
  const host = u.hostname.replace(/[^A-Za-z0-9.-]/g, '_').replace(/^\.+/, '') || 'host';
  return `${host}-${crypto.createHash('sha256').update(folder).digest('hex').slice(0, 8)}`;
}

/**
 * An onProgress that reports in steps: every `stepPercent` % when the size is known, else every
 * `stepBytes` bytes, each as one line (`Downloading x.gz: 30% (9.2 of 30.7 MB)`).
 */
export function progressReporter(name: string, report: (line: string) => void, stepPercent = 10, stepBytes = 10 * 1024 * 1024): (bytes: number, total: number | undefined) => void {
  let next = stepPercent;
  let nextBytes = stepBytes;
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  return (bytes, total) => {
    if (total !== undefined && total > 0) {
      const pct = (bytes / total) * 100;
      if (pct < next) return;
      const shown = Math.min(100, Math.floor(pct / stepPercent) * stepPercent);
      next = shown + stepPercent;
      report(`Downloading ${name}: ${shown}% (${mb(bytes)} of ${mb(total)} MB)`);
    } else if (bytes >= nextBytes) {
      nextBytes = (Math.floor(bytes / stepBytes) + 1) * stepBytes;
      report(`Downloading ${name}: ${mb(bytes)} MB`);
    }
  };
}
