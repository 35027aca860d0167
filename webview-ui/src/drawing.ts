/**
 * Small drawings the Evaluation and Data views share: sample inputs on canvases (the CSP allows no
 * inline images, and pixel arrays are what the trainer sends), histograms and bars as DOM boxes
 * whose sizes are set through CSSOM (never style attributes), colours from the theme's variables.
 */
import type { Histogram, SampleInput } from '../../src/protocol/evalReport';
import { el } from './dom';

/** Draws an image input at its own size (CSS scales it up, pixelated); a vector input as a strip. */
export function sampleCanvas(input: SampleInput, cls = 'thumb'): HTMLElement {
  if (input.kind === 'vector') {
    const shown = input.values.slice(0, 8).map((v) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)));
    return el('code', { class: `${cls} vector`, title: `${input.length} values` }, `[${shown.join(', ')}${input.length > shown.length ? ', …' : ''}]`);
  }
  const canvas = el('canvas', { class: cls, width: String(input.width), height: String(input.height) });
  const ctx = canvas.getContext('2d');
  if (!ctx) return canvas;
  const img = ctx.createImageData(input.width, input.height);
  const n = input.width * input.height;
  for (let i = 0; i < n; i++) {
    const r = input.channels === 3 ? input.pixels[i * 3] : input.pixels[i];
    const g = input.channels === 3 ? input.pixels[i * 3 + 1] : input.pixels[i];
    const b = input.channels === 3 ? input.pixels[i * 3 + 2] : input.pixels[i];
    img.data[i * 4] = r;
    img.data[i * 4 + 1] = g;
    img.data[i * 4 + 2] = b;
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

/** A number for a table cell: 4 significant decimals, `–` for null. */
export function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return v.toFixed(digits);
}

export const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);

/** Bars for a histogram; hovering a bar tells its range and count. */
export function histogramView(h: Histogram, label: string): HTMLElement {
  const max = Math.max(1, ...h.counts);
  const bars = el('div', { class: 'hist-bars' });
  h.counts.forEach((c, i) => {
    const bar = el('div', { class: 'hist-bar', title: `${fmt(h.edges[i])} to ${fmt(h.edges[i + 1])}: ${c}` });
    bar.style.height = `${c === 0 ? 0 : Math.max(2, (c / max) * 100)}%`;
    bars.append(bar);
  });
  const axis = el(
    'div',
    { class: 'hist-axis num' },
    el('span', {}, fmt(h.edges[0])),
    el('span', { class: 'muted' }, label),
    el('span', {}, fmt(h.edges[h.edges.length - 1])),
  );
  return el('div', { class: 'hist' }, bars, axis);
}

/** A labelled horizontal bar (class balance, top-k probabilities); `fraction` in 0–1. */
export function barRow(name: string, fraction: number, value: string, cls = ''): HTMLElement {
  const fill = el('div', { class: 'bar-fill' });
  fill.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
  return el('div', { class: `bar-row ${cls}`.trim() }, el('span', { class: 'bar-name', title: name }, name), el('div', { class: 'bar-track' }, fill), el('span', { class: 'bar-value num' }, value));
}

/** A small line chart of a series (and its target after a gap) on a canvas, in theme colours. */
export function sparkline(values: number[], target: number[], colors: { line: string; target: string; grid: string }): HTMLCanvasElement {
  const w = 560;
  const h = 140;
  const dpr = window.devicePixelRatio || 1;
  const canvas = el('canvas', { class: 'sparkline', width: String(w * dpr), height: String(h * dpr) });
  const ctx = canvas.getContext('2d');
  const all = [...values, ...target];
  if (!ctx || all.length === 0) return canvas;
  ctx.scale(dpr, dpr);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const pad = 8;
  const x = (i: number) => pad + (i / Math.max(1, all.length - 1)) * (w - 2 * pad);
  const y = (v: number) => (hi === lo ? h / 2 : h - pad - ((v - lo) / (hi - lo)) * (h - 2 * pad));
  ctx.strokeStyle = colors.grid;
  ctx.beginPath();
  ctx.moveTo(x(values.length - 0.5), 0);
  ctx.lineTo(x(values.length - 0.5), h);
  ctx.stroke();
  ctx.lineWidth = 2;
  ctx.strokeStyle = colors.line;
  ctx.beginPath();
  values.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
  ctx.stroke();
  ctx.fillStyle = colors.target;
  target.forEach((v, i) => {
    ctx.beginPath();
    ctx.arc(x(values.length + i), y(v), 4, 0, Math.PI * 2);
    ctx.fill();
  });
  return canvas;
}
