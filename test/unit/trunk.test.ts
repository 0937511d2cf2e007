import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend/choose';
import { LogSoftmax, seedDropout } from '../../lib/model/layers';
import { buildNet } from '../../lib/model/net';
import { defaultSpec, NetSpec } from '../../lib/model/spec';
import { nllLoss } from '../../lib/train/loss';
import { lossAndGradients } from '../../lib/train/shard';

before(async () => {
  await initBackend('wasm');
});

type Gradients = (model: tf.LayersModel, x: tf.Tensor4D, y: tf.Tensor1D, vars: tf.Variable[]) => { loss: tf.Tensor; grads: tf.Tensor[] };

/** Through the whole model under tfjs's tape, the layers one by one: what lossAndGradients() must reproduce. */
const byTape: Gradients = (model, x, y, vars) => {
  const { value, grads } = tf.variableGrads(() => nllLoss(model.apply(x, { training: true }) as tf.Tensor2D, y), vars);
  return { loss: value, grads: vars.map((v) => grads[v.name]) };
};

/** The training step's own: the layers and the loss by hand where it can, the rest under the tape. */
const byTrunk: Gradients = (model, x, y, vars) => {
  const { loss, correct, grads } = lossAndGradients(model, x, y, vars);
  correct.dispose();
  return { loss, grads };
};

/** Loss, gradients and running statistics of one training pass of a fresh seeded network, as raw bytes, and the
 *  kernels it ran. */
async function trainingPass(gradients: Gradients, spec: NetSpec | (() => tf.LayersModel) = defaultSpec(), batch = 6) {
  const model = typeof spec === 'function' ? spec() : buildNet({ spec, seed: 4 });
  seedDropout(model, 12);
  const x = tf.randomNormal([batch, 28, 28, 1], 0.1, 1, 'float32', 2) as tf.Tensor4D;
  const y = tf.tensor1d(Array.from({ length: batch }, (_, i) => (3 * i) % 10), 'int32');
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let values: Buffer[] = [];
  const { kernels } = await tf.profile(() => {
    tf.tidy(() => {
      const { loss, grads } = gradients(model, x, y, vars);
      const tensors = [loss, ...grads, ...model.nonTrainableWeights.map((w) => w.read())];
      values = tensors.map((t) => Buffer.from((t.dataSync() as Float32Array).buffer.slice(0)));
    });
  });
  tf.dispose([x, y]);
  model.dispose();
  return { values, calls: (name: string) => kernels.filter((k) => k.name === name).length, total: kernels.length };
}

test('the training step (by hand) gives the tape\'s loss, gradients and running statistics to the bit, in fewer kernels', async () => {
  const [ours, tape] = [await trainingPass(byTrunk), await trainingPass(byTape)];
  assert.equal(ours.values.length, tape.values.length);
  ours.values.forEach((bytes, i) => assert.ok(bytes.equals(tape.values[i]), `value ${i} (0: loss, then gradients, then running statistics)`));
  // The original's 7 ReLU → BatchNorm2d → Dropout2d blocks run as one kernel each way; its two 1×1 transitions
  // (ReLU → Dropout2d, no BatchNorm) still run their ReLU and mask apart.
  assert.equal(tape.calls('Relu'), 9);
  assert.equal(ours.calls('Relu'), 2);
  assert.equal(ours.calls('ReluGrad'), 2);
  assert.equal(ours.calls('ScaleChannels'), 4);
  assert.equal(ours.calls('BatchNorm2dTraining'), 7);
  assert.equal(ours.calls('BatchNorm2dTrainingGrad'), 7);
  // No tape, so none of its copies (Identity) of what it saves: two a convolution, five a BatchNorm, the linear
  // layer's operands, log-softmax's output; nor the casts of tf.oneHot's int32 labels.
  assert.equal(ours.calls('Identity'), 0);
  assert.ok(tape.calls('Identity') >= 9 * 2 + 7 * 5, `${tape.calls('Identity')} Identity calls by tape`);
  assert.equal(ours.calls('Cast'), 2); // the one-hot labels' to float32, once, and the correct count's from bool
  assert.ok(ours.total <= tape.total - (9 * 2 + 7 * 5), `${ours.total} against ${tape.total} kernel calls`);
});

test('blocks without dropout, without ReLU, or with channels not in fours train the same by hand or by tape', async () => {
  const spec = defaultSpec();
  const variants = [
    { ...spec, dropout: 0 },
    { ...spec, blocks: spec.blocks.map((b) => ('conv' in b ? { ...b, relu: false } : b)) },
    // 6 channels: the kernels take channels in fours, so that block runs layer by layer and the others fused
    { ...spec, blocks: spec.blocks.map((b, i) => (i === 0 && 'conv' in b ? { ...b, conv: 6 } : b)) },
    // no pooling before the head, and a batch of one
    { ...spec, blocks: spec.blocks.filter((b) => !('avgPool' in b)) },
  ];
  for (const [i, variant] of variants.entries()) {
    const [ours, tape] = [await trainingPass(byTrunk, variant, i === 3 ? 1 : 6), await trainingPass(byTape, variant, i === 3 ? 1 : 6)];
    ours.values.forEach((bytes, j) => assert.ok(bytes.equals(tape.values[j]), `variant ${i}: value ${j}`));
  }
});

test('layers the step does not run by hand, and those after them, train under the tape with the same numbers', async () => {
  // a head with a ReLU linear layer, which trunk.ts does not take: it and the layers after it go under the tape
  const model = () => {
    const net = buildNet({ seed: 4 }) as tf.Sequential;
    const layers = net.layers.slice(0, -2); // all but the last linear layer and the log-softmax
    const seeded = (seed: number) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed }) });
    const head = [tf.layers.dense({ units: 12, activation: 'relu', ...seeded(1) }), tf.layers.dense({ units: 10, ...seeded(2) }), new LogSoftmax({})];
    return tf.sequential({ layers: [...layers, ...head] });
  };
  const [ours, tape] = [await trainingPass(byTrunk, model), await trainingPass(byTape, model)];
  assert.equal(ours.values.length, tape.values.length);
  ours.values.forEach((bytes, j) => assert.ok(bytes.equals(tape.values[j]), `value ${j}`));
  assert.ok(ours.calls('Identity') > 0, 'the head went under the tape');
});
