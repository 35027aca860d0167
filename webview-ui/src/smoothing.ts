/**
 * TensorBoard's scalar smoothing, exactly: an exponential moving average with debiasing (so the
 * first points are not dragged towards 0), non-finite values passed through, and a constant series
 * left as it is (tensorboard#786). Computed on every point before downsampling, so the curve does
 * not change with the zoom or the sampling (tensorboard#1518). Incremental: a live run extends the
 * smoothed series by its new points only.
 */
export class Smoother {
  private weight = Number.NaN;
  private owner: object | undefined;
  private n = 0;
  private last = 0;
  private numAccum = 0;
  private firstFinite = Number.NaN;
  private constant = true;
  out = new Float64Array(0);
  /** Bumped whenever earlier smoothed values change (a new weight or series, or a restart). */
  generation = 0;

  /**
   * The smoothed values of `values[0..count)` for `weight` in [0, 1). `owner` names the series (its
   * values may move to a bigger array as it grows): another owner starts the smoothing over.
   */
  smooth(values: ArrayLike<number>, count: number, weight: number, owner: object = values as object): Float64Array {
    if (weight !== this.weight || count < this.n || this.owner !== owner) this.reset(owner, weight);
    if (this.out.length < count) {
      const next = new Float64Array(Math.max(count, this.out.length * 2));
      next.set(this.out.subarray(0, this.n));
      this.out = next;
    }
    // TensorBoard leaves a constant series unsmoothed; once it stops being constant, start over.
    for (let i = this.n; i < count && this.constant; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) continue;
      if (Number.isNaN(this.firstFinite)) this.firstFinite = v;
      else if (v !== this.firstFinite) {
        this.constant = false;
        this.generation++;
        this.n = 0;
        this.last = 0;
        this.numAccum = 0;
      }
    }
    for (let i = this.n; i < count; i++) {
      const v = values[i];
      if (this.constant || !Number.isFinite(v)) this.out[i] = v;
      else {
        this.last = this.last * weight + (1 - weight) * v;
        this.numAccum++;
        const debias = weight === 1 ? 1 : 1 - Math.pow(weight, this.numAccum);
        this.out[i] = this.last / debias;
      }
    }
    this.n = count;
    return this.out.subarray(0, count);
  }

  private reset(owner: object, weight: number): void {
    this.generation++;
    this.weight = weight;
    this.owner = owner;
    this.n = 0;
    this.last = 0;
    this.numAccum = 0;
    this.firstFinite = Number.NaN;
    this.constant = true;
  }
}
