/**
 * The Evaluation section: what eval.json says about the trained model. Classifiers get a confusion
 * matrix heat map, a per-class table and sample predictions with their top 3; regressors MAE, RMSE,
 * R² and the error histogram; autoencoders input/reconstruction pairs and the error histogram.
 * Test hooks: #eval, #confusion-matrix (data-classes), .sample-prediction.
 */
import type { AutoencoderEval, ClassificationEval, EvalReport, OutputEval, RegressionEval } from '../../src/protocol/evalReport';
import { barRow, fmt, histogramView, pct, sampleCanvas } from './drawing';
import { el } from './view';

function tile(label: string, value: string, title = ''): HTMLElement {
  return el('div', { class: 'tile', title }, el('div', { class: 'tile-value num' }, value), el('div', { class: 'tile-label' }, label));
}

/** Rows are true classes, columns predictions; a cell's colour is its share of the row (recall). */
function confusionMatrix(o: ClassificationEval): HTMLElement {
  const k = o.classNames.length;
  const table = el('table', { id: 'confusion-matrix', class: 'confusion', 'data-classes': String(k) });
  const head = el('tr', {}, el('th', { class: 'corner', title: 'rows: true class · columns: predicted class' }, 'true \\ pred'));
  for (const name of o.classNames) head.append(el('th', { class: 'col-head', title: `predicted ${name}` }, name));
  table.append(el('thead', {}, head));
  const body = el('tbody');
  o.confusion.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    const tr = el('tr', {}, el('th', { class: 'row-head', title: `true ${o.classNames[t]}` }, o.classNames[t]));
    row.forEach((count, p) => {
      const share = total ? count / total : 0;
      const cell = el('td', { class: `num ${t === p ? 'diag' : 'off'}`, title: `true ${o.classNames[t]}, predicted ${o.classNames[p]}: ${count} (${pct(share)} of the row)` }, String(count));
      if (count > 0) {
        const hue = t === p ? 'var(--vscode-charts-green, #89d185)' : 'var(--vscode-charts-red, #f14c4c)';
        cell.style.backgroundColor = `color-mix(in srgb, ${hue} ${Math.round(12 + share * 73)}%, transparent)`;
        if (share > 0.5) cell.classList.add('strong');
      } else cell.classList.add('zero');
      tr.append(cell);
    });
    body.append(tr);
  });
  table.append(body);
  return el('div', { class: 'matrix-scroll' }, table);
}

