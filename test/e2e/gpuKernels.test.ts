/** Our kernels for the webgpu backend (lib/backend/gpuKernels/) on SwiftShader, a Vulkan driver on the CPU from
 *  Debian's chromium package: each against the cpu backend's ops (or our wasm kernels, themselves tested against
 *  cpu) on random shapes, within float tolerance, with the GPU dispatches it takes counted. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend/choose';
import { DenseGrad, ReluScaleChannels, ReluScaleChannelsGrad } from '../../lib/backend/kernels/kernelNames';
import { SWIFTSHADER_ICD } from '../../lib/backend/webgpu';
import { watchGpuWork } from '../../lib/backend/webgpuWork';
import { logSoftmaxNll } from '../../lib/train/loss';
import { Momentum } from '../../lib/train/momentum';
import { Rng } from '../../lib/util/rng';
import { assertClose, assertWithin } from '../kernels/assertClose';
import { randomValues } from '../kernels/runKernel';

before(() => {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD; // read by Vulkan when Dawn starts
});

/** One kernel on a backend from plain arrays, read back asynchronously (webgpu in Node cannot read synchronously). */
async function kernelOn(backend: string, kernel: string, inputs: Record<string, [Float32Array, number[]]>, attrs: object): Promise<Float32Array> {
  await tf.setBackend(backend);
  const out = tf.tidy(() => {
    const tensors = Object.fromEntries(Object.entries(inputs).map(([k, [v, shape]]) => [k, tf.tensor(v, shape)]));
    return tf.engine().runKernel(kernel, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
  });
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return values;
}

test('our Conv2DBackpropFilter on webgpu (partial sums, then their total) matches the cpu backend on random shapes', async () => {
  await initBackend('webgpu');
  const rng = new Rng(77);
  const pick = <T>(xs: T[]): T => xs[rng.int(xs.length)];
  const cases = [
    // the network's 16→16 layer, whose 24 output rows make three bands of eight
    { x: [2, 26, 26, 16], filter: 3, stride: 1, pad: 'valid' as 'same' | 'valid' | number, outChannels: 16 },
    ...Array.from({ length: 8 }, (_, i) => ({
      x: [1 + rng.int(3), 4 + rng.int(14), 4 + rng.int(10), pick([1, 3, 4, 8])], filter: pick([1, 3]),
      stride: 1 + (i % 2), pad: pick<'same' | 'valid' | number>(['same', 'valid', 1]), outChannels: pick([1, 5, 8, 16]),
    })),
  ];
  for (const c of cases) {
    const filterShape = [c.filter, c.filter, c.x[3], c.outChannels] as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(c.x as [number, number, number, number], filterShape, c.stride, 1, c.pad);
    const dyShape = [c.x[0], info.outHeight, info.outWidth, c.outChannels];
    const inputs = { x: [randomValues(rng, c.x), c.x] as [Float32Array, number[]], dy: [randomValues(rng, dyShape), dyShape] as [Float32Array, number[]] };
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape };
    assertClose(await kernelOn('webgpu', 'Conv2DBackpropFilter', inputs, attrs), await kernelOn('cpu', 'Conv2DBackpropFilter', inputs, attrs), JSON.stringify(c));
  }
});

