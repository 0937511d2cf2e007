// y[n, p, c] = x[n, p, c] · s[n, c] + 0, for x [N][P][C] in the tfjs wasm backend's own memory: Dropout2d's mask
// applied, one multiply per value. The + 0 turns −0 into +0, as channelOps.wat's `combine`, which did this before,
// does; the values are otherwise the products. One image per unit of work (threads.ts). Needs C % 4 == 0. Pointers
// are byte offsets. Compiled into modules.ts by npm run build:wasm.
#include <wasm_simd128.h>

__attribute__((export_name("scaleChannels")))
void scaleChannels(const float *x, const float *s, float *y, int N, int P, int C, int unit, int thread) {
  v128_t zero = wasm_f32x4_splat(0.0f);
  const float *scale = s + unit * C;
  for (int p = 0; p < P; p++) {
    int at = (unit * P + p) * C;
    for (int c = 0; c < C; c += 4)
      wasm_v128_store(y + at + c, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(x + at + c), wasm_v128_load(scale + c)), zero));
  }
}
