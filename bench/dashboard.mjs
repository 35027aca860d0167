// The comparison dashboard at scale, in headless Chromium (the browser harness's page, the panel's
// own bundle and CSP), with Model Lab's host code (CompareSet, bundled for Node) answering the
// panel's viewport requests as the extension does.
//   10 runs × 4 metrics × 100,000 batches: first render; median and p95 frame time while one run
//   appends 50 batches a second, and while the user zooms — against uPlot drawing every point
//   (the same page and script: the baseline ratio);
//   latency from a batch reaching the host to the frame that draws it;
//   opening a finished 1,000,000-batch run: time, host and webview memory.
// Frame time = main-thread time of one redraw (the panel's draw and uPlot's commits after it).
// Run: npm run bench -- dashboard   (builds first; needs /usr/bin/chromium or $CHROMIUM)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModule, startHarness } from '../test/browser/harness.mjs';

const RUNS = 10;
const POINTS = Number(process.env.DASHBOARD_POINTS ?? 100_000);
const BIG = Number(process.env.DASHBOARD_BIG ?? 1_000_000);
const METRICS = ['loss', 'acc', 'mae', 'mse'];
const APPEND_SECONDS = 6;

const { CompareSet, COMPARE_UPDATE_MS, valuesAt } = await loadModule('src/training/compareRuns.ts');
const { readRun } = await loadModule('src/training/runStore.ts');
const tmp = mkdtempSync(join(tmpdir(), 'modellab-dashboard-'));
const t0 = Date.UTC(2026, 11, 1);

/** A run folder (finished, or still training when `live`) with `n` batches of the four metrics (a noisy falling loss, one spike per run). */
function writeRun(id, n, seed, live = false) {
  const dir = join(tmp, id);
  mkdirSync(join(dir, 'model'), { recursive: true });
  const bpe = 1000;
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({
      formatVersion: 1, id, modelFile: '/w/bench.model.ts',
      config: { epochs: Math.ceil(n / bpe), batchSize: 16 * (1 + (seed % 4)), validationSplit: 0.1, shuffle: true, dataset: 'mnist' },
      backend: { name: 'wasm', reason: 'bench' }, versions: { tfjs: '4.22.0', node: process.version, modelLab: '0.1.0' },
      startedAt: new Date(t0).toISOString(), ...(live ? {} : { endedAt: new Date(t0 + n * 10).toISOString() }), status: live ? 'running' : 'completed', totalParams: 1000 + seed, batchesPerEpoch: bpe,
    }),
  );
  writeFileSync(join(dir, 'model/model.json'), JSON.stringify({ trainingConfig: { optimizer_config: { class_name: 'Adam', config: { learningRate: 10 ** -(2 + (seed % 3)) } } } }));
  const fd = openSync(join(dir, 'metrics.jsonl'), 'w');
  let buf = '';
  let r = seed * 9301 + 49297;
  const rnd = () => ((r = (r * 9301 + 49297) % 233280) / 233280);
  for (let i = 0; i < n; i++) {
    const epoch = Math.floor(i / bpe);
    const loss = (2 / (1 + i / 5000) + 0.1 * rnd()) * (i === 4321 * (seed + 1) ? 20 : 1);
    buf += `{"type":"batch","epoch":${epoch},"batch":${i % bpe},"step":${i},"time":${t0 + i * 10},"loss":${loss},"acc":${1 - loss / 3},"mae":${loss / 2},"mse":${loss * loss}}\n`;
    if (i % bpe === bpe - 1) buf += `{"type":"epoch","epoch":${epoch},"time":${t0 + i * 10},"loss":${loss},"val_loss":${loss * 1.1},"acc":${1 - loss / 3},"val_acc":${1 - loss / 2.8}}\n`;
    if (buf.length > 1 << 20) {
      writeSync(fd, buf);
      buf = '';
    }
  }
  if (!live) buf += `{"type":"end","epoch":${Math.floor((n - 1) / bpe)},"time":${t0 + n * 10},"status":"completed"}\n`;
  writeSync(fd, buf);
  closeSync(fd);
  return dir;
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

const lines = [];
const say = (s) => {
  console.log(s);
  lines.push(s);
};

const cpu = (() => {
  try {
    return /Model name:\s*(.*)/.exec(execFileSync('lscpu', { encoding: 'utf8' }))?.[1]?.trim() ?? cpus()[0]?.model;
  } catch {
    return cpus()[0]?.model;
  }
})();
say(`# dashboard bench ${new Date().toISOString()} · ${cpu} · ${cpus().length} CPUs · load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (start)`);

