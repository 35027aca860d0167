/**
 * Loads native/fused/fused.c's WebAssembly build (committed under ./wasm, copied next to the bundles
 * into dist/wasm) into its own instance and memory, and hands out 16-byte aligned buffers above
 * __heap_base. The relaxed-SIMD build (fused multiply-add) is used by default when the runtime compiles it
 * (pickVariant), else the plain SIMD one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The slice of the WebAssembly JS API used here (the trainer's tsconfig has no DOM lib, which declares it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmModule {
  readonly __brand?: 'module';
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (m: WasmModule, imports: object) => { exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

type Ptr = number;
type I = number;

/** The kernels of native/fused/fused.c; pointers are byte offsets into `memory`, 0 means none. */
export interface FusedKernels {
  memory: WasmMemory;
  __heap_base: { value: number };
  simd_variant(): I;
  pad_nhwc(x: Ptr, xp: Ptr, n: I, h: I, w: I, c: I, hp: I, wp: I, top: I, left: I): void;
  unpad_nhwc(xp: Ptr, x: Ptr, n: I, h: I, w: I, c: I, hp: I, wp: I, top: I, left: I): void;
  transpose(a: Ptr, t: Ptr, r: I, c: I, count: I): void;
  conv2d_fwd(x: Ptr, w: Ptr, b: Ptr, y: Ptr, n: I, h: I, wd: I, c: I, oh: I, ow: I, k: I, fh: I, fw: I, sh: I, sw: I): void;
  conv2d_bwd_filter(x: Ptr, dy: Ptr, dw: Ptr, n: I, h: I, wd: I, c: I, oh: I, ow: I, k: I, fh: I, fw: I, sh: I, sw: I): void;
  conv2d_bwd_input(dy: Ptr, wt: Ptr, dx: Ptr, n: I, h: I, wd: I, c: I, oh: I, ow: I, k: I, fh: I, fw: I, sh: I, sw: I): void;
  maxpool_fwd(x: Ptr, y: Ptr, idx: Ptr, n: I, h: I, w: I, c: I, oh: I, ow: I, fh: I, fw: I, sh: I, sw: I, top: I, left: I): void;
  maxpool_bwd(dy: Ptr, idx: Ptr, dx: Ptr, nOut: I, nIn: I): void;
  avgpool_fwd(x: Ptr, y: Ptr, n: I, h: I, w: I, c: I, oh: I, ow: I, fh: I, fw: I, sh: I, sw: I, top: I, left: I): void;
  avgpool_bwd(dy: Ptr, dx: Ptr, n: I, h: I, w: I, c: I, oh: I, ow: I, fh: I, fw: I, sh: I, sw: I, top: I, left: I): void;
  gemm(a: Ptr, sam: I, sak: I, b: Ptr, c: Ptr, m: I, n: I, k: I, bias: Ptr): void;
  col_sum(d: Ptr, db: Ptr, rows: I, k: I): void;
  act_fwd(kind: I, y: Ptr, rows: I, k: I): void;
  act_bwd(kind: I, y: Ptr, x: Ptr, d: Ptr, rows: I, k: I): void;
  dropout_fwd(x: Ptr, mask: Ptr, n: I, rate: number, state: I): I;
  mul_inplace(d: Ptr, m: Ptr, n: I): void;
  bn_moments(x: Ptr, mean: Ptr, variance: Ptr, acc: Ptr, rows: I, c: I): void;
  bn_apply(x: Ptr, y: Ptr, mean: Ptr, variance: Ptr, gamma: Ptr, beta: Ptr, eps: number, invStd: Ptr, scratch: Ptr, rows: I, c: I): void;
  bn_bwd(x: Ptr, d: Ptr, dx: Ptr, mean: Ptr, invStd: Ptr, gamma: Ptr, dgamma: Ptr, dbeta: Ptr, acc: Ptr, rows: I, c: I, needDx: I): void;
  sgd_update(p: Ptr, g: Ptr, n: I, negLr: number): void;
  momentum_update(p: Ptr, g: Ptr, acc: Ptr, n: I, negLr: number, m: number, nesterov: I): void;
  adam_update(p: Ptr, g: Ptr, m1: Ptr, m2: Ptr, n: I, negLr: number, b1: number, c1: number, b2: number, c2: number, eps: number, ob1: number, ob2: number): void;
  rmsprop_update(p: Ptr, g: Ptr, ms: Ptr, mom: Ptr, mg: Ptr, n: I, lr: number, decay: number, c: number, momentum: number, eps: number, centered: I): void;
  // Depthwise convolution over d = C·M lanes (the input expanded M times), global pooling.
  dw_expand(x: Ptr, xe: Ptr, rows: I, c: I, m: I): void;
  dw_reduce(dxe: Ptr, dx: Ptr, rows: I, c: I, m: I): void;
  dw_fwd(x: Ptr, w: Ptr, b: Ptr, y: Ptr, n: I, h: I, wd: I, d: I, oh: I, ow: I, fh: I, fw: I, sh: I, sw: I): void;
  dw_bwd_filter(x: Ptr, dy: Ptr, dw: Ptr, n: I, h: I, wd: I, d: I, oh: I, ow: I, fh: I, fw: I, sh: I, sw: I): void;
  dw_bwd_input(dy: Ptr, w: Ptr, dx: Ptr, n: I, h: I, wd: I, d: I, oh: I, ow: I, fh: I, fw: I, sh: I, sw: I): void;
  gap_fwd(x: Ptr, y: Ptr, acc: Ptr, n: I, hw: I, c: I): void;
  gap_bwd(dy: Ptr, dx: Ptr, n: I, hw: I, c: I): void;
  gmp_fwd(x: Ptr, y: Ptr, n: I, hw: I, c: I): void;
  gmp_bwd(x: Ptr, y: Ptr, dy: Ptr, dx: Ptr, n: I, hw: I, c: I): void;
  bias_add(y: Ptr, b: Ptr, rows: I, k: I): void;
}

