import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend/choose';
import { DeviceSplit, disposeBatch, toDevice } from '../../lib/data/device';
import { batches, loadMnist, MnistSplit } from '../../lib/data/mnist';
import { buildNet } from '../../lib/model/net';
import { PendingSteps, readOutcomes } from '../../lib/train/metrics';
import { readWeights } from '../../lib/train/shard';
import { Trainer } from '../../lib/train/step';
import { Rng } from '../../lib/util/rng';

let split: MnistSplit;

before(async () => {
  await initBackend('wasm');
  split = loadMnist({ trainSamples: 300, testSamples: 1 }).train;
});
after(() => assert.equal(tf.memory().numTensors, 0, 'every test disposed its tensors'));

test('batches gathered on the backend hold what the batches in memory hold, in the same order', async () => {
  const order = new Rng(4).permutation(split.count);
  const device = DeviceSplit.upload(split);
  const host = [...batches(split, 128, order)];
  const gathered = [...device.batches(128, order)];
  assert.deepEqual(gathered.map((b) => b.size), [128, 128, 44]);
  for (const [i, b] of gathered.entries()) {
    assert.deepEqual(await b.x.data(), host[i].images, `batch ${i}: images`);
    assert.deepEqual(await b.y.data(), host[i].labels, `batch ${i}: labels`);
    disposeBatch(b);
  }
  device.dispose();
});

test('a single-shard step on a gathered batch is the step on that batch from memory, to the bit', async () => {
  const order = new Rng(5).permutation(split.count);
  const run = async (onDevice: boolean) => {
    const model = buildNet({ seed: 2 });
    const trainer = new Trainer(model, { lr: 0.05, momentum: 0.9, shards: 1 });
    const device = DeviceSplit.upload(split);
    const outcomes = [];
    const host = [...batches(split, 100, order)];
    for (const [i, b] of [...device.batches(100, order)].entries()) {
      outcomes.push(await trainer.step(onDevice ? b : host[i], 10 + i));
      disposeBatch(b);
    }
    const result = { metrics: await readOutcomes(outcomes), weights: await readWeights(model.weights) };
    device.dispose();
    trainer.dispose();
    model.dispose();
    return result;
  };
  const [fromMemory, gathered] = [await run(false), await run(true)];
  assert.deepEqual(gathered, fromMemory);
  assert.ok(gathered.metrics.every((m) => typeof m.loss === 'number' && Number.isFinite(m.loss)));
});

test('step outcomes are read in order, numbers and tensors alike, every READ_EVERY_MS or when asked', async () => {
  const pending = new PendingSteps();
  pending.add({ loss: tf.scalar(1.5), correct: tf.scalar(7, 'int32'), size: 10 });
  assert.equal((await pending.read()).length, 1, 'the first read is due at once');
  pending.add({ loss: 2.25, correct: 3, size: 4 });
  pending.add({ loss: tf.scalar(0.5), correct: tf.scalar(1, 'int32'), size: 2 });
  assert.deepEqual(await pending.read(), [], 'not due again so soon');
  assert.deepEqual(await pending.read(true), [{ loss: 2.25, correct: 3, size: 4 }, { loss: 0.5, correct: 1, size: 2 }]);
  pending.add({ loss: tf.scalar(9), correct: tf.scalar(9, 'int32'), size: 9 });
  pending.dispose(); // a stopped run drops what it did not read
  const uploaded = toDevice([...batches(split, 3)][0]);
  assert.deepEqual(uploaded.x.shape, [3, 28, 28, 1]);
  disposeBatch(uploaded);
});
