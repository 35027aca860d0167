/**
 * The "Weight histograms" section: a heat strip per weight (rows are epochs, first at the top),
 * drawn on canvases from ./histogramModel.ts, live as epochs end and for finished runs. Hovering
 * a strip names the epoch, the bin's range and its count. Test hooks: #histograms,
 * .weight-histogram[data-weight][data-epochs], and `drawnHistograms()` for the browser tests.
 */
import type { HistogramLine } from '../../src/protocol/trainer';
import { el } from './dom';
import { fmt } from './drawing';
import { histogramStrips, stripCells, type HistogramCell, type HistogramStrip } from './histogramModel';
import type { Locale } from './i18n';

/** Strip size in CSS px: a row per epoch, never taller than MAX_HEIGHT in all. */
const WIDTH = 280;
const MAX_HEIGHT = 160;
const ROW_MIN = 2;
const ROW_MAX = 12;

export interface HistogramColours {
  fill: string;
  background: string;
  grid: string;
}

let drawn: { name: string; width: number; height: number; rows: number; cells: HistogramCell[] }[] = [];

/** What the last render drew, per strip (test hook). */
export function drawnHistograms(): typeof drawn {
  return drawn;
}

export function buildHistogramSection(L: Locale): HTMLElement {
  const section = el('details', { id: 'histograms', class: 'histograms', open: '' });
  section.append(el('summary', {}, el('h2', {}, L.t('hist.title'))), el('p', { class: 'muted hist-hint' }, L.t('hist.hint')), el('div', { class: 'hist-strips' }));
  section.hidden = true;
  return section;
}

function rgba(color: string, alpha: number): string {
  const m = /^rgba?\(\s*([\d.]+)[ ,]+([\d.]+)[ ,]+([\d.]+)/.exec(color);
  return m ? `rgba(${m[1]}, ${m[2]}, ${m[3]}, ${alpha})` : color;
}

function strip(s: HistogramStrip, colours: HistogramColours, L: Locale): HTMLElement {
  const rowHeight = Math.max(ROW_MIN, Math.min(ROW_MAX, Math.floor(MAX_HEIGHT / Math.max(1, s.rows.length))));
  const height = rowHeight * s.rows.length;
  const cells = stripCells(s, WIDTH, rowHeight);
  drawn.push({ name: s.name, width: WIDTH, height, rows: s.rows.length, cells });
  const dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
  const canvas = el('canvas', {
    class: 'hist-strip',
    width: String(WIDTH * dpr),
    height: String(height * dpr),
    role: 'img',
    'aria-label': L.t('hist.label', s.name, L.int(s.rows.length), fmt(s.min), fmt(s.max)),
  });
  canvas.style.width = `${WIDTH}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d');
  if (ctx) {
    ctx.scale(dpr, dpr);
    ctx.fillStyle = colours.background;
    ctx.fillRect(0, 0, WIDTH, height);
    for (const c of cells) {
      ctx.fillStyle = rgba(colours.fill, 0.12 + 0.88 * c.intensity);
      ctx.fillRect(c.x, c.y, c.w, c.h);
    }
    // Zero, where it lies inside the range: where a weight's values centre is what one reads first.
    if (s.min < 0 && s.max > 0) {
      ctx.fillStyle = colours.grid;
      ctx.fillRect(Math.round(((0 - s.min) / (s.max - s.min)) * WIDTH), 0, 1, height);
    }
  }
  canvas.addEventListener('mousemove', (e) => {
    const r = canvas.getBoundingClientRect();
    const x = e.clientX - r.left;
    const row = Math.floor((e.clientY - r.top) / rowHeight);
    const cell = cells.find((c) => c.row === row && x >= c.x && x < c.x + c.w);
    const rowData = s.rows[row];
    canvas.title = cell ? L.t('hist.cell', L.int(cell.epoch + 1), L.int(cell.count), fmt(cell.from), fmt(cell.to)) : rowData ? L.t('hist.cell', L.int(rowData.epoch + 1), '0', '–', '–') : '';
  });
  const first = s.rows[0]?.epoch ?? 0;
  const last = s.rows[s.rows.length - 1]?.epoch ?? 0;
  return el(
    'figure',
    { class: 'weight-histogram', 'data-weight': s.name, 'data-epochs': String(s.rows.length), 'data-min': String(s.min), 'data-max': String(s.max) },
    el('figcaption', {}, el('code', {}, s.name), el('span', { class: 'muted' }, ` ${L.t('hist.weight', `[${s.shape.join('×')}]`, L.int(s.size))}`)),
    el('div', { class: 'hist-plot' }, el('div', { class: 'hist-epochs muted num' }, el('span', {}, L.int(first + 1)), el('span', {}, L.int(last + 1))), canvas),
    el('div', { class: 'hist-range muted num' }, el('span', {}, fmt(s.min)), el('span', {}, fmt(s.max))),
  );
}

/** Redraws the section from the run's histogram lines; hidden while there are none. */
export function renderHistograms(section: HTMLElement, lines: readonly HistogramLine[] | undefined, colours: HistogramColours, L: Locale): void {
  drawn = [];
  const strips = lines && lines.length ? histogramStrips(lines) : [];
  section.hidden = strips.length === 0;
  const box = section.querySelector('.hist-strips');
  box?.replaceChildren(...strips.map((s) => strip(s, colours, L)));
}
