// Model Lab's fused training kernels: forward, backward and optimizer updates of the layers
// src/trainer/backends/fused/ compiles a tfjs Sequential model into. Built to wasm32 with SIMD128 by
// scripts/build-wasm.sh (Debian clang-19 + lld-19, no Emscripten, no libc); the module exports its
// memory and owns no data (the JS side allocates every buffer above __heap_base).
//
// Layouts are tfjs-layers' own, so weights copy to and from the tfjs model unchanged: activations
// NHWC, conv filters [FH,FW,C,K], dense kernels [in,out]. Semantics follow tfjs's cpu backend, the
// reference the tests compare against: first maximum wins in max pooling, average pooling divides by
// the in-bounds count forward but by FH·FW backward (as tfjs's AvgPoolGrad does), Adam/RMSProp/SGD
// update in the same operation order as tfjs-core's optimizers.
#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))
#define INLINE static inline __attribute__((always_inline))

typedef v128_t vf;
#define VLOAD(p) wasm_v128_load(p)
#define VSTORE(p, v) wasm_v128_store((p), (v))
#define VSPLAT(s) wasm_f32x4_splat(s)
#define VLSPLAT(p) wasm_v128_load32_splat(p)
#ifdef RELAXED
#define MADD(a, b, c) wasm_f32x4_relaxed_madd((a), (b), (c))
#else
#define MADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul((a), (b)), (c))
#endif

EXPORT int simd_variant(void) {
#ifdef RELAXED
  return 2;
#else
  return 1;
#endif
}

// ---- copies --------------------------------------------------------------------------------------

/** xp[N,HP,WP,C] = x[N,H,W,C] placed at (top,left), zeros around ('same' padding of a convolution). */
EXPORT void pad_nhwc(const float* x, float* xp, int N, int H, int W, int C, int HP, int WP, int top, int left) {
  __builtin_memset(xp, 0, sizeof(float) * (unsigned long)N * HP * WP * C);
  for (int n = 0; n < N; n++)
    for (int h = 0; h < H; h++)
      __builtin_memcpy(xp + (((long)n * HP + h + top) * WP + left) * C, x + (((long)n * H + h) * W) * C, sizeof(float) * (unsigned long)W * C);
}

/** x[N,H,W,C] = the (top,left) window of xp[N,HP,WP,C]: the gradient of pad_nhwc. */
EXPORT void unpad_nhwc(const float* xp, float* x, int N, int H, int W, int C, int HP, int WP, int top, int left) {
  for (int n = 0; n < N; n++)
    for (int h = 0; h < H; h++)
      __builtin_memcpy(x + (((long)n * H + h) * W) * C, xp + (((long)n * HP + h + top) * WP + left) * C, sizeof(float) * (unsigned long)W * C);
}

/** t[c,r] = a[r,c] for an R×Cc matrix, `count` matrices one after another. */
EXPORT void transpose(const float* a, float* t, int R, int Cc, int count) {
  for (int m = 0; m < count; m++, a += (long)R * Cc, t += (long)R * Cc)
    for (int r = 0; r < R; r++)
      for (int c = 0; c < Cc; c++) t[(long)c * R + r] = a[(long)r * Cc + c];
}

// ---- convolution (input already padded; dilation 1) -----------------------------------------------

// y[n,oh,ow,k] = b[k] + Σ_{kh,kw,c} x[n, oh·SH+kh, ow·SW+kw, c] · w[kh,kw,c,k]. For one output pixel and
// filter row kh, the (kw,c) pairs are contiguous in x, so the inner loop runs over r = kw·C + c.
// Register block: PX output pixels × NV vectors of 4 output channels.
#define DEF_CF(PX, NV)                                                                                          \
  INLINE void cf_##PX##_##NV(const float* xb, const float* w, const float* b, float* yrow, int W, int C, int K,  \
                             int FH, int FW, int SW, int ow, int k0) {                                          \
    vf acc[PX][NV];                                                                                             \
    for (int v = 0; v < NV; v++) {                                                                              \
      vf bv = b ? VLOAD(b + k0 + 4 * v) : VSPLAT(0.f);                                                          \
      for (int j = 0; j < PX; j++) acc[j][v] = bv;                                                              \
    }                                                                                                           \
    const int FWC = FW * C;                                                                                     \
    for (int kh = 0; kh < FH; kh++) {                                                                           \
      const float* xr = xb + ((long)kh * W + (long)ow * SW) * C;                                                \
      const float* wr = w + (long)kh * FWC * K + k0;                                                            \
      for (int r = 0; r < FWC; r++) {                                                                           \
        vf wv[NV];                                                                                              \
        for (int v = 0; v < NV; v++) wv[v] = VLOAD(wr + (long)r * K + 4 * v);                                   \
        for (int j = 0; j < PX; j++) {                                                                          \
          vf s = VLSPLAT(xr + (long)j * SW * C + r);                                                            \
          for (int v = 0; v < NV; v++) acc[j][v] = MADD(s, wv[v], acc[j][v]);                                   \
        }                                                                                                       \
      }                                                                                                         \
    }                                                                                                           \
    for (int j = 0; j < PX; j++)                                                                                \
      for (int v = 0; v < NV; v++) VSTORE(yrow + (long)(ow + j) * K + k0 + 4 * v, acc[j][v]);                  \
  }
DEF_CF(2, 4) DEF_CF(1, 4) DEF_CF(4, 2) DEF_CF(1, 2) DEF_CF(4, 1) DEF_CF(1, 1)

EXPORT void conv2d_fwd(const float* x, const float* w, const float* b, float* y, int N, int H, int W, int C, int OH, int OW,
                       int K, int FH, int FW, int SH, int SW) {
  const int FWC = FW * C;
  for (int n = 0; n < N; n++)
    for (int oh = 0; oh < OH; oh++) {
      const float* xb = x + ((long)n * H + (long)oh * SH) * W * C;
      float* yrow = y + ((long)n * OH + oh) * OW * K;
      int k0 = 0;
      while (K - k0 >= 4) {
        int ow = 0;
        if (K - k0 >= 16) {
          for (; ow + 2 <= OW; ow += 2) cf_2_4(xb, w, b, yrow, W, C, K, FH, FW, SW, ow, k0);
          for (; ow < OW; ow++) cf_1_4(xb, w, b, yrow, W, C, K, FH, FW, SW, ow, k0);
          k0 += 16;
        } else if (K - k0 >= 8) {
          for (; ow + 4 <= OW; ow += 4) cf_4_2(xb, w, b, yrow, W, C, K, FH, FW, SW, ow, k0);
          for (; ow < OW; ow++) cf_1_2(xb, w, b, yrow, W, C, K, FH, FW, SW, ow, k0);
          k0 += 8;
        } else {
          for (; ow + 4 <= OW; ow += 4) cf_4_1(xb, w, b, yrow, W, C, K, FH, FW, SW, ow, k0);
          for (; ow < OW; ow++) cf_1_1(xb, w, b, yrow, W, C, K, FH, FW, SW, ow, k0);
          k0 += 4;
        }
      }
      for (int k = k0; k < K; k++)
        for (int ow = 0; ow < OW; ow++) {
          float s = b ? b[k] : 0.f;
          for (int kh = 0; kh < FH; kh++) {
            const float* xr = xb + ((long)kh * W + (long)ow * SW) * C;
            const float* wr = w + (long)kh * FWC * K + k;
            for (int r = 0; r < FWC; r++) s += xr[r] * wr[(long)r * K];
          }
          yrow[(long)ow * K + k] = s;
        }
    }
}

