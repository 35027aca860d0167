/**
 * Weight histograms over epochs as the panel draws them: one strip per weight, one row per epoch
 * (first at the top), each row's bins placed on the weight's value range over all epochs so a
 * widening or drifting distribution shows as it moves (TensorBoard's "offset" view, flattened to a
 * heat strip). Pure: geometry in, rectangles out, so the browser test and the unit test check it.
 */
import type { HistogramLine, WeightHistogram } from '../../src/protocol/trainer';

export interface HistogramRow {
  epoch: number;
  min: number;
  max: number;
  counts: number[];
  nonFinite: number;
  /** The largest bin of this row (darkest colour). */
  peak: number;
}

export interface HistogramStrip {
  name: string;
  shape: number[];
  /** Values in the weight (product of the shape). */
  size: number;
  /** The range over every epoch: the strip's x axis. */
  min: number;
  max: number;
  rows: HistogramRow[];
}

/** One strip per weight, in the order the model lists them; an epoch repeated (a second snapshot) counts once, the latest kept. */
export function histogramStrips(lines: readonly HistogramLine[]): HistogramStrip[] {
  const byName = new Map<string, { w: WeightHistogram; rows: Map<number, HistogramRow> }>();
  for (const line of lines)
    for (const w of line.weights) {
      let s = byName.get(w.name);
      if (!s) byName.set(w.name, (s = { w, rows: new Map() }));
      s.rows.set(line.epoch, { epoch: line.epoch, min: w.min, max: w.max, counts: w.counts, nonFinite: w.nonFinite ?? 0, peak: Math.max(0, ...w.counts) });
    }
  return [...byName.entries()].map(([name, { w, rows }]) => {
    const list = [...rows.values()].sort((a, b) => a.epoch - b.epoch);
    return {
      name,
      shape: w.shape,
      size: w.shape.reduce((a, b) => a * b, 1),
      min: Math.min(...list.map((r) => r.min)),
      max: Math.max(...list.map((r) => r.max)),
      rows: list,
    };
  });
}

export interface HistogramCell {
  /** Row index (0 = first epoch) and bin. */
  row: number;
  bin: number;
  epoch: number;
  count: number;
  /** The bin's value range. */
  from: number;
  to: number;
  /** Pixels on the strip (x from the left, y from the top). */
  x: number;
  w: number;
  y: number;
  h: number;
  /** 0–1: the bin's count against its row's largest. */
  intensity: number;
}

/** Rectangles for a strip `width` × (rows × rowHeight) px; empty bins are left out. */
export function stripCells(strip: HistogramStrip, width: number, rowHeight: number): HistogramCell[] {
  const span = strip.max - strip.min;
  const px = (v: number): number => (span > 0 ? ((v - strip.min) / span) * width : 0);
  const cells: HistogramCell[] = [];
  strip.rows.forEach((r, row) => {
    const bins = r.counts.length;
    const binWidth = (r.max - r.min) / bins;
    r.counts.forEach((count, bin) => {
      if (count <= 0) return;
      const from = r.min + bin * binWidth;
      const to = bin === bins - 1 ? r.max : r.min + (bin + 1) * binWidth;
      // A degenerate range (all values equal) is one full-width band.
      const x = span > 0 ? px(from) : 0;
      const w = span > 0 ? Math.max(1, px(to) - px(from)) : width;
      cells.push({ row, bin, epoch: r.epoch, count, from, to, x: Math.min(x, width - 1), w: Math.min(w, width - Math.min(x, width - 1)), y: row * rowHeight, h: rowHeight, intensity: r.peak > 0 ? count / r.peak : 0 });
    });
  });
  return cells;
}
