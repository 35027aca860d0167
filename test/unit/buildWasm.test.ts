// The committed WebAssembly kernels are the build of native/fused/fused.c: where Debian's clang-19 is
// installed, a fresh build must be byte-identical (scripts/build-wasm.sh --check); everywhere, the
// committed modules must load with no imports and export every kernel the executor calls.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const WASM = path.join(ROOT, 'src/trainer/backends/fused/wasm');
const KERNELS = [
  'pad_nhwc', 'unpad_nhwc', 'transpose', 'conv2d_fwd', 'conv2d_bwd_filter', 'conv2d_bwd_input', 'maxpool_fwd', 'maxpool_bwd',
  'avgpool_fwd', 'avgpool_bwd', 'gemm', 'col_sum', 'act_fwd', 'act_bwd', 'dropout_fwd', 'mul_inplace',
  'sgd_update', 'momentum_update', 'adam_update', 'rmsprop_update', 'simd_variant',
];
const WA = (globalThis as unknown as { WebAssembly: { Module: { new (b: Uint8Array): object; exports(m: object): { name: string }[]; imports(m: object): unknown[] } } }).WebAssembly;

describe('committed wasm kernels', () => {
  it('fused.wasm loads without imports and exports every kernel the executor calls', () => {
    const m = new WA.Module(fs.readFileSync(path.join(WASM, 'fused.wasm')));
    expect(WA.Module.imports(m)).toEqual([]);
    const names = WA.Module.exports(m).map((e) => e.name);
    for (const k of [...KERNELS, 'memory', '__heap_base']) expect(names, k).toContain(k);
    expect(fs.statSync(path.join(WASM, 'fused-relaxed.wasm')).size).toBeGreaterThan(0);
  });

  const clang = spawnSync(process.env.CLANG ?? 'clang-19', ['--version']).status === 0;
  it(clang ? 'are byte-identical to a fresh build with clang-19' : 'build script is a valid shell script (clang-19 not installed here)', () => {
    if (clang) {
      const out = execFileSync('sh', [path.join(ROOT, 'scripts/build-wasm.sh'), '--check'], { encoding: 'utf8' });
      expect(out).toContain('match a fresh build');
    } else {
      expect(spawnSync('sh', ['-n', path.join(ROOT, 'scripts/build-wasm.sh')]).status).toBe(0);
    }
  });
});

describe('committed wasm kernels: depthwise convolution and global pooling', () => {
  it('fused.wasm exports the depthwise and global pooling kernels the executor calls', () => {
    const names = WA.Module.exports(new WA.Module(fs.readFileSync(path.join(WASM, 'fused.wasm')))).map((e) => e.name);
    for (const k of ['dw_expand', 'dw_reduce', 'dw_fwd', 'dw_bwd_filter', 'dw_bwd_input', 'gap_fwd', 'gap_bwd', 'gmp_fwd', 'gmp_bwd']) expect(names, k).toContain(k);
  });
});
