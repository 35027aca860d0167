/**
 * The CodeLens line above a model file's `createModel` (and above each `fit` in a training script):
 *   ▶ Train · Σ 11,530 params · Runs (3)          (idle)
 *   ⏸ Pause · ■ Stop · epoch 2/5 · loss 0.4213    (while this file trains)
 * Pure: which lenses, on which line, with which command; src/editor/codeLens.ts draws them.
 */
import { findCreateModelLine } from './layerHints';

export interface LensWords {
  train: string;
  runScript: string;
  params: (n: string) => string;
  runs: (n: number) => string;
  /** Shown once the file has two runs or more: opens Compare Runs with this file's runs chosen. */
  compare: string;
  pause: string;
  resume: string;
  stop: string;
  epoch: (e: number, of: number | undefined) => string;
  loss: (v: string) => string;
}

export const ENGLISH_LENS_WORDS: LensWords = {
  train: '▶ Train',
  runScript: '▶ Run Script',
  params: (n) => `Σ ${n} params`,
  runs: (n) => `Runs (${n})`,
  compare: 'Compare',
  pause: '⏸ Pause',
  resume: '▶ Resume',
  stop: '■ Stop',
  epoch: (e, of) => (of === undefined ? `epoch ${e}` : `epoch ${e}/${of}`),
  loss: (v) => `loss ${v}`,
};

export interface LensState {
  source: string;
  /** This file is a model file (createModel) rather than a training script. */
  isModelFile: boolean;
  /** Total parameters of the saved model, when the layer hints have built it. */
  totalParams?: number;
  /** Saved runs of this file. */
  runCount: number;
  /** Set while this file is the one training. */
  running?: { paused: boolean; epoch: number; epochs?: number; loss?: number };
  locale?: string;
}

export interface Lens {
  /** 0-based line the lens sits above. */
  line: number;
  title: string;
  /** The command a click runs, with its arguments (the file's URI is added by the adapter). */
  command?: 'modelLab.train' | 'modelLab.runScript' | 'modelLab.pause' | 'modelLab.resume' | 'modelLab.stop' | 'modelLab.showPanel' | 'modelLab.runs.focus' | 'modelLab.compareRuns';
}

/** 0-based lines of `.fit(` / `.fitDataset(` calls outside comments. */
export function fitLines(source: string): number[] {
  const out: number[] = [];
  const lines = source.split('\n');
  let inBlock = false;
  lines.forEach((raw, i) => {
    let line = raw;
    if (inBlock) {
      const end = line.indexOf('*/');
      if (end < 0) return;
      line = line.slice(end + 2);
      inBlock = false;
    }
    line = line.replace(/\/\*.*?\*\//g, '');
    const open = line.indexOf('/*');
    if (open >= 0) {
      inBlock = true;
      line = line.slice(0, open);
    }
    line = line.replace(/\/\/.*$/, '');
    if (/\.\s*fit(?:Dataset)?\s*\(/.test(line)) out.push(i);
  });
  return out;
}

export function modelLenses(s: LensState, w: LensWords = ENGLISH_LENS_WORDS): Lens[] {
  const anchors = s.isModelFile ? [findCreateModelLine(s.source)].filter((l): l is number => l !== undefined).map((l) => l - 1) : fitLines(s.source);
  const lenses: Lens[] = [];
  for (const line of anchors) {
    if (s.running) {
      lenses.push(s.running.paused ? { line, title: w.resume, command: 'modelLab.resume' } : { line, title: w.pause, command: 'modelLab.pause' });
      lenses.push({ line, title: w.stop, command: 'modelLab.stop' });
      const progress = [w.epoch(s.running.epoch, s.running.epochs)];
      if (s.running.loss !== undefined && Number.isFinite(s.running.loss)) progress.push(w.loss(s.running.loss.toPrecision(4)));
      lenses.push({ line, title: progress.join(' · '), command: 'modelLab.showPanel' });
      continue;
    }
    lenses.push({ line, title: s.isModelFile ? w.train : w.runScript, command: s.isModelFile ? 'modelLab.train' : 'modelLab.runScript' });
    if (s.isModelFile && s.totalParams !== undefined) lenses.push({ line, title: w.params(s.totalParams.toLocaleString(s.locale ?? 'en-US')) });
    if (s.runCount > 0) lenses.push({ line, title: w.runs(s.runCount), command: 'modelLab.runs.focus' });
    if (s.runCount > 1) lenses.push({ line, title: w.compare, command: 'modelLab.compareRuns' });
  }
  return lenses;
}
