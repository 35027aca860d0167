// The browser harness: serves the built webview (dist/webview) inside the real panel HTML (the same
// renderHtml and strict CSP as src/views/panelHtml.ts), with a stand-in for acquireVsCodeApi — the
// one boundary the webview does not own — and replays recorded host -> webview message streams.
// Chromium is Debian's, driven by playwright-core.
import { build } from 'esbuild';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const root = resolve(import.meta.dirname, '../..');
export const THEMES = { light: 'vscode-light', dark: 'vscode-dark', 'hc-dark': 'vscode-high-contrast', 'hc-light': 'vscode-high-contrast-light' };

const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

/** renderHtml from src/views/panelHtml.ts, bundled on the fly so the page is the panel's own. */
async function loadRenderHtml() {
  const out = join(mkdtempSync(join(tmpdir(), 'modellab-harness-')), 'panelHtml.mjs');
  await build({ entryPoints: [join(root, 'src/views/panelHtml.ts')], outfile: out, bundle: true, format: 'esm', platform: 'node', logLevel: 'silent' });
  return (await import(out)).renderHtml;
}

const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.ttf': 'font/ttf', '.woff2': 'font/woff2' };

/** Starts the page server and Chromium; returns helpers and `close()`. */
export async function startHarness() {
  if (!existsSync(join(root, 'dist/webview/main.js'))) throw new Error('dist/webview/main.js is missing: run `npm run build` first');
  const renderHtml = await loadRenderHtml();
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/favicon.ico') {
      res.statusCode = 204;
      res.end();
      return;
    }
    if (url.pathname === '/panel') {
      const origin = `http://${req.headers.host}`;
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(
        renderHtml({
          cspSource: origin,
          nonce: 'harnessNonce0123456789AB',
          scriptUri: `${origin}/dist/webview/main.js`,
          styleUris: [`${origin}/dist/webview/uPlot.min.css`, `${origin}/dist/webview/styles.css`, `${origin}/test/browser/themes.css`],
          locale: url.searchParams.get('locale') ?? 'en',
        }),
      );
      return;
    }
    const file = join(root, url.pathname);
    const allowed = file.startsWith(join(root, 'dist/webview')) || file === join(root, 'test/browser/themes.css');
    if (!allowed || !existsSync(file)) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
    res.end(readFileSync(file));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_FLAGS });

  /**
   * Opens the panel in a theme and locale at `width` px. Returns the page plus what the page said:
   * console errors and CSP violations (both should stay empty), and the messages it sent the host.
   */
  async function openPanel({ theme = 'dark', locale = 'en', width = 700, height = 900, reducedMotion = 'reduce', onMessage } = {}) {
    const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1, reducedMotion, locale: locale === 'zh-cn' ? 'zh-CN' : 'en-US' });
    const page = await context.newPage();
    // A host that answers: `onMessage(msg, post)` hears each message the panel sends; `post` answers it.
    if (onMessage) {
      const post = (msg) => page.evaluate((text) => window.postMessage(JSON.parse(text), '*'), JSON.stringify(msg)).catch(() => undefined);
      await page.exposeBinding('__toHost', (_source, m) => onMessage(m, post));
    }
    const problems = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.addInitScript(({ theme, bodyClass }) => {
      // The stand-in for VS Code's webview API: records what the panel sends, keeps its saved state.
      let saved;
      window.__sent = [];
      window.__modelLabTest = true;
      window.acquireVsCodeApi = () => ({
        postMessage: (m) => {
          window.__sent.push(m);
          window.__toHost?.(m);
        },
        getState: () => saved,
        setState: (s) => (saved = s),
      });
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
      // As VS Code does, the theme is on <html> and <body> before the panel's script runs.
      const mo = new MutationObserver(() => {
        if (document.documentElement) document.documentElement.dataset.harnessTheme = theme;
        if (document.body) {
          document.body.classList.add(bodyClass);
          mo.disconnect();
        }
      });
      mo.observe(document, { childList: true, subtree: true });
    }, { theme, bodyClass: THEMES[theme] });
    await page.goto(`${base}/panel?locale=${encodeURIComponent(locale)}`);
    await page.waitForFunction(() => window.__sent.some((m) => m.type === 'ready'));
    return { page, problems, close: () => context.close() };
  }

  return {
    openPanel,
    async close() {
      await browser.close();
      await new Promise((ok) => server.close(ok));
    },
  };
}

/** A TypeScript module of Model Lab (host code such as src/training/compareRuns.ts), bundled for Node. */
export async function loadModule(entry) {
  const out = join(mkdtempSync(join(tmpdir(), 'modellab-harness-')), 'module.mjs');
  await build({ entryPoints: [join(root, entry)], outfile: out, bundle: true, format: 'esm', platform: 'node', logLevel: 'silent' });
  return import(out);
}

/** A recorded stream: `{ at, msg }[]` (ms since the run started, message). */
export function stream(name) {
  return JSON.parse(readFileSync(join(root, 'test/browser/streams', `${name}.json`), 'utf8')).messages;
}

/**
 * Posts `msgs` to the page as the host does (VS Code serialises as JSON, so NaN arrives as null),
 * then waits for the panel to have drawn them (two animation frames after its 100 ms throttle).
 */
export async function replay(page, msgs) {
  // One JSON string crosses into the page: Playwright's per-object argument encoding is slow for
  // hundreds of thousands of points, and JSON is what VS Code's postMessage does anyway.
  await page.evaluate((text) => {
    for (const m of JSON.parse(text)) window.postMessage(m, '*');
  }, JSON.stringify(msgs));
  await settle(page);
}

export async function settle(page) {
  await page.waitForTimeout(160);
  await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
}
