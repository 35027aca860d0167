// Runs the integration suite (dist/test/suite.js, a `run()` module as @vscode/test-electron expects)
// inside code-server's Node extension host: the workbench `payload` URL parameter carries
// extensionDevelopmentPath / extensionTestsPath, the web equivalent of the desktop CLI flags.
// code-server must run with `--vscode-option enable-smoke-test-driver`, or the payload is ignored.
//
// Usage: node runSuiteInCodeServer.mjs --base http://127.0.0.1:PORT --folder WS --extension DIR
//          --suite dist/test/suite.js --result out.json [--screenshot out.png] [--timeout 600]
//          [--env KEY=VALUE ...]
// Prints the suite's lines and `N passed, M failed`; exits 0 only when all passed.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launchBrowser, stopwatch } from './browser.mjs';

const { values: args } = parseArgs({
  options: {
    base: { type: 'string' },
    folder: { type: 'string' },
    extension: { type: 'string' },
    suite: { type: 'string' },
    result: { type: 'string' },
    screenshot: { type: 'string' },
    timeout: { type: 'string', default: '600' },
    // KEY=VALUE for the suite's environment (repeatable), e.g. MODEL_LAB_SUITE=zh-cn
    env: { type: 'string', multiple: true, default: [] },
  },
});
for (const k of ['base', 'folder', 'extension', 'suite', 'result']) {
  if (!args[k]) throw new Error(`--${k} is required`);
}
const log = stopwatch('suite');
const resultFile = resolve(args.result);

/** The remote authority the workbench uses for the server's files ("remote" in code-server 4.139). */
async function remoteAuthority(base) {
  const html = await (await fetch(`${base}/?folder=${encodeURIComponent(args.folder)}`)).text();
  const m = html.replace(/&quot;/g, '"').match(/"remoteAuthority"\s*:\s*"([^"]+)"/);
  return m ? m[1] : 'remote';
}

async function main() {
  rmSync(resultFile, { force: true });
  const authority = await remoteAuthority(args.base);
  const remote = (p) => `vscode-remote://${authority}${resolve(p)}`;
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', remote(args.extension)],
    ['extensionTestsPath', remote(args.suite)],
    ['extensionEnvironment', JSON.stringify({ ...Object.fromEntries(args.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])), EXT_TEST_RESULT_FILE: resultFile })],
  ]);
  const url = `${args.base}/?folder=${encodeURIComponent(resolve(args.folder))}&payload=${encodeURIComponent(payload)}`;

  let summary;
  let crashed = '';
  const browser = await launchBrowser({
    onConsole: (m) => {
      // extension-host lines arrive as "%c[Extension Host] %ctext color: …"
      const text = m.text().replace(/%c/g, '').replace(/\s*color:\s*[^ ]+/g, '');
      const hit = text.match(/(\d+) passed, (\d+) failed/);
      if (hit) summary = { passed: Number(hit[1]), failed: Number(hit[2]) };
      if (!crashed && /extension host.*terminated unexpectedly/i.test(text)) {
        crashed = text.slice(0, 300);
        console.log(`  extension host crashed: ${crashed}`);
      }
      if (process.env.VERBOSE || hit || /\b(ok|FAIL)\s{1,3}\S/.test(text)) console.log(`  ${text.slice(0, 2000)}`);
    },
  });
  try {
    log(`opening the workbench with the suite payload (authority ${authority})`);
    await browser.page.goto(url);
    const deadline = Date.now() + Number(args.timeout) * 1000;
    let crashSeenAt = 0;
    while (!existsSync(resultFile) && !summary && Date.now() < deadline) {
      if (crashed && !crashSeenAt) crashSeenAt = Date.now();
      if (crashSeenAt && Date.now() - crashSeenAt > 10_000) break; // it restarts, but the suite is gone
      await browser.page.waitForTimeout(500);
    }
    await browser.page.waitForTimeout(500);
    if (args.screenshot) await browser.page.screenshot({ path: args.screenshot }).catch(() => {});
  } finally {
    await browser.close();
  }

  let res = summary;
  if (existsSync(resultFile)) res = JSON.parse(readFileSync(resultFile, 'utf8'));
  if (!res) {
    console.log(crashed ? `integration suite: the extension host crashed (${crashed})` : `integration suite: no result within ${args.timeout}s`);
    console.log('0 passed, 1 failed');
    return 1;
  }
  for (const r of res.results ?? []) if (!r.ok) console.log(`  FAIL ${r.name}\n${r.detail}`);
  log(`${res.passed} passed, ${res.failed} failed`);
  console.log(`${res.passed} passed, ${res.failed} failed`);
  return res.failed === 0 && res.passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