// dw[kh,kw,c,k] = Σ_{n,oh,ow} x[n, oh·SH+kh, ow·SW+kw, c] · dy[n,oh,ow,k]; block MR rows r = kw·C+c × NV vectors of k,
// over output rows t0..t1 (t = n·OH + oh), added to dw unless `first`. The caller tiles the output rows so that
// the tile of dy and x stays in cache while every block of dw passes over it.
#define DEF_BF(MR, NV)                                                                                       \
  INLINE void bf_##MR##_##NV(const float* x, const float* dy, float* dw, int H, int W, int C, int OH, int OW,  \
                             int K, int FW, int SH, int SW, int kh, int r0, int k0, long t0, long t1, int first) { \
    vf acc[MR][NV];                                                                                           \
    float* out = dw + ((long)kh * FW * C + r0) * K + k0;                                                      \
    for (int r = 0; r < MR; r++)                                                                              \
      for (int v = 0; v < NV; v++) acc[r][v] = first ? VSPLAT(0.f) : VLOAD(out + (long)r * K + 4 * v);        \
    for (long t = t0; t < t1; t++) {                                                                          \
      long n = t / OH, oh = t - n * OH;                                                                       \
      const float* xrow = x + ((n * H + oh * SH + kh) * W) * C + r0;                                          \
      const float* drow = dy + t * OW * K + k0;                                                               \
      for (int ow = 0; ow < OW; ow++) {                                                                       \
        const float* xp = xrow + (long)ow * SW * C;                                                           \
        const float* dp = drow + (long)ow * K;                                                                \
        vf d[NV];                                                                                             \
        for (int v = 0; v < NV; v++) d[v] = VLOAD(dp + 4 * v);                                                \
        for (int r = 0; r < MR; r++) {                                                                        \
          vf s = VLSPLAT(xp + r);                                                                             \
          for (int v = 0; v < NV; v++) acc[r][v] = MADD(s, d[v], acc[r][v]);                                  \
        }                                                                                                     \
      }                                                                                                       \
    }                                                                                                         \
    for (int r = 0; r < MR; r++)                                                                              \
      for (int v = 0; v < NV; v++) VSTORE(out + (long)r * K + 4 * v, acc[r][v]);                              \
  }
DEF_BF(2, 4) DEF_BF(1, 4) DEF_BF(4, 2) DEF_BF(1, 2) DEF_BF(8, 1) DEF_BF(1, 1)

EXPORT void conv2d_bwd_filter(const float* x, const float* dy, float* dw, int N, int H, int W, int C, int OH, int OW, int K,
                              int FH, int FW, int SH, int SW) {
  const int rows = FW * C;
  const long total = (long)N * OH;
  const long T = OW >= 256 ? 1 : 256 / OW; // output rows per tile: about 256 positions
  for (long t0 = 0; t0 < total; t0 += T) {
    long t1 = t0 + T < total ? t0 + T : total;
    int first = t0 == 0;
    for (int kh = 0; kh < FH; kh++) {
      int k0 = 0;
      while (K - k0 >= 4) {
        int r0 = 0;
        if (K - k0 >= 16) {
          for (; r0 + 2 <= rows; r0 += 2) bf_2_4(x, dy, dw, H, W, C, OH, OW, K, FW, SH, SW, kh, r0, k0, t0, t1, first);
          for (; r0 < rows; r0++) bf_1_4(x, dy, dw, H, W, C, OH, OW, K, FW, SH, SW, kh, r0, k0, t0, t1, first);
          k0 += 16;
        } else if (K - k0 >= 8) {
          for (; r0 + 4 <= rows; r0 += 4) bf_4_2(x, dy, dw, H, W, C, OH, OW, K, FW, SH, SW, kh, r0, k0, t0, t1, first);
          for (; r0 < rows; r0++) bf_1_2(x, dy, dw, H, W, C, OH, OW, K, FW, SH, SW, kh, r0, k0, t0, t1, first);
          k0 += 8;
        } else {
          for (; r0 + 8 <= rows; r0 += 8) bf_8_1(x, dy, dw, H, W, C, OH, OW, K, FW, SH, SW, kh, r0, k0, t0, t1, first);
          for (; r0 < rows; r0++) bf_1_1(x, dy, dw, H, W, C, OH, OW, K, FW, SH, SW, kh, r0, k0, t0, t1, first);
          k0 += 4;
        }
      }
    }
  }
  // The last K % 4 output channels, one at a time.
  for (int k = K - K % 4; k < K; k++)
    for (int kh = 0; kh < FH; kh++)
      for (int r = 0; r < rows; r++) {
        float s = 0.f;
        for (int n = 0; n < N; n++)
          for (int oh = 0; oh < OH; oh++) {
            const float* xrow = x + (((long)n * H + (long)oh * SH + kh) * W) * C + r;
            const float* drow = dy + (((long)n * OH + oh) * OW) * K + k;
            for (int ow = 0; ow < OW; ow++) s += xrow[(long)ow * SW * C] * drow[(long)ow * K];
          }
        dw[((long)kh * FW * C + r) * K + k] = s;
      }
}

// dx[n, oh·SH+kh, ow·SW+kw, :] += Σ_k dy[n,oh,ow,k] · wt[kh,kw,k,:] (wt: the filter as [FH,FW,K,C]), scatter
// form into the padded dx. Block: PX pixels × CV vectors of channels; for one (kh,kw) the PX pixels write
// distinct dx columns whatever the stride, so the block is exact.
#define DEF_BI(PX, CV)                                                                                      \
  INLINE void bi_##PX##_##CV(const float* dp, const float* wt, float* xb, int W, int C, int K, int FH, int FW, \
                             int SW, int c0) {                                                               \
    for (int kh = 0; kh < FH; kh++)                                                                          \
      for (int kw = 0; kw < FW; kw++) {                                                                      \
        float* xp = xb + ((long)kh * W + kw) * C + c0;                                                       \
        const float* wp = wt + ((long)(kh * FW + kw) * K) * C + c0;                                          \
        vf acc[PX][CV];                                                                                      \
        for (int j = 0; j < PX; j++)                                                                         \
          for (int v = 0; v < CV; v++) acc[j][v] = VLOAD(xp + (long)j * SW * C + 4 * v);                     \
        for (int k = 0; k < K; k++) {                                                                        \
          vf w[CV];                                                                                          \
          for (int v = 0; v < CV; v++) w[v] = VLOAD(wp + (long)k * C + 4 * v);                              \
          for (int j = 0; j < PX; j++) {                                                                     \
            vf s = VLSPLAT(dp + (long)j * K + k);                                                            \
            for (int v = 0; v < CV; v++) acc[j][v] = MADD(s, w[v], acc[j][v]);                               \
          }                                                                                                  \
        }                                                                                                    \
        for (int j = 0; j < PX; j++)                                                                         \
          for (int v = 0; v < CV; v++) VSTORE(xp + (long)j * SW * C + 4 * v, acc[j][v]);                     \
      }                                                                                                      \
  }
