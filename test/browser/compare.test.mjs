// The comparison pane in real Chromium: the harness page plays the panel, and the host side is Model
// Lab's own CompareSet (src/training/compareRuns.ts, bundled for Node) reading real run folders
// (./runs, recorded by ./recordRuns.mjs) and answering the panel's viewport requests as the
// extension does. Asserts what is drawn — a legend entry per run, each run's points at their steps,
// a spike kept by the downsampling, the runs table's contents, sort order and differing columns,
// the scatter — and saves screenshots at half an editor's width in four themes and two languages.
// Run: npm run test:browser
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadModule, replay, root, settle, startHarness } from './harness.mjs';

const artifacts = join(root, 'test-artifacts/browser');
mkdirSync(artifacts, { recursive: true });
const runsDir = join(root, 'test/browser/runs');
const runDirs = readdirSync(runsDir).sort().map((d) => join(runsDir, d));

let h;
let CompareSet;
let valuesAt;
before(async () => {
  h = await startHarness();
  ({ CompareSet, valuesAt } = await loadModule('src/training/compareRuns.ts'));
});
after(async () => {
  await h?.close();
});

/** Batch lines of a run folder, as written by the trainer. */
const batchLines = (dir) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((l) => l.type === 'batch');

/** Opens the panel with a host answering from `set`; returns the panel and the requests it made. */
async function openCompare(set, opts = {}) {
  const requests = [];
  const panel = await h.openPanel({
    ...opts,
    onMessage: (m, post) => {
      if (m.type === 'valuesRequest') post({ type: 'valuesResponse', id: m.id, metric: m.metric, values: valuesAt(set, m) });
      if (m.type !== 'seriesRequest') return;
      requests.push(m);
      post({ type: 'seriesResponse', id: m.id, metric: m.metric, runs: set.query(m) });
    },
  });
  await replay(panel.page, [{ type: 'snapshot', seq: 1, run: null }, { type: 'compare', version: set.version, runs: set.summaries() }]);
  await panel.page.waitForFunction(() => [...document.querySelectorAll('.compare-chart')].some((b) => Number(b.dataset.points) > 0));
  await settle(panel.page);
  return { ...panel, requests };
}

function chart(page, base) {
  return page.evaluate((base) => {
    const c = window.__modelLab.compare.charts.get(base);
    const u = c.plot;
    // Faceted data: one [xs, ys] per series.
    return {
      labels: u.series.slice(1).map((s) => s.label),
      series: u.data.slice(1).map(([xs, ys]) => ({ x: Array.from(xs), y: Array.from(ys) })),
      x: [u.scales.x.min, u.scales.x.max],
      points: Number(c.box.dataset.points),
      visible: Number(c.box.dataset.visible),
      runs: Number(c.box.dataset.runs),
    };
  }, base);
}

