/**
 * The Evaluation section: what eval.json says about the trained model. Classifiers get a confusion
 * matrix heat map, a per-class table and sample predictions with their top 3; regressors MAE, RMSE,
 * R² and the error histogram; autoencoders input/reconstruction pairs and the error histogram.
 * Test hooks: #eval, #confusion-matrix (data-classes), .sample-prediction.
 */
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { AutoencoderEval, ClassificationEval, EvalReport, OutputEval, RegressionEval } from '../../src/protocol/evalReport';
import { contrastRatio, cssRgb, over, readableText, type Rgb } from './contrast';
import { cssVar, el, resolveColor } from './dom';
import { barRow, fmt, histogramView, pct, sampleCanvas } from './drawing';
import { samplesOfCell, type CellChoice } from './evalModel';
import type { Locale } from './i18n';

/** What the matrix needs from the page: the theme's colours, the normalise toggle and the picked cell. */
export interface EvalContext {
  L: Locale;
  normalise: boolean;
  onNormalise(on: boolean): void;
  /** The cell whose samples are shown, if any. */
  cell?: CellChoice;
  onCell?(cell: CellChoice | null): void;
  /** Colours for the forecast chart. */
  lineColours?: { actual: string; predicted: string; grid: string };
  /** Put the keyboard focus back on the picked cell after a redraw (it was picked with the keyboard or mouse just now). */
  focusCell?: boolean;
}

interface CellColours {
  background: Rgb;
  foreground: Rgb;
  muted: Rgb;
  right: { rgb: Rgb; alpha: number };
  wrong: { rgb: Rgb; alpha: number };
}

/** The colours a cell is painted from, resolved to RGB (the panel's own background under it). */
function cellColours(): CellColours {
  const rgbOf = (css: string, fallback: Rgb): { rgb: Rgb; alpha: number } => resolveColor(css) ?? { rgb: fallback, alpha: 1 };
  const bodyBg = resolveColor(getComputedStyle(document.body).backgroundColor);
  const background = bodyBg && bodyBg.alpha > 0.99 ? bodyBg.rgb : rgbOf(cssVar('--vscode-editor-background', '#1e1e1e'), [30, 30, 30]).rgb;
  const onBg = (c: { rgb: Rgb; alpha: number }): Rgb => over(c.rgb, c.alpha, background);
  return {
    background,
    foreground: onBg(rgbOf(cssVar('--vscode-editor-foreground', cssVar('--vscode-foreground', '#cccccc')), [204, 204, 204])),
    muted: onBg(rgbOf(cssVar('--vscode-descriptionForeground', '#999999'), [153, 153, 153])),
    right: rgbOf(cssVar('--vscode-charts-green', '#89d185'), [137, 209, 133]),
    wrong: rgbOf(cssVar('--vscode-charts-red', '#f14c4c'), [241, 76, 76]),
  };
}

function tile(label: string, value: string, title = ''): HTMLElement {
  return el('div', { class: 'tile', title }, el('div', { class: 'tile-value num' }, value), el('div', { class: 'tile-label' }, label));
}

/**
 * Rows are true classes, columns predictions; a cell's colour is its share of the row (recall). The
 * cell's colour is computed here (theme colour over the panel background) rather than left to CSS,
 * so its text colour can be picked from the real background: 4.5:1 or better in every theme.
 * Test hooks: `data-contrast` (the text's contrast ratio) and `data-bg` on each cell.
 */
