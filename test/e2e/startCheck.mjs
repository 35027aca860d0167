// `npm start -- --check`: loads the address that `npm start` prints (the plain one a user types) in
// headless Chromium and checks that the folder is open, that the window title is a normal one (not
// "[Extension Development Host]") and, with a model file in the editor, that Model Lab's commands
// are in the command palette. (Stop Training is only offered while a run is going.)
// Usage: node startCheck.mjs --url URL --folder DIR [--file mnist-cnn.model.ts] [--screenshot out.png]
import { parseArgs } from 'node:util';
import { launchBrowser, openFile, stopwatch, waitForWorkbench } from './browser.mjs';

const { values: args } = parseArgs({ options: { url: { type: 'string' }, file: { type: 'string', default: 'mnist-cnn.model.ts' }, screenshot: { type: 'string' }, folder: { type: 'string' } } });
if (!args.url) throw new Error('--url is required');
const log = stopwatch('start --check');
const expected = ['Model Lab: Train Model', 'Model Lab: Show Training Panel'];

const browser = await launchBrowser();
const { page } = browser;
let ok = false;
try {
  await page.goto(args.url);
  await waitForWorkbench(page);
  const folder = args.folder ?? new URL(args.url).searchParams.get('folder');
  if (!folder) throw new Error('--folder is required');
  const name = folder.split('/').filter(Boolean).pop();
  await page.locator('.explorer-folders-view, .pane-header', { hasText: name }).first().waitFor({ timeout: 60_000 });
  log(`workbench up with ${name}/ open`);
  await openFile(page, args.file);
  log(`${args.file} open`);
  const deadline = Date.now() + 120_000;
  let missing = expected;
  while (missing.length > 0) {
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 20_000 });
    await page.keyboard.type('Model Lab:', { delay: 10 });
    await page.waitForTimeout(1_500);
    const rows = await page.locator('.quick-input-list .monaco-list-row').allTextContents();
    missing = expected.filter((title) => !rows.some((r) => r.includes(title)));
    await page.keyboard.press('Escape');
    if (missing.length === 0) break;
    if (Date.now() > deadline) throw new Error(`not in the command palette: ${missing.join(', ')}`);
    log(`waiting for ${missing.join(', ')}`);
    await page.waitForTimeout(2_000);
  }
  log(`palette lists ${expected.join(', ')}`);
  const title = await page.title();
  if (/Extension Development Host/i.test(title)) throw new Error(`the window title reads as a developer mode: "${title}"`);
  log(`window title "${title}"`);
  ok = true;
} catch (e) {
  console.error(`start --check failed: ${e?.stack ?? e}`);
} finally {
  if (args.screenshot) await page.screenshot({ path: args.screenshot }).catch(() => {});
  await browser.close();
}
process.exit(ok ? 0 : 1);