export type SimdVariant = 'simd128' | 'relaxed-simd';

/** Where the .wasm files are: next to this module in the sources, dist/wasm for the bundles (also from dist/bench). */
function wasmDir(): string {
  for (const dir of [path.join(__dirname, 'wasm'), path.join(__dirname, '..', 'wasm')])
    if (fs.existsSync(path.join(dir, 'fused.wasm'))) return dir;
  throw new Error(`Model Lab's fused kernels (fused.wasm) are missing: looked in ${path.join(__dirname, 'wasm')} (run npm run build)`);
}

const modules = new Map<string, WasmModule>();

function compiled(file: string): WasmModule | undefined {
  const hit = modules.get(file);
  if (hit) return hit;
  if (!fs.existsSync(file)) return undefined;
  const bytes = fs.readFileSync(file);
  if (!WA.validate(bytes)) return undefined;
  const m = new WA.Module(bytes);
  modules.set(file, m);
  return m;
}

/**
 * Which build this runtime runs: relaxed SIMD (fused multiply-add; 0.73–0.82 of plain SIMD's CPU
 * time per sample on the reference and CIFAR-shaped CNNs, bench/fusedRelaxed.ts) when it compiles,
 * else plain SIMD. Node 20 validates it only with --experimental-wasm-relaxed-simd, so when the
 * first try fails that flag is set at run time (V8 reads it when it next validates a module; newer
 * Node and Electron builds validate it without) and the build tried again: whether it compiles stays
 * the only gate. MODEL_LAB_RELAXED_SIMD=0 keeps the plain build (and leaves V8's flags alone).
 */
export function pickVariant(env: NodeJS.ProcessEnv = process.env): SimdVariant {
  if (env.MODEL_LAB_RELAXED_SIMD === '0') return 'simd128';
  return relaxedModule() ? 'relaxed-simd' : 'simd128';
}

/** fused-relaxed.wasm compiled, turning on Node 20's flag first if it does not compile without; undefined where it cannot. */
function relaxedModule(): WasmModule | undefined {
  const relaxed = path.join(wasmDir(), 'fused-relaxed.wasm');
  const first = compiled(relaxed);
  if (first) return first;
  try {
    (require('node:v8') as typeof import('node:v8')).setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return undefined; // a runtime without V8 flags: the plain build
  }
  return compiled(relaxed);
}

export class FusedEngine {
  readonly k: FusedKernels;
  readonly variant: SimdVariant;
  private top: number;
  private f32Cache: Float32Array;

  constructor(variant: SimdVariant = pickVariant()) {
    const file = path.join(wasmDir(), variant === 'relaxed-simd' ? 'fused-relaxed.wasm' : 'fused.wasm');
    const mod = variant === 'relaxed-simd' ? relaxedModule() : compiled(file);
    if (!mod) throw new Error(`${path.basename(file)} does not validate in this runtime`);
    this.k = new WA.Instance(mod, {}).exports as unknown as FusedKernels;
    this.variant = variant;
    this.top = align(this.k.__heap_base.value);
    this.f32Cache = new Float32Array(this.k.memory.buffer);
  }

  /** A zeroed buffer of `count` 4-byte elements; returns its byte offset. Buffers live as long as the engine. */
  alloc(count: number): number {
    const at = this.top;
    this.top = align(at + 4 * Math.max(1, count));
    const have = this.k.memory.buffer.byteLength;
    if (this.top > have) this.k.memory.grow(Math.ceil((this.top - have) / 65536));
    return at;
  }

  /** Frees every buffer allocated after `ptr` (an earlier alloc's result), for scratch use. */
  resetTo(ptr: number): void {
    this.top = ptr;
  }

  /** A view of the whole memory as float32 (renewed after the memory grew). */
  get f32(): Float32Array {
    if (this.f32Cache.buffer !== this.k.memory.buffer) this.f32Cache = new Float32Array(this.k.memory.buffer);
    return this.f32Cache;
  }

  view(ptr: number, count: number): Float32Array {
    return this.f32.subarray(ptr >> 2, (ptr >> 2) + count);
  }

  copy(from: number, to: number, count: number): void {
    if (from !== to) this.f32.copyWithin(to >> 2, from >> 2, (from >> 2) + count);
  }
}

const align = (n: number) => (n + 15) & ~15;
