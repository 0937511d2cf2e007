/** Small kernels of ours for webgpu (lib/backend/gpuKernels/), on SwiftShader, against the cpu backend; the larger
 *  ones and training are in webgpu.test.ts. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend/choose';
import { SWIFTSHADER_ICD } from '../../lib/backend/webgpu';
import { watchGpuWork } from '../../lib/backend/webgpuWork';
import { Rng } from '../../lib/util/rng';
import { randomValues } from '../kernels/runKernel';

before(() => {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
});

test('Relu\'s gradient on webgpu is one ReluGrad program, the products of the cpu backend\'s Step and Multiply to the bit', async () => {
  const rng = new Rng(9);
  for (let k = 0; k < 4; k++) {
    const shape = [1 + rng.int(3), 1 + rng.int(9), 1 + rng.int(9), 4 * (1 + rng.int(4))];
    const [x, dy] = [randomValues(rng, shape, 4), randomValues(rng, shape)]; // levels: exact zeros in x
    const gradient = () => tf.grad((input: tf.Tensor) => tf.relu(input))(tf.tensor(x, shape), tf.tensor(dy, shape));
    await initBackend('cpu');
    const expected = gradient().dataSync();
    await initBackend('webgpu');
    const watch = watchGpuWork();
    const { kernels, result } = await profiled(gradient);
    const values = await result.data();
    watch.stop();
    assert.deepEqual(kernels.filter((name) => name !== 'Relu' && name !== 'Identity'), ['ReluGrad'], `shape ${shape}`); // Identity: the tape's copy of x
    assert.equal(watch.work.dispatches, 2, 'Relu and ReluGrad');
    assert.ok(Buffer.from(values.buffer).equals(Buffer.from(expected.buffer)), `shape ${shape}`);
  }
});

async function profiled(f: () => tf.Tensor): Promise<{ kernels: string[]; result: tf.Tensor }> {
  let result!: tf.Tensor;
  const info = await tf.profile(() => {
    result = f();
    return result;
  });
  return { kernels: info.kernels.map((k) => k.name), result };
}
