// Winograd F(2×2, 3×3): a 3×3, stride-1 convolution, NHWC, for the tfjs wasm backend's own memory.
//
//   y[b, oy, ox, k] = Σ over r, s, c of x[b, oy + r − top, ox + s − left, c] · g[r, s, c, k]   (zero outside x)
//
// Each 2×2 block of outputs ("tile") comes from a 4×4 patch of x: with V = Bᵀ·patch·B and U = G·g·Gᵀ (16 numbers per
// channel pair), the tile is Aᵀ·(Σ_c V ⊙ U)·A. That is 16 multiplies per channel pair where the direct sum needs 36:
// 2.25 times fewer, for a few additions on either side (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2015). Rounding differs from the direct sum by a few float32 ulps.
//
// The kernels' work is a small matrix product per patch position p: V[p] (4 tiles × C) times U[p] (C × K), kept in
// 8 SIMD registers (4 tiles × 8 output channels), as wasm/filterGrad.wat does. Needs C % 4 == 0 and K % 8 == 0.
// Pointers are byte offsets into the backend's memory; this file allocates nothing and has no data, so it leaves the
// backend's memory alone apart from the output and the scratch it is given. Compiled into modules.ts by
// npm run build:wasm (clang, wasm32, SIMD128).
#include <wasm_simd128.h>

typedef v128_t f32x4;

#define EXPORT(name) __attribute__((export_name(name)))
#define INLINE static inline __attribute__((always_inline))
#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul
#define LOAD(p) wasm_v128_load(p)
#define STORE(p, v) wasm_v128_store(p, v)

// U[p][c][k] = G·g·Gᵀ with g[r][s] = w[r][s][c][k] (a forward convolution: w is [3][3][C][K]), or, when `flipped`,
// g[r][s] = w[2 − r][2 − s][k][c] (the input gradient: w is [3][3][K][C], turned half round, its channels swapped).
// G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]].
EXPORT("winogradFilter")
void winogradFilter(const float *w, float *u, int C, int K, int flipped) {
  for (int c = 0; c < C; c++) {
    for (int k = 0; k < K; k++) {
      float g[9];
      for (int r = 0; r < 3; r++)
        for (int s = 0; s < 3; s++)
          g[r * 3 + s] = flipped ? w[(((2 - r) * 3 + (2 - s)) * K + k) * C + c] : w[((r * 3 + s) * C + c) * K + k];
      float gg[12];  // G·g, 4 × 3
      for (int s = 0; s < 3; s++) {
        float a = g[s], b = g[3 + s], d = g[6 + s];
        gg[s] = a;
        gg[3 + s] = 0.5f * (a + b + d);
        gg[6 + s] = 0.5f * (a - b + d);
        gg[9 + s] = d;
      }
      for (int r = 0; r < 4; r++) {  // (G·g)·Gᵀ
        float a = gg[r * 3], b = gg[r * 3 + 1], d = gg[r * 3 + 2];
        float *out = u + ((r * 4) * C + c) * K + k;
        out[0] = a;
        out[C * K] = 0.5f * (a + b + d);
        out[2 * C * K] = 0.5f * (a - b + d);
        out[3 * C * K] = d;
      }
    }
  }
}

// Bᵀ·d·B for the 4×4 patch d (16 vectors of four channels, row by row), stored at out + p·stride for each p.
// Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]].
static inline void transform4x4(const f32x4 *d, float *out, int stride) {
  f32x4 t[16];  // Bᵀ·d
  for (int j = 0; j < 4; j++) {
    t[j] = SUB(d[j], d[8 + j]);
    t[4 + j] = ADD(d[4 + j], d[8 + j]);
    t[8 + j] = SUB(d[8 + j], d[4 + j]);
    t[12 + j] = SUB(d[4 + j], d[12 + j]);
  }
  for (int i = 0; i < 4; i++) {  // (Bᵀ·d)·B
    float *row = out + (i * 4) * stride;
    STORE(row, SUB(t[i * 4], t[i * 4 + 2]));
    STORE(row + stride, ADD(t[i * 4 + 1], t[i * 4 + 2]));
    STORE(row + 2 * stride, SUB(t[i * 4 + 2], t[i * 4 + 1]));
    STORE(row + 3 * stride, SUB(t[i * 4 + 1], t[i * 4 + 3]));
  }
}