DEF_BI(4, 2) DEF_BI(1, 2) DEF_BI(4, 1) DEF_BI(1, 1)

EXPORT void conv2d_bwd_input(const float* dy, const float* wt, float* dx, int N, int H, int W, int C, int OH, int OW, int K,
                             int FH, int FW, int SH, int SW) {
  __builtin_memset(dx, 0, sizeof(float) * (unsigned long)N * H * W * C);
  for (int n = 0; n < N; n++)
    for (int oh = 0; oh < OH; oh++) {
      const float* drow = dy + ((long)n * OH + oh) * OW * K;
      float* xrow = dx + ((long)n * H + (long)oh * SH) * W * C;
      int c0 = 0;
      while (C - c0 >= 4) {
        int ow = 0;
        if (C - c0 >= 8) {
          for (; ow + 4 <= OW; ow += 4) bi_4_2(drow + (long)ow * K, wt, xrow + (long)ow * SW * C, W, C, K, FH, FW, SW, c0);
          for (; ow < OW; ow++) bi_1_2(drow + (long)ow * K, wt, xrow + (long)ow * SW * C, W, C, K, FH, FW, SW, c0);
          c0 += 8;
        } else {
          for (; ow + 4 <= OW; ow += 4) bi_4_1(drow + (long)ow * K, wt, xrow + (long)ow * SW * C, W, C, K, FH, FW, SW, c0);
          for (; ow < OW; ow++) bi_1_1(drow + (long)ow * K, wt, xrow + (long)ow * SW * C, W, C, K, FH, FW, SW, c0);
          c0 += 4;
        }
      }
      if (c0 < C)
        for (int ow = 0; ow < OW; ow++) {
          const float* dp = drow + (long)ow * K;
          for (int kh = 0; kh < FH; kh++)
            for (int kw = 0; kw < FW; kw++) {
              float* xp = xrow + ((long)kh * W + (long)ow * SW + kw) * C;
              const float* wp = wt + ((long)(kh * FW + kw) * K) * C;
              for (int c = c0; c < C; c++) {
                float s = xp[c];
                for (int k = 0; k < K; k++) s += dp[k] * wp[(long)k * C + c];
                xp[c] = s;
              }
            }
        }
    }
}

// ---- pooling (unpadded input; windows clipped to the input as tfjs's 'same' pooling does) ---------

/** Max pooling; idx keeps the flat input index of each window's first maximum (tfjs cpu's choice). Four channels at a time. */
EXPORT void maxpool_fwd(const float* x, float* y, int* idx, int N, int H, int W, int C, int OH, int OW, int FH, int FW, int SH,
                        int SW, int top, int left) {
  const v128_t lane = wasm_i32x4_make(0, 1, 2, 3);
  for (int n = 0; n < N; n++)
    for (int oh = 0; oh < OH; oh++) {
      int h0 = oh * SH - top, hs = h0 < 0 ? 0 : h0, he = h0 + FH > H ? H : h0 + FH;
      for (int ow = 0; ow < OW; ow++) {
        int w0 = ow * SW - left, ws = w0 < 0 ? 0 : w0, we = w0 + FW > W ? W : w0 + FW;
        long o = (((long)n * OH + oh) * OW + ow) * C;
        long first = (((long)n * H + hs) * W + ws) * C;
        int c = 0;
        for (; c + 4 <= C; c += 4) {
          vf best = VLOAD(x + first + c);
          v128_t at = wasm_i32x4_add(wasm_i32x4_splat((int)(first + c)), lane);
          for (int h = hs; h < he; h++)
            for (int w = ws; w < we; w++) {
              long i = (((long)n * H + h) * W + w) * C + c;
              vf v = VLOAD(x + i);
              v128_t m = wasm_f32x4_gt(v, best); // strictly greater: an equal later value does not win
              best = wasm_v128_bitselect(v, best, m);
              at = wasm_v128_bitselect(wasm_i32x4_add(wasm_i32x4_splat((int)i), lane), at, m);
            }
          VSTORE(y + o + c, best);
          wasm_v128_store(idx + o + c, at);
        }
        for (; c < C; c++) {
          long at = first + c;
          float best = x[at];
          for (int h = hs; h < he; h++)
            for (int w = ws; w < we; w++) {
              long i = (((long)n * H + h) * W + w) * C + c;
              if (x[i] > best) best = x[i], at = i;
            }
          y[o + c] = best;
          idx[o + c] = (int)at;
        }
      }
    }
}

EXPORT void maxpool_bwd(const float* dy, const int* idx, float* dx, int nOut, int nIn) {
  __builtin_memset(dx, 0, sizeof(float) * (unsigned long)nIn);
  for (int i = 0; i < nOut; i++) dx[idx[i]] += dy[i];
}

EXPORT void avgpool_fwd(const float* x, float* y, int N, int H, int W, int C, int OH, int OW, int FH, int FW, int SH, int SW,
                        int top, int left) {
  for (int n = 0; n < N; n++)
    for (int oh = 0; oh < OH; oh++) {
      int h0 = oh * SH - top, hs = h0 < 0 ? 0 : h0, he = h0 + FH > H ? H : h0 + FH;
      for (int ow = 0; ow < OW; ow++) {
        int w0 = ow * SW - left, ws = w0 < 0 ? 0 : w0, we = w0 + FW > W ? W : w0 + FW;
        float* yp = y + (((long)n * OH + oh) * OW + ow) * C;
        float count = (float)((he - hs) * (we - ws));
        for (int c = 0; c < C; c++) {
          float s = 0.f;
          for (int h = hs; h < he; h++)
            for (int w = ws; w < we; w++) s += x[(((long)n * H + h) * W + w) * C + c];
          yp[c] = s / count;
        }
      }
    }
}

/** tfjs's AvgPoolGrad: every in-bounds input of a window gets dy/(FH·FW), also where the forward divided by fewer. */
EXPORT void avgpool_bwd(const float* dy, float* dx, int N, int H, int W, int C, int OH, int OW, int FH, int FW, int SH, int SW,
                        int top, int left) {
  __builtin_memset(dx, 0, sizeof(float) * (unsigned long)N * H * W * C);
  const float mul = 1.f / (float)(FH * FW);
  for (int n = 0; n < N; n++)
    for (int oh = 0; oh < OH; oh++) {
      int h0 = oh * SH - top, hs = h0 < 0 ? 0 : h0, he = h0 + FH > H ? H : h0 + FH;
      for (int ow = 0; ow < OW; ow++) {
        int w0 = ow * SW - left, ws = w0 < 0 ? 0 : w0, we = w0 + FW > W ? W : w0 + FW;
        const float* dp = dy + (((long)n * OH + oh) * OW + ow) * C;
        for (int h = hs; h < he; h++)
          for (int w = ws; w < we; w++) {
            float* xp = dx + (((long)n * H + h) * W + w) * C;
            for (int c = 0; c < C; c++) xp[c] += dp[c] * mul;
          }
      }
    }
}

