// BatchNorm2d in training, two passes each way, over channels-last tensors x [N][HW][C] (P = N·HW pixels) in the tfjs
// wasm backend's own memory, fused with what surrounds it in the network's blocks (Conv → ReLU → BatchNorm →
// Dropout2d): with `relu` set, x is the ReLU's input and the layer normalises max(x, 0); with `mask` set (non-zero),
// the output is scaled by Dropout2d's mask [N][C] (already 1/(1 − rate) or 0). So one kernel call reads the
// convolution's output and writes the block's output, and one call takes the block's gradient back to the
// convolution's, where four kernels each read and wrote the whole tensor. Needs C % 4 == 0. Pointers are byte
// offsets. Compiled into modules.ts by npm run build:wasm.
//
// The per-channel sums go over pixels in blocks of 64, per group of 4 channels: float32 partial sums over a block,
// then added in block order into float64 totals. This order is part of the committed numbers (as are the ReLU, the
// "+ 0" of the mask and the arithmetic of each value); keep it or rerun them.
//
// Each pass runs as units of UNIT_BLOCKS blocks (threads.ts), which write their own blocks' values: the blocks'
// partial sums [blocks][2C] and, in the last pass, the output. blockTotals() adds the partial sums up, in block
// order, one group of four columns per unit. So the numbers do not depend on which thread runs which unit.
#include <wasm_simd128.h>

#define BLOCK 64
#define UNIT_BLOCKS 16
#define INLINE static inline __attribute__((always_inline))

// max(x, 0) with tfjs's Relu's signs: −0 → +0 (the + 0) and NaN stays NaN (pmax keeps x unless x < 0).
INLINE v128_t relu(v128_t x) {
  return wasm_f32x4_add(wasm_f32x4_pmax(x, wasm_f32x4_splat(0.0f)), wasm_f32x4_splat(0.0f));
}

// x·m + 0, m a mask row's four channels (the + 0 turns −0 into +0)
INLINE v128_t masked(v128_t x, v128_t m) {
  return wasm_f32x4_add(wasm_f32x4_mul(x, m), wasm_f32x4_splat(0.0f));
}

// Each function below is one body inlined for each combination of ReLU and mask, so that the loops carry no tests.
#define SPECIALISE(body, ...) \
  if (withRelu) { if (mask) body(__VA_ARGS__, 1, 1); else body(__VA_ARGS__, 1, 0); } \
  else { if (mask) body(__VA_ARGS__, 0, 1); else body(__VA_ARGS__, 0, 0); }

// The pixels [*start, *end) of unit `unit`'s blocks.
INLINE void unitPixels(int unit, int P, int *start, int *end) {
  *start = unit * UNIT_BLOCKS * BLOCK;
  *end = *start + UNIT_BLOCKS * BLOCK < P ? *start + UNIT_BLOCKS * BLOCK : P;
}

// shift[c] = the first pixel's (ReLU'd) value, from which the forward sums take deviations, so that large means
// cost no precision.
__attribute__((export_name("forwardShift")))
void forwardShift(const float *x, float *shift, int C, int withRelu) {
  for (int c = 0; c < C; c += 4) {
    v128_t u = wasm_v128_load(x + c);
    wasm_v128_store(shift + c, withRelu ? relu(u) : u);
  }
}

// Forward pass 1, per block: partials[block][c] = Σ (u − shift[c]), partials[block][C + c] = Σ (u − shift[c])², u the
// (ReLU'd) input.
INLINE void forwardSumsWith(const float *x, const float *shift, float *partials, int P, int C, int unit, int withRelu) {
  int start, stop;
  unitPixels(unit, P, &start, &stop);
  for (int p0 = start; p0 < stop; p0 += BLOCK) {
    int end = p0 + BLOCK < stop ? p0 + BLOCK : stop;
    float *out = partials + (p0 / BLOCK) * 2 * C;
    for (int g = 0; g < C; g += 4) {
      v128_t mu = wasm_v128_load(shift + g), s1 = wasm_f32x4_splat(0.0f), s2 = s1;
      for (const float *at = x + p0 * C + g, *last = x + end * C + g; at < last; at += C) {
        v128_t u = wasm_v128_load(at);
        if (withRelu) u = relu(u);
        v128_t a = wasm_f32x4_sub(u, mu);
        s1 = wasm_f32x4_add(s1, a);
        s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(a, a));
      }
      wasm_v128_store(out + g, s1);
      wasm_v128_store(out + C + g, s2);
    }
  }
}

__attribute__((export_name("forwardSums")))
void forwardSums(const float *x, const float *shift, float *partials, int P, int C, int withRelu, int unit, int thread) {
  if (withRelu) forwardSumsWith(x, shift, partials, P, C, unit, 1);
  else forwardSumsWith(x, shift, partials, P, C, unit, 0);
}

// sums[j] = Σ over blocks, in order, of partials[block][j], in float64, for the four columns j = 4·unit … 4·unit + 3
// of the 2C.
__attribute__((export_name("blockTotals")))
void blockTotals(const float *partials, double *sums, int blocks, int C, int unit, int thread) {
  double t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  for (const float *at = partials + 4 * unit, *last = at + blocks * 2 * C; at < last; at += 2 * C) {
    t0 += at[0];
    t1 += at[1];
    t2 += at[2];
    t3 += at[3];
  }
  sums[4 * unit] = t0;
  sums[4 * unit + 1] = t1;
  sums[4 * unit + 2] = t2;
  sums[4 * unit + 3] = t3;
}

