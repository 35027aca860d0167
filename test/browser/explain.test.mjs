// The panel's explain features in real Chromium, against the harness page replaying runs recorded
// with weight histograms and per-cell samples (./streams/histograms.json, ./streams/forecast.json,
// made by ./recordStreams.mjs): Train again / Train with changes send their commands, one histogram
// strip per weight with every bin inside it, the normalise toggle against a share computed here, a
// clicked cell shows exactly that cell's samples, cell text contrast in four themes, the state a
// reloaded page comes back with, the error location link and the forecast chart.
// Run: npm run test:browser
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { replay, root, settle, startHarness, stream } from './harness.mjs';

const artifacts = join(root, 'test-artifacts/browser');
mkdirSync(artifacts, { recursive: true });

let h;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

const msgsOf = (name) => stream(name).map((r) => r.msg);
const events = (msgs, type) => msgs.flatMap((m) => (m.type === 'event' && m.event.type === type ? [m.event] : []));
const evalOf = (msgs) => events(msgs, 'eval')[0].report.outputs[0];

/** WCAG contrast of two `rgb(…)` strings, written out here (not the webview's contrast.ts). */
function contrast(a, b) {
  const lum = (css) => {
    const [r, g, bl] = css.match(/[\d.]+/g).slice(0, 3).map(Number);
    const lin = (v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(bl);
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

const lastSent = (page) => page.evaluate(() => window.__sent.at(-1));

describe('a recorded run with weight histograms', () => {
  const msgs = msgsOf('histograms');
  const runId = msgs[0].run.runId;
  const lines = events(msgs, 'histograms').map((e) => e.line);
  let panel;
  before(async () => {
    panel = await h.openPanel({ theme: 'dark' });
  });
  after(() => panel.close());

  it('while it runs: no Train again buttons; histograms grow with each epoch', async () => {
    const firstThree = msgs.slice(0, msgs.findIndex((m) => m.type === 'event' && m.event.type === 'histograms' && m.event.line.epoch === 2) + 1);
    await replay(panel.page, firstThree);
    assert.equal(await panel.page.locator('#train-again').isVisible(), false);
    assert.equal(await panel.page.locator('#train-with-changes').isVisible(), false);
    const epochs = await panel.page.$$eval('.weight-histogram', (f) => f.map((x) => Number(x.dataset.epochs)));
    assert.deepEqual(epochs, lines[0].weights.map(() => 3));
    await replay(panel.page, msgs.slice(firstThree.length));
  });

  it('draws one strip per weight, a row per epoch, every bin inside its strip and every value counted', async () => {
    assert.equal(await panel.page.locator('#histograms').isVisible(), true);
    const names = await panel.page.$$eval('.weight-histogram', (f) => f.map((x) => x.dataset.weight));
    assert.deepEqual(names, lines[0].weights.map((w) => w.name));
    const drawn = await panel.page.evaluate(() => window.__modelLab.histograms());
    assert.equal(drawn.length, lines[0].weights.length);
    for (const [k, s] of drawn.entries()) {
      assert.equal(s.rows, lines.length);
      const size = lines[0].weights[k].shape.reduce((a, b) => a * b, 1);
      for (let row = 0; row < s.rows; row++) {
        const cells = s.cells.filter((c) => c.row === row);
        assert.equal(cells.reduce((a, c) => a + c.count, 0), size, `${s.name} epoch ${row + 1} counts`);
        // Each bin sits where its value range is on the strip's axis (the weight's range over all epochs).
        const w = lines[row].weights[k];
        const lo = Math.min(...lines.map((l) => l.weights[k].min));
        const hi = Math.max(...lines.map((l) => l.weights[k].max));
        for (const c of cells) {
          assert.ok(c.x >= 0 && c.x + c.w <= s.width + 1e-6, `${s.name}: x ${c.x}+${c.w} in ${s.width}`);
          assert.ok(c.y >= 0 && c.y + c.h <= s.height + 1e-6);
          assert.ok(c.from >= w.min - 1e-9 && c.to <= w.max + 1e-9);
          if (hi > lo) assert.ok(Math.abs(c.x - Math.min(((c.from - lo) / (hi - lo)) * s.width, s.width - 1)) < 1e-6);
        }
      }
    }
    // Painted: the first strip's canvas has more than its background colour.
    const colours = await panel.page.$eval('.weight-histogram canvas', (cv) => {
      const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
      const seen = new Set();
      for (let i = 0; i < d.length; i += 4) seen.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
      return seen.size;
    });
    assert.ok(colours > 3, `${colours} colours on the strip`);
  });

  it('Train again and Train with changes send their commands for this run', async () => {
    assert.equal(await panel.page.locator('#train-again').isVisible(), true);
    await panel.page.locator('#train-again').click();
    assert.deepEqual(await lastSent(panel.page), { type: 'trainAgain', runId });
    await panel.page.locator('#train-with-changes').click();
    assert.deepEqual(await lastSent(panel.page), { type: 'trainWithChanges', runId });
    await panel.page.locator('#histograms').scrollIntoViewIfNeeded();
    await panel.page.screenshot({ path: join(artifacts, 'histograms-dark-en.png'), fullPage: true });
  });

  it('normalises each row by its true class, as computed here from eval.json', async () => {
    const o = evalOf(msgs);
    await panel.page.locator('#normalise').click();
    await settle(panel.page);
    const cells = await panel.page.$$eval('#confusion-matrix td', (tds) => tds.map((td) => [Number(td.dataset.true), Number(td.dataset.predicted), td.textContent]));
    assert.equal(cells.length, o.classNames.length ** 2);
    for (const [t, p, text] of cells) {
      const row = o.confusion[t];
      const total = row.reduce((a, b) => a + b, 0);
      assert.equal(text, `${((row[p] / total) * 100).toFixed(1)}%`, `cell ${t},${p}`);
    }
    await panel.page.locator('#normalise').click();
    await settle(panel.page);
    const counts = await panel.page.$$eval('#confusion-matrix td', (tds) => tds.map((td) => td.textContent));
    assert.deepEqual(counts, o.confusion.flat().map(String));
  });

  it('a clicked cell shows exactly its samples; Enter on a focused cell too; Show all goes back', async () => {
    const o = evalOf(msgs);
    const pool = [...o.samples, ...(o.cellSamples ?? [])];
    const want = (t, p) => [...new Set(pool.filter((s) => s.label === t && s.predicted === p).map((s) => s.index))].length;
    // The fullest off-diagonal cell: the mistakes a user looks at first.
    let best = [0, 1];
    o.confusion.forEach((row, t) => row.forEach((c, p) => t !== p && c > o.confusion[best[0]][best[1]] && (best = [t, p])));
    const [t, p] = best;
    await panel.page.locator(`#confusion-matrix td[data-true="${t}"][data-predicted="${p}"]`).click();
    await settle(panel.page);
    const shown = await panel.page.$$eval('#cell-samples .sample-prediction', (f) => f.map((x) => [Number(x.dataset.label), Number(x.dataset.predicted)]));
    assert.equal(shown.length, want(t, p));
    assert.ok(shown.length >= Math.min(o.confusion[t][p], o.cellSampleLimit));
    for (const s of shown) assert.deepEqual(s, [t, p]);
    assert.match(await panel.page.$eval('#cell-samples h3', (e) => e.textContent), new RegExp(`: ${o.confusion[t][p]} samples$`));
    // Keyboard: the matrix is one tab stop (the picked cell); arrows move to the diagonal cell, Enter.
    assert.deepEqual(await panel.page.$$eval('#confusion-matrix td[tabindex="0"]', (tds) => tds.map((td) => [td.dataset.true, td.dataset.predicted])), [[String(t), String(p)]]);
    await panel.page.locator('#confusion-matrix td[data-true="0"][data-predicted="0"]').focus();
    await panel.page.keyboard.press('ArrowDown');
    await panel.page.keyboard.press('ArrowRight');
    assert.deepEqual(await panel.page.evaluate(() => [document.activeElement?.dataset.true, document.activeElement?.dataset.predicted]), ['1', '1']);
    await panel.page.keyboard.press('Enter');
    await settle(panel.page);
    const diag = await panel.page.$$eval('#cell-samples .sample-prediction', (f) => f.map((x) => [Number(x.dataset.label), Number(x.dataset.predicted)]));
    assert.equal(diag.length, want(1, 1));
    for (const s of diag) assert.deepEqual(s, [1, 1]);
    assert.equal(await panel.page.evaluate(() => document.activeElement?.dataset.true), '1');
    await panel.page.locator('#cell-samples-all').click();
    await settle(panel.page);
    assert.equal(await panel.page.locator('#cell-samples').count(), 0);
    assert.equal(await panel.page.locator('.sample-prediction').count(), o.samples.length);
    assert.deepEqual(panel.problems, []);
  });
});

describe('matrix cells in four themes', { concurrency: 2 }, () => {
  for (const theme of ['light', 'dark', 'hc-dark', 'hc-light']) {
    it(`${theme}: every cell, counts and shares, picked or not, reaches 4.5:1`, async () => {
      const panel = await h.openPanel({ theme });
      await replay(panel.page, msgsOf('histograms'));
      const read = () => panel.page.$$eval('#confusion-matrix td', (tds) => tds.map((td) => ({ fg: getComputedStyle(td).color, bg: getComputedStyle(td).backgroundColor, text: td.textContent })));
      await panel.page.locator('#confusion-matrix td[data-true="0"][data-predicted="0"]').click();
      await settle(panel.page);
      const counts = await read();
      await panel.page.locator('#normalise').click();
      await settle(panel.page);
      const shares = await read();
      for (const c of [...counts, ...shares]) assert.ok(contrast(c.fg, c.bg) >= 4.5, `${theme}: "${c.text}" ${c.fg} on ${c.bg} = ${contrast(c.fg, c.bg).toFixed(2)}`);
      await panel.page.screenshot({ path: join(artifacts, `cell-samples-${theme}-en.png`), fullPage: true });
      assert.deepEqual(panel.problems, []);
      await panel.close();
    });
  }
});

describe('state restored', () => {
  it('a reloaded page comes back with the normalise toggle, smoothing and the picked cell', async () => {
    const panel = await h.openPanel({ theme: 'light', locale: 'zh-cn' });
    // VS Code keeps a webview's state across reloads: the stand-in keeps it in sessionStorage.
    await panel.page.addInitScript(() => {
      const inner = window.acquireVsCodeApi;
      window.acquireVsCodeApi = () => {
        const api = inner();
        return {
          ...api,
          getState: () => JSON.parse(sessionStorage.getItem('state') ?? 'null') ?? undefined,
          setState: (s) => sessionStorage.setItem('state', JSON.stringify(s)),
        };
      };
    });
    await panel.page.reload();
    await panel.page.waitForFunction(() => window.__sent.some((m) => m.type === 'ready'));
    const msgs = msgsOf('histograms');
    await replay(panel.page, msgs);
    await panel.page.locator('#normalise').click();
    await panel.page.locator('#smoothing').fill('0.8');
    await panel.page.locator('#confusion-matrix td[data-true="0"][data-predicted="2"]').click();
    await settle(panel.page);
    const saved = await panel.page.evaluate(() => JSON.parse(sessionStorage.getItem('state')));
    assert.equal(saved.view.runDir, msgs[0].run.runDir);
    await panel.page.reload();
    await panel.page.waitForFunction(() => window.__sent.some((m) => m.type === 'ready'));
    // The host answers `ready` with a snapshot of the same run, as after a reload.
    const last = msgs.filter((m) => m.type === 'event');
    await replay(panel.page, msgs);
    assert.ok(last.length > 0);
    assert.equal(await panel.page.$eval('#normalise', (c) => c.checked), true);
    assert.equal(await panel.page.$eval('#smoothing', (s) => s.value), '0.8');
    assert.match(await panel.page.$eval('#confusion-matrix td', (td) => td.textContent), /%$/);
    assert.equal(await panel.page.locator('#cell-samples').isVisible(), true);
    assert.deepEqual(await panel.page.$eval('#cell-samples', (e) => [e.dataset.true, e.dataset.predicted]), ['0', '2']);
    assert.match(await panel.page.$eval('#cell-samples h3', (e) => e.textContent), /^真实/);
    assert.deepEqual(panel.problems, []);
    await panel.close();
  });
});

describe('an error location', () => {
  it('is a link that asks the host to open the line', async () => {
    const panel = await h.openPanel({ theme: 'dark' });
    const run = { ...msgsOf('histograms')[0].run, status: 'failed', batches: [], epochs: [], error: { message: 'Negative dimension size', file: '/workspace/examples/bad.model.ts', line: 19, column: 7 } };
    await replay(panel.page, [{ type: 'snapshot', seq: 0, run }]);
    const link = panel.page.locator('#error-location');
    assert.equal(await link.textContent(), '/workspace/examples/bad.model.ts:19:7');
    await link.click();
    assert.deepEqual(await lastSent(panel.page), { type: 'openLocation', file: '/workspace/examples/bad.model.ts', line: 19, column: 7 });
    // Train again is offered for a failed run too (after fixing the file).
    assert.equal(await panel.page.locator('#train-again').isVisible(), true);
    assert.deepEqual(panel.problems, []);
    await panel.close();
  });
});

describe('a recorded regressor', () => {
  it('draws forecast against actual for every kept value', async () => {
    const panel = await h.openPanel({ theme: 'dark' });
    const msgs = msgsOf('forecast');
    await replay(panel.page, msgs);
    const o = evalOf(msgs);
    const paths = await panel.page.$$eval('#forecast path[data-series]', (ps) => Object.fromEntries(ps.map((p) => [p.dataset.series, p.getAttribute('d')])));
    const points = (d) => (d.match(/[ML]/g) ?? []).length;
    assert.equal(points(paths.actual), o.series.target.filter((v) => v !== null).length);
    assert.equal(points(paths.predicted), o.series.predicted.filter((v) => v !== null).length);
    await panel.page.locator('#forecast').scrollIntoViewIfNeeded();
    await panel.page.screenshot({ path: join(artifacts, 'forecast-dark-en.png'), fullPage: true });
    assert.deepEqual(panel.problems, []);
    await panel.close();
  });
});
