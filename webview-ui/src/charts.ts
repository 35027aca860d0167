/**
 * The two live charts (loss, accuracy), drawn with uPlot. Each chart shows one batch metric as a thin
 * line and the epoch-end train and validation values as markers joined by lines, on one x axis of
 * global batch steps. Colours come from VS Code's theme variables, read at run time because uPlot
 * paints on a canvas and takes colour strings, not CSS.
 */
import uPlot from 'uplot';
import type { RunView } from '../../src/protocol/webview';
import { BatchColumns, buildChartData, MAX_DRAWN_POINTS, type ChartData, type ChartSpec } from './chartData';

const CHART_HEIGHT = 220;

export interface ChartColors {
  foreground: string;
  muted: string;
  grid: string;
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
  const colors: ChartColors = {
    foreground: resolve('var(--vscode-editor-foreground, var(--vscode-foreground, #cccccc))'),
    muted: resolve('var(--vscode-descriptionForeground, #999999)'),
    grid: withAlpha(resolve('var(--vscode-editor-foreground, var(--vscode-foreground, #cccccc))'), 0.12),
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

/** One uPlot chart bound to a container element; rebuilt on theme change, resized with the panel. */
export class MetricChart {
  private plot: uPlot | undefined;
  private last: ChartData | undefined;
  private readonly columns: BatchColumns;
  private readonly resizeObserver: ResizeObserver;
  private readonly host: HTMLElement;
  private readonly empty: HTMLElement;
  private resizeFrame = 0;

  constructor(
    readonly container: HTMLElement,
    private readonly spec: ChartSpec,
    private colors: ChartColors,
  ) {
    this.columns = new BatchColumns(spec.train);
    this.host = container.ownerDocument.createElement('div');
    this.host.className = 'chart-canvas';
    this.empty = container.ownerDocument.createElement('div');
    this.empty.className = 'chart-empty';
    this.empty.textContent = 'Waiting for the first batch…';
    container.append(this.host, this.empty);
    container.setAttribute('data-points', '0');
    this.create();
    // The panel's width follows the editor layout; redraw at the new size, once per frame at most.
    this.resizeObserver = new ResizeObserver(() => {
      cancelAnimationFrame(this.resizeFrame);
      this.resizeFrame = requestAnimationFrame(() => this.fit());
    });
    this.resizeObserver.observe(container);
  }

  /** Redraws from the run view (the caller throttles). */
  update(view: RunView | null, emptyText: string): void {
    this.last = view ? buildChartData(view, this.spec, MAX_DRAWN_POINTS, this.columns) : undefined;
    const d = this.last;
    this.plot?.setData(d ? d.data : [[], [], [], []]);
    this.container.setAttribute('data-points', String(d ? d.batchPoints : 0));
    this.empty.textContent = emptyText;
    this.empty.hidden = !!d?.hasData;
  }

  /** uPlot bakes colours into its series at construction, so a theme change rebuilds the plot. */
  setColors(colors: ChartColors): void {
    this.colors = colors;
    this.plot?.destroy();
    this.create();
  }

  dispose(): void {
    cancelAnimationFrame(this.resizeFrame);
    this.resizeObserver.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }

  private width(): number {
    return Math.max(200, Math.floor(this.container.clientWidth));
  }

  private fit(): void {
    if (!this.plot || this.container.clientWidth === 0) return;
    const width = this.width();
    if (width !== this.plot.width) this.plot.setSize({ width, height: CHART_HEIGHT });
  }

  private create(): void {
    const c = this.colors;
    const axis = (label: string): uPlot.Axis => ({
      label,
      stroke: c.muted,
      grid: { stroke: c.grid, width: 1 },
      ticks: { stroke: c.grid, width: 1 },
      labelSize: 18,
      font: `11px ${c.fontFamily}`,
      labelFont: `11px ${c.fontFamily}`,
    });
    // Off the chart the legend shows each series' latest value, so it doubles as a live readout.
    const fmt = (u: uPlot, v: number | null, seriesIdx: number, idx: number | null): string => {
      if (idx === null) v = lastValue(u.data[seriesIdx]);
      return v === null || v === undefined ? '–' : v.toFixed(4);
    };
    // Markers help while there are a few epochs; with hundreds they merge into a thick smear.
    const showEpochMarkers = (): boolean => (this.last?.epochPoints ?? 0) <= 60;
    const opts: uPlot.Options = {
      width: this.width(),
      height: CHART_HEIGHT,
      // Steps are integers; a time axis would print dates.
      scales: {
        x: { time: false },
        y: this.spec.unitRange
          ? { range: (_u, min, max) => (min >= 0 && max <= 1 ? [0, 1] : uPlot.rangeNum(min, max, 0.1, true)) }
          : {},
      },
      axes: [{ ...axis('step'), size: 30 }, { ...axis(''), size: 50 }],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      series: [
        {
          label: 'step',
          value: (u, v, _s, idx) => {
            const step = idx === null ? lastValue(u.data[0]) : v;
            return step === null || step === undefined ? '–' : String(step);
          },
        },
        { label: 'batch', stroke: c.batch, width: 1, points: { show: false }, spanGaps: true, value: fmt },
        {
          label: 'epoch',
          stroke: c.epoch,
          width: 2,
          spanGaps: true,
          points: { show: showEpochMarkers, size: 7, stroke: c.epoch, fill: c.epoch },
          value: fmt,
        },
        {
          label: 'val',
          stroke: c.validation,
          width: 2,
          dash: [6, 4],
          spanGaps: true,
          points: { show: showEpochMarkers, size: 7, stroke: c.validation, fill: c.validation },
          value: fmt,
        },
      ],
    };
    this.plot = new uPlot(opts, this.last ? this.last.data : [[], [], [], []], this.host);
  }
}

function lastValue(col: ArrayLike<number | null | undefined> | undefined): number | null {
  if (!col) return null;
  for (let i = col.length - 1; i >= 0; i--) {
    const v = col[i];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}