// ---- dense -------------------------------------------------------------------------------------

/** c[M,N] = A·B (+ bias), A(i,k) = a[i·sam + k·sak] (so a transposed A is only other strides), B row-major [K,N]. */
EXPORT void gemm(const float* a, int sam, int sak, const float* b, float* c, int M, int N, int K, const float* bias) {
  int i = 0;
  for (; i + 4 <= M; i += 4) {
    int j = 0;
    for (; j + 8 <= N; j += 8) {
      vf acc[4][2];
      for (int r = 0; r < 4; r++) {
        acc[r][0] = bias ? VLOAD(bias + j) : VSPLAT(0.f);
        acc[r][1] = bias ? VLOAD(bias + j + 4) : VSPLAT(0.f);
      }
      for (int k = 0; k < K; k++) {
        vf b0 = VLOAD(b + (long)k * N + j), b1 = VLOAD(b + (long)k * N + j + 4);
        for (int r = 0; r < 4; r++) {
          vf s = VLSPLAT(a + (long)(i + r) * sam + (long)k * sak);
          acc[r][0] = MADD(s, b0, acc[r][0]);
          acc[r][1] = MADD(s, b1, acc[r][1]);
        }
      }
      for (int r = 0; r < 4; r++) {
        VSTORE(c + (long)(i + r) * N + j, acc[r][0]);
        VSTORE(c + (long)(i + r) * N + j + 4, acc[r][1]);
      }
    }
    for (; j + 4 <= N; j += 4) {
      vf acc[4];
      for (int r = 0; r < 4; r++) acc[r] = bias ? VLOAD(bias + j) : VSPLAT(0.f);
      for (int k = 0; k < K; k++) {
        vf b0 = VLOAD(b + (long)k * N + j);
        for (int r = 0; r < 4; r++) acc[r] = MADD(VLSPLAT(a + (long)(i + r) * sam + (long)k * sak), b0, acc[r]);
      }
      for (int r = 0; r < 4; r++) VSTORE(c + (long)(i + r) * N + j, acc[r]);
    }
    for (; j < N; j++)
      for (int r = 0; r < 4; r++) {
        float s = bias ? bias[j] : 0.f;
        for (int k = 0; k < K; k++) s += a[(long)(i + r) * sam + (long)k * sak] * b[(long)k * N + j];
        c[(long)(i + r) * N + j] = s;
      }
  }
  for (; i < M; i++) {
    int j = 0;
    for (; j + 4 <= N; j += 4) {
      vf acc = bias ? VLOAD(bias + j) : VSPLAT(0.f);
      for (int k = 0; k < K; k++) acc = MADD(VLSPLAT(a + (long)i * sam + (long)k * sak), VLOAD(b + (long)k * N + j), acc);
      VSTORE(c + (long)i * N + j, acc);
    }
    for (; j < N; j++) {
      float s = bias ? bias[j] : 0.f;
      for (int k = 0; k < K; k++) s += a[(long)i * sam + (long)k * sak] * b[(long)k * N + j];
      c[(long)i * N + j] = s;
    }
  }
}

/** db[k] = Σ_rows d[row, k], row by row (one pass over d; db stays in cache). */
EXPORT void col_sum(const float* d, float* db, int rows, int K) {
  __builtin_memset(db, 0, sizeof(float) * (unsigned long)K);
  for (int r = 0; r < rows; r++) {
    const float* dr = d + (long)r * K;
    int k0 = 0;
    for (; k0 + 4 <= K; k0 += 4) VSTORE(db + k0, wasm_f32x4_add(VLOAD(db + k0), VLOAD(dr + k0)));
    for (; k0 < K; k0++) db[k0] += dr[k0];
  }
}

// ---- element-wise math without libc ------------------------------------------------------------

// e^x = 2^i · e^r with i = nearest(x·log2 e) and r = x − i·ln 2 in [−ln2/2, ln2/2], i·ln 2 subtracted in two
// parts (Cody–Waite: ln2_hi has few enough bits that i·ln2_hi is exact), e^r by its degree-7 Taylor polynomial
// (truncation < 6e-9): within a few float32 roundings of Math.exp, which tfjs's cpu kernels use. (A floor
// reduction with 2^f's degree-6 series was off by up to 9e-6 near f = 1: sigmoid 2e-6 from tfjs's.)
static float expf_(float x) {
  if (x < -87.3f) return 0.f;
  if (x > 88.7f) return __builtin_inff();
  float fi = __builtin_rintf(x * 1.44269504089f);
  float r = (x - fi * 0.693145751953125f) - fi * 1.42860676533018e-06f;
  float p = 1.f + r * (1.f + r * (0.5f + r * (0.166666667f + r * (0.0416666667f + r * (0.00833333333f + r * (0.00138888889f + r * 0.000198412698f))))));
  int e = (int)fi;
  if (e > 127) { // x in (88.38, 88.7]: 2^128 is not a float, 2·2^127 is
    p *= 2.f;
    e -= 1;
  }
  union { float f; int i; } u = {.i = (e + 127) << 23};
  return p * u.f;
}

static float expm1f_(float x) { // e^x - 1 without the cancellation near 0 (ELU, SELU)
  if (x > -0.3f && x < 0.3f)
    return x * (1.f + x * (0.5f + x * (0.166666667f + x * (0.0416666667f + x * (0.00833333333f + x * (0.00138888889f + x * 0.000198412698f))))));
  return expf_(x) - 1.f;
}

static float tanhf_(float x) {
  float a = x < 0.f ? -x : x;
  float r;
  if (a < 0.3f) { // Taylor series: no cancellation near 0
    float a2 = a * a;
    r = a * (1.f + a2 * (-0.333333333f + a2 * (0.133333333f + a2 * (-0.0539682540f + a2 * (0.0218694885f + a2 * -0.00886323552f)))));
  } else {
    float e = expf_(-2.f * a);
    r = (1.f - e) / (1.f + e);
  }
  return x < 0.f ? -r : r;
}

enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_SIGMOID = 2, ACT_TANH = 3, ACT_SOFTMAX = 4, ACT_ELU = 5, ACT_SELU = 6, ACT_RELU6 = 7 };
#define SELU_ALPHA 1.67326324235437728481f
#define SELU_SCALE 1.05070098735548049342f

