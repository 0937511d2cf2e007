// Winograd's minimal filtering for 3×3, stride-1 convolutions, NHWC, in the tfjs wasm backend's own memory: the
// forward convolution (and the input gradient, which is one) by F(2×2, 3×3), the filter gradient by F(3×3, 4×4).
//
//   y[b, oy, ox, k] = Σ over r, s, c of x[b, oy + r − top, ox + s − left, c] · g[r, s, c, k]   (zero outside x)
//
// Each 2×2 block of outputs ("tile") comes from a 4×4 patch of x: with V = Bᵀ·patch·B and U = G·g·Gᵀ (16 numbers per
// channel pair), the tile is Aᵀ·(Σ_c V ⊙ U)·A. That is 16 multiplies per channel pair where the direct sum needs 36:
// 2.25 times fewer, for a few additions on either side (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2015). F(4×4, 3×3) would need four times fewer, but its 6×6 transforms cost more than they save on the
// network's 8 to 32 channels (measured: 1.2–1.3 times slower on the two big layers, V8 turning the transforms into
// far more instructions than their arithmetic); for the filter gradient, where each tile's transforms are shared by
// all channel pairs, F(3×3, 4×4) is 1.2–1.5 times faster than F(3×3, 2×2) (below). Rounding differs from the direct
// sum by some float32 ulps (test/kernels/winograd.test.ts bounds it against the direct sum in float64).
//
// The kernels' work is a small matrix product per patch position p: V[p] (4 tiles × C) times U[p] (C × K), kept in
// 8 SIMD registers (4 tiles × 8 output channels; 4 × 4 for the last four when K % 8 == 4). Needs C % 4 == 0 and
// K % 4 == 0. Work is split into units (threads.ts) whose results do not depend on which thread runs them. Pointers are byte offsets into the backend's
// memory; this file allocates nothing and has no data, so it leaves the backend's memory alone apart from the output
// and the scratch it is given. Compiled into modules.ts by npm run build:wasm (clang, wasm32, SIMD128).
#include <wasm_simd128.h>

typedef v128_t f32x4;

#define EXPORT(name) __attribute__((export_name(name)))
#define INLINE static inline __attribute__((always_inline))
#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul
#define LOAD(p) wasm_v128_load(p)
#define STORE(p, v) wasm_v128_store(p, v)
#define SPLAT wasm_f32x4_splat

// Floats left unused after each thread's scratch, so that no two threads write near each other: a padded
// convolution copies its edge patches to the end of one thread's scratch while the next thread writes the start of
// its own, and the cores' prefetchers fetch lines around the ones touched, so each core kept taking lines from the
// other. With 32 floats (128 bytes, one prefetched pair of lines) the network's 26×26×16 input gradient ran 1.40
// times faster on two threads than on one, and a padded forward convolution of that size 1.39; with 256 floats
// (1 KiB) 1.57 and 1.61, and no better with 1,024 or 4,096 (1 and 2 threads alternated in one process, medians of 11
// rounds). winograd.ts sizes scratch alike.
#define SCRATCH_GAP 256

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

// multiply4x8 for the last 4 output channels, when K % 8 == 4: m[t·8 + o] for o < 4, the same sums in the same order.
INLINE void multiply4x4(const float *v, const float *u, float *m, int C, int K) {
  f32x4 a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
  int c = 0;
  do {  // C ≥ 4
    f32x4 w0 = LOAD(u + c * K);
    a0 = ADD(a0, MUL(wasm_v128_load32_splat(v + c), w0));
    a1 = ADD(a1, MUL(wasm_v128_load32_splat(v + C + c), w0));
    a2 = ADD(a2, MUL(wasm_v128_load32_splat(v + 2 * C + c), w0));
    a3 = ADD(a3, MUL(wasm_v128_load32_splat(v + 3 * C + c), w0));
  } while (++c < C);
  STORE(m, a0);
  STORE(m + 8, a1);
  STORE(m + 16, a2);
  STORE(m + 24, a3);
}

// One 2×2 tile of y, four channels: Aᵀ·m·A, with m[p] at m + p·32 and Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]], written at
// `out` (the tile's top-left value); its second row and column only where y has them (an odd height or width).
static inline void writeTile(const float *m, float *out, int OW, int K, int secondRow, int secondColumn) {
  f32x4 z[8];  // Aᵀ·m
  for (int j = 0; j < 4; j++) {
    f32x4 m0 = LOAD(m + j * 32), m1 = LOAD(m + (4 + j) * 32), m2 = LOAD(m + (8 + j) * 32), m3 = LOAD(m + (12 + j) * 32);
    z[j] = ADD(ADD(m0, m1), m2);
    z[4 + j] = SUB(SUB(m1, m2), m3);
  }
  STORE(out, ADD(ADD(z[0], z[1]), z[2]));  // (Aᵀ·m)·A
  if (secondColumn) STORE(out + K, SUB(SUB(z[1], z[2]), z[3]));
  if (secondRow) {
    out += OW * K;
    STORE(out, ADD(ADD(z[4], z[5]), z[6]));
    if (secondColumn) STORE(out + K, SUB(SUB(z[5], z[6]), z[7]));
  }
}

