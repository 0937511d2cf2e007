import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../lib/backend/kernels/index';
import { Rng } from '../../lib/util/rng';
import { assertClose } from './assertClose';
import { Inputs, randomValues, runOn } from './runKernel';

type Pad = 'same' | 'valid' | number;
interface PoolCase {
  shape: [number, number, number, number];
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: Pad;
}

const rng = new Rng(4242);

/** The net's pools (2×2 stride 2, a 4×4 average over a 4×4 map) and overlapping, padded and uneven ones, on batch 1
 *  and more, channel counts in fours (the SIMD path) and not, odd and even sizes. */
function poolCases(): PoolCase[] {
  const configs: Omit<PoolCase, 'shape'>[] = [
    { filterSize: 2, strides: 2, pad: 'valid' },
    { filterSize: 2, strides: 2, pad: 'same' },
    { filterSize: 3, strides: 1, pad: 'same' },
    { filterSize: 3, strides: 2, pad: 1 },
    { filterSize: [2, 3], strides: [1, 2], pad: 'valid' },
  ];
  const cases: PoolCase[] = [];
  for (const batch of [1, 2 + rng.int(5)]) {
    for (const channels of [1, 3, 4, 6, 8, 16, 32]) {
      for (const config of configs) {
        const size = 3 + rng.int(12);
        cases.push({ shape: [batch, size, size + rng.int(2), channels], ...config });
      }
    }
    cases.push({ shape: [batch, 4, 4, 32], filterSize: 4, strides: 4, pad: 'valid' });
    // even sizes, every position in one window: MaxPoolGrad's own 2×2 kernel
    cases.push({ shape: [batch, 2 * (1 + rng.int(7)), 2 * (1 + rng.int(7)), 4 * (1 + rng.int(4))], filterSize: 2, strides: 2, pad: 'valid' });
  }
  return cases;
}

before(() => registerWasmTrainingKernels());

for (const [kernel, forward, levels] of [['MaxPoolGrad', 'MaxPool', 5], ['AvgPoolGrad', 'AvgPool', 0]] as const) {
  test(`${kernel} on wasm matches the cpu backend`, async () => {
    for (const c of poolCases()) {
      const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
      // few distinct values, so windows often hold several maxima: the gradient must go to the same (first) one
      const x = randomValues(rng, c.shape, levels);
      const output = await runOn('cpu', forward, { x: [x, c.shape] }, attrs);
      const outShape = tf.backend_util.computePool2DInfo(c.shape, c.filterSize, c.strides, 1, c.pad).outShape;
      const inputs: Inputs = { dy: [randomValues(rng, outShape), outShape], input: [x, c.shape], output: [output, outShape] };
      if (kernel === 'AvgPoolGrad') delete inputs.output;
      assertClose(await runOn('wasm', kernel, inputs, attrs), await runOn('cpu', kernel, inputs, attrs), JSON.stringify(c));
    }
  });
}

test('MaxPool on wasm (our 2×2 kernel where it applies, XNNPACK elsewhere) matches the cpu backend exactly', async () => {
  for (const c of poolCases()) {
    const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
    const x: Inputs = { x: [randomValues(rng, c.shape, 5), c.shape] };
    assert.deepEqual(await runOn('wasm', 'MaxPool', x, attrs), await runOn('cpu', 'MaxPool', x, attrs), JSON.stringify(c));
  }
});
