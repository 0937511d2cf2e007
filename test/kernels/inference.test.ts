import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { BatchNorm2d } from '../../lib/model/batchnorm';
import { registerWasmTrainingKernels } from '../../lib/backend/kernels/index';
import { Rng } from '../../lib/util/rng';
import { randomValues, sameOnWasmAndCpu } from './runKernel';

const rng = new Rng(1234);

before(() => registerWasmTrainingKernels());

test('BatchNorm2d inference on wasm matches the cpu backend: output and gradients (channels in fours or not)', async () => {
  for (const batch of [1, 2 + rng.int(6)]) {
    for (const c of [3, 4, 8, 12, 16, 32]) {
      const shape: [number, number, number, number] = [batch, 1 + rng.int(13), 1 + rng.int(13), c];
      const x = randomValues(rng, shape).map((v) => 5 * v + 3);
      const w = randomValues(rng, shape);
      const [gamma, beta, mean] = [randomValues(rng, [c]), randomValues(rng, [c]), randomValues(rng, [c])];
      const variance = randomValues(rng, [c]).map((v) => 2 + v);
      await sameOnWasmAndCpu(() => {
        const layer = new BatchNorm2d();
        layer.build(shape);
        layer.setWeights([gamma, beta, mean, variance].map((v) => tf.tensor1d(v)));
        const loss = (xs: tf.Tensor) => tf.sum(tf.mul(layer.apply(xs, { training: false }) as tf.Tensor, tf.tensor4d(w, shape))) as tf.Scalar;
        const xs = tf.tensor4d(x, shape);
        const y = layer.apply(xs, { training: false }) as tf.Tensor;
        const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
        const { grads } = tf.variableGrads(() => loss(xs), vars);
        const out = [y, tf.grad(loss)(xs), grads[vars[0].name], grads[vars[1].name]];
        layer.weights.forEach((v) => v.dispose());
        return out;
      }, ['y', 'dx', 'dgamma', 'dbeta'], JSON.stringify(shape));
    }
  }
});

test('Slice on wasm matches the cpu backend: contiguous (batches), strided, int32, empty', async () => {
  const shape = [3 + rng.int(5), 2 + rng.int(4), 3, 2];
  const x = randomValues(rng, shape);
  const slices: [number[], number[]][] = [
    [[1, 0, 0, 0], [2, -1, -1, -1]],
    [[0, 0, 0, 0], [shape[0], -1, -1, -1]],
    [[2, 1, 0, 0], [1, 1, -1, -1]],
    [[0, 1, 0, 0], [-1, 1, 2, 1]],
    [[1, 0, 0, 0], [0, -1, -1, -1]],
  ];
  for (const [begin, size] of slices) {
    for (const dtype of ['float32', 'int32'] as const) {
      await sameOnWasmAndCpu(() => {
        const t = tf.tensor(dtype === 'int32' ? Int32Array.from(x, (v) => Math.round(100 * v)) : x, shape, dtype);
        const s = tf.slice(t, begin, size);
        assert.equal(s.dtype, dtype);
        return [tf.cast(s, 'float32'), tf.tensor1d(s.shape)];
      }, ['values', 'shape'], JSON.stringify({ begin, size, dtype }));
    }
  }
});

test('GatherV2 on wasm matches the cpu backend: rows of images and labels, repeats, 2-D indices, other axes, bad index', async () => {
  const shape = [5 + rng.int(20), 2 + rng.int(5), 1 + rng.int(4), 1 + rng.int(3)];
  const x = randomValues(rng, shape);
  const rows = Array.from({ length: 1 + rng.int(12) }, () => rng.int(shape[0]));
  const cases: [number[], number[], number][] = [
    [rows, [rows.length], 0],
    [[0, shape[0] - 1, 0, 0], [2, 2], 0],
    [[], [0], 0],
    [[1, 0, 1], [3], 1],
    [[0, 0], [2], 3],
  ];
  for (const [picked, indexShape, axis] of cases) {
    for (const dtype of ['float32', 'int32'] as const) {
      await sameOnWasmAndCpu(() => {
        const t = tf.tensor(dtype === 'int32' ? Int32Array.from(x, (v) => Math.round(100 * v)) : x, shape, dtype);
        const g = tf.gather(t, tf.tensor(picked, indexShape, 'int32'), axis);
        assert.equal(g.dtype, dtype);
        return [tf.cast(g, 'float32'), tf.tensor1d(g.shape)];
      }, ['values', 'shape'], JSON.stringify({ picked, indexShape, axis, dtype }));
    }
  }
  await tf.setBackend('wasm');
  const t = tf.tensor(x, shape);
  assert.throws(() => tf.gather(t, tf.tensor1d([0, shape[0]], 'int32')), new RegExp(`GatherV2: the index value ${shape[0]} is not in \\[0, ${shape[0] - 1}\\]`));
  assert.throws(() => tf.gather(t, tf.tensor1d([-1], 'int32')), /GatherV2: the index value -1 is not in/);
  t.dispose();
});
