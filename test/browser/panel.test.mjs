// The training panel in real Chromium, against the harness page (./harness.mjs) replaying message
// streams recorded from real runs (./streams, made by ./recordStreams.mjs). Asserts what is drawn —
// points in range, a spike after downsampling, smoothing against an independent formula, legend
// entries, the epoch table, the contrast of matrix cells — and saves screenshots in four themes and
// two languages at half an editor's width into test-artifacts/browser/.
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
const batchesOf = (msgs) => msgs.flatMap((m) => (m.type === 'event' && m.event.type === 'batches' ? m.event.points : []));
const epochsOf = (msgs) => msgs.flatMap((m) => (m.type === 'event' && m.event.type === 'epoch' ? [m.event.point] : []));

/** TensorBoard's smoothing, written out here independently of webview-ui/src/smoothing.ts. */
function tensorboardSmooth(ys, w) {
  let last = 0;
  let n = 0;
  const constant = ys.every((v) => v === ys[0]);
  return ys.map((v) => {
    if (constant || !Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    n++;
    return last / (1 - w ** n);
  });
}

/** WCAG contrast of two `rgb(…)` strings, computed here (not the webview's contrast.ts). */
function contrast(a, b) {
  const lum = (css) => {
    const [r, g, bl] = css.match(/[\d.]+/g).slice(0, 3).map(Number);
    const lin = (v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(bl);
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

/** Reads one chart's drawn state: uPlot's data and scales, legend labels, points attribute. */
function chartState(page, id) {
  return page.evaluate((id) => {
    const chart = window.__modelLab.charts.get(id);
    const u = chart.plot;
    return {
      points: Number(chart.box.dataset.points),
      total: Number(chart.box.dataset.total),
      legend: [...chart.box.querySelectorAll('.u-legend .u-series .u-label')].map((e) => e.textContent),
      data: u.data.map((col) => Array.from(col, (v) => (v === undefined ? 'u' : v))),
      x: [u.scales.x.min, u.scales.x.max],
      y: [u.scales.y.min, u.scales.y.max],
      zoomed: chart.box.hasAttribute('data-zoomed'),
      width: u.bbox.width,
    };
  }, id);
}

describe('a recorded classifier run', () => {
  const msgs = msgsOf('classifier');
  let panel;
  before(async () => {
    panel = await h.openPanel({ theme: 'dark' });
    await replay(panel.page, msgs);
  });
  after(() => panel.close());

  it('charts loss and acc only, each with its legend', async () => {
    const ids = await panel.page.$$eval('.chart-box', (boxes) => boxes.map((b) => b.id));
    assert.deepEqual(ids, ['chart-loss', 'chart-acc']);
    const loss = await chartState(panel.page, 'chart-loss');
    assert.deepEqual(loss.legend, ['batch', 'smoothed', 'epoch mean', 'validation']);
    assert.equal(loss.points, batchesOf(msgs).length);
  });

  it('draws every batch at its step, inside the axes', async () => {
    const loss = await chartState(panel.page, 'chart-loss');
    const batches = batchesOf(msgs);
    const drawn = new Map(loss.data[0].map((x, i) => [x, loss.data[1][i]]));
    for (const b of batches) assert.equal(drawn.get(b.step), b.metrics.loss, `step ${b.step}`);
    for (const x of loss.data[0]) assert.ok(x >= loss.x[0] && x <= loss.x[1]);
    for (const y of loss.data[1]) if (typeof y === 'number') assert.ok(y >= loss.y[0] && y <= loss.y[1], `y ${y} in ${loss.y}`);
  });

  it('fills the epoch table from the epochs, columns from the metrics', async () => {
    const head = await panel.page.$$eval('#epochs thead th', (ths) => ths.map((t) => t.textContent));
    assert.deepEqual(head, ['epoch', 'loss', 'val_loss', 'acc', 'val_acc', 'duration']);
    const rows = await panel.page.$$eval('#epochs tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    const epochs = epochsOf(msgs);
    assert.equal(rows.length, epochs.length);
    rows.forEach((r, i) => {
      assert.equal(r[0], String(i + 1));
      assert.equal(r[1], epochs[i].metrics.loss.toFixed(4));
      assert.equal(r[4], epochs[i].metrics.val_acc.toFixed(4));
    });
  });

  it('smooths with TensorBoard’s formula on every point, the raw line kept', async () => {
    await panel.page.locator('#smoothing').fill('0.9');
    await settle(panel.page);
    const loss = await chartState(panel.page, 'chart-loss');
    const want = tensorboardSmooth(batchesOf(msgs).map((b) => b.metrics.loss), 0.9);
    const got = loss.data[2].filter((v) => typeof v === 'number');
    assert.equal(got.length, want.length);
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-12, `point ${i}: ${v} vs ${want[i]}`));
    assert.equal(loss.data[1].filter((v) => typeof v === 'number').length, want.length);
  });

  it('shows exact values of every series on hover', async () => {
    const box = await panel.page.locator('#chart-loss .u-over').boundingBox();
    await panel.page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await settle(panel.page);
    const tip = await panel.page.$eval('#chart-loss .chart-tooltip', (t) => ({
      hidden: t.hidden,
      rows: [...t.querySelectorAll('.tooltip-row')].map((r) => [r.dataset.series, r.querySelector('.tooltip-value').textContent]),
      head: t.querySelector('.tooltip-head').textContent,
    }));
    assert.equal(tip.hidden, false);
    assert.deepEqual(tip.rows.map((r) => r[0]), ['raw', 'smoothed', 'epochMean', 'validation']);
    const step = Number(/step (\d+)/.exec(tip.head)[1]);
    const b = batchesOf(msgs).find((p) => p.step === step);
    assert.equal(Number(tip.rows[0][1]), +b.metrics.loss.toPrecision(8));
    const e = epochsOf(msgs).find((p) => p.epoch === b.epoch);
    assert.equal(Number(tip.rows[2][1]), +e.metrics.loss.toPrecision(8));
    await panel.page.mouse.move(0, 0);
  });

  it('switches the x axis to epochs and to relative time', async () => {
    await panel.page.evaluate(() => {
      const s = document.querySelector('#x-axis');
      s.value = 'epoch';
      s.dispatchEvent(new Event('change'));
    });
    await settle(panel.page);
    const byEpoch = await chartState(panel.page, 'chart-loss');
    assert.ok(byEpoch.data[0][0] > 0 && byEpoch.data[0].at(-1) === 4, `epoch axis ${byEpoch.data[0][0]}..${byEpoch.data[0].at(-1)}`);
    await panel.page.evaluate(() => {
      const s = document.querySelector('#x-axis');
      s.value = 'step';
      s.dispatchEvent(new Event('change'));
    });
    await settle(panel.page);
  });

  it('adds the learning rate and samples/s charts on request', async () => {
    await panel.page.locator('#extra-charts').click();
    await settle(panel.page);
    assert.deepEqual(await panel.page.$$eval('.chart-box', (b) => b.map((x) => x.id)), ['chart-loss', 'chart-acc', 'chart-lr', 'chart-samples_per_sec']);
    assert.equal((await chartState(panel.page, 'chart-lr')).points, batchesOf(msgs).length);
    await panel.page.locator('#extra-charts').click();
    await settle(panel.page);
    assert.deepEqual(await panel.page.$$eval('.chart-box', (b) => b.map((x) => x.id)), ['chart-loss', 'chart-acc']);
  });

  it('draws a log y axis with the same points', async () => {
    await panel.page.locator('#log-y').click();
    await settle(panel.page);
    const s = await panel.page.evaluate(() => {
      const u = window.__modelLab.charts.get('chart-loss').plot;
      return { distr: u.scales.y.distr, min: u.scales.y.min, max: u.scales.y.max, points: Number(document.querySelector('#chart-loss').dataset.points) };
    });
    assert.equal(s.distr, 3);
    assert.ok(s.min > 0 && s.max > s.min);
    assert.equal(s.points, batchesOf(msgs).length);
    await panel.page.locator('#log-y').click();
    await settle(panel.page);
    assert.equal(await panel.page.evaluate(() => window.__modelLab.charts.get('chart-loss').plot.scales.y.distr), 1);
  });

  it('exports a chart as PNG and as SVG with every drawn point', async () => {
    const [png] = await Promise.all([panel.page.waitForEvent('download'), panel.page.locator('#chart-loss .chart-png').click()]);
    assert.equal(png.suggestedFilename(), 'loss.png');
    const bytes = await (await png.createReadStream()).toArray();
    const buf = Buffer.concat(bytes);
    assert.equal(buf.subarray(1, 4).toString(), 'PNG');
    const [svg] = await Promise.all([panel.page.waitForEvent('download'), panel.page.locator('#chart-loss .chart-svg').click()]);
    assert.equal(svg.suggestedFilename(), 'loss.svg');
    const text = Buffer.concat(await (await svg.createReadStream()).toArray()).toString();
    assert.match(text, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const raw = /<path data-series="raw" d="([^"]*)"/.exec(text)[1];
    assert.equal(raw.match(/[ML]/g).length, batchesOf(msgs).length);
  });

  it('has no console errors and no CSP violations', () => {
    assert.deepEqual(panel.problems, []);
  });
});

/** The stream moved to happen now: every time in it shifted by the same amount. */
function asIfNow(msgs) {
  const delta = Date.now() - msgs[0].run.startedAt - 2000;
  return JSON.parse(JSON.stringify(msgs), (k, v) => ((k === 'time' || k === 'startedAt') && typeof v === 'number' ? v + delta : v));
}

describe('a run in progress', () => {
  it('shows progress, speed and ETA, and stops the clock while paused', async () => {
    const panel = await h.openPanel({ theme: 'dark' });
    // The first 40 messages, without checkpoints (renumbered: the panel treats a gap as lost events).
    const msgs = asIfNow(msgsOf('stopped'))
      .filter((m) => m.type === 'snapshot' || m.event.type === 'batches' || m.event.type === 'epoch')
      .slice(0, 40)
      .map((m, seq) => ({ ...m, seq }));
    await replay(panel.page, msgs);
    const batches = batchesOf(msgs);
    const last = batches.at(-1);
    const run = msgs[0].run;
    const header = await panel.page.evaluate(() => ({
      status: document.querySelector('#status').textContent,
      speed: document.querySelector('#speed').textContent,
      eta: document.querySelector('#eta').textContent,
      epoch: document.querySelector('#epoch-progress').textContent,
      batch: document.querySelector('#batch-progress').textContent,
      progress: document.querySelector('#progress').value,
      stopVisible: !document.querySelector('#stop').hidden,
    }));
    assert.equal(header.status, 'Running');
    assert.equal(header.speed, Math.round(last.metrics.samples_per_sec).toLocaleString('en'));
    assert.match(header.eta, /^\d+:\d\d$/);
    assert.equal(header.epoch, `${last.epoch + 1}/${run.config.epochs}`);
    assert.equal(header.batch, `${last.batch + 1}/${run.batchesPerEpoch}`);
    assert.ok(Math.abs(header.progress - (last.epoch * run.batchesPerEpoch + last.batch + 1) / (run.config.epochs * run.batchesPerEpoch)) < 1e-9);
    assert.equal(header.stopVisible, true);
    await panel.page.screenshot({ path: join(artifacts, 'running-dark-en.png') });
    // Pause: the header says so and the elapsed clock holds still.
    await panel.page.locator('button#pause').click();
    assert.deepEqual(await panel.page.evaluate(() => window.__sent.at(-1)), { type: 'pause', runId: run.runId });
    await replay(panel.page, [{ type: 'event', seq: msgs.at(-1).seq + 1, runId: run.runId, event: { type: 'paused' } }]);
    const before = await panel.page.$eval('#elapsed', (e) => e.textContent);
    assert.equal(await panel.page.$eval('#status', (e) => e.textContent), 'Paused');
    assert.equal(await panel.page.$eval('button#pause', (e) => e.textContent), 'Resume');
    await panel.page.waitForTimeout(2100);
    assert.equal(await panel.page.$eval('#elapsed', (e) => e.textContent), before);
    assert.equal(await panel.page.$eval('#eta', (e) => e.textContent), '–');
    assert.deepEqual(panel.problems, []);
    await panel.close();
  });
});

describe('a recorded regressor run', () => {
  it('charts loss and mae, and no accuracy chart', async () => {
    const panel = await h.openPanel({ theme: 'light' });
    await replay(panel.page, msgsOf('regressor'));
    const ids = await panel.page.$$eval('.chart-box', (boxes) => boxes.map((b) => b.id));
    assert.deepEqual(ids, ['chart-loss', 'chart-mae']);
    const head = await panel.page.$$eval('#epochs thead th', (ths) => ths.map((t) => t.textContent));
    assert.deepEqual(head, ['epoch', 'loss', 'val_loss', 'mae', 'val_mae', 'duration']);
    assert.deepEqual(panel.problems, []);
    await panel.close();
  });
});

describe('a recorded run stopped inside an epoch', () => {
  it('marks the partial epoch in the table', async () => {
    const panel = await h.openPanel({ theme: 'dark' });
    const msgs = msgsOf('stopped');
    await replay(panel.page, msgs);
    const rows = await panel.page.$$eval('#epochs tbody tr', (trs) => trs.map((tr) => ({ partial: tr.dataset.partial === 'true', text: tr.children[0].textContent })));
    const bpe = msgs[0].run.batchesPerEpoch;
    const inLast = batchesOf(msgs).filter((b) => b.epoch === 2).length;
    assert.deepEqual(rows, [
      { partial: false, text: '1' },
      { partial: false, text: '2' },
      { partial: true, text: `3 partial ${inLast}/${bpe}` },
    ]);
    await panel.page.locator('#chart-loss').scrollIntoViewIfNeeded();
    await panel.page.screenshot({ path: join(artifacts, 'stopped-partial-dark-en.png'), fullPage: true });
    await panel.close();
  });
});

describe('a long run with one spike', () => {
  // Synthetic (no recording has 200,000 batches): a flat loss with one spike, streamed live.
  const n = 200_000;
  const spikeAt = 123_457;
  const run = { runId: 'long', modelFile: '/w/long.model.ts', runDir: '/w/runs/long', batchesPerEpoch: 20_000, layers: [], totalParams: 0, status: 'running', startedAt: 1_000_000, config: { epochs: 10, batchSize: 32, validationSplit: 0.1, shuffle: true, dataset: 'mnist' }, batches: [], epochs: [] };
  /** Posts batches [from, to) in chunks of 10,000 from inside the page (no 20 MB hop through CDP). */
  const streamBatches = async (page, from, to, seq) => {
    await page.evaluate(({ from, to, seq, spikeAt }) => {
      for (let i = from; i < to; i += 10_000, seq++) {
        const points = [];
        for (let step = i; step < Math.min(to, i + 10_000); step++)
          points.push({ epoch: Math.floor(step / 20_000), batch: step % 20_000, step, time: 1_000_000 + step, metrics: { loss: step === spikeAt ? 40 : 0.5 + 0.01 * Math.sin(step) } });
        window.postMessage({ type: 'event', seq, runId: 'long', event: { type: 'batches', points } }, '*');
      }
    }, { from, to, seq, spikeAt });
    await settle(page);
  };
  let panel;
  before(async () => {
    panel = await h.openPanel({ theme: 'dark' });
    await replay(panel.page, [{ type: 'snapshot', seq: 0, run }]);
    await streamBatches(panel.page, 0, 190_000, 1);
  });
  after(() => panel.close());

  it('draws a few points per pixel column and the spike among them, on the canvas', async () => {
    const s = await chartState(panel.page, 'chart-loss');
    assert.equal(s.total, 190_000);
    assert.ok(s.points <= 4 * s.width * 2 + 4, `${s.points} points for ${s.width} px`);
    assert.ok(s.data[1].includes(40), 'the spike is in the drawn data');
    // And on the canvas: something is painted where the spike's top is.
    const painted = await panel.page.evaluate((spikeAt) => {
      const u = window.__modelLab.charts.get('chart-loss').plot;
      const x = Math.round(u.valToPos(spikeAt, 'x', true));
      const y = Math.round(u.valToPos(40, 'y', true));
      const px = u.ctx.getImageData(x - 2, y - 2, 5, 5).data;
      let alpha = 0;
      for (let i = 3; i < px.length; i += 4) alpha = Math.max(alpha, px[i]);
      return alpha;
    }, spikeAt);
    assert.ok(painted > 100, `alpha at the spike ${painted}`);
  });

  it('keeps a box zoom through live updates, with the real points inside it', async () => {
    const over = await panel.page.locator('#chart-loss .u-over').boundingBox();
    // Drag across the middle fifth of the plot, along x.
    await panel.page.mouse.move(over.x + over.width * 0.4, over.y + over.height * 0.5);
    await panel.page.mouse.down();
    await panel.page.mouse.move(over.x + over.width * 0.6, over.y + over.height * 0.52, { steps: 5 });
    await panel.page.mouse.up();
    await settle(panel.page);
    const zoomed = await chartState(panel.page, 'chart-loss');
    assert.equal(zoomed.zoomed, true);
    const span = zoomed.x[1] - zoomed.x[0];
    assert.ok(span < 60_000 && span > 20_000, `zoomed span ${span}`);
    // More batches arrive: the view stays where the user put it.
    await streamBatches(panel.page, 190_000, 200_000, 20);
    const after = await chartState(panel.page, 'chart-loss');
    assert.deepEqual(after.x, zoomed.x);
    assert.equal(after.total, 200_000);
    const inView = after.data[0].filter((x) => x >= after.x[0] && x <= after.x[1]);
    assert.ok(inView.length > 100);
    assert.equal(await panel.page.locator('#chart-loss .chart-reset').isVisible(), true);
    await panel.page.locator('#chart-loss .chart-reset').click();
    await settle(panel.page);
    const reset = await chartState(panel.page, 'chart-loss');
    assert.equal(reset.zoomed, false);
    assert.ok(reset.x[1] - reset.x[0] >= 199_999 - 1);
  });

  it('pans with the keyboard and resets with 0', async () => {
    await panel.page.locator('#chart-loss .chart-canvas').focus();
    await panel.page.keyboard.press('+');
    await settle(panel.page);
    const a = await chartState(panel.page, 'chart-loss');
    await panel.page.keyboard.press('ArrowRight');
    await settle(panel.page);
    const b = await chartState(panel.page, 'chart-loss');
    assert.ok(b.x[0] > a.x[0] && Math.abs(b.x[1] - b.x[0] - (a.x[1] - a.x[0])) < 1e-6);
    await panel.page.keyboard.press('0');
    await settle(panel.page);
    assert.equal((await chartState(panel.page, 'chart-loss')).zoomed, false);
  });
});

describe('bad input', () => {
  it('drops malformed messages, says so, and keeps drawing the valid ones', async () => {
    const panel = await h.openPanel({ theme: 'dark' });
    const msgs = msgsOf('classifier');
    await replay(panel.page, [msgs[0], { type: 'event', seq: 1, runId: 'x', event: { type: 'bogus' } }, 'junk', ...msgs.slice(1, 6)]);
    const notice = await panel.page.$eval('#notice', (n) => ({ hidden: n.hidden, text: n.textContent }));
    assert.equal(notice.hidden, false);
    assert.match(notice.text, /Dropped 2 malformed/);
    const s = await chartState(panel.page, 'chart-loss');
    assert.ok(s.points > 0);
    await panel.close();
  });
});

describe('themes and languages', { concurrency: 3 }, () => {
  for (const theme of ['light', 'dark', 'hc-dark', 'hc-light']) {
    for (const locale of ['en', 'zh-cn']) {
      it(`${theme}, ${locale}: matrix text reaches 4.5:1, strings in the language, screenshot`, async () => {
        const panel = await h.openPanel({ theme, locale });
        await replay(panel.page, msgsOf('classifier'));
        const cells = await panel.page.$$eval('#confusion-matrix td', (tds) => tds.map((td) => ({ fg: getComputedStyle(td).color, bg: getComputedStyle(td).backgroundColor, text: td.textContent })));
        assert.equal(cells.length, 9);
        for (const c of cells) assert.ok(contrast(c.fg, c.bg) >= 4.5, `${theme}: "${c.text}" ${c.fg} on ${c.bg} = ${contrast(c.fg, c.bg).toFixed(2)}`);
        const status = await panel.page.$eval('#status', (s) => s.textContent);
        assert.equal(status, locale === 'zh-cn' ? '已完成' : 'Completed');
        const epochHead = await panel.page.$eval('#epochs thead th', (t) => t.textContent);
        assert.equal(epochHead, locale === 'zh-cn' ? '轮次' : 'epoch');
        assert.equal(await panel.page.evaluate(() => document.documentElement.lang), locale === 'zh-cn' ? 'zh-CN' : 'en');
        await panel.page.screenshot({ path: join(artifacts, `classifier-${theme}-${locale}.png`), fullPage: true });
        // The normalise toggle shows row shares.
        await panel.page.locator('#normalise').click();
        await settle(panel.page);
        const first = await panel.page.$eval('#confusion-matrix td', (td) => td.textContent);
        assert.match(first, /%$/);
        assert.deepEqual(panel.problems, []);
        await panel.close();
      });
    }
  }

  it('regressor, dark, zh-cn: screenshot', async () => {
    const panel = await h.openPanel({ theme: 'dark', locale: 'zh-cn' });
    await replay(panel.page, msgsOf('regressor'));
    await panel.page.screenshot({ path: join(artifacts, 'regressor-dark-zh-cn.png'), fullPage: true });
    assert.deepEqual(panel.problems, []);
    await panel.close();
  });
});