function confusionMatrix(o: ClassificationEval, ctx: EvalContext, output: number): HTMLElement {
  const { L } = ctx;
  const k = o.classNames.length;
  const colours = cellColours();
  const table = el('table', { id: 'confusion-matrix', class: 'confusion', 'data-classes': String(k), 'data-normalised': String(ctx.normalise) });
  const head = el('tr', {}, el('th', { class: 'corner', title: L.t('eval.corner.title') }, L.t('eval.corner')));
  for (const name of o.classNames) head.append(el('th', { class: 'col-head', scope: 'col', title: L.t('eval.predicted', name) }, name));
  table.append(el('thead', {}, head));
  const body = el('tbody');
  o.confusion.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    const tr = el('tr', {}, el('th', { class: 'row-head', scope: 'row', title: L.t('eval.true', o.classNames[t]) }, o.classNames[t]));
    row.forEach((count, p) => {
      const share = total ? count / total : 0;
      const text = ctx.normalise ? pct(share) : L.int(count);
      const picked = ctx.cell?.output === output && ctx.cell.label === t && ctx.cell.predicted === p;
      // Every cell is a button to its samples: click, or focus and press Enter or Space.
      const cell = el(
        'td',
        {
          class: `num ${t === p ? 'diag' : 'off'}${picked ? ' picked' : ''}`,
          title: L.t('eval.cell.title', o.classNames[t], o.classNames[p], L.int(count), pct(share)),
          // One tab stop for the whole matrix (the picked cell, else the first); arrows move inside it.
          tabindex: picked || (ctx.cell?.output !== output && t === 0 && p === 0) ? '0' : '-1',
          'aria-pressed': String(picked),
          'data-true': String(t),
          'data-predicted': String(p),
          'data-count': String(count),
        },
        text,
      );
      const pick = () => ctx.onCell?.(picked ? null : { output, label: t, predicted: p });
      cell.addEventListener('click', pick);
      cell.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          pick();
        }
      });
      let bg = colours.background;
      let fg: Rgb;
      if (count > 0) {
        const hue = t === p ? colours.right : colours.wrong;
        bg = over(hue.rgb, hue.alpha * (0.12 + share * 0.73), colours.background);
        fg = readableText(bg, [colours.foreground]);
        if (share > 0.5) cell.classList.add('strong');
      } else {
        cell.classList.add('zero');
        fg = readableText(bg, [colours.muted, colours.foreground]);
      }
      cell.style.backgroundColor = cssRgb(bg);
      cell.style.color = cssRgb(fg);
      cell.setAttribute('data-bg', cssRgb(bg));
      cell.setAttribute('data-contrast', contrastRatio(fg, bg).toFixed(2));
      tr.append(cell);
    });
    body.append(tr);
  });
  table.append(body);
  table.addEventListener('keydown', (e) => {
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1], Home: [0, -k], End: [0, k] };
    const move = moves[e.key];
    const from = (e.target as HTMLElement).closest?.('td[data-true]') as HTMLElement | null;
    if (!move || !from) return;
    e.preventDefault();
    const t = Math.min(k - 1, Math.max(0, Number(from.dataset.true) + move[0]));
    const p = Math.min(k - 1, Math.max(0, Number(from.dataset.predicted) + move[1]));
    const to = table.querySelector<HTMLElement>(`td[data-true="${t}"][data-predicted="${p}"]`);
    if (!to || to === from) return;
    from.tabIndex = -1;
    to.tabIndex = 0;
    to.focus();
  });
  const toggle = el('vscode-checkbox', { id: 'normalise', label: L.t('eval.normalise'), title: L.t('eval.normalise.title') });
  toggle.checked = ctx.normalise;
  toggle.addEventListener('change', () => ctx.onNormalise(toggle.checked));
  return el('div', { class: 'matrix-block' }, toggle, el('div', { class: 'matrix-scroll' }, table), el('p', { class: 'muted matrix-hint' }, L.t('eval.cell.hint')));
}

