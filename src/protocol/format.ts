/**
 * How numbers, durations, counts and shapes read, the same in the terminal (src/cli/) and the panel
 * (webview-ui/): pure and dependency-free so both can import it.
 */

/** `m:ss`, or `h:mm:ss` past an hour; `unknown` (default `--:--`) when there is no duration. */
export function formatDuration(ms: number | undefined, unknown = '--:--'): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return unknown;
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const ss = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A metric value in at most ~8 characters: 4 decimals, exponent form for the very large or small. */
export function formatMetric(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e4 || a < 1e-4)) return v.toExponential(2);
  return v.toFixed(a >= 100 ? 1 : 4);
}

/** Samples per second, rounded to what a reader can take in; `-` when unknown. */
export function formatRate(samplesPerSec: number | undefined): string {
  if (samplesPerSec === undefined || !Number.isFinite(samplesPerSec)) return '-';
  if (samplesPerSec >= 100) return String(Math.round(samplesPerSec));
  return samplesPerSec.toFixed(1);
}

/** A count with thousands separators, as in parameter counts: `32,896`. */
export const formatCount = (n: number): string => n.toLocaleString('en-US');

type Shape = readonly (number | null)[];

/**
 * One notation for tensor shapes everywhere Model Lab shows them (layer hints and their hovers, the
 * panel's layers table, `model-lab summary`, template comments, build errors): `[batch, 24, 24, 8]`.
 * The batch axis is shown, because the tensors really have it (a dense layer fed "a 4-D tensor"
 * counts it) and named, because `null`/`None` say nothing to someone who wrote `inputShape: [24, 24, 8]`;
 * a fixed batch size shows its number, any other unknown size `?`. Several outputs side by side.
 * `batchLabel` names an unknown first axis otherwise, e.g. `N` for a data set's sample count.
 */
export function formatShape(shape: Shape | readonly Shape[], batchLabel = 'batch'): string {
  const one = (s: Shape): string => `[${s.map((d, i) => (d === null ? (i === 0 ? batchLabel : '?') : String(d))).join(', ')}]`;
  return isShapeList(shape) ? shape.map(one).join(' ') : one(shape as Shape);
}

/** The same notation for one sample's shape (no batch axis given): `[24, 24, 8]` reads `[batch, 24, 24, 8]`. */
export function formatSampleShape(dims: Shape): string {
  return formatShape([null, ...dims]);
}

/** The short form for narrow editors: one sample's dimensions, `24×24×8` (`?` when unknown). */
export function formatShapeCompact(shape: Shape | readonly Shape[]): string {
  const one = (s: Shape): string => (s.length <= 1 ? formatShape(s) : s.slice(1).map((d) => (d === null ? '?' : String(d))).join('×'));
  return isShapeList(shape) ? shape.map(one).join(' ') : one(shape as Shape);
}

function isShapeList(shape: Shape | readonly Shape[]): shape is readonly Shape[] {
  return shape.length > 0 && Array.isArray(shape[0]);
}

/**
 * A duration in words of units, for the status bar and the Runs view: `1h 02m`, `4m 05s`, `12s`;
 * in Chinese (`locale` starting with `zh`) `1小时02分`, `4分05秒`, `12秒`.
 */
export function formatShortDuration(ms: number, locale?: string): string {
  const zh = locale?.toLowerCase().startsWith('zh') ?? false;
  const [h, mi, sec, gap] = zh ? ['小时', '分', '秒', ''] : ['h', 'm', 's', ' '];
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}${sec}`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}${mi}${gap}${String(s % 60).padStart(2, '0')}${sec}`;
  return `${Math.floor(m / 60)}${h}${gap}${String(m % 60).padStart(2, '0')}${mi}`;
}

/**
 * A layer's name as the user wrote it (`name: 'encoder'`), or tfjs's default made readable: tfjs
 * names a layer `snake_case(class)_ClassN` (`conv2d_Conv2D2`); Keras users know `conv2d_2`.
 */
export function readableLayerName(name: string, className: string): string {
  const m = /^(.+)_([A-Za-z]\w*?)(\d+)$/.exec(name);
  return m && m[2] === className ? `${m[1]}_${m[3]}` : name;
}

/** tfjs's default layer names in a message made readable (`dense_Dense3` → `dense_3`). */
export function readableLayerNames(text: string): string {
  return text.replace(/\b([a-z][a-z0-9_]*?)_([A-Z][A-Za-z0-9]*?)(\d+)\b/g, (all, snake: string, cls: string, n: string) =>
    snake.replace(/_/g, '') === cls.toLowerCase().replace(/_/g, '') ? `${snake}_${n}` : all,
  );
}

/** The words of a backend summary, in the reader's language (English: ENGLISH_BACKEND_WORDS). */
export interface BackendWords {
  /** Model Lab's fused WebAssembly executor ran the training steps. */
  fused: string;
  /** tfjs's own fit did (the fused executor does not cover the model, or it was turned off). */
  tfjs: string;
  /** Gradients computed on n threads (n ≥ 2). */
  threads(n: number): string;
}

export const ENGLISH_BACKEND_WORDS: BackendWords = { fused: 'fused', tfjs: 'tfjs fit', threads: (n) => `${n} threads` };

/** The fields of run.json's / the trainer's backend this reads (protocol/trainer.ts BackendInfo). */
interface BackendFacts {
  name: string;
  executor?: 'fused' | 'tfjs';
  threads?: number;
}

/**
 * What trains a run, in a few words: `wasm · fused · 2 threads`, `wasm · tfjs fit`, or just the
 * backend's name while the trainer has not chosen the executor yet (and for runs from before it).
 */
export function backendSummary(b: BackendFacts, w: BackendWords = ENGLISH_BACKEND_WORDS): string {
  const parts = [b.name];
  if (b.executor) parts.push(b.executor === 'fused' ? w.fused : w.tfjs);
  if (b.executor === 'fused' && b.threads !== undefined && b.threads > 1) parts.push(w.threads(b.threads));
  return parts.join(' · ');
}