const ONLY_BIG = process.env.DASHBOARD_ONLY === 'big';
const dirs = [];
for (let k = 0; k < (ONLY_BIG ? 0 : RUNS); k++) dirs.push(writeRun(`run-${String(k).padStart(2, '0')}`, POINTS, k, k === 0));
const set = new CompareSet();
let t = performance.now();
for (const d of dirs) set.addFolder(d);
if (!ONLY_BIG) say(`host: read ${RUNS} runs × ${POINTS.toLocaleString('en')} batches × ${METRICS.length} metrics into the store in ${fmt(performance.now() - t, 0)} ms; store ${fmt(set.store.bytes() / 2 ** 20)} MiB`);

const h = await startHarness();
let requests = 0;
let answerMs = 0;
const openWith = (theSet) =>
  h.openPanel({
    theme: 'dark',
    width: 1200,
    height: 1400,
    onMessage: (m, post) => {
      if (m.type === 'valuesRequest') post({ type: 'valuesResponse', id: m.id, metric: m.metric, values: valuesAt(theSet, m) });
      if (m.type !== 'seriesRequest') return;
      const a = performance.now();
      const runs = theSet.query(m);
      answerMs += performance.now() - a;
      requests++;
      post({ type: 'seriesResponse', id: m.id, metric: m.metric, runs });
    },
  });

const post = (page, msg) => page.evaluate((text) => window.postMessage(JSON.parse(text), '*'), JSON.stringify(msg));
const allDrawn = (page, n) =>
  page.waitForFunction((n) => {
    const boxes = [...document.querySelectorAll('.compare-chart')];
    return boxes.length >= n && boxes.every((b) => Number(b.dataset.points) > 0);
  }, n, { timeout: 120_000, polling: 'raf' });

