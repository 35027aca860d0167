// The e2e UI test: a user's path through Model Lab in a real VS Code (code-server) in Chromium.
// Opens mnist-cnn.model.ts, runs "Model Lab: Train Model" from the palette, waits for the panel's
// loss chart to plot batches while the status says running, presses Stop, waits for "stopped",
// then checks the run folder on disk. Then trains the spiral example twice (batch sizes 32 and 64),
// compares the two runs through "Compare Runs…" and checks what the compare pane shows, with
// screenshots in light, dark and both high-contrast themes. With `--only zh-cn` (code-server in
// Simplified Chinese) it checks the palette, the Runs view, the panel and the compare pane in Chinese.
// Screenshots go to --artifacts.
//
// Usage: node uiTest.mjs --base http://127.0.0.1:PORT --workspace DIR --artifacts DIR [--result out.json]
//          [--only compare|zh-cn]
// Prints one line per check and `N passed, M failed`; exits 0 only when all passed.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { framesWith, launchBrowser, openFile, runCommand, stopwatch, waitForWorkbench } from './browser.mjs';

const { values: args } = parseArgs({
  options: {
    base: { type: 'string' },
    workspace: { type: 'string' },
    artifacts: { type: 'string' },
    result: { type: 'string' },
    // Only one part: `compare` (two runs trained and compared) or `zh-cn` (the Chinese UI, run against
    // a code-server started with `--locale zh-cn`, on a workspace that already holds runs).
    only: { type: 'string' },
  },
});
for (const k of ['base', 'workspace', 'artifacts']) if (!args[k]) throw new Error(`--${k} is required`);
const workspace = resolve(args.workspace);
const artifacts = resolve(args.artifacts);
mkdirSync(artifacts, { recursive: true });
const log = stopwatch('ui');

const results = [];
async function check(name, fn) {
  const t0 = Date.now();
  try {
    const detail = (await fn()) ?? '';
    results.push({ name, ok: true, ms: Date.now() - t0, detail });
    console.log(`  ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)}s) ${detail}`);
    return true;
  } catch (e) {
    results.push({ name, ok: false, ms: Date.now() - t0, detail: String(e?.stack ?? e) });
    console.log(`  FAIL ${name} (${((Date.now() - t0) / 1000).toFixed(1)}s)\n${e?.stack ?? e}`);
    return false;
  }
}