// Tiles are numbered through the batch, image by image and row by row; a unit of work is CONV_UNIT of them.
#define CONV_UNIT 64

// y = x ⊛ g for x [B][H][W][C], y [B][OH][OW][K], u = winogradFilter's U [16][C][K], on the tiles of unit `unit`
// (each tile's outputs depend on that tile alone, so units may run in any order, on any thread). scratch holds
// 80·C + 528 floats per thread.
INLINE void convolve(const float *x, const float *u, float *y, float *scratch, int B, int H, int W, int C, int OH,
                  int OW, int K, int top, int left, int unit) {
  int tileRows = (OH + 1) / 2, tileCols = (OW + 1) / 2, perImage = tileRows * tileCols, tiles = B * perImage;
  int start = unit * CONV_UNIT, end = start + CONV_UNIT < tiles ? start + CONV_UNIT : tiles;
  float *v = scratch;           // [16][4][C]: the patches of 4 tiles
  float *m = scratch + 64 * C;  // [16][4][8]: their products with 8 output channels of U
  float *edge = m + 512;        // [4][4][C]: a patch past the image's edge
  float **out = (float **)(edge + 16 * C);  // [4]: each tile's top-left output value
  int *secondRow = (int *)(out + 4), *secondColumn = secondRow + 4;  // [4] each: whether y has its second row, column
  // The next tile's image, tile row and tile column, stepped from tile to tile: the divisions and the output
  // addresses are worked out once a tile, not in every pass over it.
  int b = start / perImage, ty = (start % perImage) / tileCols, tx = start % tileCols;
  for (int first = start; first < end; first += 4) {
    int count = end - first < 4 ? end - first : 4;
    const float *image = x + b * H * W * C;
    int iy = 2 * ty - top, ix = 2 * tx - left;
    for (int t = 0; t < 4; t++) {
      if (t < count) {
        image = x + b * H * W * C;
        iy = 2 * ty - top;
        ix = 2 * tx - left;
        out[t] = y + ((b * OH + 2 * ty) * OW + 2 * tx) * K;
        secondRow[t] = 2 * ty + 1 < OH;
        secondColumn[t] = 2 * tx + 1 < OW;
        if (++tx == tileCols) {
          tx = 0;
          if (++ty == tileRows) ty = 0, b++;
        }
      }  // a short last group repeats its last tile's patch, and does not write it
      transformPatch(image, v + t * C, edge, H, W, C, 4 * C, iy, ix);
    }
    for (int k = 0; k < K; k += 8) {
      int eight = K - k >= 8;  // else the last four channels
      for (int p = 0; p < 16; p++) {
        if (eight) multiply4x8(v + p * 4 * C, u + p * C * K + k, m + p * 32, C, K);
        else multiply4x4(v + p * 4 * C, u + p * C * K + k, m + p * 32, C, K);
      }
      for (int t = 0; t < count; t++) {
        writeTile(m + t * 8, out[t] + k, OW, K, secondRow[t], secondColumn[t]);
        if (eight) writeTile(m + t * 8 + 4, out[t] + k + 4, OW, K, secondRow[t], secondColumn[t]);
      }
    }
  }
}

// convolve() with the network's channel counts as constants, so that clang unrolls the loops over channels and V8
// keeps their counters in registers: the forward and input-gradient convolutions run ~10 % faster (measured on the
// network's 24×24×16 layer). Same arithmetic, in the same order, for every C.
EXPORT("winogradConv")
void winogradConv(const float *x, const float *u, float *y, float *scratch, int B, int H, int W, int C, int OH,
                  int OW, int K, int top, int left, int unit, int thread) {
  scratch += thread * (80 * C + 528 + SCRATCH_GAP);
  if (C == 8) convolve(x, u, y, scratch, B, H, W, 8, OH, OW, K, top, left, unit);
  else if (C == 16) convolve(x, u, y, scratch, B, H, W, 16, OH, OW, K, top, left, unit);
  else if (C == 32) convolve(x, u, y, scratch, B, H, W, 32, OH, OW, K, top, left, unit);
  else convolve(x, u, y, scratch, B, H, W, C, OH, OW, K, top, left, unit);
}

