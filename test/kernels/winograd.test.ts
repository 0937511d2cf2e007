import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../lib/backend/kernels/index';
import { winogradConv, winogradFilterGrad, winogradFits } from '../../lib/backend/kernels/winograd';
import { Rng } from '../../lib/util/rng';
import { assertClose } from './assertClose';
import { randomValues, runOn } from './runKernel';

// Winograd F(2×2, 3×3) (wasm/winograd.c) against the cpu backend's direct sums: the forward convolution (Conv2D and
// FusedConv2D, as tfjs-layers runs it), its input gradient and its filter gradient, on random shapes — batch 1 and
// more, odd and even sizes (odd ones leave half tiles), every padding, the channel counts the kernel takes (fours,
// with the last four output channels of a count like 12 in a block of their own).

type Pad = 'same' | 'valid' | number;
interface Case {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  pad: Pad;
}

const rng = new Rng(4242);
const pick = <T>(xs: T[]): T => xs[rng.int(xs.length)];

function cases(): Case[] {
  const out: Case[] = [];
  for (const batch of [1, 2 + rng.int(4)]) {
    for (const pad of ['same', 'valid', 1, 2] as Pad[]) {
      for (let k = 0; k < 2; k++) {
        out.push({
          batch, pad, height: 3 + rng.int(14), width: 3 + rng.int(14),
          inChannels: pick([4, 8, 12, 16, 32]), outChannels: pick([4, 8, 12, 16, 20, 24, 32]),
        });
      }
    }
  }
  return out;
}

/** Inputs and attributes of the four kernels for one case. */
function kernelsOf(c: Case) {
  const xShape: [number, number, number, number] = [c.batch, c.height, c.width, c.inChannels];
  const filterShape: [number, number, number, number] = [3, 3, c.inChannels, c.outChannels];
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, 1, 1, c.pad);
  assert.ok(winogradFits(info, c.inChannels, c.outChannels), `${JSON.stringify(c)} should take the Winograd path`);
  const x: [Float32Array, number[]] = [randomValues(rng, xShape), xShape];
  const filter: [Float32Array, number[]] = [randomValues(rng, filterShape), filterShape];
  const dyShape = [c.batch, info.outHeight, info.outWidth, c.outChannels];
  const dy: [Float32Array, number[]] = [randomValues(rng, dyShape), dyShape];
  const common = { strides: 1, pad: c.pad, dataFormat: 'NHWC' };
  return {
    Conv2D: { inputs: { x, filter }, attrs: { ...common, dilations: 1 } },
    FusedConv2D: { inputs: { x, filter }, attrs: { ...common, dilations: 1, activation: 'linear' } },
    Conv2DBackpropInput: { inputs: { dy, filter }, attrs: { ...common, inputShape: xShape } },
    Conv2DBackpropFilter: { inputs: { x, dy }, attrs: { ...common, filterShape } },
  };
}

before(() => {
  registerWasmTrainingKernels();
});

for (const kernel of ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'] as const) {
  test(`${kernel} by Winograd on wasm matches the cpu backend`, async () => {
    for (const c of cases()) {
      const { inputs, attrs } = kernelsOf(c)[kernel];
      assertClose(await runOn('wasm', kernel, inputs, attrs), await runOn('cpu', kernel, inputs, attrs), `${kernel} ${JSON.stringify(c)}`);
    }
  });
}

test('FusedConv2D with a bias or an activation fused in goes to the stock kernel, and still matches cpu', async () => {
  const c = { batch: 2, height: 9, width: 7, inChannels: 8, outChannels: 16, pad: 'same' as Pad };
  const { inputs } = kernelsOf(c).FusedConv2D;
  const bias: [Float32Array, number[]] = [randomValues(rng, [16]), [16]];
  const attrs = { strides: 1, pad: c.pad, dataFormat: 'NHWC', dilations: 1, activation: 'relu' };
  assertClose(await runOn('wasm', 'FusedConv2D', { ...inputs, bias }, attrs), await runOn('cpu', 'FusedConv2D', { ...inputs, bias }, attrs), 'bias + relu');
});

/** The valid 3×3 convolution of x [B, H, W, C] with w [3, 3, C, K], and the filter gradient of dy [B, H−2, W−2, K],
 *  as direct sums in float64. */
function directSums(x: Float32Array, w: Float32Array, dy: Float32Array, [B, H, W, C]: number[], K: number) {
  const [OH, OW] = [H - 2, W - 2];
  const y = new Float64Array(B * OH * OW * K);
  const dw = new Float64Array(9 * C * K);
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const out = ((b * OH + oy) * OW + ox) * K;
        for (let r = 0; r < 3; r++) {
          for (let s = 0; s < 3; s++) {
            const at = ((b * H + oy + r) * W + ox + s) * C;
            for (let c = 0; c < C; c++) {
              const xv = x[at + c];
              const tap = ((r * 3 + s) * C + c) * K;
              for (let k = 0; k < K; k++) {
                y[out + k] += xv * w[tap + k];
                dw[tap + k] += xv * dy[out + k];
              }
            }
          }
        }
      }
    }
  }
  return { y, dw };
}

test('winogradConv and winogradFilterGrad on the networks\' own shapes (specs/ included) stay within 1e-5 of the direct sum in float64', async () => {
  await tf.setBackend('wasm');
  const backend = tf.backend() as BackendWasm;
  for (const [size, inChannels, outChannels] of [[28, 8, 16], [26, 16, 16], [10, 16, 32], [6, 16, 32], [8, 8, 16], [26, 12, 12], [12, 8, 12]]) {
    const xShape = [3, size, size, inChannels];
    const x = tf.tensor4d(randomValues(rng, xShape), xShape as [number, number, number, number]);
    const w = tf.tensor4d(randomValues(rng, [3, 3, inChannels, outChannels]), [3, 3, inChannels, outChannels]);
    const dyShape = [3, size - 2, size - 2, outChannels];
    const dy = tf.tensor4d(randomValues(rng, dyShape), dyShape as [number, number, number, number]);
    const shape = { batch: 3, inHeight: size, inWidth: size, inChannels, outHeight: size - 2, outWidth: size - 2, outChannels, top: 0, left: 0 };
    const y = tf.engine().makeTensorFromTensorInfo(winogradConv(backend, x, w, shape, false)) as tf.Tensor4D;
    const dw = tf.engine().makeTensorFromTensorInfo(winogradFilterGrad(backend, x, dy, shape));
    const expected = directSums(x.dataSync() as Float32Array, w.dataSync() as Float32Array, dy.dataSync() as Float32Array, xShape, outChannels);
    // measured: y within 2.3e-7 and dw within 6.7e-6 of the largest value (F(3×3, 4×4)'s transforms scale by up to 8)
    const pairs: [Float32Array, Float64Array, string][] = [[y.dataSync() as Float32Array, expected.y, 'y'], [dw.dataSync() as Float32Array, expected.dw, 'dw']];
    for (const [actual, exact, what] of pairs) {
      const scale = Math.max(...Array.from(exact, Math.abs));
      const worst = Math.max(...Array.from(exact, (e, i) => Math.abs(actual[i] - e)));
      assert.ok(worst < 1e-5 * scale, `${what} ${size}×${size} ${inChannels}→${outChannels}: off by ${worst} of ${scale}`);
    }
    tf.dispose([x, w, dy, y, dw]);
  }
});
