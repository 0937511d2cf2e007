import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { BatchNorm2d } from '../../lib/model/batchnorm';
import { registerWasmTrainingKernels } from '../../lib/backend/kernels/index';
import { BatchNorm2dTraining } from '../../lib/backend/kernels/kernelNames';
import { Dropout2d } from '../../lib/model/layers';
import { Rng } from '../../lib/util/rng';
import { assertClose } from './assertClose';
import { on, sameOnWasmAndCpu } from './runKernel';

type Shape = [number, number, number, number];
const rng = new Rng(77);

/** Batch 1 and more, every channel count the SIMD kernels take and some they hand back to tf ops (3, 6), sizes 1–13. */
function shapes(channels = [3, 4, 6, 8, 12, 16, 32]): Shape[] {
  const out: Shape[] = [];
  for (const batch of [1, 2 + rng.int(6)]) {
    for (const c of channels) out.push([batch, 1 + rng.int(13), 1 + rng.int(13), c]);
  }
  return out.map((s) => (s[0] * s[1] * s[2] < 2 ? [2, s[1], s[2], s[3]] : s));
}

const values = (n: number, offset = 0, spread = 1): Float32Array =>
  Float32Array.from({ length: n }, () => offset + spread * (rng.next() * 2 - 1));

before(() => {
  registerWasmTrainingKernels();
  registerWasmTrainingKernels(); // a notebook cell run twice
});

test('BatchNorm2d training on wasm matches the cpu backend: output, running statistics, gradients', async () => {
  for (const shape of shapes()) {
    const c = shape[3];
    const size = shape.reduce((a, b) => a * b);
    // a large mean next to a small spread: one-pass variance without the shift would lose it
    const [x, w] = [values(size, 40 * (rng.next() - 0.5), 3), values(size)];
    const [gamma, beta, runMean, runVar] = [values(c, 1, 0.5), values(c), values(c), values(c, 2, 0.5)];
    await sameOnWasmAndCpu(() => {
      const layer = new BatchNorm2d();
      layer.build(shape);
      layer.setWeights([tf.tensor1d(gamma), tf.tensor1d(beta), tf.tensor1d(runMean), tf.tensor1d(runVar)]);
      const xs = tf.tensor4d(x, shape);
      const loss = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, tf.tensor4d(w, shape))) as tf.Scalar;
      const y = layer.apply(xs, { training: true }) as tf.Tensor;
      const [, , mean, variance] = layer.getWeights().map((t) => t.clone());
      const dx = tf.grad(loss)(xs);
      const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
      const { grads } = tf.variableGrads(() => loss(xs), vars);
      layer.weights.forEach((v) => v.dispose());
      return [y, mean, variance, dx, grads[vars[0].name], grads[vars[1].name]];
    }, ['y', 'running mean', 'running variance', 'dx', 'dgamma', 'dbeta'], JSON.stringify(shape));
  }
});

test('BatchNorm2d\'s running statistics on wasm: moved by BatchNorm2dTraining itself, the six ops\' numbers to the bit', async () => {
  for (let trial = 0; trial < 6; trial++) {
    const shape: Shape = [1 + rng.int(4), 1 + rng.int(13), 2 + rng.int(13), 4 * (1 + rng.int(8))];
    const [c, count] = [shape[3], shape[0] * shape[1] * shape[2]];
    const momentum = [0.1, 0.01, 0.3, rng.next()][trial % 4];
    const [x, gamma, beta, mean, variance] = [values(count * c, 0.5, 3), values(c), values(c), values(c, 0, 3), values(c, 2, 1)];
    // the batch's statistics from the kernel, then the running ones from them by the ops the kernel replaces
    const normalise = () => tf.engine().runKernel(BatchNorm2dTraining, {
      x: tf.tensor4d(x, shape), gamma: tf.tensor1d(gamma), beta: tf.tensor1d(beta), runningMean: tf.tensor1d(mean), runningVariance: tf.tensor1d(variance),
    }, { epsilon: 1e-5, relu: false, momentum }) as tf.Tensor[];
    const [, batchMean, batchVariance, movedMean, movedVariance] = await on('wasm', normalise);
    const byOps = () => {
      const [m, v, bm, bv] = [mean, variance, batchMean, batchVariance].map((a) => tf.tensor1d(a));
      return [tf.add(tf.mul(m, 1 - momentum), tf.mul(bm, momentum)), tf.add(tf.mul(v, 1 - momentum), tf.mul(bv, (momentum * count) / (count - 1)))];
    };
    const what = `${JSON.stringify(shape)}, momentum ${momentum}`;
    assert.deepEqual([movedMean, movedVariance], await on('cpu', byOps), what);
    assert.deepEqual([movedMean, movedVariance], await on('wasm', byOps), what);
  }
  await tf.setBackend('wasm');
  const layer = new BatchNorm2d();
  layer.build([2, 3, 3, 4]);
  const { kernels } = await tf.profile(() => tf.tidy(() => layer.apply(tf.ones([2, 3, 3, 4]), { training: true }) as tf.Tensor));
  const names = kernels.map((k) => k.name);
  assert.equal(names.filter((n) => n === 'BatchNorm2dTraining').length, 1);
  assert.ok(!names.includes('Multiply') && !names.includes('Add'), names.join(' '));
  layer.weights.forEach((v) => v.dispose());
});

