/**
 * The samples behind one confusion-matrix cell, from what eval.json keeps: its gallery samples and
 * the per-cell samples (up to `cellSampleLimit` of every cell, in newer reports). Pure.
 */
import type { ClassificationEval, ClassificationSample } from '../../src/protocol/evalReport';

/** A cell the user picked: output index, true class, predicted class. */
export interface CellChoice {
  output: number;
  label: number;
  predicted: number;
}

export interface CellSamples {
  /** The samples eval.json keeps for the cell, by sample index, each once. */
  samples: ClassificationSample[];
  /** How many samples the cell counts in all. */
  count: number;
}

export function samplesOfCell(o: ClassificationEval, label: number, predicted: number): CellSamples {
  const byIndex = new Map<number, ClassificationSample>();
  for (const s of [...o.samples, ...(o.cellSamples ?? [])]) if (s.label === label && s.predicted === predicted && !byIndex.has(s.index)) byIndex.set(s.index, s);
  return { samples: [...byIndex.values()].sort((a, b) => a.index - b.index), count: o.confusion[label]?.[predicted] ?? 0 };
}

/** A choice restored from saved state, kept only when it names a real cell of `outputs`. */
export function validCell(cell: unknown, outputs: readonly { kind: string; classNames?: string[] }[] | undefined): CellChoice | undefined {
  if (typeof cell !== 'object' || cell === null) return undefined;
  const { output, label, predicted } = cell as Record<string, unknown>;
  const ints = [output, label, predicted].every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0);
  if (!ints) return undefined;
  if (!outputs) return { output: output as number, label: label as number, predicted: predicted as number };
  const o = outputs[output as number];
  const k = o?.kind === 'classification' ? (o.classNames?.length ?? 0) : 0;
  return (label as number) < k && (predicted as number) < k ? { output: output as number, label: label as number, predicted: predicted as number } : undefined;
}