// Bᵀ·(a0 … a5)ᵀ for six vectors: the input transform of one column or row.
INLINE void input6(f32x4 a0, f32x4 a1, f32x4 a2, f32x4 a3, f32x4 a4, f32x4 a5, f32x4 *t) {
  f32x4 four = SPLAT(4.0f), five = SPLAT(5.0f), two = SPLAT(2.0f);
  f32x4 p = SUB(a4, MUL(four, a2)), q = SUB(a3, MUL(four, a1));
  f32x4 r = SUB(a4, a2), s = MUL(two, SUB(a3, a1));
  t[0] = ADD(SUB(MUL(four, a0), MUL(five, a2)), a4);
  t[1] = ADD(p, q);
  t[2] = SUB(p, q);
  t[3] = ADD(r, s);
  t[4] = SUB(r, s);
  t[5] = ADD(SUB(MUL(four, a1), MUL(five, a3)), a5);
}

// For the filter gradient, one tile's patch, four channels at a time: v[p·stride + c] = (Bᵀ·d·B)[p] for the 6×6 patch d whose top-left corner
// is x's row iy, column ix. A patch that reaches past the image's edge is first copied to `edge` [6][6][C], zeros
// where it is outside, so that the transform itself never checks. The rows are transformed first, through `rows`
// [6][6][4] (36 vectors do not fit in registers; V8 would spill them less tidily).
INLINE void transformPatch6(const float *image, float *v, float *edge, float *rows, int H, int W, int C, int stride,
                           int iy, int ix) {
  const float *corner = edge;
  int rowStep = 6 * C;
  if (iy >= 0 && ix >= 0 && iy + 6 <= H && ix + 6 <= W) {
    corner = image + (iy * W + ix) * C;
    rowStep = W * C;
  } else {
    for (int i = 0; i < 6; i++)
      for (int j = 0; j < 6; j++) {
        int y = iy + i, x = ix + j, inside = y >= 0 && y < H && x >= 0 && x < W;
        for (int c = 0; c < C; c += 4)
          STORE(edge + (i * 6 + j) * C + c, inside ? LOAD(image + (y * W + x) * C + c) : SPLAT(0.0f));
      }
  }
  for (int c = 0; c < C; c += 4) {
#pragma unroll
    for (int i = 0; i < 6; i++) {  // d·B, row by row
      const float *row = corner + i * rowStep + c;
      f32x4 s[6];
      input6(LOAD(row), LOAD(row + C), LOAD(row + 2 * C), LOAD(row + 3 * C), LOAD(row + 4 * C), LOAD(row + 5 * C), s);
#pragma unroll
      for (int j = 0; j < 6; j++) STORE(rows + (i * 6 + j) * 4, s[j]);
    }
#pragma unroll
    for (int j = 0; j < 6; j++) {  // Bᵀ·(d·B), column by column
      const float *col = rows + j * 4;
      f32x4 s[6];
      input6(LOAD(col), LOAD(col + 24), LOAD(col + 48), LOAD(col + 72), LOAD(col + 96), LOAD(col + 120), s);
#pragma unroll
      for (int i = 0; i < 6; i++) STORE(v + (i * 6 + j) * stride + c, s[i]);
    }
  }
}

// The filter gradient by Winograd F(3×3, 4×4), the same trick turned round and on larger tiles, with the
// interpolation points 0, ±1, ±2:
//
//   Bᵀ = [[4, 0, −5, 0, 1, 0], [0, −4, −4, 1, 1, 0], [0, 4, −4, −1, 1, 0], [0, −2, −1, 2, 1, 0], [0, 2, −1, −2, 1, 0],
//         [0, 4, 0, −5, 0, 1]]
//   A  = [[1, 0, 0, 0], [1, 1, 1, 1], [1, −1, 1, −1], [1, 2, 4, 8], [1, −2, 4, −8], [0, 0, 0, 1]]
//   Gᵀ = [[¼, −⅙, −⅙, 1/24, 1/24, 0], [0, −⅙, ⅙, 1/12, −1/12, 0], [0, −⅙, −⅙, ⅙, ⅙, 1]]
//
//
//   dw[r, s, c, k] = Σ over b, oy, ox of x[b, oy + r − top, ox + s − left, c] · dy[b, oy, ox, k]
//
// Each 4×4 tile of dy adds to all of dw a 3×3 correlation of the 6×6 patch of x under it with that tile:
// dw += Gᵀ·(V ⊙ D)·G with V = Bᵀ·patch·B (transformPatch6) and D = A·tile·Aᵀ (A has only 0, ±1, ±2, ±4, ±8, so D is
// exact but for its sums). Summing V ⊙ D over tiles first leaves one product per channel pair and patch position: 36
// multiply-adds per tile of 16 where the direct sum needs 144, and the costly Gᵀ·m·G runs once per filter.