describe('two real runs compared', () => {
  const set = () => {
    const s = new CompareSet();
    for (const d of runDirs) s.addFolder(d);
    return s;
  };
  let panel;
  let compared;
  before(async () => {
    compared = set();
    panel = await openCompare(compared, { theme: 'dark', width: 600 });
  });
  after(() => panel.close());

  it('opens on the Compare tab with a legend entry per run', async () => {
    const tab = await panel.page.$eval('#tab-compare', (t) => ({ hidden: t.hidden, selected: t.getAttribute('aria-selected') }));
    assert.deepEqual(tab, { hidden: false, selected: 'true' });
    const legend = await panel.page.$$eval('#compare-legend .legend-run', (bs) => bs.map((b) => [b.dataset.run, b.getAttribute('aria-pressed')]));
    assert.deepEqual(
      legend,
      compared.summaries().map((r) => [r.runId, 'true']),
    );
  });

  it('overlays every run on the loss and acc charts, each run’s points at their steps, inside the axes', async () => {
    const ids = await panel.page.$$eval('.compare-chart', (b) => b.map((x) => x.dataset.metric));
    assert.deepEqual(ids, ['loss', 'acc']);
    const loss = await chart(panel.page, 'loss');
    assert.equal(loss.runs, 2);
    const summaries = compared.summaries();
    // Series: per run its raw line (smoothing is on by default), smoothed line and validation points.
    for (const r of summaries) assert.ok(loss.labels.includes(r.label), `${r.label} in ${loss.labels}`);
    summaries.forEach((r, k) => {
      const s = loss.series[loss.labels.indexOf(`${r.label} · batch`)];
      const drawn = new Map();
      s.x.forEach((x, i) => typeof s.y[i] === 'number' && drawn.set(x, s.y[i]));
      const lines = batchLines(runDirs[k]);
      assert.equal(drawn.size, lines.length, `${r.runId}: every batch of a short run is drawn`);
      for (const l of lines) assert.ok(Math.abs(drawn.get(l.step) - l.loss) < 1e-6 * Math.max(1, Math.abs(l.loss)), `${r.runId} step ${l.step}`);
      for (const x of s.x) assert.ok(x >= loss.x[0] && x <= loss.x[1], `x ${x} in ${loss.x}`);
    });
  });

  it('hides a run from the charts with its legend toggle, and shows it again', async () => {
    const id = compared.summaries()[1].runId;
    await panel.page.locator(`#compare-legend [data-run="${id}"]`).click();
    await settle(panel.page);
    assert.equal((await chart(panel.page, 'loss')).runs, 1);
    assert.equal(await panel.page.$eval(`#compare-legend [data-run="${id}"]`, (b) => b.getAttribute('aria-pressed')), 'false');
    await panel.page.locator(`#compare-legend [data-run="${id}"]`).press('Enter');
    await settle(panel.page);
    assert.equal((await chart(panel.page, 'loss')).runs, 2);
  });

  it('shows every visible run’s value in the tooltip', async () => {
    const box = await panel.page.locator('#compare-chart-loss .u-over').boundingBox();
    await panel.page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
    await settle(panel.page);
    const rows = await panel.page.$$eval('#compare-chart-loss .chart-tooltip .tooltip-row', (rs) => rs.map((r) => [r.dataset.run, r.dataset.series, r.querySelector('.tooltip-value').textContent]));
    const ids = compared.summaries().map((r) => r.runId);
    for (const id of ids) assert.ok(rows.some(([r, s]) => r === id && s === 'smoothed'), `${id} in tooltip ${JSON.stringify(rows)}`);
    for (const [, , v] of rows) assert.ok(Number.isFinite(Number(v.split(' ')[0])), v);
    await panel.page.mouse.move(0, 0);
  });

  it('fills the runs table with hyperparameters and results, and marks the columns that differ', async () => {
    const head = await panel.page.$$eval('#runs-table thead th', (ths) => ths.map((t) => [t.dataset.key, t.dataset.differs === 'true', t.textContent]));
    const byKey = new Map(head.map(([k, d, t]) => [k, { differs: d, text: t }]));
    for (const k of ['label', 'status', 'modelFile', 'dataset', 'optimizer', 'epochs', 'batchSize', 'learningRate', 'validationSplit', 'params', 'final:loss', 'best:loss', 'final:val_loss', 'best:val_acc', 'durationMs'])
      assert.ok(byKey.has(k), `column ${k}`);
    assert.equal(byKey.get('batchSize').differs, true);
    assert.equal(byKey.get('epochs').differs, true);
    assert.match(byKey.get('batchSize').text, /≠/);
    assert.equal(byKey.get('dataset').differs, false);
    assert.equal(byKey.get('optimizer').differs, false);
    assert.doesNotMatch(byKey.get('dataset').text, /≠/);
    const rows = await panel.page.$$eval('#runs-table tbody tr', (trs) => trs.map((tr) => [tr.dataset.run, ...[...tr.children].map((c) => c.textContent)]));
    const keys = head.map(([k]) => k);
    const summaries = compared.summaries();
    assert.equal(rows.length, 2);
    for (const row of rows) {
      const r = summaries.find((s) => s.runId === row[0]);
      const cellOf = (k) => row[1 + keys.indexOf(k)];
      assert.equal(cellOf('batchSize'), String(r.batchSize));
      assert.equal(cellOf('optimizer'), r.optimizer);
      assert.equal(cellOf('final:loss'), r.results.loss.final.toFixed(4));
      assert.equal(cellOf('best:val_acc'), r.results.val_acc.best.toFixed(4));
    }
    // Differing cells are bold, not only coloured.
    const weight = await panel.page.$eval('#runs-table tbody td.differs', (td) => getComputedStyle(td).fontWeight);
    assert.equal(weight, '700');
  });

  it('sorts by a column when its header is pressed (mouse or keyboard), and back', async () => {
    const order = () => panel.page.$$eval('#runs-table tbody tr', (trs) => trs.map((tr) => tr.dataset.run));
    const bySize = [...compared.summaries()].sort((a, b) => a.batchSize - b.batchSize).map((r) => r.runId);
    await panel.page.locator('#runs-table [data-column="batchSize"]').click();
    await settle(panel.page);
    assert.deepEqual(await order(), bySize);
    assert.equal(await panel.page.$eval('#runs-table th[data-key="batchSize"]', (t) => t.getAttribute('aria-sort')), 'ascending');
    await panel.page.locator('#runs-table [data-column="batchSize"]').focus();
    await panel.page.keyboard.press('Enter');
    await settle(panel.page);
    assert.deepEqual(await order(), [...bySize].reverse());
    assert.equal(await panel.page.$eval('#runs-table th[data-key="batchSize"]', (t) => t.getAttribute('aria-sort')), 'descending');
  });

  it('plots a hyperparameter against a metric, one point per run', async () => {
    await panel.page.evaluate(() => {
      const s = document.querySelector('#scatter-x');
      s.value = 'batchSize';
      s.dispatchEvent(new Event('change'));
    });
    await settle(panel.page);
    const pts = await panel.page.$$eval('#scatter .scatter-point', (gs) => gs.map((g) => [g.dataset.run, Number(g.querySelector('circle').getAttribute('cx'))]));
    assert.equal(pts.length, 2);
    const summaries = compared.summaries();
    const small = summaries.reduce((a, b) => (a.batchSize < b.batchSize ? a : b)).runId;
    // The smaller batch size sits further left.
    assert.equal(pts.reduce((a, b) => (a[1] < b[1] ? a : b))[0], small);
  });

  it('has no console errors and no CSP violations', () => {
    assert.deepEqual(panel.problems, []);
  });
});

