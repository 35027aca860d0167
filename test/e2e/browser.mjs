// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, and the few workbench
// gestures the e2e scripts share: wait for the workbench, run a command from the palette, open a file.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A logger that prefixes each line with the seconds since it was made. */
export function stopwatch(prefix) {
  const t0 = Date.now();
  return (msg) => console.log(`[${prefix} ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
}

/**
 * A persistent context with a fresh profile: Chromium's default third-party storage blocking breaks
 * the webview service worker (webviews live on another origin), and the profile's Preferences are the
 * one place to allow it. Returns the page and a close() that also removes the profile.
 */
export async function launchBrowser({ onConsole } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'model-lab-chromium-'));
  mkdirSync(join(profile, 'Default'));
  writeFileSync(
    join(profile, 'Default', 'Preferences'),
    JSON.stringify({ profile: { cookie_controls_mode: 0, block_third_party_cookies: false } }),
  );
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROME || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  if (onConsole) page.on('console', onConsole);
  return {
    page,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The workbench is up and the status bar drawn (the remote extension host has connected). */
export async function waitForWorkbench(page, timeout = 90_000) {
  await page.waitForSelector('.monaco-workbench', { timeout });
  await page.waitForSelector('#workbench\\.parts\\.statusbar', { timeout });
}

/**
 * Runs a command by its palette title. Extensions register late on a cold start, so the palette is
 * reopened until the title shows up (or `timeout` passes).
 */
export async function runCommand(page, title, { timeout = 120_000, log = () => {} } = {}) {
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  const deadline = Date.now() + timeout;
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 20_000 });
    await page.keyboard.type(title, { delay: 10 }); // after the '>' that F1 put there (fill() would remove it)
    try {
      await row.waitFor({ timeout: 8_000 });
      break;
    } catch {
      if (process.env.E2E_DEBUG_DIR) await page.screenshot({ path: `${process.env.E2E_DEBUG_DIR}/palette-${attempt}.png` });
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`"${title}" never appeared in the command palette`);
      log(`palette attempt ${attempt}: "${title}" not there yet`);
      await page.waitForTimeout(2_000);
    }
  }
  await page.keyboard.press('Enter');
}

/** Opens a workspace file by name through Quick Open (Ctrl+P) and waits for its editor tab. */
export async function openFile(page, name, { timeout = 60_000 } = {}) {
  // The row whose label is exactly the file's name: Quick Open's history also lists the panel
  // ("Model Lab: NAME"), and pressing Enter on that row would open the panel, not the file.
  const exact = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: exact }) }).first();
  const deadline = Date.now() + timeout;
  for (;;) {
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 20_000 });
    await page.keyboard.type(name, { delay: 10 });
    try {
      await row.waitFor({ timeout: 5_000 });
      break;
    } catch {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`Quick Open never listed ${name}`);
      await page.waitForTimeout(1_000);
    }
  }
  await row.click();
  // By the tab's resource, not its text: the panel's tab ("Model Lab: NAME") names the file too.
  await page.locator(`.tabs-container .tab.active[data-resource-name="${name}"]`).first().waitFor({ timeout: 30_000 });
}

/** Frames of the page (webviews nest two deep) that contain `selector`. */
export async function framesWith(page, selector) {
  const found = [];
  for (const frame of page.frames()) {
    try {
      if (await frame.$(selector)) found.push(frame);
    } catch {
      // a frame that navigated or went away while we looked
    }
  }
  return found;
}
