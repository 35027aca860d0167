/**
 * One uPlot chart per metric. The chart asks ./chartModel.ts for the columns of its visible x range
 * at its pixel width, so zooming in shows the real points and the envelope is exact at any zoom.
 * Box zoom (drag), pan (Shift+drag, arrow keys) and the zoom level survive live updates: the chart
 * keeps the user's ranges and re-applies them after each new batch. The tooltip reads exact values
 * from the full-resolution columns, not the drawn sample. Colours come from VS Code's theme
 * variables, read at run time because uPlot paints on a canvas.
 */
import uPlot from 'uplot';
import { ChartModelBuilder, type ChartModel, type SeriesName } from './chartModel';
import { download, el, setText } from './dom';
import type { Locale } from './i18n';
import type { ChartOptions, MetricSpec, RunTrack } from './state';

const CHART_HEIGHT = 200;

export interface ChartColors {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  batch: string;
  epoch: string;
  validation: string;
  /** Canvas text cannot use CSS variables, so the resolved font family is carried along. */
  fontFamily: string;
}

/** Reads the theme's colours through a probe element, so `var(--x, fallback)` resolves like CSS does. */
export function readColors(doc: Document = document): ChartColors {
  const probe = doc.createElement('span');
  probe.hidden = true;
  doc.body.appendChild(probe);
  const resolve = (expr: string): string => {
    probe.style.color = '';
    probe.style.color = expr;
    return getComputedStyle(probe).color;
  };
  const fg = resolve('var(--vscode-editor-foreground, var(--vscode-foreground, #cccccc))');
  const colors: ChartColors = {
    foreground: fg,
    muted: resolve('var(--vscode-descriptionForeground, #999999)'),
    grid: withAlpha(fg, 0.12),
    background: resolve('var(--vscode-editor-background, #1e1e1e)'),
    batch: resolve('var(--vscode-charts-blue, #3794ff)'),
    epoch: resolve('var(--vscode-charts-orange, #d18616)'),
    validation: resolve('var(--vscode-charts-green, #89d185)'),
    fontFamily: getComputedStyle(doc.body).fontFamily || 'sans-serif',
  };
  probe.remove();
  return colors;
}

