/**
 * The fused executor's losses and accuracy, on the model's output rows (n × k, a few hundred values,
 * so plain JavaScript). Each loss follows tfjs-layers' formula step by step, and its gradient is the
 * chain rule through those same steps (including the zero gradient where clipByValue clips), so the
 * gradient matches what tfjs's tape computes, not just the textbook shortcut.
 */
import type { AccuracyKind, LossName, ValueMetricKind } from './plan';

/** tfjs's backend epsilon (float32), which its losses clip with. */
export const EPSILON = Math.fround(1e-7);

/**
 * Mean loss over the n rows of `p` (n × k); writes dLoss/dp into `grad` when given. `y` is n × k
 * targets, or n class indices for the sparse loss.
 */
export function lossAndGrad(loss: LossName, p: Float32Array, y: ArrayLike<number>, n: number, k: number, grad?: Float32Array): number {
  let total = 0;
  const hi = Math.fround(1 - EPSILON);
  switch (loss) {
    case 'categoricalCrossentropy':
    case 'sparseCategoricalCrossentropy': {
      const sparse = loss === 'sparseCategoricalCrossentropy';
      for (let r = 0; r < n; r++) {
        const o = r * k;
        const cls = sparse ? Math.floor(y[r]) : -1;
        // sparse: clip first (its own clipByValue), then categoricalCrossentropy
        let s = 0;
        for (let j = 0; j < k; j++) s += sparse ? clip(p[o + j], EPSILON, hi) : p[o + j];
        let l = 0;
        for (let j = 0; j < k; j++) {
          const t = sparse ? (j === cls ? 1 : 0) : y[o + j];
          const q = (sparse ? clip(p[o + j], EPSILON, hi) : p[o + j]) / s;
          l -= t * Math.log(clip(q, EPSILON, hi));
        }
        total += l;
        if (!grad) continue;
        // L = -Σ t·log(clip(q)), q = p'/s, s = Σ p'  (p' = clip(p) for sparse)
        // dL/dq_j = -t_j/q_j where q_j is inside the clip range, else 0; dL/dp'_j = (dq_j - Σ_i dq_i q_i) / s
        let dot = 0;
        for (let j = 0; j < k; j++) {
          const t = sparse ? (j === cls ? 1 : 0) : y[o + j];
          const q = (sparse ? clip(p[o + j], EPSILON, hi) : p[o + j]) / s;
          const dq = q >= EPSILON && q <= hi ? -t / q : 0;
          grad[o + j] = dq;
          dot += dq * q;
        }
        for (let j = 0; j < k; j++) {
          let g = (grad[o + j] - dot) / s / n;
          if (sparse && !(p[o + j] >= EPSILON && p[o + j] <= hi)) g = 0;
          grad[o + j] = g;
        }
      }
      return total / n;
    }
    case 'binaryCrossentropy': {
      // y' = clip(p); x = log(y'/(1-y')); L = mean_k(relu(x) - x·t + log1p(exp(-|x|))); dL/dx = sigmoid(x) - t.
      // With x from y' these are y' again: exp(-|x|) = min(y', 1-y')/max(y', 1-y'), so log1p(exp(-|x|)) =
      // -log(max(y', 1-y')), and sigmoid(x) = y'. Two logs an element instead of log, log1p and two exps: an image
      // output has hundreds of thousands a batch. (At x = 0 tfjs's tape also gives sigmoid(0) - t: relu'(0) = 0,
      // but Abs's gradient there is step(0, -1) = -1.)
      const scale = 1 / (k * n);
      for (let i = 0; i < n * k; i++) {
        const c = clip(p[i], EPSILON, hi);
        const t = y[i];
        const logC = Math.log(c);
        const log1C = Math.log(1 - c);
        const x = logC - log1C;
        total += (x > 0 ? x : 0) - x * t - (c > 0.5 ? logC : log1C);
        if (grad) grad[i] = p[i] >= EPSILON && p[i] <= hi ? ((c - t) / (c * (1 - c))) * scale : 0;
      }
      return total / (k * n);
    }
    case 'meanSquaredError': {
      for (let i = 0; i < n * k; i++) {
        const d = p[i] - y[i];
        total += d * d;
        if (grad) grad[i] = (2 * d) / (k * n);
      }
      return total / (k * n);
    }
  }
}

/** Mean accuracy over the n rows as tfjs's binary/categorical/sparse accuracy metrics compute it. */
export function accuracy(kind: AccuracyKind, p: Float32Array, y: ArrayLike<number>, n: number, k: number): number {
  let hits = 0;
  if (kind === 'binary') {
    let sum = 0;
    for (let r = 0; r < n; r++) {
      let row = 0;
      for (let j = 0; j < k; j++) row += (p[r * k + j] > 0.5 ? 1 : 0) === y[r * k + j] ? 1 : 0;
      sum += row / k;
    }
    return sum / n;
  }
  for (let r = 0; r < n; r++) {
    const pred = argMax(p, r * k, k);
    const want = kind === 'sparse' ? Math.floor(y[r]) : argMax(y, r * k, k);
    if (pred === want) hits++;
  }
  return hits / n;
}

/** First index of the maximum, as tfjs's argMax. */
function argMax(a: ArrayLike<number>, o: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (a[o + j] > a[o + best]) best = j;
  return best;
}

const clip = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

/**
 * tfjs-layers' mse / mae metric over `count` output values: mean over the last axis, then over the rest,
 * which for equal rows is the mean over all of them.
 */
export function valueMetric(kind: ValueMetricKind, p: Float32Array, y: ArrayLike<number>, count: number): number {
  let total = 0;
  if (kind === 'mse')
    for (let i = 0; i < count; i++) {
      const d = p[i] - y[i];
      total += d * d;
    }
  else for (let i = 0; i < count; i++) total += Math.abs(p[i] - y[i]);
  return total / count;
}