// One tile's patch, four channels at a time: v[p·stride + c] = (Bᵀ·d·B)[p] for the 4×4 patch d whose top-left corner
// is x's row iy, column ix. A patch that reaches past the image's edge is first copied to `edge` [4][4][C], zeros
// where it is outside, so that the transform itself never checks.
INLINE void transformPatch(const float *image, float *v, float *edge, int H, int W, int C, int stride, int iy,
                                  int ix) {
  const float *corner = edge;
  int rowStep = 4 * C;
  if (iy >= 0 && ix >= 0 && iy + 4 <= H && ix + 4 <= W) {
    corner = image + (iy * W + ix) * C;
    rowStep = W * C;
  } else {
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++) {
        int y = iy + i, x = ix + j, inside = y >= 0 && y < H && x >= 0 && x < W;
        for (int c = 0; c < C; c += 4)
          STORE(edge + (i * 4 + j) * C + c, inside ? LOAD(image + (y * W + x) * C + c) : wasm_f32x4_splat(0.0f));
      }
  }
  for (int c = 0; c < C; c += 4) {
    f32x4 d[16];
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++) d[i * 4 + j] = LOAD(corner + i * rowStep + j * C + c);
    transform4x4(d, v + c, stride);
  }
}

// m[t·8 + o] = Σ_c v[t·C + c] · u[c·K + o], for 4 tiles t and 8 output channels o.
INLINE void multiply4x8(const float *v, const float *u, float *m, int C, int K) {
  f32x4 a00 = wasm_f32x4_splat(0.0f), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
  int c = 0;
  do {  // C ≥ 4
    f32x4 w0 = LOAD(u + c * K), w1 = LOAD(u + c * K + 4);
    f32x4 s = wasm_v128_load32_splat(v + c);
    a00 = ADD(a00, MUL(s, w0));
    a01 = ADD(a01, MUL(s, w1));
    s = wasm_v128_load32_splat(v + C + c);
    a10 = ADD(a10, MUL(s, w0));
    a11 = ADD(a11, MUL(s, w1));
    s = wasm_v128_load32_splat(v + 2 * C + c);
    a20 = ADD(a20, MUL(s, w0));
    a21 = ADD(a21, MUL(s, w1));
    s = wasm_v128_load32_splat(v + 3 * C + c);
    a30 = ADD(a30, MUL(s, w0));
    a31 = ADD(a31, MUL(s, w1));
  } while (++c < C);
  STORE(m, a00);
  STORE(m + 4, a01);
  STORE(m + 8, a10);
  STORE(m + 12, a11);
  STORE(m + 16, a20);
  STORE(m + 20, a21);
  STORE(m + 24, a30);
  STORE(m + 28, a31);
}

// y's 2×2 tile at row oy, column ox, four channels: Aᵀ·m·A, with m[p] at m + p·32 and Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]].
// Rows and columns past the output's edge (an odd height or width) are left out.
static inline void writeTile(const float *m, float *y, int OH, int OW, int K, int oy, int ox) {
  f32x4 z[8];  // Aᵀ·m
  for (int j = 0; j < 4; j++) {
    f32x4 m0 = LOAD(m + j * 32), m1 = LOAD(m + (4 + j) * 32), m2 = LOAD(m + (8 + j) * 32), m3 = LOAD(m + (12 + j) * 32);
    z[j] = ADD(ADD(m0, m1), m2);
    z[4 + j] = SUB(SUB(m1, m2), m3);
  }
  for (int i = 0; i < 2 && oy + i < OH; i++) {  // (Aᵀ·m)·A
    float *out = y + ((oy + i) * OW + ox) * K;
    STORE(out, ADD(ADD(z[i * 4], z[i * 4 + 1]), z[i * 4 + 2]));
    if (ox + 1 < OW) STORE(out + K, SUB(SUB(z[i * 4 + 1], z[i * 4 + 2]), z[i * 4 + 3]));
  }
}

// y = x ⊛ g for x [B][H][W][C], y [B][OH][OW][K], u = winogradFilter's U [16][C][K]. scratch holds 80·C + 512 floats.
INLINE void convolve(const float *x, const float *u, float *y, float *scratch, int B, int H, int W, int C, int OH,
                  int OW, int K, int top, int left) {
  int tileRows = (OH + 1) / 2, tileCols = (OW + 1) / 2, perImage = tileRows * tileCols, tiles = B * perImage;
  float *v = scratch;           // [16][4][C]: the patches of 4 tiles
  float *m = scratch + 64 * C;  // [16][4][8]: their products with 8 output channels of U
  float *edge = m + 512;        // [4][4][C]: a patch past the image's edge
  for (int first = 0; first < tiles; first += 4) {
    int count = tiles - first < 4 ? tiles - first : 4;
    for (int t = 0; t < 4; t++) {
      int n = first + (t < count ? t : 0);  // a short last group repeats its first tile, and does not write it
      int b = n / perImage, ty = (n % perImage) / tileCols, tx = n % tileCols;
      transformPatch(x + b * H * W * C, v + t * C, edge, H, W, C, 4 * C, 2 * ty - top, 2 * tx - left);
    }
    for (int k = 0; k < K; k += 8) {
      for (int p = 0; p < 16; p++) multiply4x8(v + p * 4 * C, u + p * C * K + k, m + p * 32, C, K);
      for (int t = 0; t < count; t++) {
        int n = first + t;
        int b = n / perImage, ty = (n % perImage) / tileCols, tx = n % tileCols;
        float *image = y + b * OH * OW * K + k;
        writeTile(m + t * 8, image, OH, OW, K, 2 * ty, 2 * tx);
        writeTile(m + t * 8 + 4, image + 4, OH, OW, K, 2 * ty, 2 * tx);
      }
    }
  }
}