/** In place: y = act(y) over rows×K (softmax per row of K). */
EXPORT void act_fwd(int kind, float* y, int rows, int K) {
  long n = (long)rows * K;
  switch (kind) {
    case ACT_RELU: {
      long i = 0;
      for (; i + 4 <= n; i += 4) VSTORE(y + i, wasm_f32x4_max(VLOAD(y + i), VSPLAT(0.f)));
      for (; i < n; i++) y[i] = y[i] > 0.f ? y[i] : 0.f;
      break;
    }
    case ACT_RELU6: { // pmax/pmin are exactly the scalar comparisons below (also for -0 and NaN)
      long i = 0;
      for (; i + 4 <= n; i += 4) VSTORE(y + i, wasm_f32x4_pmin(wasm_f32x4_pmax(VLOAD(y + i), VSPLAT(0.f)), VSPLAT(6.f)));
      for (; i < n; i++) y[i] = y[i] < 0.f ? 0.f : (y[i] > 6.f ? 6.f : y[i]);
      break;
    }
    case ACT_SIGMOID:
      for (long i = 0; i < n; i++) y[i] = 1.f / (1.f + expf_(-y[i]));
      break;
    case ACT_TANH:
      for (long i = 0; i < n; i++) y[i] = tanhf_(y[i]);
      break;
    case ACT_ELU:
      for (long i = 0; i < n; i++) y[i] = y[i] > 0.f ? y[i] : expm1f_(y[i]);
      break;
    case ACT_SELU:
      for (long i = 0; i < n; i++) y[i] = y[i] > 0.f ? SELU_SCALE * y[i] : SELU_SCALE * SELU_ALPHA * expm1f_(y[i]);
      break;
    case ACT_SOFTMAX:
      for (int r = 0; r < rows; r++) {
        float* l = y + (long)r * K;
        float mx = l[0];
        for (int j = 1; j < K; j++) mx = l[j] > mx ? l[j] : mx;
        float s = 0.f;
        for (int j = 0; j < K; j++) s += (l[j] = expf_(l[j] - mx));
        for (int j = 0; j < K; j++) l[j] = l[j] / s;
      }
      break;
    default:
      break;
  }
}

/** In place: d = d · act'(…) from the activation's output y; SELU's from its input x (as tfjs: scale·alpha·exp(x), which
 *  y + scale·alpha would only give with cancellation). */
EXPORT void act_bwd(int kind, const float* y, const float* x, float* d, int rows, int K) {
  long n = (long)rows * K;
  switch (kind) {
    case ACT_RELU: {
      long i = 0;
      for (; i + 4 <= n; i += 4) VSTORE(d + i, wasm_v128_and(VLOAD(d + i), wasm_f32x4_gt(VLOAD(y + i), VSPLAT(0.f))));
      for (; i < n; i++) if (!(y[i] > 0.f)) d[i] = 0.f;
      break;
    }
    case ACT_RELU6: { // branch-free: MobileNet's activation, whose random mask made this loop mispredict (a third of a step)
      long i = 0;
      for (; i + 4 <= n; i += 4) {
        vf v = VLOAD(y + i);
        VSTORE(d + i, wasm_v128_and(VLOAD(d + i), wasm_v128_and(wasm_f32x4_gt(v, VSPLAT(0.f)), wasm_f32x4_lt(v, VSPLAT(6.f)))));
      }
      for (; i < n; i++) if (!(y[i] > 0.f && y[i] < 6.f)) d[i] = 0.f;
      break;
    }
    case ACT_SIGMOID:
      for (long i = 0; i < n; i++) d[i] = d[i] * (y[i] * (1.f - y[i]));
      break;
    case ACT_TANH:
      for (long i = 0; i < n; i++) d[i] = d[i] * (1.f - y[i] * y[i]);
      break;
    case ACT_ELU:
      for (long i = 0; i < n; i++) if (!(y[i] > 0.f)) d[i] = d[i] * (y[i] + 1.f);
      break;
    case ACT_SELU:
      for (long i = 0; i < n; i++) d[i] = x[i] > 0.f ? d[i] * SELU_SCALE : (d[i] * (SELU_SCALE * SELU_ALPHA)) * expf_(x[i]);
      break;
    case ACT_SOFTMAX:
      for (int r = 0; r < rows; r++) {
        const float* p = y + (long)r * K;
        float* g = d + (long)r * K;
        float s = 0.f;
        for (int j = 0; j < K; j++) s += g[j] * p[j];
        for (int j = 0; j < K; j++) g[j] = g[j] * p[j] - s * p[j];
      }
      break;
    default:
      break;
  }
}

/** Inverted dropout: y = x·mask, mask = 1/(1-rate) where u ≥ rate else 0 (tfjs: floor(u + keep)/keep); returns the RNG state. */
EXPORT unsigned dropout_fwd(float* x, float* mask, int n, float rate, unsigned state) {
  const float keep = 1.f - rate, inv = 1.f / keep;
  for (int i = 0; i < n; i++) {
    state ^= state << 13, state ^= state >> 17, state ^= state << 5; // xorshift32
    float u = (float)(state >> 8) * (1.f / 16777216.f);
    mask[i] = u + keep >= 1.f ? inv : 0.f;
    x[i] *= mask[i];
  }
  return state;
}

EXPORT void mul_inplace(float* d, const float* m, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) VSTORE(d + i, wasm_f32x4_mul(VLOAD(d + i), VLOAD(m + i)));
  for (; i < n; i++) d[i] *= m[i];
}

// ---- batch normalisation over the last axis (rows × C, NHWC or [N, C]) ---------------------------
// Sums in double per channel, as tfjs's cpu Sum accumulates in a JS number; float32 results.

/** tf.moments: mean = Σx / rows, var = Σ (x − mean)² / rows (biased), each deviation and square rounded to float32. acc: 2·C doubles. */
EXPORT void bn_moments(const float* x, float* mean, float* var, double* acc, int rows, int C) {
  for (int c = 0; c < 2 * C; c++) acc[c] = 0;
  const int C4 = C & ~3;
  for (long r = 0; r < rows; r++) {
    const float* xr = x + r * C;
    for (int c = 0; c < C4; c += 4) {
      vf v = VLOAD(xr + c);
      VSTORE(acc + c, wasm_f64x2_add(VLOAD(acc + c), wasm_f64x2_promote_low_f32x4(v)));
      VSTORE(acc + c + 2, wasm_f64x2_add(VLOAD(acc + c + 2), wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1))));
    }
    for (int c = C4; c < C; c++) acc[c] += xr[c];
  }
  for (int c = 0; c < C; c++) mean[c] = (float)(acc[c] / rows);
  for (long r = 0; r < rows; r++) {
    const float* xr = x + r * C;
    for (int c = 0; c < C4; c += 4) {
      vf dev = wasm_f32x4_sub(VLOAD(xr + c), VLOAD(mean + c));
      vf sq = wasm_f32x4_mul(dev, dev);
      double* a = acc + C + c;
      VSTORE(a, wasm_f64x2_add(VLOAD(a), wasm_f64x2_promote_low_f32x4(sq)));
      VSTORE(a + 2, wasm_f64x2_add(VLOAD(a + 2), wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(sq, sq, 2, 3, 0, 1))));
    }
    for (int c = C4; c < C; c++) {
      float dev = xr[c] - mean[c];
      acc[C + c] += (double)(dev * dev);
    }
  }
  for (int c = 0; c < C; c++) var[c] = (float)(acc[C + c] / rows);
}

