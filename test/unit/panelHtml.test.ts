import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/views/panelHtml';

const cspSource = 'https://*.vscode-cdn.net';
const nonce = randomBytes(18).toString('base64');
const base = 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview';
const html = renderHtml({
  cspSource,
  nonce,
  scriptUri: `${base}/main.js`,
  styleUris: [`${base}/uPlot.min.css`, `${base}/styles.css`],
});

function cspOf(page: string): Map<string, string[]> {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(page);
  if (!m) throw new Error('no CSP meta tag');
  const directives = new Map<string, string[]>();
  for (const d of m[1].replace(/&#39;|&apos;/g, "'").split(';')) {
    const [name, ...values] = d.trim().split(/\s+/);
    if (name) directives.set(name, values);
  }
  return directives;
}

describe('renderHtml', () => {
  it('sets the strict CSP of STYLE.md', () => {
    const csp = cspOf(html);
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('script-src')).toEqual([`'nonce-${nonce}'`, cspSource]);
    expect(csp.get('style-src')).toEqual([cspSource]);
    expect(csp.get('img-src')).toEqual([cspSource, 'data:']);
    expect(csp.get('font-src')).toEqual([cspSource]);
    expect(csp.get('connect-src')).toEqual(["'none'"]);
    const all = [...csp.values()].flat().join(' ');
    expect(all).not.toContain('unsafe-inline');
    expect(all).not.toContain('unsafe-eval');
  });

  it('loads the one script with the nonce, and the stylesheets in order', () => {
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0][1]).toContain(`nonce="${nonce}"`);
    expect(scripts[0][1]).toContain(`src="${base}/main.js"`);
    expect(scripts[0][2].trim()).toBe(''); // no inline code
    const links = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((m) => m[1]);
    expect(links).toEqual([`${base}/uPlot.min.css`, `${base}/styles.css`]);
  });

  it('has no inline handlers, inline styles or style elements', () => {
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
    expect(html).not.toMatch(/<style/i);
    expect(html).not.toMatch(/javascript:/i);
    expect(html).toContain('<main id="app"></main>');
  });

  it('escapes URIs so they cannot break out of their attribute', () => {
    const page = renderHtml({ cspSource, nonce, scriptUri: 'https://x/main.js?a=1&b="><script>alert(1)</script>', styleUris: [] });
    expect(page).toContain('src="https://x/main.js?a=1&amp;b=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect([...page.matchAll(/<script/g)]).toHaveLength(1);
  });

  it('refuses a nonce that is short or could end the CSP directive', () => {
    for (const bad of ['', 'abc', "abcdefghijklmnop'; script-src *", 'abcdefghijklmnop" onload="x'])
      expect(() => renderHtml({ cspSource, nonce: bad, scriptUri: 'x', styleUris: [] })).toThrow(/nonce/);
  });

  it('carries VS Code\'s display language to the webview, and only a language tag', () => {
    const zh = renderHtml({ cspSource, nonce, scriptUri: 'x', styleUris: [], locale: 'zh-cn' });
    expect(zh).toContain('<html lang="zh-cn" data-locale="zh-cn">');
    expect(html).toContain('<html lang="en" data-locale="en">');
    const bad = renderHtml({ cspSource, nonce, scriptUri: 'x', styleUris: [], locale: '"><script>x</script>' });
    expect(bad).toContain('<html lang="en" data-locale="en">');
  });
});
