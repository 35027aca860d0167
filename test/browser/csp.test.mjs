// The panel's real Content-Security-Policy (renderHtml from src/views/panelHtml.ts, as the panel
// builds it) in real Chromium: markup injected into the page — an inline script, inline event
// handlers, a script from another origin, a script with a guessed nonce, a javascript: URL — does
// not run, and the browser reports each as a CSP violation; the panel's own nonce'd script does run.
// A control page with the same markup and no CSP proves the injected code would run otherwise.
// Run: npm run test:browser
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '../..');
const NONCE = 'cspTestNonce0123456789AB';

let panel; // the page server (the webview's origin)
let other; // another origin, serving a script the page must not run
let browser;
let otherHits = 0;
let renderHtml;

/** What an attacker could get into the page (e.g. through an unescaped run name), placed before </body>. */
const injected = (otherOrigin) => `
    <script>window.__ran.push('inline script')</script>
    <img id="broken" src="/no-such-image.png" onerror="window.__ran.push('onerror handler')">
    <button id="btn" onclick="window.__ran.push('onclick handler')">x</button>
    <a id="link" href="javascript:window.__ran.push('javascript: URL')">x</a>
    <script src="${otherOrigin}/evil.js"></script>
    <script nonce="guessedNonce0123456789AB">window.__ran.push('script with a guessed nonce')</script>
`;

const listen = (server) => new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server.address().port)));

before(async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'modellab-csp-')), 'panelHtml.mjs');
  await build({ entryPoints: [join(root, 'src/views/panelHtml.ts')], outfile: out, bundle: true, format: 'esm', platform: 'node', logLevel: 'silent' });
  ({ renderHtml } = await import(out));
  other = createServer((req, res) => {
    otherHits++;
    res.setHeader('content-type', 'text/javascript');
    res.end("window.__ran.push('script from another origin')");
  });
  // "localhost" and 127.0.0.1 are different origins to the browser.
  const otherOrigin = `http://localhost:${await listen(other)}`;
  panel = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const origin = `http://${req.headers.host}`;
    if (url.pathname === '/panel' || url.pathname === '/no-csp') {
      let html = renderHtml({
        cspSource: origin,
        nonce: NONCE,
        scriptUri: `${origin}/dist/webview/main.js`,
        styleUris: [`${origin}/dist/webview/styles.css`],
        locale: 'en',
      });
      html = html.replace('</body>', `${injected(otherOrigin)}</body>`);
      if (url.pathname === '/no-csp') html = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '');
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(html);
      return;
    }
    if (url.pathname === '/dist/webview/main.js' || url.pathname === '/dist/webview/styles.css') {
      res.setHeader('content-type', url.pathname.endsWith('.js') ? 'text/javascript' : 'text/css');
      res.end(readFileSync(join(root, url.pathname)));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await listen(panel);
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'] });
});

after(async () => {
  await browser?.close();
  await new Promise((ok) => panel?.close(ok) ?? ok());
  await new Promise((ok) => other?.close(ok) ?? ok());
});

/** Opens `path`, pokes the injected handlers, and returns what ran and what the CSP blocked. */
async function probe(path) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__ran = [];
    window.__violations = [];
    window.__sent = [];
    window.__modelLabTest = true;
    window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__sent.push(m), getState: () => undefined, setState: () => undefined });
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective));
  });
  await page.goto(`http://127.0.0.1:${panel.address().port}${path}`);
  await page.waitForFunction(() => window.__sent.some((m) => m.type === 'ready'), null, { timeout: 20_000 });
  await page.click('#btn');
  await page.click('#link').catch(() => undefined);
  // Let the broken image's error event, the other origin's script and the violation reports arrive.
  await page.waitForTimeout(500);
  const result = await page.evaluate(() => ({ ran: [...window.__ran], violations: [...window.__violations], sent: window.__sent.map((m) => m.type) }));
  await context.close();
  return result;
}

describe("the panel's CSP in Chromium", () => {
  it('blocks inline scripts, inline handlers, javascript: URLs, other origins and guessed nonces; runs the panel', async () => {
    otherHits = 0;
    const r = await probe('/panel');
    assert.deepEqual(r.ran, [], `injected code ran: ${r.ran.join(', ')}`);
    // The panel's own nonce'd script ran and said hello.
    assert.ok(r.sent.includes('ready'));
    // Each injection was refused by the policy, not by accident.
    const scriptElem = r.violations.filter((d) => d === 'script-src-elem').length;
    const scriptAttr = r.violations.filter((d) => d === 'script-src-attr').length;
    assert.ok(scriptElem >= 3, `script-src-elem violations: ${r.violations.join(', ')}`); // inline, guessed nonce, other origin
    assert.ok(scriptAttr >= 2, `script-src-attr violations: ${r.violations.join(', ')}`); // onerror, onclick
    assert.equal(otherHits, 0, 'the other origin was not even asked for its script');
  });

  it('control: the same page without the CSP runs every injection (so the test above can fail)', async () => {
    otherHits = 0;
    const r = await probe('/no-csp');
    for (const what of ['inline script', 'onerror handler', 'onclick handler', 'script from another origin', 'script with a guessed nonce', 'javascript: URL'])
      assert.ok(r.ran.includes(what), `${what} did not run without the CSP: ${r.ran.join(', ')}`);
    assert.equal(otherHits, 1);
  });
});
