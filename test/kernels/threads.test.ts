import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels, setKernelThreads } from '../../lib/backend/kernels/index';
import { parallel } from '../../lib/backend/kernels/threads';
import { directWasm } from '../../lib/backend/kernels/wasm/modules';
import { Rng } from '../../lib/util/rng';
import { randomValues } from './runKernel';

// The kernels that split their work over threads give the same bits on any number of threads: every unit writes its
// own part, and sums over units are taken in unit order (lib/backend/kernels/threads.ts).

const rng = new Rng(77);

before(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
});
after(() => setKernelThreads(1));

/** Each kernel once, on inputs of random shape, its outputs read back. */
function kernelsOnce(shapes: { batch: number; size: number; c: number; k: number }): Float32Array[] {
  const { batch, size, c, k } = shapes;
  const r = new Rng(size * 1000 + batch); // the same inputs on every thread count
  const tensor = (shape: number[]) => tf.tensor(randomValues(r, shape), shape);
  return tf.tidy(() => {
    const x = tensor([batch, size, size, c]) as tf.Tensor4D;
    const image = tensor([batch, size, size, 1]) as tf.Tensor4D;
    const w3 = tensor([3, 3, c, k]) as tf.Tensor4D;
    const w1 = tensor([1, 1, c, 8]) as tf.Tensor4D;
    const first = tensor([3, 3, 1, 8]) as tf.Tensor4D;
    const y = tf.conv2d(x, w3, 1, 'valid');
    const dy = tensor(y.shape) as tf.Tensor4D;
    const outputs = [
      y,
      tf.conv2d(image, first, 1, 'same'),
      tf.conv2d(x, w1, 1, 'valid'),
      tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w3 }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', inputShape: x.shape }) as tf.Tensor,
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: w3.shape }) as tf.Tensor,
      tf.engine().runKernel('Conv2DBackpropFilter', { x: image, dy: tensor([batch, size, size, 8]) }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 1, 8] }) as tf.Tensor,
      tf.maxPool(x, 2, 2, 'valid'),
      ...(tf.engine().runKernel('BatchNorm2dTraining', { x, gamma: tensor([c]), beta: tensor([c]) }, { epsilon: 1e-5, relu: true }) as tf.Tensor[]),
      ...(tf.engine().runKernel('BatchNorm2dTrainingGrad', { dy: tensor(x.shape), x, mean: tensor([c]), variance: tf.abs(tensor([c])), gamma: tensor([c]) }, { epsilon: 1e-5, relu: true }) as tf.Tensor[]),
    ];
    return outputs.map((t) => t.dataSync() as Float32Array);
  });
}

test('convolutions, their gradients, BatchNorm and the pool give the same bits on 1, 2, 3 and 5 threads', () => {
  for (let n = 0; n < 3; n++) {
    const shapes = { batch: 1 + rng.int(19), size: 2 * (3 + rng.int(8)), c: [8, 16, 32][rng.int(3)], k: [8, 16, 32][rng.int(3)] };
    setKernelThreads(1);
    const one = kernelsOnce(shapes);
    for (const threads of [2, 3, 5]) {
      setKernelThreads(threads);
      assert.deepEqual(kernelsOnce(shapes), one, `${JSON.stringify(shapes)} on ${threads} threads`);
    }
  }
});

test('a unit that fails on a kernel thread fails the kernel with its own error, and the threads go on working', () => {
  const shapes = { batch: 9, size: 10, c: 8, k: 16 };
  setKernelThreads(1);
  const expected = kernelsOnce(shapes);
  setKernelThreads(3);
  const backend = tf.backend() as BackendWasm;
  // sumPartials reading far past the end of memory: each unit traps
  assert.throws(() => parallel(backend, directWasm, 'sumPartials', 6, [0x7ff00000, 0x7ff00000, 1, 4]), /memory access out of bounds/);
  assert.deepEqual(kernelsOnce(shapes), expected);
});