/**
 * tfjs's batchNorm kernel: y = beta + (x − mean)·gamma / sqrt(var + eps); keeps 1/sqrt(var + eps) per channel
 * in invStd (double). Per element in float32 with gamma/sqrt(var + eps) rounded once per channel (scratch:
 * `acc`, C floats), within a float32 rounding or two of tfjs's double arithmetic.
 */
EXPORT void bn_apply(const float* x, float* y, const float* mean, const float* var, const float* gamma, const float* beta, float eps,
                     double* invStd, float* scratch, int rows, int C) {
  for (int c = 0; c < C; c++) {
    invStd[c] = 1.0 / __builtin_sqrt((double)var[c] + (double)eps);
    scratch[c] = (float)((double)gamma[c] * invStd[c]);
  }
  const int C4 = C & ~3;
  for (long r = 0; r < rows; r++) {
    const float* xr = x + r * C;
    float* yr = y + r * C;
    for (int c = 0; c < C4; c += 4)
      VSTORE(yr + c, wasm_f32x4_add(VLOAD(beta + c), wasm_f32x4_mul(wasm_f32x4_sub(VLOAD(xr + c), VLOAD(mean + c)), VLOAD(scratch + c))));
    for (int c = C4; c < C; c++) yr[c] = beta[c] + (xr[c] - mean[c]) * scratch[c];
  }
}

/**
 * Gradients of a training-mode batch normalisation (through the batch's moments too): dgamma = Σ d·x̂,
 * dbeta = Σ d, dx = gamma·invStd·(d − Σd/rows − x̂·Σ(d·x̂)/rows), x̂ = (x − mean)·invStd. acc: 2·C doubles.
 */
EXPORT void bn_bwd(const float* x, const float* d, float* dx, const float* mean, const double* invStd, const float* gamma, float* dgamma,
                   float* dbeta, double* acc, int rows, int C, int needDx) {
  for (int c = 0; c < 2 * C; c++) acc[c] = 0;
  for (long r = 0; r < rows; r++) {
    const float* xr = x + r * C;
    const float* dr = d + r * C;
    for (int c = 0; c < C; c++) {
      acc[c] += dr[c];
      acc[C + c] += (double)dr[c] * ((double)xr[c] - (double)mean[c]) * invStd[c];
    }
  }
  for (int c = 0; c < C; c++) {
    dbeta[c] = (float)acc[c];
    dgamma[c] = (float)acc[C + c];
  }
  if (!needDx) return;
  // Per-channel constants in float, after the 2·C doubles of acc: s = gamma·invStd, a = Σd/rows, b = invStd·Σ(d·x̂)/rows.
  float* k = (float*)(acc + 2 * C);
  for (int c = 0; c < C; c++) {
    double sd = acc[c], sdx = acc[C + c];
    float s = (float)((double)gamma[c] * invStd[c]), a = (float)(sd / rows), b = (float)(invStd[c] * sdx / rows);
    k[c] = s;
    k[C + c] = a;
    k[2 * C + c] = b;
  }
  const int C4 = C & ~3;
  for (long r = 0; r < rows; r++) {
    const float* xr = x + r * C;
    const float* dr = d + r * C;
    float* out = dx + r * C;
    for (int c = 0; c < C4; c += 4) {
      vf xm = wasm_f32x4_sub(VLOAD(xr + c), VLOAD(mean + c));
      vf inner = wasm_f32x4_sub(wasm_f32x4_sub(VLOAD(dr + c), VLOAD(k + C + c)), wasm_f32x4_mul(xm, VLOAD(k + 2 * C + c)));
      VSTORE(out + c, wasm_f32x4_mul(VLOAD(k + c), inner));
    }
    for (int c = C4; c < C; c++) out[c] = k[c] * ((dr[c] - k[C + c]) - (xr[c] - mean[c]) * k[2 * C + c]);
  }
}

// ---- optimizers (tfjs-core 4.22's operation order; scalars precomputed in float32 by the caller) ----

/** SGD: p = (-lr)·g + p. */
EXPORT void sgd_update(float* p, const float* g, int n, float negLr) {
  for (int i = 0; i < n; i++) p[i] = negLr * g[i] + p[i];
}

/** Momentum: acc = m·acc + g; p = (-lr)·acc + p, or (-lr)·(g + acc·m) + p with Nesterov. */
EXPORT void momentum_update(float* p, const float* g, float* acc, int n, float negLr, float m, int nesterov) {
  for (int i = 0; i < n; i++) {
    float a = m * acc[i] + g[i];
    acc[i] = a;
    p[i] = nesterov ? negLr * (g[i] + a * m) + p[i] : negLr * a + p[i];
  }
}

/** Adam: m1 = m1·b1 + g·(1-b1); m2 = m2·b2 + g²·(1-b2); p = (m1/ob1) / (sqrt(m2/ob2) + eps) · (-lr) + p. */
EXPORT void adam_update(float* p, const float* g, float* m1, float* m2, int n, float negLr, float b1, float c1, float b2, float c2,
                        float eps, float ob1, float ob2) {
  vf vb1 = VSPLAT(b1), vc1 = VSPLAT(c1), vb2 = VSPLAT(b2), vc2 = VSPLAT(c2), veps = VSPLAT(eps), vo1 = VSPLAT(ob1), vo2 = VSPLAT(ob2), vlr = VSPLAT(negLr);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    vf gv = VLOAD(g + i);
    vf m = wasm_f32x4_add(wasm_f32x4_mul(VLOAD(m1 + i), vb1), wasm_f32x4_mul(gv, vc1));
    vf v = wasm_f32x4_add(wasm_f32x4_mul(VLOAD(m2 + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(gv, gv), vc2));
    VSTORE(m1 + i, m);
    VSTORE(m2 + i, v);
    vf step = wasm_f32x4_div(wasm_f32x4_div(m, vo1), wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(v, vo2)), veps));
    VSTORE(p + i, wasm_f32x4_add(wasm_f32x4_mul(step, vlr), VLOAD(p + i)));
  }
  for (; i < n; i++) {
    float m = m1[i] * b1 + g[i] * c1, v = m2[i] * b2 + (g[i] * g[i]) * c2;
    m1[i] = m, m2[i] = v;
    p[i] = ((m / ob1) / (__builtin_sqrtf(v / ob2) + eps)) * negLr + p[i];
  }
}

/** RMSProp: ms = ms·decay + g²·(1-decay); plain: mom = mom·momentum + g·lr/sqrt(ms + eps); centered: mg = mg·decay + g·(1-decay),
 *  mom = mom·momentum + g·lr/sqrt(ms - (mg² + eps)); p = p - mom. */