try {
  if (!ONLY_BIG) {
  // ---- first render ------------------------------------------------------------------------------
  const panel = await openWith(set);
  const page = panel.page;
  await post(page, { type: 'snapshot', seq: 1, run: null });
  const tFirst = performance.now();
  await post(page, { type: 'compare', version: set.version, runs: set.summaries() });
  await allDrawn(page, METRICS.length);
  const firstMs = performance.now() - tFirst;
  const drawnPoints = await page.$$eval('.compare-chart', (bs) => bs.reduce((n, b) => n + Number(b.dataset.points), 0));

  // Baseline in the same page: uPlot given every point (raw and smoothed line per run, as drawn here).
  const baseFirst = await page.evaluate(
    ({ RUNS, POINTS, METRICS }) => {
      const { uPlot } = window.__modelLab;
      const host = document.createElement('div');
      host.id = 'baseline';
      document.body.append(host);
      const x = Float64Array.from({ length: POINTS }, (_, i) => i);
      const t = performance.now();
      const plots = METRICS.map((m, mi) => {
        const data = [x];
        const series = [{}];
        for (let r = 0; r < RUNS; r++) {
          const raw = new Float64Array(POINTS);
          const sm = new Float64Array(POINTS);
          let last = 0;
          for (let i = 0; i < POINTS; i++) {
            raw[i] = 2 / (1 + i / 5000) + 0.1 * Math.sin(i * (r + 1) + mi);
            last = last * 0.6 + 0.4 * raw[i];
            sm[i] = last / (1 - 0.6 ** (i + 1));
          }
          data.push(raw, sm);
          series.push({ stroke: 'rgba(55,148,255,0.25)', points: { show: false } }, { stroke: '#3794ff', width: 1.5, points: { show: false } });
        }
        return new uPlot({ width: 1140, height: 200, series, scales: { x: { time: false } }, legend: { show: false } }, data, host);
      });
      window.__baseline = plots;
      return new Promise((ok) => queueMicrotask(() => ok(performance.now() - t)));
    },
    { RUNS, POINTS, METRICS },
  );
  say(`first render, ${RUNS} runs × ${METRICS.length} metrics × ${POINTS.toLocaleString('en')} points: ${fmt(firstMs, 0)} ms from the compare message to every chart drawn (${drawnPoints.toLocaleString('en')} points drawn; includes ${requests} viewport requests answered by the host in ${fmt(answerMs, 0)} ms) · baseline uPlot with every point: ${fmt(baseFirst, 0)} ms (charts built from data already in the page) · ratio ${fmt(baseFirst / firstMs, 2)}×`);

  // ---- frames while one run appends 50 batches a second ------------------------------------------------
  const frameWindow = async (fn) => {
    await page.evaluate(() => (window.__modelLab.frames.length = 0));
    await fn();
    return page.evaluate(() => [...window.__modelLab.frames]);
  };
  let step = POINTS;
  const appendedAt = new Map();
  const latencies = [];
  // The page reports, per frame, the last step of run-00 drawn on the loss chart and when.
  await page.exposeFunction('__drawnStep', (s, at) => {
    for (const [st, t] of appendedAt) if (st <= s) {
      latencies.push(at - t);
      appendedAt.delete(st);
    }
  });
  await page.evaluate(() => {
    const c = window.__modelLab.compare.charts.get('loss');
    c.plot.hooks.draw = c.plot.hooks.draw ?? [];
    c.plot.hooks.draw.push((u) => {
      // Faceted data: [null, [xs, ys], …]; run-00 is the run that grows, so the largest x is its last step.
      let last = -Infinity;
      for (const d of u.data.slice(1)) if (d[0].length) last = Math.max(last, d[0][d[0].length - 1]);
      window.__drawnStep(last, Date.now());
    });
  });
  // DASHBOARD_PROFILE=1 prints where the page's time goes while appending (self time per function).
  const prof = process.env.DASHBOARD_PROFILE ? await page.context().newCDPSession(page) : undefined;
  if (prof) {
    await prof.send('Profiler.enable');
    await prof.send('Profiler.start');
  }
  const appendFrames = await frameWindow(async () => {
    const end = Date.now() + APPEND_SECONDS * 1000;
    let timer;
    while (Date.now() < end) {
      const p = { epoch: Math.floor(step / 1000), batch: step % 1000, step, time: t0 + step * 10, metrics: { loss: 0.3, acc: 0.9, mae: 0.15, mse: 0.09 } };
      set.appendBatches('run-00', [p]);
      appendedAt.set(step, Date.now());
      step++;
      // The panel resends the summary at most every COMPARE_UPDATE_MS; the webview then asks for its viewport.
      timer ??= setTimeout(() => {
        timer = undefined;
        void post(page, { type: 'compare', version: set.version, runs: set.summaries() });
      }, COMPARE_UPDATE_MS);
      await new Promise((ok) => setTimeout(ok, 20));
    }
    await new Promise((ok) => setTimeout(ok, 400));
  });
  if (prof) {
    const { profile } = await prof.send('Profiler.stop');
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map();
    profile.samples.forEach((id, i) => {
      const n = byId.get(id);
      const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
      self.set(k, (self.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    });
    console.log([...self].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, t]) => `${t.toFixed(0).padStart(6)} ms ${k}`).join('\n'));
  }
  const baseAppend = await page.evaluate(async (n) => {
    const out = [];
    for (let k = 0; k < n; k++) {
      const t = performance.now();
      for (const u of window.__baseline) u.setData(u.data);
      await new Promise((ok) => queueMicrotask(ok));
      out.push(performance.now() - t);
      await new Promise((ok) => setTimeout(ok, 100));
    }
    return out;
  }, 30);
  say(`frames while one run appends 50 batches/s (${APPEND_SECONDS} s, ${appendFrames.length} frames): median ${fmt(quantile(appendFrames, 0.5))} ms, p95 ${fmt(quantile(appendFrames, 0.95))} ms · baseline uPlot redrawing every point: median ${fmt(quantile(baseAppend, 0.5))} ms, p95 ${fmt(quantile(baseAppend, 0.95))} ms · ratio (median) ${fmt(quantile(baseAppend, 0.5) / quantile(appendFrames, 0.5), 1)}×`);
  say(`latency from a batch reaching the host to the frame that draws it (${latencies.length} batches): median ${fmt(quantile(latencies, 0.5), 0)} ms, p95 ${fmt(quantile(latencies, 0.95), 0)} ms (the host batches for ${COMPARE_UPDATE_MS} ms, then the panel asks for the grown run's points and draws them)`);

  // ---- frames while the user zooms ---------------------------------------------------------------------
  const ZOOMS = 20;
  const zoomFrames = await frameWindow(async () => {
    for (let k = 0; k < ZOOMS; k++) {
      const w = POINTS * 0.9 ** (k + 1);
      const mid = POINTS * 0.6;
      // What a box zoom does: set every chart's range and redraw (each chart then asks for it).
      await page.evaluate(([a, b]) => {
        for (const c of window.__modelLab.compare.charts.values()) c.zoom = [a, b];
        window.__modelLab.redraw();
      }, [mid - w / 2, mid + w / 2]);
      // About as often as a user drags a new box.
      await new Promise((ok) => setTimeout(ok, 150));
    }
    await new Promise((ok) => setTimeout(ok, 300));
  });
  const baseZoom = await page.evaluate(async ({ ZOOMS, POINTS }) => {
    const out = [];
    for (let k = 0; k < ZOOMS; k++) {
      const w = POINTS * 0.9 ** (k + 1);
      const mid = POINTS * 0.6;
      const t = performance.now();
      for (const u of window.__baseline) u.setScale('x', { min: mid - w / 2, max: mid + w / 2 });
      await new Promise((ok) => queueMicrotask(ok));
      out.push(performance.now() - t);
      await new Promise((ok) => setTimeout(ok, 50));
    }
    return out;
  }, { ZOOMS, POINTS });
  say(`frames while zooming (${ZOOMS} zoom steps, ${zoomFrames.length} frames): median ${fmt(quantile(zoomFrames, 0.5))} ms, p95 ${fmt(quantile(zoomFrames, 0.95))} ms · baseline uPlot with every point: median ${fmt(quantile(baseZoom, 0.5))} ms, p95 ${fmt(quantile(baseZoom, 0.95))} ms · ratio (median) ${fmt(quantile(baseZoom, 0.5) / quantile(zoomFrames, 0.5), 1)}×`);
  if (panel.problems.length) say(`page problems: ${panel.problems.slice(0, 5).join(' | ')}`);
  await panel.close();
  }

  // ---- a finished 1,000,000-batch run ------------------------------------------------------------------
  const bigDir = writeRun('run-big', BIG, 3);
  let oldReadMs = NaN;
  global.gc?.();
  const heap0 = process.memoryUsage();
  const big = new CompareSet();
  t = performance.now();
  big.addFolder(bigDir);
  const readMs = performance.now() - t;
  global.gc?.();
  const heap1 = process.memoryUsage();
  // Baseline: the reader before, in the same script on the same file: run.json read through readRun
  // (which also parsed every metrics line with JSON.parse and the schema), then the lines again.
  {
    const old = new CompareSet();
    const tOld = performance.now();
    readRun(bigDir);
    old.addFolder(bigDir);
    oldReadMs = performance.now() - tOld;
    if (old.store.bytes() !== big.store.bytes()) throw new Error('the two readers disagree on the store');
  }
  global.gc?.();
  const bigPanel = await openWith(big);
  const cdp = await bigPanel.page.context().newCDPSession(bigPanel.page);
  await cdp.send('Performance.enable');
  const heapOf = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'JSHeapUsedSize').value;
  await post(bigPanel.page, { type: 'snapshot', seq: 1, run: null });
  await cdp.send('HeapProfiler.collectGarbage');
  const webHeap0 = await heapOf();
  t = performance.now();
  const msg = { type: 'compare', version: big.version, runs: big.summaries() };
  await post(bigPanel.page, msg);
  await allDrawn(bigPanel.page, METRICS.length);
  const openMs = performance.now() - t;
  await cdp.send('HeapProfiler.collectGarbage');
  const webHeap1 = await heapOf();
  const onWire = JSON.stringify(msg).length;
  // What the panel's snapshot would have carried with every batch (sampled: 10,000 points × 100).
  const sample = [];
  for (let i = 0; i < 10_000; i++) sample.push({ epoch: 0, batch: i, step: i, time: t0 + i * 10, metrics: { loss: 0.123456789, acc: 0.95678, mae: 0.0617, mse: 0.0152 } });
  const fullBytes = (JSON.stringify(sample).length * BIG) / 10_000;
  say(`opening a finished ${BIG.toLocaleString('en')}-batch run: host read ${fmt(readMs, 0)} ms (the reader before, which parsed every line twice, once through the schema: ${fmt(oldReadMs, 0)} ms, ${fmt(oldReadMs / readMs, 1)}×), store ${fmt(big.store.bytes() / 2 ** 20)} MiB (heap +${fmt((heap1.heapUsed + heap1.arrayBuffers - heap0.heapUsed - heap0.arrayBuffers) / 2 ** 20)} MiB); panel: compare message ${fmt(onWire / 1024)} KiB, ${fmt(openMs, 0)} ms to every chart drawn, webview JS heap +${fmt((webHeap1 - webHeap0) / 2 ** 20)} MiB · the same run as a snapshot with every batch: ~${fmt(fullBytes / 2 ** 20, 0)} MiB of JSON`);
  await bigPanel.close();
} finally {
  await h.close();
  rmSync(tmp, { recursive: true, force: true });
}
say(`# load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (end)`);
