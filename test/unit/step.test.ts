import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { initBackend } from '../../lib/backend/choose';
import { Batch, batches, loadMnist } from '../../lib/data/mnist';
import { seedDropout } from '../../lib/model/layers';
import { buildNet } from '../../lib/model/net';
import { Rng } from '../../lib/util/rng';
import { nllLoss, readWeights } from '../../lib/train/shard';
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

/** Losses of STEPS steps and the weights after them, from a fresh seeded network. */
async function runSteps({ shards, workers }: { shards: number; workers: number }, steps = pool) {
  const model = buildNet({ seed: 5 });
  const trainer = await Trainer.create(model, { ...recipe, shards }, workers);
  const outcomes = [];
  for (const [i, b] of steps.entries()) outcomes.push(await trainer.step(b, 100 + i));
  const losses = (await readOutcomes(outcomes)).map((m) => m.loss);
  const weights = await readWeights(model);
  await trainer.dispose();
  model.dispose();
  return { losses, weights };
}

function assertClose(a: Float32Array[], b: Float32Array[], what: string): void {
  assert.equal(a.length, b.length);
  a.forEach((w, j) => {
    const worst = w.reduce((m, v, i) => Math.max(m, Math.abs(v - b[j][i])), 0);
    assert.ok(worst < 1e-5, `${what}: weight ${j} differs by ${worst}`);
  });
}

test('shards on a worker thread give the numbers of the same shards on the main thread', async () => {
  const threaded = await runSteps({ shards: 2, workers: 1 });
  const single = await runSteps({ shards: 2, workers: 0 });
  threaded.losses.forEach((l, i) => assert.ok(Math.abs(l - single.losses[i]) < 1e-6, `step ${i}: ${l} vs ${single.losses[i]}`));
  assertClose(threaded.weights, single.weights, 'worker vs main thread');
  // The shard statistics matter: one shard of 96 is a different step from two of 48.
  const whole = await runSteps({ shards: 1, workers: 0 });
  assert.notEqual(whole.losses[2], single.losses[2]);
});

test('one shard is plain SGD with momentum: the same as the optimizer minimising the batch loss', async () => {
  const ours = await runSteps({ shards: 1, workers: 0 });
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
  assertClose(ours.weights, await readWeights(model), 'Trainer vs optimizer.minimize');
  disposeMomentum(optimizer);
  model.dispose();
});

test('a batch smaller than the shard count still trains', async () => {
  const tiny: Batch = { images: pool[0].images.subarray(0, 784), labels: pool[0].labels.subarray(0, 1), size: 1 };
  const { losses, weights } = await runSteps({ shards: 2, workers: 1 }, [tiny]);
  assert.ok(Number.isFinite(losses[0]));
  assert.ok(weights.every((w) => w.every(Number.isFinite)));
});

test('workers must be fewer than shards', async () => {
  const model = buildNet({ seed: 5 });
  await assert.rejects(Trainer.create(model, { ...recipe, shards: 2 }, 2), /0 ≤ workers < shards/);
  model.dispose();
});

test('a worker thread that dies fails the step instead of hanging it', async () => {
  const model = buildNet({ seed: 5 });
  const trainer = await Trainer.create(model, { ...recipe, shards: 2 }, 1);
  const [helper] = (trainer as unknown as { helpers: { worker: { terminate(): Promise<number> } }[] }).helpers;
  await helper.worker.terminate();
  await assert.rejects(trainer.step(pool[0], 1), /worker thread exited/);
  await trainer.dispose();
  model.dispose();
});

/** Runs `body` in a fresh node process with Trainer, buildNet and `terminated()` (worker threads terminated so far) in
 *  scope, on wasm; its stdout, and whether it ended by itself (a live worker thread would keep it running). */
function inChild(body: string): { stdout: string; ended: boolean } {
  const script = `
    const threads = require('node:worker_threads');
    let count = 0;
    const terminate = threads.Worker.prototype.terminate;
    threads.Worker.prototype.terminate = function () { count++; return terminate.call(this); };
    const terminated = () => count;
    const { Trainer } = require(${JSON.stringify(require.resolve('../../lib/train/step'))});
    const { buildNet } = require(${JSON.stringify(require.resolve('../../lib/model/net'))});
    require(${JSON.stringify(require.resolve('../../lib/backend/choose'))}).initBackend('wasm').then(async () => { ${body} });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.stderr, '');
  return { stdout: r.stdout, ended: r.signal === null };
}

test('a Trainer that fails after its worker threads started ends them, and the process exits', () => {
  const r = inChild(`
    await Trainer.create(buildNet(), { lr: 0.1, momentum: undefined, shards: 3 }, 2).catch((e) => console.log('failed:', e.message));
    console.log('terminated:', terminated());`);
  assert.ok(r.ended, 'the process exited by itself');
  assert.match(r.stdout, /^failed: .*\nterminated: 2\n$/);
});

test('an idle worker thread left undisposed does not keep the process alive', () => {
  const r = inChild(`
    const trainer = await Trainer.create(buildNet(), { lr: 0.1, momentum: 0.9, shards: 2 }, 1);
    const images = new Float32Array(4 * 784);
    const { loss } = await trainer.step({ images, labels: new Int32Array(4), size: 4 }, 1);
    console.log('stepped:', Number.isFinite(loss));`);
  assert.ok(r.ended, 'the process exited by itself');
  assert.equal(r.stdout, 'stepped: true\n');
});
