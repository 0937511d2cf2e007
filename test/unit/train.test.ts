import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend/choose';
import { loadMnist, Mnist } from '../../lib/data/mnist';
import { buildNet } from '../../lib/model/net';
import { History, train, TrainHooks } from '../../lib/train/loop';
import { defaultSettings } from '../../lib/run/settings';
import { learningRate, Recipe } from '../../lib/train/recipe';

let data: Mnist;
const options: Recipe = { ...defaultSettings(), epochs: 2, batchSize: 64, lrStep: 0, seed: 7, shards: 2 };

async function run(recipe: Recipe, hooks: TrainHooks = {}): Promise<History> {
  const model = buildNet({ seed: recipe.seed });
  try {
    return await train(model, data, recipe, hooks);
  } finally {
    model.dispose();
  }
}

before(async () => {
  await initBackend('wasm');
  data = loadMnist({ trainSamples: 1500, testSamples: 500 });
});

test('a short run on a subset learns: test accuracy far above chance, loss falls', async () => {
  const history = await run(options);
  assert.equal(history.length, 2);
  assert.ok(history[1].testAcc > 60, `test accuracy ${history[1].testAcc}% after 2 epochs on 1,500 images`);
  assert.ok(history[1].trainLoss < history[0].trainLoss, 'train loss falls from epoch 1 to 2');
  for (const s of history) assert.ok(s.seconds > 0 && Number.isFinite(s.testLoss));
});

test('the same seed gives the same history; another seed does not', async () => {
  const one = { ...options, epochs: 1 };
  const [a, b, c] = [await run(one), await run(one), await run({ ...one, seed: 8 })];
  const numbers = (h: History) => h.map(({ seconds, ...rest }) => rest);
  assert.deepEqual(numbers(a), numbers(b));
  assert.notDeepEqual(numbers(a), numbers(c));
});

test('no tensors leak across epochs', async () => {
  const model = buildNet({ seed: 1 });
  const counts: number[] = [];
  await train(model, data, { ...options, epochs: 3 }, { onEpoch: () => counts.push(tf.memory().numTensors) });
  model.dispose();
  assert.equal(counts.length, 3);
  assert.equal(counts[2], counts[1], `tensor counts after each epoch: ${counts.join(', ')}`);
  assert.equal(counts[1], counts[0], `tensor counts after each epoch: ${counts.join(', ')}`);
});

test('progress hooks see every batch and every epoch', async () => {
  const seen: number[] = [];
  const epochs: number[] = [];
  await run({ ...options, epochs: 1 }, { onBatch: (p) => seen.push(p.seen), onEpoch: (s) => epochs.push(s.epoch) });
  assert.equal(seen.length, Math.ceil(1500 / 64));
  assert.equal(seen.at(-1), 1500);
  assert.deepEqual(epochs, [1]);
});

test('the step schedule multiplies the learning rate by gamma every lrStep epochs, and training follows it', async () => {
  assert.deepEqual([1, 8, 9, 16, 17].map((e) => learningRate({ lr: 0.01, lrStep: 8, lrGamma: 0.1 }, e)),
    [0.01, 0.01, 0.01 * 0.1, 0.01 * 0.1, 0.01 * 0.1 ** 2]);
  assert.equal(learningRate({ lr: 0.01, lrStep: 0, lrGamma: 0.1 }, 30), 0.01);
  // With gamma 0 the learning rate is 0 from epoch 2 on: the trainable weights stop moving.
  const model = buildNet({ seed: 3 });
  const snapshots: number[][] = [];
  const weights = () => model.trainableWeights.flatMap((w) => Array.from(w.read().dataSync()));
  const initial = weights();
  await train(model, data, { ...options, epochs: 3, lrStep: 1, lrGamma: 0 }, { onEpoch: () => snapshots.push(weights()) });
  model.dispose();
  assert.notDeepEqual(snapshots[0], initial, 'epoch 1 trained');
  assert.deepEqual(snapshots[1], snapshots[0]);
  assert.deepEqual(snapshots[2], snapshots[0]);
});

test('with augmentation the same seed rotates alike, and the numbers change', async () => {
  const one = { ...options, epochs: 1 };
  const [plain, a, b] = [await run(one), await run({ ...one, augment: true }), await run({ ...one, augment: true })];
  const numbers = (h: History) => h.map(({ seconds, ...rest }) => rest);
  assert.deepEqual(numbers(a), numbers(b));
  assert.notDeepEqual(numbers(a), numbers(plain));
});