EXPORT void rmsprop_update(float* p, const float* g, float* ms, float* mom, float* mg, int n, float lr, float decay, float c,
                           float momentum, float eps, int centered) {
  for (int i = 0; i < n; i++) {
    float s = ms[i] * decay + (g[i] * g[i]) * c;
    ms[i] = s;
    float denom;
    if (centered) {
      float a = mg[i] * decay + g[i] * c;
      mg[i] = a;
      denom = __builtin_sqrtf(s - (a * a + eps));
    } else {
      denom = __builtin_sqrtf(s + eps);
    }
    float m = mom[i] * momentum + (g[i] * lr) / denom;
    mom[i] = m;
    p[i] = p[i] - m;
  }
}

// ---- depthwise convolution (DepthwiseConv2D, the first half of SeparableConv2D; input already padded, dilation 1) ----
// tfjs: y[n,oh,ow,c·M+m] = Σ_{kh,kw} x[n, oh·SH+kh, ow·SW+kw, c] · w[kh,kw,c,m]. With the input's channels repeated M times
// (dw_expand: xe[..., c·M+m] = x[..., c]) the filter [FH,FW,C,M] is [FH,FW,D] over D = C·M lanes that each read one
// channel of xe, so the kernels below load x, w and y contiguously four lanes at a time; M = 1 needs no expansion.

/** xe[r, c·M+m] = x[r, c] for `rows` rows of C channels. */
EXPORT void dw_expand(const float* x, float* xe, int rows, int C, int M) {
  for (long r = 0; r < rows; r++) {
    const float* xr = x + r * C;
    float* er = xe + r * C * M;
    for (int c = 0; c < C; c++)
      for (int m = 0; m < M; m++) er[c * M + m] = xr[c];
  }
}

/** dx[r, c] = Σ_m dxe[r, c·M+m]: the gradient of dw_expand. */
EXPORT void dw_reduce(const float* dxe, float* dx, int rows, int C, int M) {
  for (long r = 0; r < rows; r++) {
    const float* er = dxe + r * C * M;
    float* xr = dx + r * C;
    for (int c = 0; c < C; c++) {
      float s = er[c * M];
      for (int m = 1; m < M; m++) s += er[c * M + m];
      xr[c] = s;
    }
  }
}

// One output pixel, NV vectors of lanes from d0: the sum over (kh,kw) in tfjs cpu's order from 0, then the bias (tfjs adds
// it with a separate biasAdd).
#define DEF_DF(NV)                                                                                          \
  INLINE void df_##NV(const float* xb, const float* w, const float* b, float* yp, int W, int D, int FH, int FW, int d0) { \
    vf acc[NV];                                                                                             \
    for (int v = 0; v < NV; v++) acc[v] = VSPLAT(0.f);                                                     \
    for (int kh = 0; kh < FH; kh++)                                                                         \
      for (int kw = 0; kw < FW; kw++) {                                                                     \
        const float* xp = xb + ((long)kh * W + kw) * D + d0;                                                \
        const float* wp = w + ((long)kh * FW + kw) * D + d0;                                                \
        for (int v = 0; v < NV; v++) acc[v] = MADD(VLOAD(xp + 4 * v), VLOAD(wp + 4 * v), acc[v]);         \
      }                                                                                                     \
    for (int v = 0; v < NV; v++) VSTORE(yp + d0 + 4 * v, b ? wasm_f32x4_add(acc[v], VLOAD(b + d0 + 4 * v)) : acc[v]); \
  }
DEF_DF(4) DEF_DF(1)

/** y[n,oh,ow,d] = Σ_{kh,kw} x[n, oh·SH+kh, ow·SW+kw, d] · w[kh,kw,d] (+ b[d]); x is [N,H,W,D] (padded, expanded). */
EXPORT void dw_fwd(const float* x, const float* w, const float* b, float* y, int N, int H, int W, int D, int OH, int OW, int FH,
                   int FW, int SH, int SW) {
  const int D4 = D & ~3;
  for (int n = 0; n < N; n++)
    for (int oh = 0; oh < OH; oh++)
      for (int ow = 0; ow < OW; ow++) {
        const float* xb = x + (((long)n * H + (long)oh * SH) * W + (long)ow * SW) * D;
        float* yp = y + (((long)n * OH + oh) * OW + ow) * D;
        int d0 = 0;
        for (; d0 + 16 <= D; d0 += 16) df_4(xb, w, b, yp, W, D, FH, FW, d0);
        for (; d0 + 4 <= D; d0 += 4) df_1(xb, w, b, yp, W, D, FH, FW, d0);
        for (int d = D4; d < D; d++) {
          float s = 0.f;
          for (int kh = 0; kh < FH; kh++)
            for (int kw = 0; kw < FW; kw++) s += xb[((long)kh * W + kw) * D + d] * w[((long)kh * FW + kw) * D + d];
          yp[d] = b ? s + b[d] : s;
        }
      }
}

/**
 * dw[kh,kw,d] = Σ_{n,oh,ow} x[n, oh·SH+kh, ow·SW+kw, d] · dy[n,oh,ow,d], summed in (n,oh,ow) order as tfjs cpu's
 * DepthwiseConv2dNativeBackpropFilter. Output rows are tiled (about 256 positions) so the tile of x and dy stays in cache
 * while each (kh,kw, 16 lanes) block keeps its sums in registers over it.
 */
EXPORT void dw_bwd_filter(const float* x, const float* dy, float* dw, int N, int H, int W, int D, int OH, int OW, int FH, int FW,
                          int SH, int SW) {
  __builtin_memset(dw, 0, sizeof(float) * (unsigned long)FH * FW * D);
  const long total = (long)N * OH;
  const long T = OW >= 256 ? 1 : 256 / OW;
  const int D4 = D & ~3;
  for (long t0 = 0; t0 < total; t0 += T) {
    long t1 = t0 + T < total ? t0 + T : total;
    for (int kh = 0; kh < FH; kh++)
      for (int kw = 0; kw < FW; kw++) {
        float* g = dw + ((long)kh * FW + kw) * D;
        int d0 = 0;
        for (; d0 + 16 <= D; d0 += 16) {
          vf a0 = VLOAD(g + d0), a1 = VLOAD(g + d0 + 4), a2 = VLOAD(g + d0 + 8), a3 = VLOAD(g + d0 + 12);
          for (long t = t0; t < t1; t++) {
            long n = t / OH, oh = t - n * OH;
            const float* xr = x + ((n * H + oh * SH + kh) * W + kw) * D + d0;
            const float* dr = dy + t * OW * D + d0;
            for (int ow = 0; ow < OW; ow++) {
              const float* xp = xr + (long)ow * SW * D;
              const float* dp = dr + (long)ow * D;
              a0 = MADD(VLOAD(xp), VLOAD(dp), a0);
              a1 = MADD(VLOAD(xp + 4), VLOAD(dp + 4), a1);
              a2 = MADD(VLOAD(xp + 8), VLOAD(dp + 8), a2);
              a3 = MADD(VLOAD(xp + 12), VLOAD(dp + 12), a3);
            }
          }
          VSTORE(g + d0, a0), VSTORE(g + d0 + 4, a1), VSTORE(g + d0 + 8, a2), VSTORE(g + d0 + 12, a3);
        }
        for (; d0 + 4 <= D; d0 += 4) {
          vf a = VLOAD(g + d0);
          for (long t = t0; t < t1; t++) {
            long n = t / OH, oh = t - n * OH;
            const float* xr = x + ((n * H + oh * SH + kh) * W + kw) * D + d0;
            const float* dr = dy + t * OW * D + d0;
            for (int ow = 0; ow < OW; ow++) a = MADD(VLOAD(xr + (long)ow * SW * D), VLOAD(dr + (long)ow * D), a);
          }
          VSTORE(g + d0, a);
        }
        for (int d = D4; d < D; d++) {
          float s = g[d];
          for (long t = t0; t < t1; t++) {
            long n = t / OH, oh = t - n * OH;
            const float* xr = x + ((n * H + oh * SH + kh) * W + kw) * D + d;
            const float* dr = dy + t * OW * D + d;
            for (int ow = 0; ow < OW; ow++) s += xr[(long)ow * SW * D] * dr[(long)ow * D];
          }
          g[d] = s;
        }
      }
  }
}

