#!/bin/sh
# Builds Model Lab's WebAssembly kernels from native/ into src/trainer/backends/fused/wasm/ (committed,
# so `npm install` works without clang and the .vsix is one build for every platform; esbuild.mjs
# copies them into dist/). Needs Debian's clang-19 and lld-19: apt-get install -y clang-19 lld-19.
#   scripts/build-wasm.sh           build
#   scripts/build-wasm.sh --check   build into a temporary folder and fail if the committed files differ
set -eu
cd "$(dirname "$0")/.."
CLANG="${CLANG:-clang-19}"
OUT=src/trainer/backends/fused/wasm
if [ "${1:-}" = "--check" ]; then OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT; fi
mkdir -p "$OUT"
# No libc, no entry point, no data segment: the module exports its memory and the JS side places every
# buffer above __heap_base. -ffp-contract=off keeps a·b+c as two roundings, like tfjs's separate ops.
FLAGS="--target=wasm32 -O3 -msimd128 -mbulk-memory -ffp-contract=off -nostdlib -Wl,--no-entry -Wl,--export-dynamic -Wl,--export=__heap_base -Wl,-z,stack-size=65536 -Wl,--strip-debug"
"$CLANG" $FLAGS -o "$OUT/fused.wasm" native/fused/fused.c
# Relaxed SIMD: fused multiply-add where the runtime has it (Node needs --experimental-wasm-relaxed-simd).
"$CLANG" $FLAGS -mrelaxed-simd -DRELAXED -o "$OUT/fused-relaxed.wasm" native/fused/fused.c
if [ "${1:-}" = "--check" ]; then
  for f in fused.wasm fused-relaxed.wasm; do
    cmp -s "$OUT/$f" "src/trainer/backends/fused/wasm/$f" || { echo "src/trainer/backends/fused/wasm/$f differs from a fresh build of native/fused/fused.c: run scripts/build-wasm.sh and commit the result" >&2; exit 1; }
  done
  echo "committed .wasm files match a fresh build"
fi
