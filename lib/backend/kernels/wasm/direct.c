// Direct convolution, NHWC, for the convolutions Winograd (winograd.c) does not take — the network's first layer (one
// input channel) and its 1×1 layers — forward and filter gradient, any filter size, stride and padding, in the tfjs
// wasm backend's own memory:
//
//   y[b, oy, ox, k]  = Σ over r, s, c of x[b, oy·sh + r − top, ox·sw + s − left, c] · w[r, s, c, k]   (zero outside x)
//   dw[r, s, c, k]   = Σ over b, oy, ox of x[b, oy·sh + r − top, ox·sw + s − left, c] · dy[b, oy, ox, k]
//
// Eight output channels at a time (two SIMD vectors; needs K % 8 == 0), in registers with four pixels (forward) or
// four input channels (filter gradient). The forward runs one image per unit of work; the filter gradient sums the
// images of each unit (GRAD_IMAGES of them) into the unit's own partial sum, and sumPartials() adds those up in
// unit order, so no number depends on how many threads ran the units (threads.ts). Pointers are byte offsets.
// Compiled into modules.ts by npm run build:wasm.
#include <wasm_simd128.h>

typedef v128_t f32x4;

#define EXPORT(name) __attribute__((export_name(name)))
#define ADD wasm_f32x4_add
#define MUL wasm_f32x4_mul
#define LOAD(p) wasm_v128_load(p)
#define STORE(p, v) wasm_v128_store(p, v)
#define GRAD_IMAGES 8

// The output columns [*first, *last) whose input column ox·sw + s − left lies inside 0 … W − 1.
static inline void insideColumns(int s, int sw, int left, int W, int OW, int *first, int *last) {
  int a = left - s;  // ox·sw ≥ a
  *first = a > 0 ? (a + sw - 1) / sw : 0;
  int b = W - 1 + left - s;  // ox·sw ≤ b
  *last = b < 0 ? 0 : b / sw + 1;
  if (*last > OW) *last = OW;
  if (*first > *last) *first = *last;
}

// Four pixels by eight channels of y: out[j·K + o] for the pixels whose windows start at input row iy0 and columns
// x0 … x3, each with its own inside/outside test of the columns when `checked`. Only the first `count` are stored.
static inline __attribute__((always_inline)) void fourPixels(const float *image, const float *w, float *out, int H, int W,
                                                             int C, int K, int fh, int fw, int iy0, int x0, int x1,
                                                             int x2, int x3, int count, int checked) {
  f32x4 a00 = wasm_f32x4_splat(0.0f), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
  for (int r = 0; r < fh; r++) {
    int iy = iy0 + r;
    if (iy < 0 || iy >= H) continue;
    const float *row = image + iy * W * C;
    for (int s = 0; s < fw; s++) {
      const float *at0 = row + (x0 + s) * C, *at1 = row + (x1 + s) * C;
      const float *at2 = row + (x2 + s) * C, *at3 = row + (x3 + s) * C;
      int in0 = 1, in1 = 1, in2 = 1, in3 = 1;
      if (checked) {
        in0 = x0 + s >= 0 && x0 + s < W, in1 = x1 + s >= 0 && x1 + s < W;
        in2 = x2 + s >= 0 && x2 + s < W, in3 = x3 + s >= 0 && x3 + s < W;
        if (!in0) at0 = row;
        if (!in1) at1 = row;
        if (!in2) at2 = row;
        if (!in3) at3 = row;
      }
      const float *wp = w + (r * fw + s) * C * K;
      for (int c = 0; c < C; c++) {
        f32x4 w0 = LOAD(wp + c * K), w1 = LOAD(wp + c * K + 4);
        f32x4 v = wasm_f32x4_splat(in0 ? at0[c] : 0.0f);
        a00 = ADD(a00, MUL(v, w0));
        a01 = ADD(a01, MUL(v, w1));
        v = wasm_f32x4_splat(in1 ? at1[c] : 0.0f);
        a10 = ADD(a10, MUL(v, w0));
        a11 = ADD(a11, MUL(v, w1));
        v = wasm_f32x4_splat(in2 ? at2[c] : 0.0f);
        a20 = ADD(a20, MUL(v, w0));
        a21 = ADD(a21, MUL(v, w1));
        v = wasm_f32x4_splat(in3 ? at3[c] : 0.0f);
        a30 = ADD(a30, MUL(v, w0));
        a31 = ADD(a31, MUL(v, w1));
      }
    }
  }
  STORE(out, a00);
  STORE(out + 4, a01);
  if (count > 1) { STORE(out + K, a10); STORE(out + K + 4, a11); }
  if (count > 2) { STORE(out + 2 * K, a20); STORE(out + 2 * K + 4, a21); }
  if (count > 3) { STORE(out + 3 * K, a30); STORE(out + 3 * K + 4, a31); }
}

