import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { initBackend } from '../../lib/backend/choose';
import { setKernelThreads } from '../../lib/backend/kernels/index';
import { Batch, batches, loadMnist } from '../../lib/data/mnist';
import { seedDropout } from '../../lib/model/layers';
import { buildNet } from '../../lib/model/net';
import { Rng } from '../../lib/util/rng';
import { nllLoss } from '../../lib/train/loss';
import { readWeights } from '../../lib/train/shard';
import { defaultSettings } from '../../lib/run/settings';
import { readOutcomes } from '../../lib/train/metrics';
import { disposeMomentum, Trainer } from '../../lib/train/step';

const STEPS = 3;
const recipe = { ...defaultSettings(), lr: 0.05, momentum: 0.9 };
let pool: Batch[];

before(async () => {
  await initBackend('wasm');
  const data = loadMnist({ trainSamples: 500, testSamples: 1 });
  pool = [...batches(data.train, 96, new Rng(3).permutation(500))].slice(0, STEPS);
});
after(() => assert.equal(tf.memory().numTensors, 0, 'every test disposed its tensors'));

/** Losses of STEPS steps and the weights after them, from a fresh seeded network, on `threads` kernel threads. */
async function runSteps({ shards, threads = 1 }: { shards: number; threads?: number }, steps = pool) {
  setKernelThreads(threads);
  const model = buildNet({ seed: 5 });
  const trainer = new Trainer(model, { ...recipe, shards });
  const outcomes = [];
  for (const [i, b] of steps.entries()) outcomes.push(await trainer.step(b, 100 + i));
  const losses = (await readOutcomes(outcomes)).map((m) => m.loss);
  const weights = await readWeights(model.weights);
  trainer.dispose();
  model.dispose();
  setKernelThreads(1);
  return { losses, weights };
}

function assertClose(a: Float32Array[], b: Float32Array[], what: string): void {
  assert.equal(a.length, b.length);
  a.forEach((w, j) => {
    const worst = w.reduce((m, v, i) => Math.max(m, Math.abs(v - b[j][i])), 0);
    assert.ok(worst < 1e-5, `${what}: weight ${j} differs by ${worst}`);
  });
}

test('steps on 2, 3, 4 and 7 kernel threads give the losses and weights of one thread, to the bit, on one shard and on two', async () => {
  for (const shards of [1, 2]) {
    const one = await runSteps({ shards });
    for (const threads of [2, 3, 4, 7]) assert.deepEqual(await runSteps({ shards, threads }), one, `${shards} shard(s) on ${threads} threads`);
  }
});

test('the shard count is part of the numbers: one shard of 96 is another step than two of 48', async () => {
  const [whole, halves] = [await runSteps({ shards: 1 }), await runSteps({ shards: 2 })];
  assert.notEqual(whole.losses[2], halves.losses[2]);
});

test('one shard is plain SGD with momentum: the same as the optimizer minimising the batch loss', async () => {
  const ours = await runSteps({ shards: 1 });
  const model = buildNet({ seed: 5 });
  const optimizer = tf.train.momentum(0.05, 0.9);
  for (const [i, b] of pool.entries()) {
    seedDropout(model, new Rng(100 + i).seed());
    tf.tidy(() => {
      const x = tf.tensor4d(b.images, [b.size, 28, 28, 1]);
      const y = tf.tensor1d(b.labels, 'int32');
      optimizer.minimize(() => nllLoss(model.apply(x, { training: true }) as tf.Tensor2D, y));
    });
  }
  assertClose(ours.weights, await readWeights(model.weights), 'Trainer vs optimizer.minimize');
  disposeMomentum(optimizer);
  model.dispose();
});

test('a batch smaller than the shard count still trains', async () => {
  const tiny: Batch = { images: pool[0].images.subarray(0, 784), labels: pool[0].labels.subarray(0, 1), size: 1 };
  const { losses, weights } = await runSteps({ shards: 2, threads: 2 }, [tiny]);
  assert.ok(Number.isFinite(losses[0]));
  assert.ok(weights.every((w) => w.every(Number.isFinite)));
});

/** Runs `body` in a fresh node process, on wasm with 4 kernel threads, Trainer and buildNet in scope; its stdout, and
 *  whether it ended by itself (a live thread that kept the process running would show as a timeout). */
function inChild(body: string): { stdout: string; ended: boolean } {
  const script = `
    const { Trainer } = require(${JSON.stringify(require.resolve('../../lib/train/step'))});
    const { buildNet } = require(${JSON.stringify(require.resolve('../../lib/model/net'))});
    require(${JSON.stringify(require.resolve('../../lib/backend/choose'))}).initBackend('wasm', 4).then(async () => { ${body} });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.stderr, '');
  return { stdout: r.stdout, ended: r.signal === null };
}

test('kernel threads left running do not keep the process alive', () => {
  const r = inChild(`
    const trainer = new Trainer(buildNet(), { lr: 0.1, momentum: 0.9, shards: 1 });
    const images = new Float32Array(16 * 784);
    const { loss } = await trainer.step({ images, labels: new Int32Array(16), size: 16 }, 1);
    console.log('stepped:', Number.isFinite((await loss.data())[0]));`);
  assert.ok(r.ended, 'the process exited by itself');
  assert.equal(r.stdout, 'stepped: true\n');
});