function perClassTable(o: ClassificationEval): HTMLElement {
  const rows = o.perClass.map((c, i) =>
    el('tr', {}, el('td', {}, o.classNames[i]), el('td', { class: 'num' }, fmt(c.precision)), el('td', { class: 'num' }, fmt(c.recall)), el('td', { class: 'num' }, fmt(c.f1)), el('td', { class: 'num' }, String(c.support))),
  );
  const support = o.perClass.reduce((a, c) => a + c.support, 0);
  return el(
    'table',
    { id: 'per-class', class: 'grid compact' },
    el('thead', {}, el('tr', {}, ...['class', 'precision', 'recall', 'F1', 'support'].map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows),
    el('tfoot', {}, el('tr', {}, el('td', {}, 'macro avg'), el('td', { class: 'num' }, fmt(o.macro.precision)), el('td', { class: 'num' }, fmt(o.macro.recall)), el('td', { class: 'num' }, fmt(o.macro.f1)), el('td', { class: 'num' }, String(support)))),
  );
}

function classificationView(o: ClassificationEval): HTMLElement[] {
  const name = (c: number) => o.classNames[c] ?? String(c);
  const samples = o.samples.map((s) => {
    const ok = s.label === s.predicted;
    const top = s.top.slice(0, 3).map((t) => barRow(name(t.class), t.probability, pct(t.probability), t.class === s.label ? 'is-label' : ''));
    return el(
      'figure',
      { class: `sample-prediction ${ok ? 'right' : 'wrong'}`, 'data-label': String(s.label), 'data-predicted': String(s.predicted) },
      sampleCanvas(s.input),
      el('figcaption', {}, el('div', { class: 'verdict' }, el('span', { class: 'mark' }, ok ? '✓' : '✗'), ` ${name(s.predicted)}`, ok ? '' : el('span', { class: 'muted' }, ` (true ${name(s.label)})`)), el('div', { class: 'topk' }, ...top)),
    );
  });
  return [
    el('div', { class: 'tiles' }, tile('accuracy', pct(o.accuracy)), tile('macro F1', fmt(o.macro.f1)), tile('macro precision', fmt(o.macro.precision)), tile('macro recall', fmt(o.macro.recall))),
    el('div', { class: 'eval-grid' }, el('div', { class: 'eval-cell' }, el('h3', {}, 'Confusion matrix'), confusionMatrix(o)), el('div', { class: 'eval-cell' }, el('h3', {}, 'Per class'), perClassTable(o))),
    ...(samples.length ? [el('h3', {}, `Sample predictions (${samples.filter((s) => s.classList.contains('wrong')).length} wrong of ${samples.length})`), el('div', { class: 'samples' }, ...samples)] : []),
  ];
}

function regressionView(o: RegressionEval): HTMLElement[] {
  const list = (v: number[]) => v.slice(0, 4).map((x) => fmt(x)).join(', ') + (v.length > 4 ? ', …' : '');
  const rows = o.samples.slice(0, 12).map((s) =>
    el('tr', { class: 'sample-prediction' }, el('td', {}, sampleCanvas(s.input, 'thumb small')), el('td', { class: 'num' }, list(s.target)), el('td', { class: 'num' }, list(s.predicted)), el('td', { class: 'num' }, fmt(s.predicted[0] - s.target[0]))),
  );
  return [
    el('div', { class: 'tiles' }, tile('MAE', fmt(o.mae), 'mean absolute error'), tile('RMSE', fmt(o.rmse), 'root mean squared error'), tile('R²', fmt(o.r2), 'coefficient of determination (1 = perfect)')),
    el('h3', {}, 'Error distribution (predicted − target)'),
    histogramView(o.errorHistogram, 'error'),
    ...(rows.length
      ? [el('h3', {}, 'Samples'), el('table', { class: 'grid compact samples-table' }, el('thead', {}, el('tr', {}, ...['input', 'target', 'predicted', 'error'].map((h) => el('th', {}, h)))), el('tbody', {}, ...rows))]
      : []),
  ];
}

function autoencoderView(o: AutoencoderEval): HTMLElement[] {
  const pairs = o.samples.map((s) =>
    el('figure', { class: 'sample-prediction pair' }, el('div', { class: 'pair-images' }, sampleCanvas(s.input), sampleCanvas(s.reconstruction)), el('figcaption', { class: 'num' }, `MSE ${fmt(s.error, 4)}`)),
  );
  return [
    el('div', { class: 'tiles' }, tile('mean MSE', fmt(o.meanError, 4), 'mean over samples of the per-sample mean squared error')),
    ...(pairs.length ? [el('h3', {}, 'Input → reconstruction'), el('div', { class: 'samples' }, ...pairs)] : []),
    el('h3', {}, 'Reconstruction error per sample'),
    histogramView(o.errorHistogram, 'MSE'),
  ];
}

function outputView(o: OutputEval, several: boolean): HTMLElement {
  const body = o.kind === 'classification' ? classificationView(o) : o.kind === 'regression' ? regressionView(o) : autoencoderView(o);
  return el('div', { class: 'eval-output', 'data-kind': o.kind }, ...(several ? [el('h3', { class: 'output-name' }, `Output ${o.output} · ${o.kind}`)] : []), ...body);
}

/** Fills the #eval section (hidden when there is no report). */
export function renderEval(section: HTMLElement, report: EvalReport | undefined): void {
  section.hidden = !report;
  if (!report) {
    section.replaceChildren();
    return;
  }
  section.replaceChildren(
    el('h2', {}, 'Evaluation'),
    el('p', { class: 'muted eval-data' }, `${report.count} samples: ${report.data}`),
    ...report.outputs.map((o) => outputView(o, report.outputs.length > 1)),
  );
}
