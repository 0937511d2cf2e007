import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend/choose';
import { applyTraining } from '../../lib/model/forward';
import { seedDropout } from '../../lib/model/layers';
import { buildNet } from '../../lib/model/net';
import { defaultSpec } from '../../lib/model/spec';
import { nllLoss } from '../../lib/train/shard';

before(async () => {
  await initBackend('wasm');
});

/** Loss, gradients and running statistics of one training pass of a fresh seeded network, as raw bytes, and the
 *  kernels it ran. */
async function trainingPass(forward: (model: tf.LayersModel, x: tf.Tensor) => tf.Tensor, spec = defaultSpec(), batch = 6) {
  const model = buildNet({ spec, seed: 4 });
  seedDropout(model, 12);
  const x = tf.randomNormal([batch, 28, 28, 1], 0.1, 1, 'float32', 2);
  const y = tf.tensor1d(Array.from({ length: batch }, (_, i) => (3 * i) % 10), 'int32');
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let values: Buffer[] = [];
  const { kernels } = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => nllLoss(forward(model, x) as tf.Tensor2D, y), vars);
    const tensors = [value, ...vars.map((v) => grads[v.name]), ...model.nonTrainableWeights.map((w) => w.read())];
    values = tensors.map((t) => Buffer.from((t.dataSync() as Float32Array).buffer.slice(0)));
    tf.dispose([value, ...Object.values(grads)]);
  });
  tf.dispose([x, y]);
  model.dispose();
  return { values, calls: (name: string) => kernels.filter((k) => k.name === name).length };
}

test('the fused training pass gives model.apply\'s loss, gradients and running statistics to the bit, in fewer kernels', async () => {
  const [fused, layers] = [await trainingPass(applyTraining), await trainingPass((m, x) => m.apply(x, { training: true }) as tf.Tensor)];
  assert.equal(fused.values.length, layers.values.length);
  fused.values.forEach((bytes, i) => assert.ok(bytes.equals(layers.values[i]), `value ${i} (0: loss, then gradients, then running statistics)`));
  // The original's 7 ReLU → BatchNorm2d → Dropout2d blocks run as one kernel each way; its two 1×1 transitions
  // (ReLU → Dropout2d, no BatchNorm) still run their ReLU and mask apart.
  assert.equal(layers.calls('Relu'), 9);
  assert.equal(fused.calls('Relu'), 2);
  assert.equal(fused.calls('ReluGrad'), 2);
  assert.equal(fused.calls('ScaleChannels'), 4);
  assert.equal(fused.calls('BatchNorm2dTraining'), 7);
  assert.equal(fused.calls('BatchNorm2dTrainingGrad'), 7);
});

test('blocks without dropout, without ReLU, or with channels not in fours train the same fused or not', async () => {
  const spec = defaultSpec();
  const variants = [
    { ...spec, dropout: 0 },
    { ...spec, blocks: spec.blocks.map((b) => ('conv' in b ? { ...b, relu: false } : b)) },
    // 6 channels: the kernels take channels in fours, so that block runs layer by layer and the others fused
    { ...spec, blocks: spec.blocks.map((b, i) => (i === 0 && 'conv' in b ? { ...b, conv: 6 } : b)) },
  ];
  for (const [i, variant] of variants.entries()) {
    const [fused, layers] = [await trainingPass(applyTraining, variant), await trainingPass((m, x) => m.apply(x, { training: true }) as tf.Tensor, variant)];
    fused.values.forEach((bytes, j) => assert.ok(bytes.equals(layers.values[j]), `variant ${i}: value ${j}`));
  }
});
