import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BatchNorm2d } from '../../lib/model/batchnorm';
import { Rng } from '../../lib/util/rng';

const rng = new Rng(11);

/** The textbook layer, differentiated by tfjs itself: moments, then the generic batchNorm op. */
function reference(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5) as tf.Tensor4D;
}

function close(a: tf.Tensor, b: tf.Tensor, what: string): void {
  const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
  assert.ok(diff < 1e-4, `${what}: max difference ${diff}`);
}

before(async () => {
  await tf.setBackend('cpu');
});

test('BatchNorm2d in training matches the textbook layer, value and gradients, on random shapes', () => {
  for (let trial = 0; trial < 5; trial++) {
    const shape: [number, number, number, number] = [1 + rng.int(4), 1 + rng.int(6), 1 + rng.int(6), 1 + rng.int(8)];
    if (shape[0] * shape[1] * shape[2] < 2) shape[0] = 2;
    const x = tf.randomNormal(shape, 1.5, 2, 'float32', rng.seed());
    const gamma = tf.randomUniform([shape[3]], 0.5, 1.5, 'float32', rng.seed());
    const beta = tf.randomNormal([shape[3]], 0, 1, 'float32', rng.seed());
    const weights = tf.randomNormal(shape, 0, 1, 'float32', rng.seed()); // makes the loss depend on every output
    const layer = new BatchNorm2d();
    layer.build(shape);
    layer.setWeights([gamma, beta, tf.zeros([shape[3]]), tf.ones([shape[3]])]);
    const ours = (xs: tf.Tensor) => tf.sum(tf.mul(layer.apply(xs, { training: true }) as tf.Tensor, weights)) as tf.Scalar;
    const theirs = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(reference(xs as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D), weights));
    close(ours(x), theirs(x, gamma, beta), `value ${shape}`);
    const dx = tf.grad(ours)(x);
    const [gammaVar, betaVar] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => ours(x), [gammaVar, betaVar]);
    const [dg, db] = [grads[gammaVar.name], grads[betaVar.name]];
    const [rx, rg, rb] = tf.grads(theirs)([x, gamma, beta]);
    close(dx, rx, `dx ${shape}`);
    close(dg, rg, `dgamma ${shape}`);
    close(db, rb, `dbeta ${shape}`);
  }
});

test('running statistics follow PyTorch: momentum 0.1, unbiased variance; inference uses them', () => {
  const layer = new BatchNorm2d();
  const x = tf.tensor4d([1, 2, 3, 5], [4, 1, 1, 1]);
  layer.apply(x, { training: true });
  const [, , runningMean, runningVar] = layer.getWeights().map((w) => w.dataSync()[0]);
  assert.ok(Math.abs(runningMean - 0.1 * 2.75) < 1e-6, `running mean ${runningMean}`);
  const unbiased = (((1 - 2.75) ** 2 + (2 - 2.75) ** 2 + (3 - 2.75) ** 2 + (5 - 2.75) ** 2) / 3);
  assert.ok(Math.abs(runningVar - (0.9 + 0.1 * unbiased)) < 1e-6, `running variance ${runningVar}`);
  const y = (layer.apply(tf.tensor4d([2], [1, 1, 1, 1]), { training: false }) as tf.Tensor).dataSync()[0];
  assert.ok(Math.abs(y - (2 - runningMean) / Math.sqrt(runningVar + 1e-5)) < 1e-5);
});