test('BatchNorm2d kernel gradient, checked against finite differences of its own forward pass', async () => {
  await tf.setBackend('wasm');
  const shape: Shape = [3, 4, 5, 8];
  const x = tf.tensor4d(values(480, 2, 1.5), shape);
  const weights = tf.tensor4d(values(480), shape);
  const gamma = tf.tensor1d(values(8, 1, 0.5));
  const beta = tf.tensor1d(values(8));
  const layer = new BatchNorm2d();
  layer.build(shape);
  layer.setWeights([gamma, beta, tf.zeros([8]), tf.ones([8])]);
  const loss = (xs: tf.Tensor) => tf.tidy(() => tf.sum(tf.mul(layer.apply(xs, { training: true }) as tf.Tensor, weights)).dataSync()[0]);
  const dx = tf.grad((xs: tf.Tensor) => tf.sum(tf.mul(layer.apply(xs, { training: true }) as tf.Tensor, weights)))(x).dataSync();
  const xv = x.dataSync();
  for (const i of [0, 17, 200, 479]) {
    const h = 1e-2;
    const plus = Float32Array.from(xv);
    const minus = Float32Array.from(xv);
    plus[i] += h;
    minus[i] -= h;
    const numeric = (loss(tf.tensor4d(plus, shape)) - loss(tf.tensor4d(minus, shape))) / (2 * h);
    assert.ok(Math.abs(numeric - dx[i]) < 2e-2 * Math.max(1, Math.abs(numeric)), `dx[${i}]: ${dx[i]} vs ${numeric}`);
  }
  tf.dispose([x, weights, gamma, beta]);
  layer.weights.forEach((v) => v.dispose());
});

/** Asserts two arrays hold the same float32 values, bit for bit. */
function sameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.ok(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength)),
    `${what}: not the same bits`);
}