test('our BatchNorm2dTraining (with the running statistics) and its gradient on webgpu match the wasm kernels (tested against cpu), with and without ReLU and mask', async () => {
  const rng = new Rng(11);
  const outputs = async (backend: 'wasm' | 'webgpu', c: { shape: number[]; relu: boolean; mask: boolean }, values: Float32Array[]) => {
    await initBackend(backend);
    const [n, , , channels] = c.shape;
    const [x, dy, gamma, beta, scale, runningMean, runningVariance] = [tf.tensor(values[0], c.shape), tf.tensor(values[1], c.shape),
      tf.tensor1d(values[2]), tf.tensor1d(values[3]), tf.tensor(values[4], [n, 1, 1, channels]), tf.tensor1d(values[5]), tf.tensor1d(values[6])];
    const attrs = { epsilon: 1e-5, relu: c.relu };
    const masked: tf.NamedTensorMap = c.mask ? { scale } : {};
    const watch = backend === 'webgpu' ? watchGpuWork() : undefined;
    const [y, mean, variance, movedMean, movedVariance] = tf.engine().runKernel('BatchNorm2dTraining', { x, gamma, beta, runningMean, runningVariance, ...masked },
      { ...attrs, momentum: 0.1 }) as tf.Tensor[];
    const grads = tf.engine().runKernel('BatchNorm2dTrainingGrad', { dy, x, mean, variance, gamma, ...masked }, attrs) as tf.Tensor[];
    watch?.stop();
    // on webgpu, two dispatches each way (the statistics, then the element-wise pass) and dγ, dβ copied out
    if (watch) assert.deepEqual([watch.work.dispatches, watch.work.copies], [4, 2]);
    const all = [y, mean, variance, movedMean, movedVariance, ...grads];
    const read = await Promise.all(all.map((t) => t.data()));
    tf.dispose([x, dy, gamma, beta, scale, runningMean, runningVariance, ...all]);
    return read.map((v) => Array.from(v));
  };
  for (const relu of [false, true]) {
    for (const mask of [false, true]) {
      // up to 1,600 pixels a channel: each of a workgroup's 256 invocations sums several
      const shape = [1 + rng.int(4), 3 + rng.int(20), 3 + rng.int(20), 4 * (1 + rng.int(4))];
      const size = shape.reduce((a, b) => a * b);
      const values = [
        randomValues(rng, shape).map((v) => 3 * v + 0.5), randomValues(rng, shape), randomValues(rng, [shape[3]]),
        randomValues(rng, [shape[3]]), Float32Array.from({ length: shape[0] * shape[3] }, () => (rng.next() < 0.2 ? 0 : 1.25)),
        randomValues(rng, [shape[3]]), randomValues(rng, [shape[3]]).map((v) => 1 + Math.abs(v)),
      ];
      const c = { shape, relu, mask };
      const [gpu, wasm] = [await outputs('webgpu', c, values), await outputs('wasm', c, values)];
      ['y', 'mean', 'variance', 'running mean', 'running variance', 'dx', 'dgamma', 'dbeta'].forEach((name, i) => {
        const scale = Math.max(1, ...wasm[i].map(Math.abs));
        assertWithin(gpu[i], wasm[i], 1e-5 * scale, `${name} ${JSON.stringify(c)} (${size} values)`);
      });
    }
  }
});

test('Momentum on webgpu runs our SgdMomentum, one call and one dispatch a step, and matches tfjs\'s optimizer on cpu', async () => {
  const rng = new Rng(5);
  const shapes = Array.from({ length: 4 }, () => [1 + rng.int(30), 1 + rng.int(40)]);
  const starts = shapes.map((s) => randomValues(rng, s));
  const grads = Array.from({ length: 3 }, () => shapes.map((s) => randomValues(rng, s)));
  const run = async (backend: 'cpu' | 'webgpu') => {
    await initBackend(backend);
    const variables = shapes.map((s, i) => tf.variable(tf.tensor(starts[i], s), true, `m${i}_${backend}`));
    const optimizer = new Momentum(0.05, 0.9);
    const watch = backend === 'webgpu' ? watchGpuWork() : undefined;
    const calls: string[] = [];
    for (const [k, step] of grads.entries()) {
      if (k === 2) optimizer.setLearningRate(0.01);
      calls.push(...(await tf.profile(() => tf.tidy(() => optimizer.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: tf.tensor(step[i], shapes[i]) })))))).kernels.map((k) => k.name));
    }
    watch?.stop();
    const values = await Promise.all(variables.map((v) => v.data()));
    tf.dispose(variables);
    optimizer.dispose();
    return { values: values.map((v) => Array.from(v)), dispatches: watch?.work.dispatches, copies: watch?.work.copies, calls };
  };
  const gpu = await run('webgpu');
  const cpu = await run('cpu');
  // one a step, and the zeros each variable's accumulator starts from (tfjs's optimizer: four a variable a step)
  assert.equal(gpu.dispatches, grads.length + shapes.length);
  // each variable's value, accumulation and gradient into one buffer, its new value and accumulation out
  assert.equal(gpu.copies, grads.length * shapes.length * 5);
  assert.equal(gpu.calls.filter((name) => name === 'SgdMomentum').length, grads.length);
  gpu.values.forEach((v, i) => assertWithin(v, cpu.values[i], 1e-6, `variable ${i} on webgpu and cpu`));
});