/** dx[n, oh·SH+kh, ow·SW+kw, d] += dy[n,oh,ow,d] · w[kh,kw,d] into the padded, expanded dx [N,H,W,D] (zeroed first). */
EXPORT void dw_bwd_input(const float* dy, const float* w, float* dx, int N, int H, int W, int D, int OH, int OW, int FH, int FW,
                         int SH, int SW) {
  __builtin_memset(dx, 0, sizeof(float) * (unsigned long)N * H * W * D);
  const int D4 = D & ~3;
  for (int n = 0; n < N; n++)
    for (int oh = 0; oh < OH; oh++)
      for (int ow = 0; ow < OW; ow++) {
        const float* dp = dy + (((long)n * OH + oh) * OW + ow) * D;
        float* xb = dx + (((long)n * H + (long)oh * SH) * W + (long)ow * SW) * D;
        int d0 = 0;
        for (; d0 + 16 <= D; d0 += 16) {
          vf g0 = VLOAD(dp + d0), g1 = VLOAD(dp + d0 + 4), g2 = VLOAD(dp + d0 + 8), g3 = VLOAD(dp + d0 + 12);
          for (int kh = 0; kh < FH; kh++)
            for (int kw = 0; kw < FW; kw++) {
              float* xp = xb + ((long)kh * W + kw) * D + d0;
              const float* wp = w + ((long)kh * FW + kw) * D + d0;
              VSTORE(xp, MADD(g0, VLOAD(wp), VLOAD(xp)));
              VSTORE(xp + 4, MADD(g1, VLOAD(wp + 4), VLOAD(xp + 4)));
              VSTORE(xp + 8, MADD(g2, VLOAD(wp + 8), VLOAD(xp + 8)));
              VSTORE(xp + 12, MADD(g3, VLOAD(wp + 12), VLOAD(xp + 12)));
            }
        }
        for (; d0 + 4 <= D; d0 += 4) {
          vf g = VLOAD(dp + d0);
          for (int kh = 0; kh < FH; kh++)
            for (int kw = 0; kw < FW; kw++) {
              float* xp = xb + ((long)kh * W + kw) * D + d0;
              VSTORE(xp, MADD(g, VLOAD(w + ((long)kh * FW + kw) * D + d0), VLOAD(xp)));
            }
        }
        for (int d = D4; d < D; d++)
          for (int kh = 0; kh < FH; kh++)
            for (int kw = 0; kw < FW; kw++) xb[((long)kh * W + kw) * D + d] += dp[d] * w[((long)kh * FW + kw) * D + d];
      }
}

// ---- global pooling over H·W (GlobalAveragePooling2D, GlobalMaxPooling2D; NHWC in, [N, C] out) ---------------------

/** tf.mean over axes 1, 2 as tfjs cpu's Mean: each x / HW in float32, summed in double (its Sum), rounded once. acc: C doubles. */
EXPORT void gap_fwd(const float* x, float* y, double* acc, int N, int HW, int C) {
  const float div = (float)HW;
  for (int n = 0; n < N; n++) {
    for (int c = 0; c < C; c++) acc[c] = 0;
    const float* xn = x + (long)n * HW * C;
    for (long p = 0; p < HW; p++)
      for (int c = 0; c < C; c++) acc[c] += (double)(xn[p * C + c] / div);
    for (int c = 0; c < C; c++) y[(long)n * C + c] = (float)acc[c];
  }
}

/** Mean's gradient: dx[n,p,c] = dy[n,c] / HW (tfjs: dy · ones / reduceSize). */
EXPORT void gap_bwd(const float* dy, float* dx, int N, int HW, int C) {
  const vf div = VSPLAT((float)HW);
  const int C4 = C & ~3;
  for (int n = 0; n < N; n++) {
    const float* dn = dy + (long)n * C;
    for (long p = 0; p < HW; p++) {
      float* xp = dx + ((long)n * HW + p) * C;
      for (int c = 0; c < C4; c += 4) VSTORE(xp + c, wasm_f32x4_div(VLOAD(dn + c), div));
      for (int c = C4; c < C; c++) xp[c] = dn[c] / (float)HW;
    }
  }
}

/** tf.max over axes 1, 2. */
EXPORT void gmp_fwd(const float* x, float* y, int N, int HW, int C) {
  for (int n = 0; n < N; n++) {
    const float* xn = x + (long)n * HW * C;
    float* yn = y + (long)n * C;
    for (int c = 0; c < C; c++) yn[c] = xn[c];
    for (long p = 1; p < HW; p++)
      for (int c = 0; c < C; c++) yn[c] = xn[p * C + c] > yn[c] ? xn[p * C + c] : yn[c];
  }
}

/** Max's gradient as tfjs's (gradForMinAndMax): dy to every input equal to the maximum, ties included. */
EXPORT void gmp_bwd(const float* x, const float* y, const float* dy, float* dx, int N, int HW, int C) {
  for (int n = 0; n < N; n++)
    for (long p = 0; p < HW; p++) {
      long i = ((long)n * HW + p) * C;
      for (int c = 0; c < C; c++) dx[i + c] = x[i + c] == y[(long)n * C + c] ? dy[(long)n * C + c] : 0.f;
    }
}
// ---- transposed convolution (conv2d_bwd_input forward, conv2d_fwd / conv2d_bwd_filter backward) -----

/** y[row, k] += b[k] over rows×K: a transposed convolution's bias, after conv2d_bwd_input (which zeroes its output first). */
EXPORT void bias_add(float* y, const float* b, int rows, int K) {
  for (long r = 0; r < rows; r++) {
    float* yr = y + r * K;
    int k = 0;
    for (; k + 4 <= K; k += 4) VSTORE(yr + k, wasm_f32x4_add(VLOAD(yr + k), VLOAD(b + k)));
    for (; k < K; k++) yr[k] += b[k];
  }
}