// Forward pass 2: y = ((u − mean[c])·scale[c] + beta[c]) · mask[n, c] + 0; params holds mean, scale (γ/σ) and
// beta, C floats each.
INLINE void forwardApplyWith(const float *x, const float *mask, float *y, const float *params, int P, int HW, int C,
                             int unit, int withRelu, int withMask) {
  int start, stop;
  unitPixels(unit, P, &start, &stop);
  for (int p0 = start; p0 < stop; p0 += BLOCK) {
    int end = p0 + BLOCK < stop ? p0 + BLOCK : stop;
    for (int g = 0; g < C; g += 4) {
      v128_t mean = wasm_v128_load(params + g), scale = wasm_v128_load(params + C + g), beta = wasm_v128_load(params + 2 * C + g);
      for (int p = p0, n = p0 / HW; p < end; n++) {
        int last = (n + 1) * HW < end ? (n + 1) * HW : end;
        v128_t m = withMask ? wasm_v128_load(mask + n * C + g) : mean;
        for (; p < last; p++) {
          v128_t u = wasm_v128_load(x + p * C + g);
          if (withRelu) u = relu(u);
          v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sub(u, mean), scale), beta);
          wasm_v128_store(y + p * C + g, withMask ? masked(v, m) : v);
        }
      }
    }
  }
}

__attribute__((export_name("forwardApply")))
void forwardApply(const float *x, const float *mask, float *y, const float *params, int P, int HW, int C, int withRelu,
                  int unit, int thread) {
  SPECIALISE(forwardApplyWith, x, mask, y, params, P, HW, C, unit)
}

// Backward pass 1, per block, with dy the gradient at the normalisation's output (dz·mask, or dz):
// partials[block][c] = Σ dy, partials[block][C + c] = Σ dy·(u − mean[c]). A block of pixels is taken in runs within
// one sample, each run under one mask row.
INLINE void backwardSumsWith(const float *dz, const float *mask, const float *x, const float *mean, float *partials,
                             int P, int HW, int C, int unit, int withRelu, int withMask) {
  int start, stop;
  unitPixels(unit, P, &start, &stop);
  for (int p0 = start; p0 < stop; p0 += BLOCK) {
    int end = p0 + BLOCK < stop ? p0 + BLOCK : stop;
    float *out = partials + (p0 / BLOCK) * 2 * C;
    for (int g = 0; g < C; g += 4) {
      v128_t mu = wasm_v128_load(mean + g), s1 = wasm_f32x4_splat(0.0f), s2 = s1;
      for (int p = p0, n = p0 / HW; p < end; n++) {
        int last = (n + 1) * HW < end ? (n + 1) * HW : end;
        v128_t m = withMask ? wasm_v128_load(mask + n * C + g) : mu;
        for (; p < last; p++) {
          v128_t dy = wasm_v128_load(dz + p * C + g);
          if (withMask) dy = masked(dy, m);
          v128_t u = wasm_v128_load(x + p * C + g);
          if (withRelu) u = relu(u);
          s1 = wasm_f32x4_add(s1, dy);
          s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(dy, wasm_f32x4_sub(u, mu)));
        }
      }
      wasm_v128_store(out + g, s1);
      wasm_v128_store(out + C + g, s2);
    }
  }
}

__attribute__((export_name("backwardSums")))
void backwardSums(const float *dz, const float *mask, const float *x, const float *mean, float *partials, int P, int HW,
                  int C, int withRelu, int unit, int thread) {
  SPECIALISE(backwardSumsWith, dz, mask, x, mean, partials, P, HW, C, unit)
}

// Backward pass 2: t = ((dy − meanDy[c])·scale[c] + (u − mean[c])·slope[c]) + 0, the normalisation's input gradient;
// with the ReLU, dx = t where x > 0, 0 where x ≤ 0, x where x is NaN (tfjs's dy·step(x)). params holds meanDy, scale
// (γ/σ), mean and slope (−γ·dγ/(σ²·P)), C floats each.
INLINE void backwardApplyWith(const float *dz, const float *mask, const float *x, const float *params, float *dx, int P,
                              int HW, int C, int unit, int withRelu, int withMask) {
  v128_t zero = wasm_f32x4_splat(0.0f);
  int start, stop;
  unitPixels(unit, P, &start, &stop);
  for (int p0 = start; p0 < stop; p0 += BLOCK) {
    int end = p0 + BLOCK < stop ? p0 + BLOCK : stop;
    for (int g = 0; g < C; g += 4) {
      v128_t meanDy = wasm_v128_load(params + g), scale = wasm_v128_load(params + C + g);
      v128_t mean = wasm_v128_load(params + 2 * C + g), slope = wasm_v128_load(params + 3 * C + g);
      for (int p = p0, n = p0 / HW; p < end; n++) {
        int last = (n + 1) * HW < end ? (n + 1) * HW : end;
        v128_t m = withMask ? wasm_v128_load(mask + n * C + g) : zero;
        for (; p < last; p++) {
          v128_t dy = wasm_v128_load(dz + p * C + g);
          if (withMask) dy = masked(dy, m);
          v128_t xs = wasm_v128_load(x + p * C + g);
          v128_t u = withRelu ? relu(xs) : xs;
          v128_t t = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sub(dy, meanDy), scale),
                                                   wasm_f32x4_mul(wasm_f32x4_sub(u, mean), slope)), zero);
          if (withRelu) t = wasm_v128_bitselect(xs, wasm_v128_and(t, wasm_f32x4_gt(xs, zero)), wasm_f32x4_ne(xs, xs));
          wasm_v128_store(dx + p * C + g, t);
        }
      }
    }
  }
}

__attribute__((export_name("backwardApply")))
void backwardApply(const float *dz, const float *mask, const float *x, const float *params, float *dx, int P, int HW,
                   int C, int withRelu, int unit, int thread) {
  SPECIALISE(backwardApplyWith, dz, mask, x, params, dx, P, HW, C, unit)
}
