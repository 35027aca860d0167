/**
 * The Data view: a dataset preview from `model-lab preview` (the trainer's own loader). An image
 * grid on canvases, class-balance bars, the first rows with column statistics, decoded text samples,
 * the head of a series. Test hooks: #preview, #preview-images canvas, #class-balance.
 */
import type { DatasetPreview } from '../../src/protocol/datasetPreview';
import { el } from './dom';
import { barRow, fmt, sampleCanvas, sparkline } from './drawing';
import type { Locale } from './i18n';
import { baseName } from './view';

export interface SeriesColors {
  line: string;
  target: string;
  grid: string;
}

function classBalanceView(p: DatasetPreview, L: Locale): HTMLElement | undefined {
  if (!p.classBalance) return undefined;
  const total = p.classBalance.reduce((a, c) => a + c.count, 0) || 1;
  const max = Math.max(1, ...p.classBalance.map((c) => c.count));
  const min = Math.min(...p.classBalance.map((c) => c.count));
  const ratio = min > 0 ? max / min : Infinity;
  return el(
    'div',
    { class: 'preview-block' },
    el('h3', {}, `${L.t('preview.balance', p.classBalance.length)}${ratio > 3 ? L.t('preview.imbalanced', Number.isFinite(ratio) ? `${L.num(ratio, 1)}×` : L.t('preview.emptyClass')) : ''}`),
    el('div', { id: 'class-balance', class: 'bars', 'data-classes': String(p.classBalance.length) }, ...p.classBalance.map((c) => barRow(c.name, c.count / max, `${L.int(c.count)} · ${L.num((100 * c.count) / total, 1)}%`))),
  );
}

/** Fills the #preview section. */
export function renderPreview(section: HTMLElement, p: DatasetPreview | undefined, colors: SeriesColors, L: Locale): void {
  if (!p) {
    section.replaceChildren(el('p', { class: 'muted' }, L.t('preview.none')));
    return;
  }
  const blocks: HTMLElement[] = [
    el(
      'header',
      { class: 'preview-head' },
      el('div', { class: 'title-row' }, el('span', { class: 'model', title: p.modelFile }, baseName(p.modelFile)), el('span', { class: 'status', 'data-status': 'data' }, p.dataset)),
      el('p', { class: 'preview-desc' }, p.description),
      el(
        'div',
        { class: 'meta-row' },
        el('span', { class: 'meta-item' }, el('span', { class: 'meta-label' }, L.t('preview.samples')), el('span', { class: 'num' }, L.int(p.count))),
        el('span', { class: 'meta-item' }, el('span', { class: 'meta-label' }, 'xs'), el('code', {}, `[${p.xShape.join(', ')}]`)),
        el('span', { class: 'meta-item' }, el('span', { class: 'meta-label' }, 'ys'), el('code', {}, `[${p.yShape.join(', ')}]`)),
        ...(p.task ? [el('span', { class: 'meta-item' }, el('span', { class: 'meta-label' }, L.t('preview.task')), el('span', {}, p.task))] : []),
      ),
    ),
  ];
  const balance = classBalanceView(p, L);
  if (p.images) {
    blocks.push(
      el(
        'div',
        { class: 'preview-block' },
        el('h3', {}, L.t('preview.firstSamples', p.images.length)),
        el('div', { id: 'preview-images', class: 'image-grid' }, ...p.images.map((img) => el('figure', { class: 'image-cell' }, sampleCanvas(img.input), el('figcaption', {}, img.label || '\u00a0')))),
      ),
    );
  }
  if (balance) blocks.push(balance);
  if (p.table) {
    const t = p.table;
    blocks.push(
      el(
        'div',
        { class: 'preview-block' },
        el('h3', {}, L.t('preview.firstRows', t.rows.length)),
        el('div', { class: 'table-scroll wide' }, el('table', { id: 'preview-table', class: 'grid compact' }, el('thead', {}, el('tr', {}, ...t.columns.map((c) => el('th', {}, c)))), el('tbody', {}, ...t.rows.map((r) => el('tr', {}, ...r.map((v) => el('td', { class: typeof v === 'number' ? 'num' : '' }, typeof v === 'number' ? fmt(v) : v))))))),
        el('h3', {}, L.t('preview.columns')),
        el(
          'div',
          { class: 'table-scroll wide' },
          el(
            'table',
            { id: 'preview-stats', class: 'grid compact' },
            el('thead', {}, el('tr', {}, ...(['column', 'type', 'min', 'max', 'mean', 'std', 'missing'] as const).map((h) => el('th', {}, L.t(`preview.${h}`))))),
            el(
              'tbody',
              {},
              ...t.stats.map((s) =>
                el(
                  'tr',
                  {},
                  el('td', {}, s.name),
                  el('td', { title: s.categories?.join(', ') ?? '' }, s.type === 'categorical' && s.categories ? L.t('preview.categorical', s.categories.length) : s.type),
                  el('td', { class: 'num' }, fmt(s.min)),
                  el('td', { class: 'num' }, fmt(s.max)),
                  el('td', { class: 'num' }, fmt(s.mean)),
                  el('td', { class: 'num' }, fmt(s.std)),
                  el('td', { class: 'num' }, s.missing === undefined ? '–' : String(s.missing)),
                ),
              ),
            ),
          ),
        ),
        el('p', { class: 'muted' }, t.note),
      ),
    );
  }
  if (p.texts) {
    blocks.push(
      el(
        'div',
        { class: 'preview-block' },
        el('h3', {}, L.t('preview.textSamples')),
        el('ol', { id: 'preview-texts', class: 'texts' }, ...p.texts.map((t) => el('li', {}, el('code', {}, t.text || L.t('preview.empty')), t.label ? el('span', { class: 'text-label' }, t.label) : ''))),
      ),
    );
  }
  if (p.series) {
    blocks.push(
      el(
        'div',
        { class: 'preview-block' },
        el('h3', {}, L.t('preview.seriesHead')),
        sparkline(p.series.values, p.series.target, colors),
        el('p', { class: 'num series-values' }, `${p.series.values.map((v) => fmt(v, 2)).join(', ')} → ${p.series.target.map((v) => fmt(v, 2)).join(', ')}`),
        el('p', { class: 'muted' }, p.series.note),
      ),
    );
  }
  section.replaceChildren(...blocks);
}
