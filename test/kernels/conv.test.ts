import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../lib/backend/kernels/index';
import { Rng } from '../../lib/util/rng';
import { assertClose } from './assertClose';
import { randomValues as valuesOf, runOn } from './runKernel';

type Pad = 'same' | 'valid' | number;
interface ConvCase {
  batch: number;
  size: number;
  inChannels: number;
  outChannels: number;
  filter: number;
  stride: number;
  pad: Pad;
}

const rng = new Rng(2024);
const pick = <T>(xs: T[]): T => xs[rng.int(xs.length)];

/** Every combination the issue names, with randomized sizes and channel counts (drawn from the given lists). */
function convCases(inChannels = [1, 3, 8, 16], outChannels = [1, 4, 16, 32]): ConvCase[] {
  const cases: ConvCase[] = [];
  for (const batch of [1, 2 + rng.int(5)]) {
    for (const filter of [1, 3]) {
      for (const stride of [1, 2]) {
        for (const pad of ['same', 'valid', 1] as Pad[]) {
          cases.push({ batch, filter, stride, pad, size: 5 + rng.int(10), inChannels: pick(inChannels), outChannels: pick(outChannels) });
        }
      }
    }
  }
  return cases;
}

const randomValues = (shape: number[]): Float32Array => valuesOf(rng, shape);

before(() => {
  registerWasmTrainingKernels();
  registerWasmTrainingKernels(); // a notebook cell run twice
});

/** The inputs and attributes of both convolution gradient kernels for one case. */
function convGradients(c: ConvCase) {
  const xShape = [c.batch, c.size, c.size, c.inChannels] as [number, number, number, number];
  const filterShape = [c.filter, c.filter, c.inChannels, c.outChannels] as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, c.stride, 1, c.pad);
  const dyShape = [c.batch, info.outHeight, info.outWidth, c.outChannels];
  const dy: [Float32Array, number[]] = [randomValues(dyShape), dyShape];
  const common = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC' };
  const x: [Float32Array, number[]] = [randomValues(xShape), xShape];
  const filter: [Float32Array, number[]] = [randomValues(filterShape), filterShape];
  return {
    forward: { inputs: { x, filter }, attrs: { ...common, dilations: 1 } },
    fused: { inputs: { x, filter }, attrs: { ...common, dilations: 1, activation: 'linear' } },
    filter: { inputs: { x, dy }, attrs: { ...common, filterShape } },
    input: { inputs: { dy, filter }, attrs: { ...common, inputShape: xShape } },
  } as Record<'forward' | 'fused' | 'filter' | 'input', { inputs: Record<string, [Float32Array, number[]]>; attrs: object }>;
}

// Every case, whichever path it takes: Winograd (3×3, stride 1, channels in fours and eights), our SIMD filter
// gradient, XNNPACK through the stock kernels, or loops.
const KERNELS = [['Conv2D', 'forward'], ['FusedConv2D', 'fused'], ['Conv2DBackpropFilter', 'filter'], ['Conv2DBackpropInput', 'input']] as const;
for (const [kernel, which] of KERNELS) {
  test(`${kernel} on wasm matches the cpu backend`, async () => {
    for (const c of convCases()) {
      const { inputs, attrs } = convGradients(c)[which];
      assertClose(await runOn('wasm', kernel, inputs, attrs), await runOn('cpu', kernel, inputs, attrs), JSON.stringify(c));
    }
  });
}

test('Conv2DBackpropFilter on wasm matches the cpu backend on the SIMD kernel channel counts (any in, 8k out)', async () => {
  for (const c of [...convCases([4, 8, 12, 16, 32], [8, 16, 24, 32]), ...convCases([1, 2, 3, 5, 6, 7, 9, 13], [8, 16])]) {
    const { inputs, attrs } = convGradients(c).filter;
    const [wasm, cpu] = [await runOn('wasm', 'Conv2DBackpropFilter', inputs, attrs), await runOn('cpu', 'Conv2DBackpropFilter', inputs, attrs)];
    assertClose(wasm, cpu, JSON.stringify(c));
  }
});

test('Identity on wasm shares memory safely: a clone outlives its source with the same values', async () => {
  await tf.setBackend('wasm');
  const before = tf.memory().numBytes;
  const source = tf.tensor([1, 2, 3]);
  const copy = tf.clone(source);
  source.dispose();
  assert.deepEqual(Array.from(copy.dataSync()), [1, 2, 3]);
  copy.dispose();
  assert.equal(tf.memory().numBytes, before);
});

test('gradients of conv → relu → maxpool on wasm match the cpu backend', async () => {
  const x = randomValues([3, 12, 12, 4]);
  const w = randomValues([3, 3, 4, 8]);
  const grads = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const f = (xs: tf.Tensor4D, ws: tf.Tensor4D) => tf.sum(tf.maxPool(tf.relu(tf.conv2d(xs, ws, 1, 'valid')), 2, 2, 'valid'));
      const [dx, dw] = tf.grads(f as (...t: tf.Tensor[]) => tf.Tensor)([tf.tensor4d(x, [3, 12, 12, 4]), tf.tensor4d(w, [3, 3, 4, 8])]);
      return [dx.dataSync() as Float32Array, dw.dataSync() as Float32Array];
    });
  };
  const [wasm, cpu] = [await grads('wasm'), await grads('cpu')];
  assertClose(wasm[0], cpu[0], 'dx');
  assertClose(wasm[1], cpu[1], 'dw');
});