test('ReLU → BatchNorm2d → Dropout2d as one op on wasm: the three layers\' numbers to the bit, and the cpu backend\'s', async () => {
  for (const shape of shapes([4, 8, 12, 16, 32])) {
    for (const rate of [0, 0.4]) {
      const c = shape[3];
      const size = shape.reduce((a, b) => a * b);
      const [x, w, seed] = [values(size, 2 * (rng.next() - 0.5), 3), values(size), rng.seed()];
      const [gamma, beta, runMean, runVar] = [values(c, 1, 0.5), values(c), values(c), values(c, 2, 0.5)];
      // output, running statistics and the gradients of Σ y·w: through the layers one by one under tfjs's tape, or
      // fused as one training pass whose backward step is given dy = w (the tape's gradient of Σ y·w)
      const pass = (fused: boolean) => () => {
        const [relu, norm, dropout] = [tf.layers.reLU(), new BatchNorm2d(), new Dropout2d({ rate, seed })];
        norm.build(shape);
        norm.setWeights([tf.tensor1d(gamma), tf.tensor1d(beta), tf.tensor1d(runMean), tf.tensor1d(runVar)]);
        const xs = tf.tensor4d(x, shape);
        const weights = tf.tensor4d(w, shape);
        let outputs: tf.Tensor[];
        if (fused) {
          const step = norm.trainingPass(xs, { relu: true, mask: rate > 0 ? dropout.drawMask(shape) : undefined });
          const [, , mean, variance] = norm.getWeights().map((t) => t.clone());
          const [dx, dGamma, dBeta] = step.backward(weights);
          outputs = [step.y, tf.sum(tf.mul(step.y, weights)), mean, variance, dx, dGamma, dBeta];
        } else {
          const apply = (input: tf.Tensor) => [relu, norm, dropout].reduce((t, layer) => layer.apply(t, { training: true }) as tf.Tensor, input);
          const vars = norm.trainableWeights.map((v) => v.read() as tf.Variable);
          const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(apply(xs), weights)) as tf.Scalar, vars);
          const [, , mean, variance] = norm.getWeights().map((t) => t.clone());
          dropout.reseed(seed);
          const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(apply(input), weights)))(xs);
          dropout.reseed(seed);
          outputs = [apply(xs), value, mean, variance, dx, grads[vars[0].name], grads[vars[1].name]];
        }
        norm.weights.forEach((v) => v.dispose());
        return outputs;
      };
      const names = ['y', 'loss', 'running mean', 'running variance', 'dx', 'dgamma', 'dbeta'];
      const what = `${JSON.stringify(shape)} rate ${rate}`;
      const [fused, layers, cpu] = [await on('wasm', pass(true)), await on('wasm', pass(false)), await on('cpu', pass(false))];
      names.forEach((name, i) => {
        sameBits(fused[i], layers[i], `${name} ${what}`);
        assertClose(fused[i], cpu[i], `${name} ${what}, cpu`);
      });
    }
  }
});

test('Dropout2d on wasm matches the cpu backend: same masks from the same seed, output and gradient', async () => {
  for (const shape of shapes()) {
    const size = shape.reduce((a, b) => a * b);
    const [x, w, seed] = [values(size), values(size), rng.seed()];
    await sameOnWasmAndCpu(() => {
      const layer = new Dropout2d({ rate: 0.4, seed });
      const loss = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, tf.tensor4d(w, shape))) as tf.Scalar;
      const xs = tf.tensor4d(x, shape);
      return [layer.apply(xs, { training: true }) as tf.Tensor, tf.grad(loss)(xs)];
    }, ['y', 'dx'], JSON.stringify(shape));
  }
});

test('ScaleChannels gradient with respect to the scale too (not used by Dropout2d, but defined)', async () => {
  const shape: Shape = [3, 5, 4, 8];
  const [x, s] = [values(480), values(24)];
  await sameOnWasmAndCpu(() => {
    const f = (xs: tf.Tensor, scale: tf.Tensor) => tf.sum(tf.square(tf.engine().runKernel('ScaleChannels', { x: xs, scale }) as tf.Tensor));
    const reference = (xs: tf.Tensor, scale: tf.Tensor) => tf.sum(tf.square(tf.mul(xs, scale)));
    const onWasm = tf.getBackend() === 'wasm';
    return tf.grads(onWasm ? f : reference)([tf.tensor4d(x, shape), tf.tensor4d(s, [3, 1, 1, 8])]);
  }, ['dx', 'dscale'], 'gradient');
});

test('ReLU gradient on wasm matches the cpu backend, zeros and sizes not in fours included', async () => {
  for (const shape of shapes([1, 3, 4, 8, 16])) {
    const size = shape.reduce((a, b) => a * b);
    const x = values(size).map((v, i) => (i % 7 === 0 ? 0 : v));
    const w = values(size);
    await sameOnWasmAndCpu(() => [tf.grad((xs: tf.Tensor) => tf.sum(tf.mul(tf.relu(xs), tf.tensor4d(w, shape))))(tf.tensor4d(x, shape))],
      ['dx'], JSON.stringify(shape));
  }
});

test('ReLU gradient on wasm passes NaN inputs on as NaN, as dy · step(x) does', async () => {
  const [grad] = await on('wasm', () => [tf.grad((xs: tf.Tensor) => tf.sum(tf.relu(xs)))(tf.tensor1d([NaN, -1, 0, 2]))]);
  assert.ok(Number.isNaN(grad[0]));
  assert.deepEqual(Array.from(grad.subarray(1)), [0, 0, 1]);
});
