import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { memoryOf } from '../../lib/backend/kernels/heap';
import { registerWasmTrainingKernels, setKernelThreads } from '../../lib/backend/kernels/index';
import { importingMemory } from '../../lib/backend/kernels/sharedMemory';
import { parallel } from '../../lib/backend/kernels/threads';
import { directWasm } from '../../lib/backend/kernels/wasm/modules';
import { Rng } from '../../lib/util/rng';
import { randomValues } from './runKernel';

// The kernels that split their work over threads give the same bits on any number of threads: every unit writes its
// own part, and sums over units are taken in unit order (lib/backend/kernels/threads.ts).

const rng = new Rng(77);

/** The WebAssembly API members used here (the project's TypeScript libraries do not declare WebAssembly; Node has it). */
declare const WebAssembly: {
  Module: { new (bytes: Uint8Array): object; imports(module: object): { module: string; name: string; kind: string }[] };
};

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
      ...(tf.engine().runKernel('BatchNorm2dTraining', { x, gamma: tensor([c]), beta: tensor([c]), runningMean: tensor([c]), runningVariance: tf.abs(tensor([c])) },
        { epsilon: 1e-5, relu: true, momentum: 0.1 }) as tf.Tensor[]),
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

test('tfjs-backend-wasm\'s module is rewritten to import a shared memory, which the backend runs on; another is refused', () => {
  const file = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm');
  const { rewritten, initial, maximum } = importingMemory(new Uint8Array(readFileSync(file)));
  assert.deepEqual([initial, maximum], [256, 65536]);
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(rewritten));
  assert.deepEqual(imports.filter((i) => i.kind === 'memory'), [{ module: 'env', name: 'memory', kind: 'memory' }]);
  assert.ok((memoryOf(tf.backend() as BackendWasm) as { buffer: unknown }).buffer instanceof SharedArrayBuffer);
  // our own modules import their memory already
  assert.throws(() => importingMemory(new Uint8Array(Buffer.from(directWasm, 'base64'))), /does not define one memory with a maximum/);
});