// A·(e0 … e3)ᵀ: a column or row of a dy tile, four values to six.
INLINE void gradient6(f32x4 e0, f32x4 e1, f32x4 e2, f32x4 e3, f32x4 *t) {
  f32x4 a = ADD(e0, e2), b = ADD(e1, e3);
  f32x4 c = ADD(e0, MUL(SPLAT(4.0f), e2)), d = ADD(MUL(SPLAT(2.0f), e1), MUL(SPLAT(8.0f), e3));
  t[0] = e0;
  t[1] = ADD(a, b);
  t[2] = SUB(a, b);
  t[3] = ADD(c, d);
  t[4] = SUB(c, d);
  t[5] = e3;
}

// One tile of dy, four channels at a time: d[p·stride + k] = (A·tile·Aᵀ)[p] for the 4×4 tile at row oy, column ox
// (rows and columns past dy's edge read as zero), the rows first, through `rows` [4][6][4].
INLINE void transformTile(const float *image, float *d, float *rows, int OH, int OW, int K, int stride, int oy, int ox) {
  for (int k = 0; k < K; k += 4) {
#pragma unroll
    for (int i = 0; i < 4; i++) {  // tile·Aᵀ, row by row
      f32x4 e[4], s[6];
#pragma unroll
      for (int j = 0; j < 4; j++)
        e[j] = oy + i < OH && ox + j < OW ? LOAD(image + ((oy + i) * OW + ox + j) * K + k) : SPLAT(0.0f);
      gradient6(e[0], e[1], e[2], e[3], s);
#pragma unroll
      for (int j = 0; j < 6; j++) STORE(rows + (i * 6 + j) * 4, s[j]);
    }
#pragma unroll
    for (int j = 0; j < 6; j++) {  // A·(tile·Aᵀ), column by column
      f32x4 s[6];
      gradient6(LOAD(rows + j * 4), LOAD(rows + (6 + j) * 4), LOAD(rows + (12 + j) * 4), LOAD(rows + (18 + j) * 4), s);
#pragma unroll
      for (int i = 0; i < 6; i++) STORE(d + (i * 6 + j) * stride + k, s[i]);
    }
  }
}

