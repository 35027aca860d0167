/**
 * The training panel's HTML shell. Pure (no `vscode`), so the CSP and the markup are unit-tested; the
 * webview script builds everything else with DOM calls, which keeps inline scripts, inline styles and
 * inline handlers out of the page and lets the CSP stay strict.
 */

export interface PanelHtmlOptions {
  /** `webview.cspSource` */
  cspSource: string;
  /** Fresh per render, from node:crypto. */
  nonce: string;
  /** `asWebviewUri` of dist/webview/main.js */
  scriptUri: string;
  /** `asWebviewUri` of the stylesheets, in cascade order (uPlot's first, ours last). */
  styleUris: string[];
  /** VS Code's display language (`vscode.env.language`, e.g. `en`, `zh-cn`): the panel's strings follow it. */
  locale?: string;
}

const escapeAttr = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The Content-Security-Policy of STYLE.md: only our own files and the one nonce'd script run. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}' ${cspSource}`,
    `style-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    "connect-src 'none'",
  ].join('; ');
}

export function renderHtml(opts: PanelHtmlOptions): string {
  // A nonce that could close the attribute or the CSP directive would defeat the policy.
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(opts.nonce)) throw new Error('renderHtml: nonce must be 16+ base64 characters');
  const csp = contentSecurityPolicy(opts.cspSource, opts.nonce);
  // A language tag is letters, digits and dashes; anything else is not one.
  const locale = opts.locale && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(opts.locale) ? opts.locale : 'en';
  const styles = opts.styleUris.map((u) => `    <link rel="stylesheet" href="${escapeAttr(u)}">`).join('\n');
  return `<!DOCTYPE html>
<html lang="${escapeAttr(locale)}" data-locale="${escapeAttr(locale.toLowerCase())}">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles}
    <title>Model Lab</title>
  </head>
  <body>
    <main id="app"></main>
    <script nonce="${escapeAttr(opts.nonce)}" src="${escapeAttr(opts.scriptUri)}"></script>
  </body>
</html>
`;
}