// y for image `unit`, four output pixels of a row by eight channels at a time. Pixels whose window lies inside the
// image's columns take no tests; the others take zeros where it does not.
EXPORT("directConv")
void directConv(const float *x, const float *w, float *y, int B, int H, int W, int C, int OH, int OW, int K, int fh,
                int fw, int sh, int sw, int top, int left, int unit, int thread) {
  const float *image = x + unit * H * W * C;
  for (int oy = 0; oy < OH; oy++) {
    float *row = y + (unit * OH + oy) * OW * K;
    for (int ox = 0; ox < OW; ox += 4) {
      int count = OW - ox < 4 ? OW - ox : 4;
      // a short last group repeats its first pixel, and does not store it
      int x0 = ox * sw - left, x1 = (count > 1 ? ox + 1 : ox) * sw - left;
      int x2 = (count > 2 ? ox + 2 : ox) * sw - left, x3 = (count > 3 ? ox + 3 : ox) * sw - left;
      int inside = x0 >= 0 && (ox + count - 1) * sw - left + fw <= W;
      for (int k = 0; k < K; k += 8) {
        float *out = row + ox * K + k;
        int iy0 = oy * sh - top;
        if (inside) fourPixels(image, w + k, out, H, W, C, K, fh, fw, iy0, x0, x1, x2, x3, count, 0);
        else fourPixels(image, w + k, out, H, W, C, K, fh, fw, iy0, x0, x1, x2, x3, count, 1);
      }
    }
  }
}

// The filter gradient of unit `unit`'s images, into partials + unit·fh·fw·C·K: for each filter position and block of
// four input channels (one, for those left over) by eight output channels, in registers, summed over the images'
// pixels in order (image, row, column).
EXPORT("directFilterGrad")
void directFilterGrad(const float *x, const float *dy, float *partials, int B, int H, int W, int C, int OH, int OW,
                      int K, int fh, int fw, int sh, int sw, int top, int left, int unit, int thread) {
  float *dw = partials + unit * fh * fw * C * K;
  int b0 = unit * GRAD_IMAGES, b1 = b0 + GRAD_IMAGES < B ? b0 + GRAD_IMAGES : B;
  for (int r = 0; r < fh; r++) {
    for (int s = 0; s < fw; s++) {
      int first, last;
      insideColumns(s, sw, left, W, OW, &first, &last);
      for (int c = 0; c < C; c += C - c >= 4 ? 4 : 1) {
        int four = C - c >= 4;
        for (int k = 0; k < K; k += 8) {
          f32x4 a00 = wasm_f32x4_splat(0.0f), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
          for (int b = b0; b < b1; b++) {
            for (int oy = 0; oy < OH; oy++) {
              int iy = oy * sh + r - top;
              if (iy < 0 || iy >= H) continue;
              const float *xp = x + ((b * H + iy) * W + first * sw + s - left) * C + c;
              const float *dp = dy + ((b * OH + oy) * OW + first) * K + k;
              for (int ox = first; ox < last; ox++, xp += sw * C, dp += K) {
                f32x4 d0 = LOAD(dp), d1 = LOAD(dp + 4);
                f32x4 v = wasm_v128_load32_splat(xp);
                a00 = ADD(a00, MUL(v, d0));
                a01 = ADD(a01, MUL(v, d1));
                if (four) {
                  v = wasm_v128_load32_splat(xp + 1);
                  a10 = ADD(a10, MUL(v, d0));
                  a11 = ADD(a11, MUL(v, d1));
                  v = wasm_v128_load32_splat(xp + 2);
                  a20 = ADD(a20, MUL(v, d0));
                  a21 = ADD(a21, MUL(v, d1));
                  v = wasm_v128_load32_splat(xp + 3);
                  a30 = ADD(a30, MUL(v, d0));
                  a31 = ADD(a31, MUL(v, d1));
                }
              }
            }
          }
          float *out = dw + ((r * fw + s) * C + c) * K + k;
          STORE(out, a00);
          STORE(out + 4, a01);
          if (four) {
            STORE(out + K, a10);
            STORE(out + K + 4, a11);
            STORE(out + 2 * K, a20);
            STORE(out + 2 * K + 4, a21);
            STORE(out + 3 * K, a30);
            STORE(out + 3 * K + 4, a31);
          }
        }
      }
    }
  }
}

// out[i] = Σ over the `count` partial sums, in order, of partials[j·size + i] (size % 4 == 0; one unit: filters are
// small).
EXPORT("sumPartials")
void sumPartials(const float *partials, float *out, int count, int size, int unit, int thread) {
  for (int i = 0; i < size; i += 4) {
    f32x4 total = LOAD(partials + i);
    for (int j = 1; j < count; j++) total = ADD(total, LOAD(partials + j * size + i));
    STORE(out + i, total);
  }
}