// m[c·K + k] += Σ over n tiles of v[t·C + c] · d[t·K + k], for 4 input channels c and 8 output channels k.
INLINE void accumulate4x8(const float *v, const float *d, float *m, int n, int C, int K) {
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

// accumulate4x8 for the last 4 output channels, when K % 8 == 4: the same sums in the same order.
INLINE void accumulate4x4(const float *v, const float *d, float *m, int n, int C, int K) {
  f32x4 a0 = LOAD(m), a1 = LOAD(m + K), a2 = LOAD(m + 2 * K), a3 = LOAD(m + 3 * K);
  int t = 0;
  do {  // n ≥ 1
    f32x4 d0 = LOAD(d + t * K);
    a0 = ADD(a0, MUL(wasm_v128_load32_splat(v + t * C), d0));
    a1 = ADD(a1, MUL(wasm_v128_load32_splat(v + t * C + 1), d0));
    a2 = ADD(a2, MUL(wasm_v128_load32_splat(v + t * C + 2), d0));
    a3 = ADD(a3, MUL(wasm_v128_load32_splat(v + t * C + 3), d0));
  } while (++t < n);
  STORE(m, a0);
  STORE(m + K, a1);
  STORE(m + 2 * K, a2);
  STORE(m + 3 * K, a3);
}

#define TILES 31  // tiles transformed at a time: their V and D stay in L2; odd, so that the 36 positions do not share cache sets
#define GRAD_IMAGES 8  // images per unit of work: each unit sums its own tiles, and the units' sums are added in order

// The transformed filter gradient of the images of unit `unit` (GRAD_IMAGES of them, fewer in the last), summed over
// their tiles in order: m [36][C][K] at partials + unit·36·C·K. x [B][H][W][C], dy [B][OH][OW][K]. scratch holds
// 36·TILES·(C + K) + 36·C + 144 floats per thread, and SCRATCH_GAP between threads.
EXPORT("winogradFilterGradPartial")
void winogradFilterGradPartial(const float *x, const float *dy, float *partials, float *scratch, int B, int H, int W,
                               int C, int OH, int OW, int K, int top, int left, int unit, int thread) {
  int tileRows = (OH + 3) / 4, tileCols = (OW + 3) / 4, perImage = tileRows * tileCols;
  int lastImage = (unit + 1) * GRAD_IMAGES < B ? (unit + 1) * GRAD_IMAGES : B;
  int start = unit * GRAD_IMAGES * perImage, tiles = lastImage * perImage;
  float *v = scratch + thread * (36 * TILES * (C + K) + 36 * C + 144 + SCRATCH_GAP);  // [36][TILES][C]
  float *d = v + 36 * TILES * C;                                   // [36][TILES][K]
  float *edge = d + 36 * TILES * K;                                // [6][6][C]: a patch past the image's edge
  float *rows = edge + 36 * C;                                     // [6][6][4]: the transforms' halfway values
  float *m = partials + unit * 36 * C * K;                         // [36][C][K]: Σ V ⊙ D so far
  for (int i = 0; i < 36 * C * K; i += 4) STORE(m + i, SPLAT(0.0f));
  for (int first = start; first < tiles; first += TILES) {
    int count = tiles - first < TILES ? tiles - first : TILES;
    for (int t = 0; t < count; t++) {
      int n = first + t, b = n / perImage, ty = (n % perImage) / tileCols, tx = n % tileCols;
      transformPatch6(x + b * H * W * C, v + t * C, edge, rows, H, W, C, TILES * C, 4 * ty - top, 4 * tx - left);
      transformTile(dy + b * OH * OW * K, d + t * K, rows, OH, OW, K, TILES * K, 4 * ty, 4 * tx);
    }
        for (int p = 0; p < 36; p++)
      for (int c = 0; c < C; c += 4)
        for (int k = 0; k < K; k += 8) {
          if (K - k >= 8) accumulate4x8(v + p * TILES * C + c, d + p * TILES * K + k, m + (p * C + c) * K + k, count, C, K);
          else accumulate4x4(v + p * TILES * C + c, d + p * TILES * K + k, m + (p * C + c) * K + k, count, C, K);
        }
  }
}

// Gᵀ·(m0 … m5)ᵀ: six values to three, the inverse transform of the filter gradient.
INLINE void inverse6(f32x4 m0, f32x4 m1, f32x4 m2, f32x4 m3, f32x4 m4, f32x4 m5, f32x4 *z) {
  f32x4 sixth = SPLAT(1.0f / 6.0f);
  f32x4 a = ADD(m1, m2), b = SUB(m1, m2), c = ADD(m3, m4), d = SUB(m3, m4);
  z[0] = ADD(SUB(MUL(SPLAT(0.25f), m0), MUL(sixth, a)), MUL(SPLAT(1.0f / 24.0f), c));
  z[1] = ADD(MUL(SPLAT(-1.0f / 6.0f), b), MUL(SPLAT(1.0f / 12.0f), d));
  z[2] = ADD(MUL(sixth, SUB(c, a)), m5);
}

// dw [3][3][C][K] = Gᵀ·m·G for input channels 4·unit … 4·unit + 3, m the sum of the `units` partial sums in unit
// order, four output channels at a time.
EXPORT("winogradFilterGradSum")
void winogradFilterGradSum(const float *partials, float *dw, int units, int C, int K, int unit, int thread) {
  for (int c = 4 * unit; c < 4 * unit + 4; c++) {
    for (int k = 0; k < K; k += 4) {
      f32x4 q[36], z[18];
      #pragma unroll
      for (int p = 0; p < 36; p++) {
        const float *at = partials + (p * C + c) * K + k;
        q[p] = LOAD(at);
        for (int u = 1; u < units; u++) q[p] = ADD(q[p], LOAD(at + u * 36 * C * K));
      }
      #pragma unroll
      for (int j = 0; j < 6; j++) {  // Gᵀ·m, 3 × 6
        f32x4 s[3];
        inverse6(q[j], q[6 + j], q[12 + j], q[18 + j], q[24 + j], q[30 + j], s);
        #pragma unroll
        for (int i = 0; i < 3; i++) z[i * 6 + j] = s[i];
      }
      #pragma unroll
      for (int r = 0; r < 3; r++) {  // (Gᵀ·m)·G
        f32x4 s[3];
        inverse6(z[r * 6], z[r * 6 + 1], z[r * 6 + 2], z[r * 6 + 3], z[r * 6 + 4], z[r * 6 + 5], s);
        #pragma unroll
        for (int j = 0; j < 3; j++) STORE(dw + ((r * 3 + j) * C + c) * K + k, s[j]);
      }
    }
  }
}
