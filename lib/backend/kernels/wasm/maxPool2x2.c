// A 2×2 max pool of stride 2 without padding, NHWC, over an input of even height and width, and its gradient, for
// the tfjs wasm backend's own memory. Every input position lies in exactly one window. The maximum is the first in
// row-major order that beats all before it, starting from −∞, so NaN never wins (as the cpu backend has it); the
// gradient sends dy to that position and writes zero to the others, each dx value once, with no zeroing pass and no
// scattered adds (maxPoolGrad.wat's general case has both). One image per unit of work (threads.ts); four channels
// per vector, C % 4 == 0. Pointers are byte offsets. Compiled into modules.ts by npm run build:wasm.
#include <wasm_simd128.h>

typedef v128_t f32x4;

// dy where `wins`, else +0 (0 + dy, as the general kernel's zeroed dx plus dy gives: −0 becomes +0).
static inline f32x4 routed(f32x4 dy, f32x4 wins) {
  return wasm_f32x4_add(wasm_f32x4_splat(0.0f), wasm_v128_and(dy, wins));
}

__attribute__((export_name("maxPool2x2")))
void maxPool2x2(const float *x, float *y, int B, int H, int W, int C, int unit, int thread) {
  int OH = H / 2, OW = W / 2, row = W * C;
  for (int oy = 0; oy < OH; oy++) {
    for (int ox = 0; ox < OW; ox++) {
      int at = ((unit * H + 2 * oy) * W + 2 * ox) * C;
      float *out = y + ((unit * OH + oy) * OW + ox) * C;
      for (int c = 0; c < C; c += 4) {
        f32x4 best = wasm_f32x4_splat(-__builtin_inff());
        f32x4 v = wasm_v128_load(x + at + c);
        best = wasm_v128_bitselect(v, best, wasm_f32x4_gt(v, best));
        v = wasm_v128_load(x + at + C + c);
        best = wasm_v128_bitselect(v, best, wasm_f32x4_gt(v, best));
        v = wasm_v128_load(x + at + row + c);
        best = wasm_v128_bitselect(v, best, wasm_f32x4_gt(v, best));
        v = wasm_v128_load(x + at + row + C + c);
        best = wasm_v128_bitselect(v, best, wasm_f32x4_gt(v, best));
        wasm_v128_store(out + c, best);
      }
    }
  }
}

__attribute__((export_name("maxPoolGrad2x2")))
void maxPoolGrad2x2(const float *x, const float *dy, float *dx, int B, int H, int W, int C, int unit, int thread) {
  int OH = H / 2, OW = W / 2, row = W * C;
  for (int oy = 0; oy < OH; oy++) {
    for (int ox = 0; ox < OW; ox++) {
      int at = ((unit * H + 2 * oy) * W + 2 * ox) * C;
      const float *g = dy + ((unit * OH + oy) * OW + ox) * C;
      for (int c = 0; c < C; c += 4) {
        f32x4 x0 = wasm_v128_load(x + at + c), x1 = wasm_v128_load(x + at + C + c);
        f32x4 x2 = wasm_v128_load(x + at + row + c), x3 = wasm_v128_load(x + at + row + C + c);
        // the first maximum, as "best = −∞; for each value: if value > best, it is the best so far"
        f32x4 w0 = wasm_f32x4_gt(x0, wasm_f32x4_splat(-__builtin_inff()));
        f32x4 best = wasm_v128_bitselect(x0, wasm_f32x4_splat(-__builtin_inff()), w0);
        f32x4 w1 = wasm_f32x4_gt(x1, best);
        best = wasm_v128_bitselect(x1, best, w1);
        f32x4 w2 = wasm_f32x4_gt(x2, best);
        best = wasm_v128_bitselect(x2, best, w2);
        f32x4 w3 = wasm_f32x4_gt(x3, best);
        f32x4 later3 = w3, later2 = wasm_v128_or(w2, w3), later1 = wasm_v128_or(w1, later2);
        f32x4 d = wasm_v128_load(g + c);
        wasm_v128_store(dx + at + c, routed(d, wasm_v128_andnot(w0, later1)));
        wasm_v128_store(dx + at + C + c, routed(d, wasm_v128_andnot(w1, later2)));
        wasm_v128_store(dx + at + row + c, routed(d, wasm_v128_andnot(w2, later3)));
        wasm_v128_store(dx + at + row + C + c, routed(d, w3));
      }
    }
  }
}