/** Polls until fn() returns a truthy value; returns it. */
async function until(page, what, timeout, fn) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeout / 1000}s (last: ${last?.message ?? last})`);
    await page.waitForTimeout(250);
  }
}

/** The training panel's state, read from its stable DOM hooks (undefined until it has rendered). */
async function panelState(page) {
  const [frame] = await framesWith(page, '#chart-loss');
  if (!frame) return undefined;
  return frame.evaluate(() => {
    const q = (s) => document.querySelector(s);
    return {
      status: q('#status')?.getAttribute('data-status') ?? '',
      statusText: q('#status')?.textContent?.trim() ?? '',
      backend: q('#backend')?.textContent?.trim() ?? '',
      lossPoints: Number(q('#chart-loss')?.getAttribute('data-points') ?? 0),
      accPoints: Number(q('#chart-acc')?.getAttribute('data-points') ?? 0),
      epochs: q('#epochs')?.textContent?.trim().replace(/\s+/g, ' ').slice(0, 200) ?? '',
      error: q('#error')?.textContent?.trim() ?? '',
    };
  });
}

function runFolders() {
  const runs = join(workspace, '.modellab', 'runs');
  return existsSync(runs) ? readdirSync(runs).filter((d) => statSync(join(runs, d)).isDirectory()).map((d) => join(runs, d)) : [];
}

/** The themes the compare pane is photographed in: [theme, screenshot, the webview body's class]. */
const THEMES = [
  ['Default Light Modern', 'compare-light.png', 'vscode-light'],
  ['Default Dark Modern', 'compare-dark.png', 'vscode-dark'],
  ['Default High Contrast', 'compare-hc-dark.png', 'vscode-high-contrast'],
  ['Default High Contrast Light', 'compare-hc-light.png', 'vscode-high-contrast-light'],
];

/**
 * Switches the colour theme as a user's settings do (the workspace's .vscode/settings.json, which
 * VS Code applies live) and waits until the webview has it too. `undefined` removes the setting.
 */
async function setTheme(page, theme, bodyClass) {
  const file = join(workspace, '.vscode', 'settings.json');
  mkdirSync(dirname(file), { recursive: true });
  const settings = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  if (theme) settings['workbench.colorTheme'] = theme;
  else delete settings['workbench.colorTheme'];
  writeFileSync(file, JSON.stringify(settings, null, 2));
  if (!theme) return page.waitForTimeout(1_000);
  await until(page, `the panel in ${theme}`, 30_000, async () => {
    const [frame] = await framesWith(page, '#compare');
    return frame && (await frame.evaluate((c) => document.body.classList.contains(c), bodyClass));
  });
  await page.mouse.move(200, 8); // the title bar: no hover on the panel
  await page.waitForTimeout(1_000); // the charts redraw with the theme's colours on the next frame
}

/** Scrolls the panel so that `selector` is at its top. */
async function scrollPanelTo(page, selector) {
  const [frame] = await framesWith(page, selector);
  if (!frame) throw new Error(`no ${selector} in the panel`);
  await frame.evaluate((sel) => document.querySelector(sel).scrollIntoView({ block: 'start' }), selector);
  await page.waitForTimeout(300);
}

/** The panel's webview on the page (its outer iframe), for its size. */
async function panelBox(page) {
  const box = await page.locator('iframe.webview.ready').last().boundingBox();
  if (!box) throw new Error('the panel is not on screen');
  return box;
}

/**
 * Two short real runs of the spiral example (generated data, no download), differing only in their
 * batch size, each started from the palette as a user does; returns their folders once completed.
 */
async function trainTwoSpiralRuns(page) {
  const file = join(workspace, 'spiral.model.ts');
  const original = readFileSync(file, 'utf8');
  const dirs = [];
  try {
    for (const batchSize of [32, 64]) {
      const text = original.replace(/epochs: \d+,/, 'epochs: 2,').replace(/batchSize: \d+,/, `batchSize: ${batchSize},`);
      if (!text.includes(`batchSize: ${batchSize},`) || !text.includes('epochs: 2,')) throw new Error('spiral.model.ts has no `epochs:`/`batchSize:` line to change');
      writeFileSync(file, text);
      const before = new Set(runFolders());
      await openFile(page, 'spiral.model.ts');
      await runCommand(page, 'Model Lab: Train Model', { log });
      const dir = await until(page, `the spiral run with batch size ${batchSize} completes`, 240_000, async () => {
        const added = runFolders().filter((d) => !before.has(d));
        if (added.length !== 1 || !existsSync(join(added[0], 'run.json'))) return undefined;
        const record = JSON.parse(readFileSync(join(added[0], 'run.json'), 'utf8'));
        if (record.status === 'failed' || record.status === 'crashed') throw new Error(`the run ended ${record.status}: ${record.error?.message}`);
        return record.status === 'completed' ? added[0] : undefined;
      });
      log(`trained ${basename(dir)} (batch size ${batchSize})`);
      dirs.push(dir);
    }
  } finally {
    writeFileSync(file, original);
  }
  return dirs;
}

/** "Compare Runs…" from the palette (title as the palette shows it), then both runs ticked in its quick pick. */
async function comparePicked(page, dirs, title = 'Model Lab: Compare Runs…') {
  await runCommand(page, title, { log });
  for (const dir of dirs) {
    const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: basename(dir) }).first();
    await row.waitFor({ timeout: 30_000 });
    // A run selected in the Runs view comes ticked already.
    if ((await row.getAttribute('aria-checked')) !== 'true') await row.locator('.monaco-checkbox').first().click();
    await until(page, `${basename(dir)} ticked`, 10_000, () => row.evaluate((r) => r.getAttribute('aria-checked') === 'true'));
  }
  // OK accepts a multi-select quick pick (Enter does too, with the focus in its input).
  await page.locator('.quick-input-widget input').first().focus();
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 30_000 });
}

/** What the compare pane shows, from its stable DOM hooks (undefined until both runs are drawn). */
async function compareState(page) {
  const [frame] = await framesWith(page, '#compare-legend .legend-run');
  if (!frame) return undefined;
  const s = await frame.evaluate(() => ({
    tabSelected: document.querySelector('#tab-compare')?.getAttribute('aria-selected'),
    title: document.querySelector('#compare-title')?.textContent?.trim(),
    legend: [...document.querySelectorAll('#compare-legend .legend-run')].map((b) => ({ run: b.dataset.run, pressed: b.getAttribute('aria-pressed'), text: b.textContent.trim() })),
    head: [...document.querySelectorAll('#runs-table thead th')].map((t) => ({ key: t.dataset.key, differs: t.dataset.differs === 'true', text: t.textContent.trim() })),
    rows: [...document.querySelectorAll('#runs-table tbody tr')].map((tr) => tr.dataset.run),
    charts: [...document.querySelectorAll('.compare-chart')].map((c) => ({ metric: c.dataset.metric, points: Number(c.dataset.points ?? 0), runs: Number(c.dataset.runs ?? 0) })),
    locale: document.documentElement.dataset.locale,
  }));
  return s.tabSelected === 'true' && s.legend.length >= 2 && s.charts.some((c) => c.points > 0 && c.runs >= 2) ? s : undefined;
}

const ROOT = resolve(import.meta.dirname, '../..');
const readJson = (rel) => JSON.parse(readFileSync(join(ROOT, rel), 'utf8'));

/** Completed runs of `modelFile` in the workspace, newest first. */
function completedRunsOf(modelFile) {
  return runFolders()
    .filter((d) => existsSync(join(d, 'run.json')))
    .map((d) => ({ d, r: JSON.parse(readFileSync(join(d, 'run.json'), 'utf8')) }))
    .filter(({ r }) => r.status === 'completed' && basename(r.modelFile) === modelFile)
    .sort((a, b) => Date.parse(b.r.startedAt) - Date.parse(a.r.startedAt))
    .map(({ d }) => d);
}

/** English words Model Lab shows that must not be left in the Chinese UI. */
const ENGLISH_LEFT = /\b(runs?|completed|stopped|failed|crashed|running|epochs?|params|Compare|Train|ago)\b/;

/**
 * The Chinese UI (code-server started with `--locale zh-cn`; VS Code's own strings stay English
 * because the language pack there is a test double, Model Lab's must be Chinese): the palette lists
 * Model Lab's commands by their Chinese titles, the Runs view and the panel speak Chinese, and the
 * compare pane too. Needs runs in the workspace (the English part of the UI test leaves them).
 */
async function zhCnChecks(page, shot) {
  const nls = readJson('package.nls.zh-cn.json');
  const bundle = readJson('l10n/bundle.l10n.zh-cn.json');
  const spiralRuns = completedRunsOf('spiral.model.ts');

  await check('zh-cn: the palette lists "Model Lab: 显示训练面板" and it opens the panel in Chinese', async () => {
    await runCommand(page, `Model Lab: ${nls['command.showPanel']}`, { log });
    const seen = await until(page, 'the panel in zh-cn', 60_000, async () => {
      const [frame] = await framesWith(page, '#tab-run');
      return frame?.evaluate(() => ({ locale: document.documentElement.dataset.locale, tab: document.querySelector('#tab-run')?.textContent?.trim() }));
    });
    if (seen.locale !== 'zh-cn' || seen.tab !== '运行') throw new Error(`panel: ${JSON.stringify(seen)}`);
    return JSON.stringify(seen);
  });

  await check('zh-cn: the Runs view speaks Chinese, and opening a run shows it in the Chinese panel', async () => {
    if (spiralRuns.length < 2) throw new Error(`two completed spiral runs needed, found ${spiralRuns.length}`);
    await page.locator('.activitybar .action-item a[aria-label^="Model Lab"]').first().click();
    // A container with one view shows that view's name in the side bar's title (its pane header is hidden).
    const title = await until(page, `the side bar titled ${nls['view.runs']}`, 30_000, async () => {
      const t = await page.locator('#workbench\\.parts\\.sidebar .title-label').first().textContent();
      return t?.includes(nls['view.runs']) ? t.trim() : undefined;
    });
    const groupText = bundle['{0} runs'].replace('{0}', '');
    const rows = await until(page, 'the Runs view lists the runs', 30_000, async () => {
      const texts = await page.locator('.pane-body .monaco-list-row').allTextContents();
      return texts.some((t) => t.includes(groupText)) ? texts : undefined;
    });
    // Open the newest spiral run from its row (the spiral group may need expanding first).
    const id = basename(spiralRuns[0]);
    const row = page.locator('.pane-body .monaco-list-row', { hasText: id }).first();
    if (!(await row.isVisible().catch(() => false))) await page.locator('.pane-body .monaco-list-row', { hasText: 'spiral.model.ts' }).first().click();
    await row.click();
    const panel = await until(page, 'the panel shows the run in Chinese', 60_000, async () => {
      const [frame] = await framesWith(page, '#status');
      return frame?.evaluate((id) => {
        const text = (s) => document.querySelector(s)?.textContent?.trim() ?? '';
        return text('#run-id').includes(id) ? { status: text('#status'), backend: text('#backend'), trainAgain: text('#train-again'), tabs: [text('#tab-run'), text('#tab-data')] } : undefined;
      }, id);
    });
    await page.waitForTimeout(800);
    await shot('zh-cn-runs-view-and-panel.png');
    const english = rows.filter((t) => ENGLISH_LEFT.test(t));
    if (panel.status !== '已完成') throw new Error(`panel status "${panel.status}"`);
    // A finished run opened from the Runs view: its run.json's executor, in the panel's words (the spiral MLP trains fused).
    if (!/^wasm · 融合执行器( · \d 个线程)?$/.test(panel.backend)) throw new Error(`panel backend "${panel.backend}"`);
    if (english.length) throw new Error(`English left in the Runs view: ${JSON.stringify(english)}`);
    return `side bar "${title}"; rows ${JSON.stringify(rows.slice(0, 4))}; panel ${JSON.stringify(panel)}`;
  });

  await check('zh-cn: "比较运行…" compares two runs with the pane in Chinese', async () => {
    await comparePicked(page, spiralRuns.slice(0, 2), `Model Lab: ${nls['command.compareRuns']}`);
    const seen = await until(page, 'the compare pane', 60_000, () => compareState(page));
    if (seen.locale !== 'zh-cn' || seen.title !== '正在比较 2 次运行') throw new Error(`compare pane: ${JSON.stringify({ locale: seen.locale, title: seen.title })}`);
    await scrollPanelTo(page, '#compare');
    await shot('zh-cn-compare.png');
    await scrollPanelTo(page, '#runs-table');
    await shot('zh-cn-compare-table.png');
    const heads = seen.head.map((h) => h.text);
    const english = heads.filter((t) => /[A-Za-z]{4,}/.test(t.replace(/val_|loss|acc/g, '')));
    if (english.length) throw new Error(`English runs-table headers: ${JSON.stringify(english)}`);
    return `title "${seen.title}"; headers ${JSON.stringify(heads.slice(0, 8))}`;
  });
}

async function main() {
  const browser = await launchBrowser({
    onConsole: (m) => {
      if (m.type() === 'error' || process.env.VERBOSE) console.log(`  [browser ${m.type()}] ${m.text().slice(0, 300)}`);
    },
  });
  const { page } = browser;
  const shot = async (name) => {
    const file = join(artifacts, name);
    await page.screenshot({ path: file });
    log(`screenshot ${file}`);
  };
  try {
    const url = `${args.base}/?folder=${encodeURIComponent(workspace)}`;
    log(`goto ${url}`);
    await page.goto(url);
    await waitForWorkbench(page);
    log('workbench up');

    const started = !args.only && await check('palette runs "Model Lab: Train Model" and the panel plots batches', async () => {
      // Fused on wasm the example's 3 epochs take seconds; 30 keep it running while the test
      // pauses, resumes and stops it (the copy in the test workspace, not the example).
      const cnn = join(workspace, 'mnist-cnn.model.ts');
      writeFileSync(cnn, readFileSync(cnn, 'utf8').replace(/epochs: 3,/, 'epochs: 30,'));
      await openFile(page, 'mnist-cnn.model.ts');
      log('mnist-cnn.model.ts open');
      await runCommand(page, 'Model Lab: Train Model', { log });
      log('Train Model invoked');
      const state = await until(page, 'the loss chart plots points while running', 240_000, async () => {
        const s = await panelState(page);
        if (s?.status === 'failed' || s?.status === 'crashed') throw new Error(`run ended ${s.status}: ${s.error}`);
        return s && s.status === 'running' && s.lossPoints > 0 ? s : undefined;
      });
      await shot('training-running.png');
      // The trainer says what trains the steps before the first batch: the CNN on wasm is fused.
      if (!/^wasm · fused( · \d threads)?$/.test(state.backend)) throw new Error(`the panel's backend reads "${state.backend}", not "wasm · fused"`);
      return `status "${state.statusText}", backend "${state.backend}", ${state.lossPoints} loss points, ${state.accPoints} acc points`;
    });

    let clickedAt = 0;
    if (started) {
      await check('Pause in the panel holds the run, Resume continues it', async () => {
        const [frame] = await framesWith(page, 'button#pause');
        if (!frame) throw new Error('no button#pause in the panel');
        await frame.locator('button#pause').click();
        const paused = await until(page, 'status paused', 60_000, async () => {
          const s = await panelState(page);
          return s?.status === 'paused' ? s : undefined;
        });
        await shot('training-paused.png');
        await frame.locator('button#pause').click(); // now labelled Resume
        await until(page, 'status running again', 60_000, async () => {
          const s = await panelState(page);
          return s?.status === 'running' ? s : undefined;
        });
        return `paused at ${paused.lossPoints} loss points, then running again`;
      });

      await check('Stop ends the run and the panel says stopped', async () => {
        const [frame] = await framesWith(page, 'button#stop');
        if (!frame) throw new Error('no button#stop in the panel');
        // The moment the panel sees the click (same machine, same clock as the trainer's metric lines).
        await frame.evaluate(() => {
          document.addEventListener('click', (e) => {
            if (e.target instanceof Element && e.target.closest('button#stop')) window.__stopClickedAt ??= Date.now();
          }, true);
        });
        await frame.locator('button#stop').click();
        clickedAt = (await frame.evaluate(() => window.__stopClickedAt).catch(() => undefined)) ?? Date.now();
        const state = await until(page, 'status stopped', 90_000, async () => {
          const s = await panelState(page);
          return s?.status === 'stopped' ? s : undefined;
        });
        await page.waitForTimeout(500); // let the chart settle for the picture
        await shot('training-stopped.png');
        return `stopped ${((Date.now() - clickedAt) / 1000).toFixed(1)}s after the click; ${state.lossPoints} loss points; epochs: ${state.epochs}`;
      });

      await check('the stopped run shows its evaluation: confusion matrix and sample predictions', async () => {
        const found = await until(page, 'the evaluation view', 90_000, async () => {
          const [frame] = await framesWith(page, '#eval');
          if (!frame) return undefined;
          return frame.evaluate(() => {
            const ev = document.querySelector('#eval');
            const matrix = document.querySelector('#confusion-matrix');
            if (!ev || ev.hidden || !matrix) return undefined;
            return { classes: matrix.getAttribute('data-classes'), samples: document.querySelectorAll('.sample-prediction canvas').length };
          });
        });
        if (found.classes !== '10' || found.samples === 0) throw new Error(`evaluation view: ${JSON.stringify(found)}`);
        const [frame] = await framesWith(page, '#eval');
        await frame.locator('#eval').scrollIntoViewIfNeeded();
        await page.waitForTimeout(300);
        await shot('training-eval.png');
        return `${found.classes} classes, ${found.samples} sample predictions drawn`;
      });

      await check('the run folder records "stopped" and the saved model', async () => {
        const dirs = runFolders();
        if (dirs.length !== 1) throw new Error(`expected one run folder, found ${dirs.length}: ${dirs.join(', ')}`);
        const dir = dirs[0];
        const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
        const end = lines[lines.length - 1];
        if (end?.type !== 'end' || end.status !== 'stopped') throw new Error(`last metrics line: ${JSON.stringify(end)}`);
        const batches = lines.filter((l) => l.type === 'batch');
        if (batches.length === 0 || typeof batches[0].loss !== 'number') throw new Error('no batch lines with loss');
        const record = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
        if (record.status !== 'stopped') throw new Error(`run.json status ${record.status}`);
        for (const f of ['model/model.json', 'model/weights.bin']) {
          if (!existsSync(join(dir, f)) || statSync(join(dir, f)).size === 0) throw new Error(`${f} missing or empty`);
        }
        const weights = statSync(join(dir, 'model/weights.bin')).size;
        // Stop works between batches: after the click only the batches already in flight (and the
        // click's trip webview -> host -> trainer) may finish. Generous for a loaded 2-core machine.
        const afterClick = batches.filter((b) => b.time > clickedAt).length;
        const stopMs = end.time - clickedAt;
        if (stopMs > 20_000) throw new Error(`the run ended ${stopMs} ms after the click (${afterClick} batches later)`);
        return `${batches.length} batch lines (${afterClick} after the click, end line ${stopMs} ms after it), backend ${record.backend?.name}, weights.bin ${weights} bytes; ${dir}`;
      });
      await check('a script run: Run Script asks for its arguments, then Pause and Resume in the panel hold and continue it, Stop ends it', async () => {
        // An ordinary tfjs script (nothing Model Lab about it) that trains long enough to be paused.
        writeFileSync(join(workspace, 'ui-long-fit.js'), [
          "const tf = require('@tensorflow/tfjs');",
          'const xs = tf.tensor2d([-1, 0, 1, 2, 3, 4, 5, 6], [8, 1]);',
          'const ys = tf.tensor2d([-3, -1, 1, 3, 5, 7, 9, 11], [8, 1]);',
          'const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });',
          "model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });",
          'model.fit(xs, ys, { epochs: 5000, batchSize: 2 });',
          '',
        ].join('\n'));
        await openFile(page, 'ui-long-fit.js');
        await runCommand(page, 'Model Lab: Run Script with Model Lab', { log });
        // The arguments box (asked once per script): none. Wait for that box itself: the palette's
        // own quick input may still be on screen as it closes.
        await page.locator('.quick-input-widget', { hasText: 'Arguments for ui-long-fit.js' }).waitFor({ state: 'visible', timeout: 30_000 });
        await page.waitForTimeout(300);
        await page.keyboard.press('Enter');
        await page.locator('.quick-input-widget', { hasText: 'Arguments for ui-long-fit.js' }).waitFor({ state: 'hidden', timeout: 30_000 });
        await until(page, 'the script run plots points', 240_000, async () => {
          const s = await panelState(page);
          if (s?.status === 'failed' || s?.status === 'crashed') throw new Error(`script run ended ${s.status}: ${s.error}`);
          return s && s.status === 'running' && s.lossPoints > 0 ? s : undefined;
        });
        const [frame] = await framesWith(page, 'button#pause');
        if (!frame) throw new Error('no button#pause in the panel');
        await frame.locator('button#pause').click();
        const paused = await until(page, 'the script run paused', 60_000, async () => {
          const s = await panelState(page);
          return s?.status === 'paused' ? s : undefined;
        });
        await shot('script-paused.png');
        await frame.locator('button#pause').click(); // now labelled Resume
        await until(page, 'the script run running again', 60_000, async () => {
          const s = await panelState(page);
          return s?.status === 'running' ? s : undefined;
        });
        await frame.locator('button#stop').click();
        await until(page, 'the script run stopped', 90_000, async () => {
          const s = await panelState(page);
          return s?.status === 'stopped' ? s : undefined;
        });
        return `paused at ${paused.lossPoints} loss points, resumed, stopped`;
      });
    }
    if (!args.only || args.only === 'compare') {
      await check('two real runs compared: "Compare Runs…" picks both, the panel overlays them, one legend entry each, the differing batch size marked', async () => {
        const [a, b] = await trainTwoSpiralRuns(page);
        await comparePicked(page, [a, b]);
        const seen = await until(page, 'the compare pane with both runs drawn', 60_000, () => compareState(page));
        const ids = [a, b].map((d) => basename(d)).sort();
        if (JSON.stringify(seen.legend.map((l) => l.run).sort()) !== JSON.stringify(ids)) throw new Error(`legend ${JSON.stringify(seen.legend)}, runs ${ids}`);
        if (seen.legend.some((l) => l.pressed !== 'true')) throw new Error(`a run starts hidden: ${JSON.stringify(seen.legend)}`);
        if (JSON.stringify(seen.rows.slice().sort()) !== JSON.stringify(ids)) throw new Error(`runs table rows ${seen.rows}`);
        const col = (k) => seen.head.find((h) => h.key === k);
        if (!col('batchSize')?.differs || !/≠/.test(col('batchSize').text)) throw new Error(`batch size column not marked: ${JSON.stringify(col('batchSize'))}`);
        if (col('dataset')?.differs !== false) throw new Error(`dataset column: ${JSON.stringify(col('dataset'))}`);
        const loss = seen.charts.find((c) => c.metric === 'loss');
        if (!loss || loss.runs !== 2 || loss.points === 0) throw new Error(`loss chart: ${JSON.stringify(seen.charts)}`);
        const panel = await panelBox(page);
        const editorWidth = await page.locator('#workbench\\.parts\\.editor').evaluate((e) => e.getBoundingClientRect().width);
        const shots = [];
        for (const [theme, file, bodyClass] of THEMES) {
          await setTheme(page, theme, bodyClass);
          await scrollPanelTo(page, '#compare');
          await shot(file);
          // The runs table sits below the charts at this size: a second picture of it.
          await scrollPanelTo(page, '#runs-table');
          await shot(file.replace('.png', '-table.png'));
          shots.push(file);
        }
        await setTheme(page, undefined);
        return `${ids.join(' vs ')}; charts ${seen.charts.map((c) => `${c.metric}:${c.runs} runs/${c.points} pts`).join(', ')}; differing: ${seen.head.filter((h) => h.differs).map((h) => h.key).join(', ')}; panel ${Math.round(panel.width)} of ${Math.round(editorWidth)} px editor; ${shots.join(', ')}`;
      });
    }
    if (args.only === 'zh-cn') await zhCnChecks(page, shot);
  } catch (e) {
    results.push({ name: 'UI session', ok: false, detail: String(e?.stack ?? e) });
    console.log(`  FAIL UI session\n${e?.stack ?? e}`);
  } finally {
    await shot('last.png').catch(() => {});
    await browser.close();
  }

  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  if (args.result) writeFileSync(args.result, JSON.stringify({ passed, failed, results }, null, 2));
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