// convolve() with the network's channel counts as constants, so that clang unrolls the loops over channels and V8
// keeps their counters in registers: the forward and input-gradient convolutions run ~10 % faster (measured on the
// network's 24×24×16 layer). Same arithmetic, in the same order, for every C.
EXPORT("winogradConv")
void winogradConv(const float *x, const float *u, float *y, float *scratch, int B, int H, int W, int C, int OH,
                  int OW, int K, int top, int left) {
  if (C == 8) convolve(x, u, y, scratch, B, H, W, 8, OH, OW, K, top, left);
  else if (C == 16) convolve(x, u, y, scratch, B, H, W, 16, OH, OW, K, top, left);
  else if (C == 32) convolve(x, u, y, scratch, B, H, W, 32, OH, OW, K, top, left);
  else convolve(x, u, y, scratch, B, H, W, C, OH, OW, K, top, left);
}

// The filter gradient by Winograd F(3×3, 2×2), the same trick turned round:
//
//   dw[r, s, c, k] = Σ over b, oy, ox of x[b, oy + r − top, ox + s − left, c] · dy[b, oy, ox, k]
//
// Each 2×2 tile of dy adds to all of dw a 3×3 correlation of the 4×4 patch of x under it with that tile:
// dw += Aᵀ·(V ⊙ D)·A with V = Bᵀ·patch·B (transformPatch above) and D = G·tile·Gᵀ, where
// G = [[1, 0], [½, ½], [½, −½], [0, −1]] and Aᵀ = [[1, 1, 1, 0], [0, 1, −1, 0], [0, 1, 1, 1]]. Summing V ⊙ D over
// all tiles first leaves one product per channel pair and patch position: 16 multiply-adds per tile where the direct
// sum needs 36.

// One tile of dy, four channels at a time: d[p·stride + k] = (G·tile·Gᵀ)[p] for the 2×2 tile at row oy, column ox
// (rows and columns past dy's edge read as zero).
static inline void transformTile(const float *image, float *d, int OH, int OW, int K, int stride, int oy, int ox) {
  for (int k = 0; k < K; k += 4) {
    f32x4 e[4];
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 2; j++)
        e[i * 2 + j] = oy + i < OH && ox + j < OW ? LOAD(image + ((oy + i) * OW + ox + j) * K + k) : wasm_f32x4_splat(0.0f);
    f32x4 half = wasm_f32x4_splat(0.5f);
    f32x4 t[8];  // G·tile, 4 × 2
    for (int j = 0; j < 2; j++) {
      t[j] = e[j];
      t[2 + j] = MUL(half, ADD(e[j], e[2 + j]));
      t[4 + j] = MUL(half, SUB(e[j], e[2 + j]));
      t[6 + j] = SUB(wasm_f32x4_splat(0.0f), e[2 + j]);
    }
    for (int i = 0; i < 4; i++) {  // (G·tile)·Gᵀ
      float *out = d + (i * 4) * stride + k;
      STORE(out, t[i * 2]);
      STORE(out + stride, MUL(half, ADD(t[i * 2], t[i * 2 + 1])));
      STORE(out + 2 * stride, MUL(half, SUB(t[i * 2], t[i * 2 + 1])));
      STORE(out + 3 * stride, SUB(wasm_f32x4_splat(0.0f), t[i * 2 + 1]));
    }
  }
}