describe('a 100,000-batch run with one spike, compared with a real run', () => {
  let tmp;
  let panel;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'modellab-compare-'));
    const dir = join(tmp, '20261201-000000-long');
    cpSync(runDirs[0], dir, { recursive: true });
    const record = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    record.id = '20261201-000000-long';
    record.batchesPerEpoch = 10_000;
    writeFileSync(join(dir, 'run.json'), JSON.stringify(record));
    const lines = [];
    const t0 = Date.parse(record.startedAt);
    for (let i = 0; i < 100_000; i++) lines.push(JSON.stringify({ type: 'batch', epoch: Math.floor(i / 10_000), batch: i % 10_000, step: i, time: t0 + i, loss: i === 73_421 ? 40 : 1 + 0.2 * Math.sin(i / 900) }));
    writeFileSync(join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
    const set = new CompareSet();
    set.addFolder(dir);
    set.addFolder(runDirs[1]);
    panel = await openCompare(set, { theme: 'dark', width: 600 });
  });
  after(async () => {
    await panel.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('draws a few points per pixel, the spike and the last value among them', async () => {
    const loss = await chart(panel.page, 'loss');
    assert.ok(loss.visible >= 100_000, `visible ${loss.visible}`);
    assert.ok(loss.points < 6000, `drawn ${loss.points}`);
    const s = loss.series[loss.labels.indexOf('20261201-000000-long · batch')];
    const i = s.x.indexOf(73_421);
    assert.ok(i >= 0, 'the spike’s step is drawn');
    assert.equal(s.y[i], 40);
    assert.equal(Math.max(...s.y.filter((v) => typeof v === 'number')), 40);
    assert.equal(s.x.at(-1), 99_999);
  });

  it('shows in the tooltip the exact value at the hovered batch, from the host’s full-resolution store', async () => {
    const box = await panel.page.locator('#compare-chart-loss .u-over').boundingBox();
    let notDrawn = 0;
    for (const at of [0.31, 0.47, 0.805]) {
      await panel.page.mouse.move(box.x + box.width * at, box.y + box.height * 0.5);
      await panel.page.waitForFunction(() => document.querySelector('#compare-chart-loss .tooltip-row[data-run="20261201-000000-long"][data-exact="true"]'), null, { timeout: 10_000 });
      await settle(panel.page);
      const { x, step, value, drawn } = await panel.page.evaluate(() => {
        const c = window.__modelLab.compare.charts.get('loss');
        const u = c.plot;
        const row = document.querySelector('#compare-chart-loss .tooltip-row[data-run="20261201-000000-long"]');
        const labels = u.series.map((s) => s.label);
        const i = labels.indexOf('20261201-000000-long · batch');
        return { x: u.posToVal(u.cursor.left, 'x'), step: Number(row.dataset.step), value: row.querySelector('.tooltip-value').textContent, drawn: Array.from(u.data[i][0]) };
      });
      // The batch nearest the pointer (steps are 0, 1, 2, … here), not the nearest drawn point.
      assert.ok(Math.abs(step - x) <= 0.5, `step ${step} at x ${x}`);
      // Its loss as the run wrote it (float32 in the store, as tfjs computed it), smoothed with 0.6 from every point.
      const raw = Math.fround(1 + 0.2 * Math.sin(step / 900));
      const m = /\((?:batch) ([-\d.e]+)\)/.exec(value);
      const shownRaw = m ? Number(m[1]) : Number(value);
      assert.ok(Math.abs(shownRaw - raw) < 1e-7, `${value} vs ${raw} at step ${step}`);
      let last = 0;
      let w = 1;
      for (let i = 0; i <= step; i++) {
        last = last * 0.6 + 0.4 * Math.fround(i === 73_421 ? 40 : 1 + 0.2 * Math.sin(i / 900));
        w *= 0.6;
      }
      assert.ok(Math.abs(Number(value.split(' ')[0]) - last / (1 - w)) < 1e-5, `smoothed ${value} vs ${last / (1 - w)}`);
      if (!drawn.includes(step)) notDrawn++;
    }
    // At 600 px for 100,000 batches most hovered steps are not among the drawn points: the values came from the host.
    assert.ok(notDrawn > 0, 'some hovered batch was not a drawn point');
    await panel.page.mouse.move(0, 0);
  });

  it('asks the host for the zoomed range and gets its real points', async () => {
    const box = await panel.page.locator('#compare-chart-loss .u-over').boundingBox();
    await panel.page.mouse.move(box.x + box.width * 0.72, box.y + 40);
    await panel.page.mouse.down();
    await panel.page.mouse.move(box.x + box.width * 0.74, box.y + 60, { steps: 4 });
    await panel.page.mouse.up();
    await settle(panel.page);
    await settle(panel.page);
    const last = panel.requests.filter((r) => r.metric === 'loss').at(-1);
    assert.ok(last.x0 !== null && last.x1 !== null && last.x1 - last.x0 < 10_000, JSON.stringify(last));
    const loss = await chart(panel.page, 'loss');
    const xs = loss.series[loss.labels.indexOf('20261201-000000-long · batch')].x;
    // Every point of the range is there (it fits the pixels), one either side.
    assert.ok(xs.length >= last.x1 - last.x0 - 1 || loss.points < 4 * 600, `${xs.length} points for ${last.x1 - last.x0}`);
    assert.ok(xs[0] >= Math.floor(last.x0) - 1 && xs.at(-1) <= Math.ceil(last.x1) + 1, `${xs[0]}..${xs.at(-1)} in ${last.x0}..${last.x1}`);
    assert.equal(await panel.page.$eval('#compare-chart-loss', (b) => b.hasAttribute('data-zoomed')), true);
  });
});

describe('screenshots at half an editor’s width', () => {
  for (const [theme, locale] of [['light', 'en'], ['dark', 'en'], ['hc-dark', 'en'], ['hc-light', 'en'], ['dark', 'zh-cn'], ['light', 'zh-cn']]) {
    it(`${theme}, ${locale}`, async () => {
      const set = new CompareSet();
      for (const d of runDirs) set.addFolder(d);
      const panel = await openCompare(set, { theme, locale, width: 600 });
      if (locale === 'zh-cn') assert.equal(await panel.page.$eval('#tab-compare', (t) => t.textContent), '比较 · 2');
      else assert.equal(await panel.page.$eval('#tab-compare', (t) => t.textContent), 'Compare · 2');
      await panel.page.screenshot({ path: join(artifacts, `compare-${theme}-${locale}.png`), fullPage: true });
      assert.deepEqual(panel.problems, []);
      await panel.close();
    });
  }
});
