// The e2e UI test: a user's path through Model Lab in a real VS Code (code-server) in Chromium.
// Opens mnist-cnn.model.ts, runs "Model Lab: Train Model" from the palette, waits for the panel's
// loss chart to plot batches while the status says running, presses Stop, waits for "stopped",
// then checks the run folder on disk. Screenshots go to --artifacts.
//
// Usage: node uiTest.mjs --base http://127.0.0.1:PORT --workspace DIR --artifacts DIR [--result out.json]
// Prints one line per check and `N passed, M failed`; exits 0 only when all passed.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { framesWith, launchBrowser, openFile, runCommand, stopwatch, waitForWorkbench } from './browser.mjs';

const { values: args } = parseArgs({
  options: {
    base: { type: 'string' },
    workspace: { type: 'string' },
    artifacts: { type: 'string' },
    result: { type: 'string' },
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

    const started = await check('palette runs "Model Lab: Train Model" and the panel plots batches', async () => {
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
      return `status "${state.statusText}", ${state.lossPoints} loss points, ${state.accPoints} acc points`;
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