test('the log-softmax and loss on webgpu, one dispatch, give the loss, correct count and logits\' gradient of the cpu backend\'s ops', async () => {
  const rng = new Rng(9);
  // up to 300 rows: the workgroup's 256 invocations take more than one row each
  for (const [rows, classes] of [[128, 10], [1 + rng.int(5), 2 + rng.int(11)], [257 + rng.int(44), 2 + rng.int(11)]]) {
    const logits = randomValues(rng, [rows, classes]).map((v) => 5 * v);
    const labels = Int32Array.from({ length: rows }, () => rng.int(classes));
    const run = async () => {
      const result = tf.tidy(() => logSoftmaxNll(tf.tensor2d(logits, [rows, classes]), tf.tensor1d(labels, 'int32')));
      const [loss, correct, dLogits] = await Promise.all([result.loss.data(), result.correct.data(), result.dLogits.data()]);
      tf.dispose([result.loss, result.correct, result.dLogits]);
      return { loss: loss[0], correct: correct[0], dLogits: Array.from(dLogits), dtype: result.correct.dtype };
    };
    await initBackend('cpu');
    const cpu = await run();
    await initBackend('webgpu');
    const watch = watchGpuWork();
    const gpu = await run().finally(() => watch.stop());
    assert.equal(watch.work.dispatches, 1);
    const what = `${rows}×${classes}`;
    assertWithin([gpu.loss], [cpu.loss], 1e-6 * Math.max(1, Math.abs(cpu.loss)), `loss ${what}`);
    assert.deepEqual([gpu.correct, gpu.dtype], [cpu.correct, cpu.dtype], `correct ${what}`);
    assertWithin(gpu.dLogits, cpu.dLogits, 1e-7, `dLogits ${what}`);
  }
});

test('ReLU with Dropout2d\'s mask, and a linear layer\'s gradients, on webgpu: one dispatch each, the cpu backend\'s ops', async () => {
  const rng = new Rng(21);
  for (let round = 0; round < 3; round++) {
    const shape = [1 + rng.int(4), 1 + rng.int(12), 1 + rng.int(12), 1 + rng.int(20)];
    const maskShape = [shape[0], 1, 1, shape[3]];
    const [x, dy] = [randomValues(rng, shape), randomValues(rng, shape)];
    const mask = Float32Array.from({ length: shape[0] * shape[3] }, () => (rng.next() < 0.3 ? 0 : 1.25));
    const [rows, features, units] = [1 + rng.int(40), 1 + rng.int(40), 1 + rng.int(12)];
    const [input, kernel, dOut] = [randomValues(rng, [rows, features]), randomValues(rng, [features, units]), randomValues(rng, [rows, units])];
    const run = async (backend: 'cpu' | 'webgpu') => {
      await initBackend(backend);
      const watch = backend === 'webgpu' ? watchGpuWork() : undefined;
      const out = tf.tidy(() => {
        const [xs, dys, masks] = [tf.tensor(x, shape), tf.tensor(dy, shape), tf.tensor(mask, maskShape)];
        const [a, w, d] = [tf.tensor2d(input, [rows, features]), tf.tensor2d(kernel, [features, units]), tf.tensor2d(dOut, [rows, units])];
        if (backend === 'cpu') {
          return [tf.mul(tf.relu(xs), masks), tf.mul(tf.mul(dys, masks), tf.step(xs)), tf.matMul(d, w, false, true), tf.matMul(a, d, true), tf.sum(d, 0)];
        }
        return [
          tf.engine().runKernel(ReluScaleChannels, { x: xs, scale: masks }) as tf.Tensor,
          tf.engine().runKernel(ReluScaleChannelsGrad, { dy: dys, x: xs, scale: masks }) as tf.Tensor,
          ...(tf.engine().runKernel(DenseGrad, { dy: d, x: a, kernel: w }) as tf.Tensor[]),
        ];
      });
      const values = await Promise.all(out.map((t) => t.data()));
      watch?.stop();
      tf.dispose(out);
      return { values: values.map((v) => Array.from(v)), dispatches: watch?.work.dispatches };
    };
    const [cpu, gpu] = [await run('cpu'), await run('webgpu')];
    assert.equal(gpu.dispatches, 3);
    const what = JSON.stringify({ shape, rows, features, units });
    ['relu·mask', 'its gradient', 'dx', 'dKernel', 'dBias'].forEach((name, i) => {
      assertWithin(gpu.values[i], cpu.values[i], 1e-5 * Math.max(1, ...cpu.values[i].map(Math.abs)), `${name} ${what}`);
    });
  }
});
