import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend/choose';
import { loadMnist, Mnist } from '../../lib/data/mnist';
import { buildNet } from '../../lib/model/net';
import { History, train, TrainHooks } from '../../lib/train/loop';
import { defaultSettings } from '../../lib/run/settings';
import { Recipe } from '../../lib/train/recipe';
import { Momentum } from '../../lib/train/momentum';
import { learningRate } from '../../lib/train/schedule';

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

test('training follows the step schedule (lib/train/schedule.ts; test/unit/schedule.test.ts checks its rates)', async () => {
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

test('onecycle sets each batch\'s rate before its step, counting batches over the run (so a resumed run, which starts at its epoch, goes on where it stopped)', async () => {
  const recipe: Recipe = { ...options, epochs: 2, lrSchedule: 'onecycle', lr: 0.05 };
  const perEpoch = Math.ceil(data.train.count / recipe.batchSize);
  const rates: number[] = [];
  const original = Momentum.prototype.setLearningRate;
  Momentum.prototype.setLearningRate = function (rate: number) { rates.push(rate); original.call(this, rate); };
  try {
    await run(recipe);
  } finally {
    Momentum.prototype.setLearningRate = original;
  }
  // The first call is the constructor's (the recipe's lr), then one per batch.
  const expected = [...Array(2 * perEpoch).keys()].map((s) => learningRate(recipe, s, perEpoch));
  assert.deepEqual(rates.slice(1), expected);
});

test('with augmentation the same seed rotates alike, and the numbers change', async () => {
  const one = { ...options, epochs: 1 };
  const [plain, a, b] = [await run(one), await run({ ...one, augment: true }), await run({ ...one, augment: true })];
  const numbers = (h: History) => h.map(({ seconds, ...rest }) => rest);
  assert.deepEqual(numbers(a), numbers(b));
  assert.notDeepEqual(numbers(a), numbers(plain));
});