// m[c·K + k] += Σ over n tiles of v[t·C + c] · d[t·K + k], for 4 input channels c and 8 output channels k.
static inline void accumulate4x8(const float *v, const float *d, float *m, int n, int C, int K) {
  f32x4 a00 = LOAD(m), a01 = LOAD(m + 4), a10 = LOAD(m + K), a11 = LOAD(m + K + 4);
  f32x4 a20 = LOAD(m + 2 * K), a21 = LOAD(m + 2 * K + 4), a30 = LOAD(m + 3 * K), a31 = LOAD(m + 3 * K + 4);
  int t = 0;
  do {  // n ≥ 1
    f32x4 d0 = LOAD(d + t * K), d1 = LOAD(d + t * K + 4);
    f32x4 s = wasm_v128_load32_splat(v + t * C);
    a00 = ADD(a00, MUL(s, d0));
    a01 = ADD(a01, MUL(s, d1));
    s = wasm_v128_load32_splat(v + t * C + 1);
    a10 = ADD(a10, MUL(s, d0));
    a11 = ADD(a11, MUL(s, d1));
    s = wasm_v128_load32_splat(v + t * C + 2);
    a20 = ADD(a20, MUL(s, d0));
    a21 = ADD(a21, MUL(s, d1));
    s = wasm_v128_load32_splat(v + t * C + 3);
    a30 = ADD(a30, MUL(s, d0));
    a31 = ADD(a31, MUL(s, d1));
  } while (++t < n);
  STORE(m, a00);
  STORE(m + 4, a01);
  STORE(m + K, a10);
  STORE(m + K + 4, a11);
  STORE(m + 2 * K, a20);
  STORE(m + 2 * K + 4, a21);
  STORE(m + 3 * K, a30);
  STORE(m + 3 * K + 4, a31);
}

#define TILES 63  // tiles transformed at a time: their V and D stay in L2; odd, so that the 16 positions do not share cache sets

// dw [3][3][C][K] for x [B][H][W][C] and dy [B][OH][OW][K]. scratch holds 16·TILES·(C + K) + 16·C·(K + 1) floats.
EXPORT("winogradFilterGrad")
void winogradFilterGrad(const float *x, const float *dy, float *dw, float *scratch, int B, int H, int W, int C,
                        int OH, int OW, int K, int top, int left) {
  int tileRows = (OH + 1) / 2, tileCols = (OW + 1) / 2, perImage = tileRows * tileCols, tiles = B * perImage;
  float *v = scratch;                 // [16][TILES][C]
  float *d = v + 16 * TILES * C;      // [16][TILES][K]
  float *m = d + 16 * TILES * K;      // [16][C][K]: Σ V ⊙ D so far
  float *edge = m + 16 * C * K;       // [4][4][C]: a patch past the image's edge
  for (int i = 0; i < 16 * C * K; i += 4) STORE(m + i, wasm_f32x4_splat(0.0f));
  for (int first = 0; first < tiles; first += TILES) {
    int count = tiles - first < TILES ? tiles - first : TILES;
    for (int t = 0; t < count; t++) {
      int n = first + t, b = n / perImage, ty = (n % perImage) / tileCols, tx = n % tileCols;
      transformPatch(x + b * H * W * C, v + t * C, edge, H, W, C, TILES * C, 2 * ty - top, 2 * tx - left);
      transformTile(dy + b * OH * OW * K, d + t * K, OH, OW, K, TILES * K, 2 * ty, 2 * tx);
    }
    for (int p = 0; p < 16; p++)
      for (int c = 0; c < C; c += 4)
        for (int k = 0; k < K; k += 8)
          accumulate4x8(v + p * TILES * C + c, d + p * TILES * K + k, m + (p * C + c) * K + k, count, C, K);
  }
  for (int c = 0; c < C; c++) {  // dw = Aᵀ·m·A, four output channels at a time
    for (int k = 0; k < K; k += 4) {
      f32x4 q[16], z[12];
      for (int p = 0; p < 16; p++) q[p] = LOAD(m + (p * C + c) * K + k);
      for (int j = 0; j < 4; j++) {  // Aᵀ·m
        z[j] = ADD(ADD(q[j], q[4 + j]), q[8 + j]);
        z[4 + j] = SUB(q[4 + j], q[8 + j]);
        z[8 + j] = ADD(ADD(q[4 + j], q[8 + j]), q[12 + j]);
      }
      for (int r = 0; r < 3; r++) {  // (Aᵀ·m)·A
        float *out = dw + ((r * 3) * C + c) * K + k;
        STORE(out, ADD(ADD(z[r * 4], z[r * 4 + 1]), z[r * 4 + 2]));
        STORE(out + C * K, SUB(z[r * 4 + 1], z[r * 4 + 2]));
        STORE(out + 2 * C * K, ADD(ADD(z[r * 4 + 1], z[r * 4 + 2]), z[r * 4 + 3]));
      }
    }
  }
}