function perClassTable(o: ClassificationEval, L: Locale): HTMLElement {
  const rows = o.perClass.map((c, i) =>
    el('tr', {}, el('td', {}, o.classNames[i]), el('td', { class: 'num' }, fmt(c.precision)), el('td', { class: 'num' }, fmt(c.recall)), el('td', { class: 'num' }, fmt(c.f1)), el('td', { class: 'num' }, L.int(c.support))),
  );
  const support = o.perClass.reduce((a, c) => a + c.support, 0);
  return el(
    'table',
    { id: 'per-class', class: 'grid compact' },
    el('thead', {}, el('tr', {}, ...[L.t('eval.class'), L.t('eval.precision'), L.t('eval.recall'), L.t('eval.f1'), L.t('eval.support')].map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows),
    el('tfoot', {}, el('tr', {}, el('td', {}, L.t('eval.macroAvg')), el('td', { class: 'num' }, fmt(o.macro.precision)), el('td', { class: 'num' }, fmt(o.macro.recall)), el('td', { class: 'num' }, fmt(o.macro.f1)), el('td', { class: 'num' }, L.int(support)))),
  );
}

function classificationView(o: ClassificationEval, ctx: EvalContext, output: number): HTMLElement[] {
  const { L } = ctx;
  const name = (c: number) => o.classNames[c] ?? String(c);
  const cell = ctx.cell?.output === output ? ctx.cell : undefined;
  const picked = cell ? samplesOfCell(o, cell.label, cell.predicted) : undefined;
  const samples = (picked ? picked.samples : o.samples).map((s) => {
    const ok = s.label === s.predicted;
    const top = s.top.slice(0, 3).map((t) => barRow(name(t.class), t.probability, pct(t.probability), t.class === s.label ? 'is-label' : ''));
    return el(
      'figure',
      { class: `sample-prediction ${ok ? 'right' : 'wrong'}`, 'data-label': String(s.label), 'data-predicted': String(s.predicted) },
      sampleCanvas(s.input),
      el('figcaption', {}, el('div', { class: 'verdict' }, el('span', { class: 'mark', 'aria-hidden': 'true' }, ok ? '✓' : '✗'), ` ${name(s.predicted)}`, ok ? '' : el('span', { class: 'muted' }, L.t('eval.trueLabel', name(s.label)))), el('div', { class: 'topk' }, ...top)),
    );
  });
  return [
    el('div', { class: 'tiles' }, tile(L.t('eval.accuracy'), pct(o.accuracy)), tile(L.t('eval.macroF1'), fmt(o.macro.f1)), tile(L.t('eval.macroPrecision'), fmt(o.macro.precision)), tile(L.t('eval.macroRecall'), fmt(o.macro.recall))),
    el('div', { class: 'eval-grid' }, el('div', { class: 'eval-cell' }, el('h3', {}, L.t('eval.confusion')), confusionMatrix(o, ctx, output)), el('div', { class: 'eval-cell' }, el('h3', {}, L.t('eval.perClass')), perClassTable(o, L))),
    ...(cell && picked
      ? [
          el(
            'div',
            { id: 'cell-samples', class: 'cell-samples', 'data-true': String(cell.label), 'data-predicted': String(cell.predicted), role: 'region', 'aria-live': 'polite' },
            el('h3', {}, L.t('eval.cell.samples', name(cell.label), name(cell.predicted), L.int(picked.count))),
            el('p', { class: 'muted' }, picked.samples.length ? L.t('eval.cell.shown', L.int(picked.samples.length)) : L.t('eval.cell.none'), ' ', showAll(ctx)),
            ...(samples.length ? [el('div', { class: 'samples' }, ...samples)] : []),
          ),
        ]
      : samples.length
        ? [el('h3', {}, L.t('eval.samplePredictions', samples.filter((s) => s.classList.contains('wrong')).length, samples.length)), el('div', { class: 'samples' }, ...samples)]
        : []),
  ];
}

function showAll(ctx: EvalContext): HTMLElement {
  const b = el('button', { type: 'button', class: 'link', id: 'cell-samples-all' }, ctx.L.t('eval.cell.all'));
  b.addEventListener('click', () => ctx.onCell?.(null));
  return b;
}

/** Forecast (predicted) against actual values in data order, as an SVG line chart. */
function forecastChart(o: RegressionEval, ctx: EvalContext): HTMLElement[] {
  const series = o.series;
  if (!series || series.target.length < 2) return [];
  const { L } = ctx;
  const colours = ctx.lineColours ?? { actual: 'currentColor', predicted: 'currentColor', grid: 'currentColor' };
  const W = 560;
  const H = 180;
  const pad = { l: 44, r: 8, t: 8, b: 18 };
  const vals = [...series.target, ...series.predicted].filter((x): x is number => x !== null && Number.isFinite(x));
  if (vals.length === 0) return [];
  let lo = Math.min(...vals);
  let hi = Math.max(...vals);
  if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
  const n = series.target.length;
  const x = (i: number) => pad.l + (i / (n - 1)) * (W - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - (v - lo) / (hi - lo)) * (H - pad.t - pad.b);
  const path = (vs: (number | null)[]) => {
    let d = '';
    let pen = false;
    vs.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)}`;
      pen = true;
    });
    return d;
  };
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('class', 'forecast-chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', L.t('eval.forecast.label', L.int(n)));
  const line = (d: string, colour: string, series: string, width: number) => {
    const p = document.createElementNS(NS, 'path');
    p.setAttribute('d', d);
    p.setAttribute('fill', 'none');
    p.setAttribute('stroke', colour);
    p.setAttribute('stroke-width', String(width));
    p.setAttribute('data-series', series);
    return p;
  };
  const text = (tx: number, ty: number, s: string, anchor = 'end') => {
    const t = document.createElementNS(NS, 'text');
    t.setAttribute('x', String(tx));
    t.setAttribute('y', String(ty));
    t.setAttribute('text-anchor', anchor);
    t.setAttribute('class', 'axis-label');
    t.textContent = s;
    return t;
  };
  svg.append(
    line(`M${pad.l} ${pad.t}V${H - pad.b}H${W - pad.r}`, colours.grid, 'axes', 1),
    text(pad.l - 4, pad.t + 8, fmt(hi)),
    text(pad.l - 4, H - pad.b, fmt(lo)),
    line(path(series.target), colours.actual, 'actual', 1.5),
    line(path(series.predicted), colours.predicted, 'predicted', 1.5),
  );
  const key = (cls: string, label: string) => el('span', { class: `forecast-key ${cls}` }, el('span', { class: 'swatch', 'aria-hidden': 'true' }), label);
  return [
    el('h3', {}, L.t('eval.forecast')),
    el('div', { id: 'forecast', class: 'forecast', 'data-points': String(n) }, svg, el('div', { class: 'forecast-legend' }, key('actual', L.t('eval.forecast.actual')), key('predicted', L.t('eval.forecast.predicted')))),
  ];
}

function regressionView(o: RegressionEval, ctx: EvalContext): HTMLElement[] {
  const { L } = ctx;
  const list = (v: number[]) => v.slice(0, 4).map((x) => fmt(x)).join(', ') + (v.length > 4 ? ', …' : '');
  const rows = o.samples.slice(0, 12).map((s) =>
    el('tr', { class: 'sample-prediction' }, el('td', {}, sampleCanvas(s.input, 'thumb small')), el('td', { class: 'num' }, list(s.target)), el('td', { class: 'num' }, list(s.predicted)), el('td', { class: 'num' }, fmt(s.predicted[0] - s.target[0]))),
  );
  return [
    el('div', { class: 'tiles' }, tile('MAE', fmt(o.mae), L.t('eval.mae')), tile('RMSE', fmt(o.rmse), L.t('eval.rmse')), tile('R²', fmt(o.r2), L.t('eval.r2'))),
    ...forecastChart(o, ctx),
    el('h3', {}, L.t('eval.errorDistribution')),
    histogramView(o.errorHistogram, L.t('eval.error')),
    ...(rows.length
      ? [el('h3', {}, L.t('eval.samplesTitle')), el('table', { class: 'grid compact samples-table' }, el('thead', {}, el('tr', {}, ...[L.t('eval.input'), L.t('eval.target'), L.t('eval.prediction'), L.t('eval.error')].map((h) => el('th', {}, h)))), el('tbody', {}, ...rows))]
      : []),
  ];
}

function autoencoderView(o: AutoencoderEval, L: Locale): HTMLElement[] {
  const pairs = o.samples.map((s) =>
    el('figure', { class: 'sample-prediction pair' }, el('div', { class: 'pair-images' }, sampleCanvas(s.input), sampleCanvas(s.reconstruction)), el('figcaption', { class: 'num' }, `MSE ${fmt(s.error, 4)}`)),
  );
  return [
    el('div', { class: 'tiles' }, tile(L.t('eval.meanMse'), fmt(o.meanError, 4), L.t('eval.meanMse.title'))),
    ...(pairs.length ? [el('h3', {}, L.t('eval.reconstruction')), el('div', { class: 'samples' }, ...pairs)] : []),
    el('h3', {}, L.t('eval.reconstructionError')),
    histogramView(o.errorHistogram, 'MSE'),
  ];
}

function outputView(o: OutputEval, several: boolean, ctx: EvalContext, output: number): HTMLElement {
  const body = o.kind === 'classification' ? classificationView(o, ctx, output) : o.kind === 'regression' ? regressionView(o, ctx) : autoencoderView(o, ctx.L);
  return el('div', { class: 'eval-output', 'data-kind': o.kind }, ...(several ? [el('h3', { class: 'output-name' }, ctx.L.t('eval.output', o.output, o.kind))] : []), ...body);
}

/** Fills the #eval section (hidden when there is no report). */
export function renderEval(section: HTMLElement, report: EvalReport | undefined, ctx: EvalContext): void {
  section.hidden = !report;
  if (!report) {
    section.replaceChildren();
    return;
  }
  section.replaceChildren(
    el('h2', {}, ctx.L.t('eval.title')),
    el('p', { class: 'muted eval-data' }, ctx.L.t('eval.samples', ctx.L.int(report.count), report.data)),
    ...report.outputs.map((o, i) => outputView(o, report.outputs.length > 1, ctx, i)),
  );
  // The matrix was rebuilt: keep the keyboard on the cell the user just picked.
  if (ctx.cell) {
    const c = ctx.cell;
    const outputEl = section.querySelectorAll('.eval-output')[c.output];
    const td = outputEl?.querySelector<HTMLElement>(`#confusion-matrix td[data-true="${c.label}"][data-predicted="${c.predicted}"]`);
    if (td && section.contains(document.activeElement) === false && ctx.focusCell) td.focus();
  }
}