/** `rgb(r, g, b)` / `rgba(r, g, b, a)` → the same colour at `alpha`; anything else is returned as is. */
export function withAlpha(color: string, alpha: number): string {
  const m = /^rgba?\(\s*([\d.]+)[ ,]+([\d.]+)[ ,]+([\d.]+)/.exec(color);
  return m ? `rgba(${m[1]}, ${m[2]}, ${m[3]}, ${alpha})` : color;
}

interface Zoom {
  x: [number, number];
  y?: [number, number];
}

/** Series drawn for a spec, in uPlot order after x. */
function seriesOf(spec: MetricSpec): SeriesName[] {
  const out: SeriesName[] = [];
  if (spec.train) out.push('raw', 'smoothed', 'epochMean');
  if (spec.val) out.push('validation');
  return out;
}

const COLUMN: Record<SeriesName, 1 | 2 | 3 | 4> = { raw: 1, smoothed: 2, epochMean: 3, validation: 4 };

export class MetricChart {
  readonly box: HTMLElement;
  private plot: uPlot | undefined;
  private model: ChartModel | undefined;
  private readonly builder: ChartModelBuilder;
  private readonly series: SeriesName[];
  private readonly canvasHost: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly tooltip: HTMLElement;
  private readonly reset: HTMLButtonElement;
  private readonly resizeObserver: ResizeObserver;
  private resizeFrame = 0;
  private zoom: Zoom | undefined;
  private track: RunTrack | undefined;
  private options: ChartOptions | undefined;
  /** The plot was built for these (uPlot bakes scales and colours in at construction). */
  private builtFor = '';
  private emptyText = '';
  private pan: { x: number; y: number; zoom: Zoom } | undefined;

  constructor(
    readonly spec: MetricSpec,
    private colors: ChartColors,
    private readonly L: Locale,
    /** Called when the user changes the zoom, so the caller can redraw this chart soon. */
    private readonly onZoom: () => void,
  ) {
    this.builder = new ChartModelBuilder(spec);
    this.series = seriesOf(spec);
    this.reset = el('button', { type: 'button', class: 'secondary small chart-reset', title: L.t('chart.reset') }, L.t('chart.reset'));
    this.reset.hidden = true;
    const png = el('button', { type: 'button', class: 'secondary small chart-png', title: L.t('chart.export.title') }, L.t('chart.export'));
    const svg = el('button', { type: 'button', class: 'secondary small chart-svg', title: L.t('chart.exportSvg.title') }, L.t('chart.exportSvg'));
    this.canvasHost = el('div', { class: 'chart-canvas', tabindex: '0', role: 'img', 'aria-describedby': 'chart-hint' });
    this.empty = el('div', { class: 'chart-empty' });
    this.tooltip = el('div', { class: 'chart-tooltip', role: 'tooltip' });
    this.tooltip.hidden = true;
    this.box = el(
      'div',
      { id: spec.id, class: 'chart-box', role: 'group', 'aria-label': spec.base, 'data-metric': spec.base, 'data-points': '0' },
      el('div', { class: 'chart-head' }, el('h2', {}, spec.base), el('span', { class: 'chart-actions' }, this.reset, png, svg)),
      this.canvasHost,
      this.empty,
    );
    this.canvasHost.append(this.tooltip);
    this.reset.addEventListener('click', () => this.resetZoom());
    png.addEventListener('click', () => this.exportPng());
    svg.addEventListener('click', () => this.exportSvg());
    this.canvasHost.addEventListener('dblclick', () => this.resetZoom());
    this.canvasHost.addEventListener('keydown', (e) => this.onKey(e));
    this.canvasHost.addEventListener('mousedown', (e) => this.onPanStart(e), true);
    this.canvasHost.addEventListener('mouseleave', () => (this.tooltip.hidden = true));
    // The panel's width follows the editor layout; redraw at the new size, once per frame at most.
    this.resizeObserver = new ResizeObserver(() => {
      cancelAnimationFrame(this.resizeFrame);
      this.resizeFrame = requestAnimationFrame(() => this.fit());
    });
    this.resizeObserver.observe(this.box);
  }

  /** Zoomed x range, if the user zoomed (test hook through the element's dataset too). */
  get zoomed(): Zoom | undefined {
    return this.zoom;
  }

  /** Redraws from the run (the caller throttles). */
  update(track: RunTrack, options: ChartOptions, emptyText: string): void {
    if (this.track && track.view.runId !== this.track.view.runId) this.zoom = undefined;
    if (this.options && options.xAxis !== this.options.xAxis) this.zoom = undefined;
    this.track = track;
    this.options = options;
    this.emptyText = emptyText;
    const key = `${options.logY}|${options.xAxis}|${options.smoothing > 0}`;
    if (!this.plot || key !== this.builtFor) this.create();
    this.draw();
  }

  setColors(colors: ChartColors): void {
    this.colors = colors;
    if (this.plot) this.create();
    this.draw();
  }

  dispose(): void {
    cancelAnimationFrame(this.resizeFrame);
    this.resizeObserver.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
    this.box.remove();
  }

  resetZoom(): void {
    if (!this.zoom) return;
    this.zoom = undefined;
    this.draw();
    this.onZoom();
  }

  /** Sets the visible x (and optionally y) range, as a drag would. */
  setZoom(x: [number, number], y?: [number, number]): void {
    if (!(x[1] > x[0])) return;
    this.zoom = { x, y: y && y[1] > y[0] ? y : undefined };
    this.draw();
    this.onZoom();
  }

  private pixels(): number {
    const w = this.plot ? this.plot.bbox.width : this.width() * (window.devicePixelRatio || 1);
    return Math.max(50, Math.round(w));
  }

  private draw(): void {
    const track = this.track;
    const options = this.options;
    if (!track || !options || !this.plot) return;
    const m = this.builder.build(track, options, this.zoom?.x, this.pixels());
    this.model = m;
    const data = [m.data[0], ...this.series.map((s) => m.data[COLUMN[s]])] as unknown as uPlot.AlignedData;
    if (this.zoom) {
      this.plot.batch(() => {
        this.plot!.setData(data, false);
        this.plot!.setScale('x', { min: this.zoom!.x[0], max: this.zoom!.x[1] });
        if (this.zoom!.y) this.plot!.setScale('y', { min: this.zoom!.y[0], max: this.zoom!.y[1] });
      });
    } else this.plot.setData(data);
    this.reset.hidden = !this.zoom;
    this.box.setAttribute('data-points', String(m.drawn));
    this.box.setAttribute('data-total', String(m.total));
    this.box.toggleAttribute('data-zoomed', !!this.zoom);
    this.canvasHost.setAttribute('aria-label', this.L.t('chart.label', this.spec.base, this.L.t('chart.points', this.L.int(m.drawn), this.L.int(m.total))));
    setText(this.empty, this.emptyText);
    this.empty.hidden = m.hasData;
  }

  private width(): number {
    return Math.max(200, Math.floor(this.box.clientWidth || 600));
  }

  private fit(): void {
    if (!this.plot || this.box.clientWidth === 0) return;
    const width = this.width();
    if (width !== this.plot.width) {
      this.plot.setSize({ width, height: CHART_HEIGHT });
      this.draw();
    }
  }

  private create(): void {
    const options = this.options;
    if (!options) return;
    this.plot?.destroy();
    const c = this.colors;
    const L = this.L;
    this.builtFor = `${options.logY}|${options.xAxis}|${options.smoothing > 0}`;
    const axis = (label: string): uPlot.Axis => ({
      label,
      stroke: c.muted,
      grid: { stroke: c.grid, width: 1 },
      ticks: { stroke: c.grid, width: 1 },
      labelSize: 18,
      font: `11px ${c.fontFamily}`,
      labelFont: `11px ${c.fontFamily}`,
    });
    const xLabel = L.t(options.xAxis === 'step' ? 'chart.x.step' : options.xAxis === 'epoch' ? 'chart.x.epoch' : 'chart.x.time');
    const smoothing = options.smoothing > 0;
    const def: Record<SeriesName, uPlot.Series> = {
      // The raw line stays faintly behind the smoothed one, so smoothing never hides what happened.
      raw: { label: L.t('chart.batch'), stroke: smoothing ? withAlpha(c.batch, 0.3) : c.batch, width: 1, points: { show: false } },
      smoothed: { label: L.t('chart.smoothed'), stroke: c.batch, width: 1.5, points: { show: false }, show: smoothing },
      epochMean: { label: L.t('chart.epochMean'), stroke: c.epoch, width: 2, points: { show: false } },
      validation: { label: L.t('chart.validation'), stroke: c.validation, width: 2, dash: [6, 4], points: { show: false } },
    };
    const unit = this.spec.unitRange && !options.logY;
    const yScale: uPlot.Scale = options.logY
      ? { distr: 3, log: 10 }
      : unit
        ? { range: (_u, min, max) => (this.zoom?.y ? [min, max] : min >= 0 && max <= 1 ? [0, 1] : uPlot.rangeNum(min, max, 0.1, true)) }
        : {};
    const opts: uPlot.Options = {
      width: this.width(),
      height: CHART_HEIGHT,
      scales: { x: { time: false }, y: yScale },
      axes: [{ ...axis(xLabel), size: 30 }, { ...axis(''), size: 56, values: (_u, splits) => splits.map((v) => (v == null ? '' : this.L.num(v, 4))) }],
      legend: { live: false },
      cursor: {
        // uPlot draws the box; the zoom is applied here so it can outlive the next live redraw.
        drag: { x: true, y: true, uni: 20, setScale: false },
        bind: { dblclick: () => () => null },
        points: { show: false },
      },
      series: [{ label: xLabel }, ...this.series.map((s) => def[s])],
      hooks: {
        setSelect: [(u) => this.onSelect(u)],
        setCursor: [(u) => this.onCursor(u)],
        draw: [(u) => this.drawPartial(u)],
      },
    };
    this.plot = new uPlot(opts, [[], ...this.series.map(() => [])] as unknown as uPlot.AlignedData, this.canvasHost);
    this.canvasHost.append(this.tooltip);
  }

  private onSelect(u: uPlot): void {
    const s = u.select;
    if (s.width < 3 && s.height < 3) return;
    const x: [number, number] = s.width >= 3 ? [u.posToVal(s.left, 'x'), u.posToVal(s.left + s.width, 'x')] : [u.scales.x.min!, u.scales.x.max!];
    const y: [number, number] | undefined = s.height >= 3 && s.height < u.over.clientHeight - 2 ? [u.posToVal(s.top + s.height, 'y'), u.posToVal(s.top, 'y')] : this.zoom?.y;
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    this.setZoom(x, y);
  }

  /** Shift+drag pans; the drag box stays for plain drags. */
  private onPanStart(e: MouseEvent): void {
    const u = this.plot;
    if (!e.shiftKey || !u || e.button !== 0) return;
    e.stopPropagation();
    e.preventDefault();
    const zoom: Zoom = this.zoom ?? { x: [u.scales.x.min!, u.scales.x.max!] };
    this.pan = { x: e.clientX, y: e.clientY, zoom: { x: zoom.x, y: zoom.y ?? [u.scales.y.min!, u.scales.y.max!] } };
    const move = (ev: MouseEvent): void => {
      if (!this.pan || !this.plot) return;
      const p = this.plot;
      const w = p.over.clientWidth || 1;
      const h = p.over.clientHeight || 1;
      const [x0, x1] = this.pan.zoom.x;
      const dx = ((ev.clientX - this.pan.x) / w) * (x1 - x0);
      const [y0, y1] = this.pan.zoom.y!;
      const log = this.options?.logY;
      let y: [number, number];
      if (log) {
        const f = ((ev.clientY - this.pan.y) / h) * Math.log10(y1 / y0);
        y = [y0 * 10 ** f, y1 * 10 ** f];
      } else {
        const dy = ((ev.clientY - this.pan.y) / h) * (y1 - y0);
        y = [y0 + dy, y1 + dy];
      }
      this.setZoom([x0 - dx, x1 - dx], y);
    };
    const up = (): void => {
      this.pan = undefined;
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  }

  private onKey(e: KeyboardEvent): void {
    const u = this.plot;
    if (!u || u.scales.x.min === undefined || u.scales.x.max === undefined) return;
    const [x0, x1] = this.zoom?.x ?? [u.scales.x.min, u.scales.x.max];
    const w = x1 - x0;
    const mid = (x0 + x1) / 2;
    let next: [number, number] | undefined;
    switch (e.key) {
      case 'ArrowLeft':
        next = [x0 - w * 0.1, x1 - w * 0.1];
        break;
      case 'ArrowRight':
        next = [x0 + w * 0.1, x1 + w * 0.1];
        break;
      case '+':
      case '=':
        next = [mid - w * 0.35, mid + w * 0.35];
        break;
      case '-':
      case '_':
        next = [mid - w * 0.7, mid + w * 0.7];
        break;
      case '0':
      case 'Escape':
        if (this.zoom) {
          this.resetZoom();
          e.preventDefault();
        }
        return;
      default:
        return;
    }
    e.preventDefault();
    this.setZoom(next, this.zoom?.y);
  }

  private onCursor(u: uPlot): void {
    const left = u.cursor.left ?? -1;
    const track = this.track;
    const options = this.options;
    if (left < 0 || !track || !options || this.pan) {
      this.tooltip.hidden = true;
      return;
    }
    const p = this.builder.pointAt(track, options, u.posToVal(left, 'x'));
    if (!p) {
      this.tooltip.hidden = true;
      return;
    }
    const L = this.L;
    const rows: [SeriesName, number | null][] = [];
    const shown = (name: SeriesName): boolean => {
      const i = this.series.indexOf(name);
      return i >= 0 && u.series[i + 1].show !== false;
    };
    if (shown('raw')) rows.push(['raw', p.raw]);
    if (shown('smoothed')) rows.push(['smoothed', p.smoothed]);
    if (shown('epochMean')) rows.push(['epochMean', p.epochMean]);
    if (shown('validation')) rows.push(['validation', p.validation]);
    const label: Record<SeriesName, string> = { raw: L.t('chart.batch'), smoothed: L.t('chart.smoothed'), epochMean: L.t('chart.epochMean'), validation: L.t('chart.validation') };
    const colour: Record<SeriesName, string> = { raw: this.colors.batch, smoothed: this.colors.batch, epochMean: this.colors.epoch, validation: this.colors.validation };
    const head = `${L.t('chart.x.step')} ${L.int(p.step)} · ${L.t('chart.x.epoch')} ${L.int(p.epoch)} · ${L.t('meta.batch')} ${L.int(p.batch)} · ${L.duration(p.time - track.view.startedAt)}`;
    this.tooltip.replaceChildren(
      el('div', { class: 'tooltip-head' }, head),
      ...rows.map(([name, v]) => {
        const sw = el('span', { class: 'swatch' });
        sw.style.backgroundColor = colour[name];
        return el('div', { class: 'tooltip-row', 'data-series': name }, sw, el('span', { class: 'tooltip-label' }, label[name]), el('span', { class: 'num tooltip-value' }, v === null ? '–' : String(+v.toPrecision(8))));
      }),
    );
    this.tooltip.hidden = false;
    const over = u.over;
    const box = this.canvasHost.getBoundingClientRect();
    const ob = over.getBoundingClientRect();
    const tw = this.tooltip.offsetWidth;
    let x = ob.left - box.left + left + 12;
    if (x + tw > box.width) x = ob.left - box.left + left - tw - 12;
    this.tooltip.style.left = `${Math.max(0, x)}px`;
    this.tooltip.style.top = `${ob.top - box.top + 4}px`;
  }

  /** A shaded span, dashed edges and a label over an epoch cut short by Stop. */
  private drawPartial(u: uPlot): void {
    const m = this.model;
    if (!m || m.partial.length === 0) return;
    const ctx = u.ctx;
    const dpr = window.devicePixelRatio || 1;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.font = `${10 * dpr}px ${this.colors.fontFamily}`;
    // uPlot leaves its axis text settings on the context.
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    for (const p of m.partial) {
      const x0 = u.valToPos(p.x0, 'x', true);
      const x1 = u.valToPos(p.x1, 'x', true);
      if (x1 < left || x0 > left + width) continue;
      ctx.fillStyle = withAlpha(this.colors.epoch, 0.1);
      ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
      ctx.strokeStyle = this.colors.epoch;
      ctx.setLineDash([3 * dpr, 3 * dpr]);
      ctx.lineWidth = dpr;
      for (const x of [x0, x1]) {
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + height);
        ctx.stroke();
      }
      ctx.fillStyle = this.colors.muted;
      const text = this.L.t('chart.partial');
      ctx.fillText(text, Math.min(x0 + 4 * dpr, left + width - ctx.measureText(text).width - 2 * dpr), top + height - 6 * dpr);
    }
    ctx.restore();
  }

  /** The chart as a PNG: the plot canvas on the theme's background, with its title and legend. */
  renderPng(): HTMLCanvasElement | undefined {
    const u = this.plot;
    if (!u) return undefined;
    const src = u.ctx.canvas;
    const dpr = window.devicePixelRatio || 1;
    const head = 24 * dpr;
    const out = el('canvas', { width: String(src.width), height: String(src.height + head) });
    const ctx = out.getContext('2d');
    if (!ctx) return undefined;
    ctx.fillStyle = this.colors.background;
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.fillStyle = this.colors.foreground;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    ctx.font = `600 ${12 * dpr}px ${this.colors.fontFamily}`;
    ctx.fillText(this.spec.base, 8 * dpr, 16 * dpr);
    let x = 8 * dpr + ctx.measureText(this.spec.base).width + 16 * dpr;
    ctx.font = `${11 * dpr}px ${this.colors.fontFamily}`;
    u.series.slice(1).forEach((s) => {
      if (s.show === false) return;
      ctx.fillStyle = typeof s.stroke === 'function' ? (s.stroke(u, 1) as string) : String(s.stroke ?? this.colors.foreground);
      ctx.fillRect(x, 10 * dpr, 12 * dpr, 3 * dpr);
      x += 16 * dpr;
      ctx.fillStyle = this.colors.foreground;
      const label = String(s.label ?? '');
      ctx.fillText(label, x, 16 * dpr);
      x += ctx.measureText(label).width + 12 * dpr;
    });
    ctx.drawImage(src, 0, head);
    return out;
  }

  private exportPng(): void {
    const canvas = this.renderPng();
    canvas?.toBlob((blob) => {
      if (blob) download(blob, `${this.spec.base}.png`);
    }, 'image/png');
  }

  /** The drawn series as an SVG drawing (vector lines in the plot's pixel space, with axes' ticks). */
  renderSvg(): string {
    const u = this.plot;
    const m = this.model;
    if (!u || !m) return '';
    const W = u.width;
    const H = u.height;
    const dpr = window.devicePixelRatio || 1;
    const b = { left: u.bbox.left / dpr, top: u.bbox.top / dpr, width: u.bbox.width / dpr, height: u.bbox.height / dpr };
    const esc = (s: string): string => s.replace(/[<>&"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
    const parts: string[] = [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 24}" viewBox="0 -24 ${W} ${H + 24}" font-family="${esc(this.colors.fontFamily)}" font-size="11">`,
      `<rect x="0" y="-24" width="${W}" height="${H + 24}" fill="${this.colors.background}"/>`,
      `<text x="8" y="-8" fill="${this.colors.foreground}" font-weight="600" font-size="12">${esc(this.spec.base)}</text>`,
      `<rect x="${b.left}" y="${b.top}" width="${b.width}" height="${b.height}" fill="none" stroke="${this.colors.grid}"/>`,
    ];
    for (const [i, axisKey] of (['x', 'y'] as const).entries()) {
      const splits = (u.axes[i] as { _splits?: (number | null)[] })._splits ?? [];
      for (const v of splits) {
        if (v == null) continue;
        const pos = u.valToPos(v, axisKey);
        if (axisKey === 'x') parts.push(`<line x1="${b.left + pos}" x2="${b.left + pos}" y1="${b.top}" y2="${b.top + b.height}" stroke="${this.colors.grid}"/><text x="${b.left + pos}" y="${b.top + b.height + 14}" fill="${this.colors.muted}" text-anchor="middle">${esc(this.L.num(v, 4))}</text>`);
        else parts.push(`<line x1="${b.left}" x2="${b.left + b.width}" y1="${b.top + pos}" y2="${b.top + pos}" stroke="${this.colors.grid}"/><text x="${b.left - 4}" y="${b.top + pos + 4}" fill="${this.colors.muted}" text-anchor="end">${esc(this.L.num(v, 4))}</text>`);
      }
    }
    const xs = m.data[0];
    this.series.forEach((name, k) => {
      const s = u.series[k + 1];
      if (s.show === false) return;
      const ys = m.data[COLUMN[name]];
      let d = '';
      let pen = false;
      for (let i = 0; i < xs.length; i++) {
        const y = ys[i];
        if (y === undefined) continue;
        if (y === null) {
          pen = false;
          continue;
        }
        const px = b.left + u.valToPos(xs[i], 'x');
        const py = b.top + u.valToPos(y, 'y');
        if (px < b.left - 1 || px > b.left + b.width + 1) continue;
        d += `${pen ? 'L' : 'M'}${px.toFixed(1)} ${py.toFixed(1)}`;
        pen = true;
      }
      const stroke = String(s.stroke ?? this.colors.foreground);
      const dash = name === 'validation' ? ' stroke-dasharray="6 4"' : '';
      parts.push(`<path data-series="${name}" d="${d}" fill="none" stroke="${stroke}" stroke-width="${s.width ?? 1}"${dash} clip-path="url(#plot)"/>`);
    });
    parts.splice(1, 0, `<defs><clipPath id="plot"><rect x="${b.left}" y="${b.top}" width="${b.width}" height="${b.height}"/></clipPath></defs>`);
    parts.push('</svg>');
    return parts.join('\n');
  }

  private exportSvg(): void {
    const svg = this.renderSvg();
    if (svg) download(new Blob([svg], { type: 'image/svg+xml' }), `${this.spec.base}.svg`);
  }
}
