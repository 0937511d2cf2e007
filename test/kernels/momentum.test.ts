import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../lib/backend/kernels/index';
import { Momentum } from '../../lib/train/momentum';
import { Rng } from '../../lib/util/rng';
import { randomValues } from './runKernel';

const rng = new Rng(99);

before(() => {
  registerWasmTrainingKernels();
});

/** Runs `steps` momentum steps on variables of random shapes with random gradients, the learning rate changed halfway
 *  (as the schedule does), and returns the variables' and the accumulators' final values. */
async function train(backend: string, optimizer: () => tf.MomentumOptimizer, shapes: number[][], grads: Float32Array[][]) {
  await tf.setBackend(backend);
  const variables = shapes.map((s, i) => tf.variable(tf.tensor(randomValues(new Rng(i), s), s), true, `w${i}_${backend}_${rng.int(1e9)}`));
  const opt = optimizer();
  grads.forEach((step, k) => {
    if (k === Math.floor(grads.length / 2)) opt.setLearningRate(0.001);
    tf.tidy(() => opt.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: tf.tensor(step[i], shapes[i]) }))));
  });
  const weights = await opt.getWeights();
  const out = [...variables.map((v) => v.dataSync()), ...weights.slice(1).map((w) => w.tensor.dataSync())];
  tf.dispose([...variables, ...weights.map((w) => w.tensor)]);
  opt.dispose();
  return out.map((a) => Array.from(a));
}

test('Momentum on wasm (one SgdMomentum kernel call a step) gives tfjs\'s momentum optimizer\'s numbers to the bit', async () => {
  const shapes = Array.from({ length: 5 }, () => [1 + rng.int(4), 1 + rng.int(9), 1 + rng.int(7)]);
  const grads = Array.from({ length: 6 }, () => shapes.map((s) => randomValues(rng, s)));
  const ours = await train('wasm', () => new Momentum(0.01, 0.9), shapes, grads);
  const stock = await train('wasm', () => tf.train.momentum(0.01, 0.9), shapes, grads);
  const cpu = await train('cpu', () => new Momentum(0.01, 0.9), shapes, grads);
  assert.deepEqual(ours, stock);
  assert.deepEqual(cpu, stock);
});

test('on wasm a step\'s update of all variables is one SgdMomentum kernel call, no Multiply or Add', async () => {
  await tf.setBackend('wasm');
  const variables = [tf.variable(tf.ones([3, 4])), tf.variable(tf.ones([5]))];
  const opt = new Momentum(0.01, 0.9);
  const info = await tf.profile(() => {
    opt.applyGradients(variables.map((v) => ({ name: v.name, tensor: tf.onesLike(v) })));
  });
  const names = info.kernels.map((k) => k.name);
  assert.equal(names.filter((n) => n === 'SgdMomentum').length, 1);
  assert.ok(!names.includes('Multiply') && !names.includes('Add'), names.join(' '));
  tf.dispose(variables);
  opt.dispose();
});
