/** The webgpu backend on SwiftShader (a Vulkan driver on the CPU, from Debian's chromium package): the same numbers as
 *  cpu and wasm, within float tolerance, and the ladder's decisions about it. SwiftShader is slow (a few images a
 *  second on two cores), so the runs here are a few small steps; test/gpu/ holds the one-epoch comparison, and
 *  gpuKernels.test.ts our kernels one by one. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../lib/backend/choose';
import { SWIFTSHADER_ICD } from '../../lib/backend/webgpu';
import { floatTensor } from '../../lib/backend/tensors';
import { watchGpuWork } from '../../lib/backend/webgpuWork';
import { batches, loadMnist, Mnist } from '../../lib/data/mnist';
import { buildNet } from '../../lib/model/net';
import { evaluate } from '../../lib/train/evaluate';
import { readOutcomes } from '../../lib/train/metrics';
import { readWeights } from '../../lib/train/shard';
import { Trainer } from '../../lib/train/step';
import { Rng } from '../../lib/util/rng';
import { assertOneLineError, mnist20kWith } from './mnist20k';
import { assertWithin } from '../kernels/assertClose';

const SOFTWARE = { VK_ICD_FILENAMES: SWIFTSHADER_ICD };
let data: Mnist;

before(() => {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD; // read by Vulkan when Dawn starts, in this process and the probe's
  data = loadMnist({ trainSamples: 8, testSamples: 50 });
});

/** Two steps of batch 4 from a seeded network on one shard, then the test score: losses, weights, test loss and
 *  accuracy. Small, because the cpu backend, the reference, takes seconds per image. */
async function twoSteps(backend: 'cpu' | 'wasm' | 'webgpu') {
  await initBackend(backend);
  const model = buildNet({ seed: 3 });
  const trainer = new Trainer(model, { lr: 0.05, momentum: 0.9, shards: 1 });
  const outcomes = [];
  for (const [i, b] of [...batches(data.train, 4, new Rng(6).permutation(data.train.count))].entries()) {
    outcomes.push(await trainer.step(b, 20 + i));
  }
  const result = {
    losses: (await readOutcomes(outcomes)).map((m) => m.loss),
    weights: await readWeights(model.weights),
    test: await evaluate(model, data.test),
  };
  trainer.dispose();
  model.dispose();
  return result;
}

test('training steps on webgpu give the losses, weights and test score of cpu and wasm, within float tolerance', async () => {
  const gpu = await twoSteps('webgpu');
  assert.equal(tf.getBackend(), 'webgpu');
  const [cpu, wasm] = [await twoSteps('cpu'), await twoSteps('wasm')];
  assertWithin(gpu.losses, cpu.losses, 1e-5, 'webgpu and cpu losses');
  assertWithin(gpu.losses, wasm.losses, 1e-5, 'webgpu and wasm losses');
  // Against cpu only: where a max-pooling window holds a tie, wasm's MaxPoolGrad hands the gradient to another of
  // the tied elements than tfjs's kernels do (equally right), which moves the weights below the pool by ~1e-4.
  gpu.weights.forEach((w, j) => assertWithin(Array.from(w), Array.from(cpu.weights[j]), 1e-5, `weight ${j} on webgpu and cpu`));
  assertWithin([gpu.test.loss], [cpu.test.loss], 1e-5, 'test losses');
  assert.equal(gpu.test.acc, cpu.test.acc);
});

test('floatTensor on webgpu writes the values into a pooled buffer, where tf.tensor\'s upload makes a staging buffer each time', async () => {
  await initBackend('webgpu');
  // 1,024 values: tfjs hands ops on fewer values still in memory to the cpu backend, which would upload nothing
  const shape = [4, 1, 1, 256];
  const values = Float32Array.from({ length: 1024 }, (_, i) => i / 3 - 50);
  const negatedBy = async (make: () => tf.Tensor) => {
    const once = async () => {
      const t = make();
      const negated = tf.neg(t);
      const read = Array.from(await negated.data());
      tf.dispose([t, negated]);
      return read;
    };
    await once(); // leaves buffers of this size, and a read-back buffer, in tfjs's pool
    const watch = watchGpuWork();
    const read = await once().finally(() => watch.stop());
    return { read, created: watch.work.buffersCreated, uploaded: watch.work.bytesUploaded };
  };
  const expected = Array.from(values, (v) => -v);
  const ours = await negatedBy(() => floatTensor(values, shape));
  const tfjs = await negatedBy(() => tf.tensor(values, shape));
  assert.deepEqual(ours.read, expected);
  assert.deepEqual(tfjs.read, expected);
  assert.equal(ours.created, 0);
  assert.ok(ours.uploaded >= 4 * values.length && ours.uploaded <= 4 * values.length + 256, `${ours.uploaded} bytes uploaded`);
  assert.ok(tfjs.created >= 1, `tf.tensor made ${tfjs.created} buffers`);
});

test('watchGpuWork counts what the host asks of the GPU: an add is one dispatch, its inputs and result the bytes up and back', async () => {
  await initBackend('webgpu');
  // 1,000 values: tfjs hands smaller ops on values still in memory to the cpu backend
  const a = tf.range(0, 1000);
  const b = tf.range(0, 2000, 2);
  const watch = watchGpuWork();
  const sum = tf.add(a, b);
  const values = await sum.data();
  watch.stop();
  assert.equal(values[999], 2997);
  const { work } = watch;
  assert.equal(work.dispatches, 1);
  assert.equal(work.copies, 0);
  assert.equal(work.bindGroups, 1);
  assert.ok(work.submits >= 1, `${work.submits} submits`);
  assert.equal(work.bytesReadBack, 4000); // the sum, float32
  // both inputs' values, 8,000 bytes, and the add's uniforms (a few words: its sizes)
  assert.ok(work.bytesUploaded >= 8000 && work.bytesUploaded <= 8000 + 256, `${work.bytesUploaded} bytes uploaded`);
  // stopped: nothing more is counted
  const again = tf.mul(sum, 2);
  await again.data();
  assert.equal(work.dispatches, 1);
  tf.dispose([a, b, sum, again]);
});

test('auto leaves a software adapter to an explicit --backend webgpu, and says so', () => {
  const r = mnist20kWith(SOFTWARE, 'doctor');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /adapter: google swiftshader \(SwiftShader.*\), software: a CPU emulating a GPU/);
  assert.match(r.stdout, /chosen by auto -> backend: (wasm|tensorflow) /);
  assert.match(r.stdout, /^training runs 1 shard \(whole-batch BatchNorm\) on (\d+ threads?|TensorFlow's own threads)/m);
  assert.match(r.stdout, /skipped: webgpu: only a software adapter, google swiftshader .*auto never takes one/);
});

test('no adapter: --backend webgpu and MNIST_BACKEND=webgpu fail in one line saying why', () => {
  const none = { VK_ICD_FILENAMES: '/nonexistent.json' };
  assertOneLineError(mnist20kWith(none, 'train', '--backend', 'webgpu', '--out', join(tmpdir(), 'never')),
    /^mnist20k train: --backend webgpu: no WebGPU adapter \(Dawn: .*Found no drivers!\)$/m);
  assertOneLineError(mnist20kWith({ ...none, MNIST_BACKEND: 'webgpu' }, 'bench'), /^mnist20k bench: MNIST_BACKEND=webgpu: no WebGPU adapter/);
});

test('train on webgpu writes a run that evaluate on webgpu scores the same; bench profiles its dispatches', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'mnist20k-webgpu-')), 'run');
  const small = ['--train-samples', '16', '--test-samples', '50', '--batch-size', '8', '--backend', 'webgpu'];
  const trained = mnist20kWith(SOFTWARE, 'train', '--epochs', '1', ...small, '--out', out);
  assert.equal(trained.code, 0, trained.stderr);
  assert.match(trained.stdout, /^backend: webgpu on a software adapter, google swiftshader/m);
  const record = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
  assert.deepEqual([record.settings.backend, record.settings.shards], ['webgpu', 1]);
  const scored = mnist20kWith(SOFTWARE, 'evaluate', '--model', out, '--test-samples', '50', '--backend', 'webgpu', '--json');
  assert.equal(scored.code, 0, scored.stderr);
  const score = JSON.parse(scored.stdout);
  assert.equal(score.accuracy, record.history[0].testAcc);
  assert.ok(Math.abs(score.loss - record.history[0].testLoss) < 1e-6);

  const bench = mnist20kWith(SOFTWARE, 'bench', '--backend', 'webgpu', '--batch-size', '4', '--batches', '1', '--profile');
  assert.equal(bench.code, 0, bench.stderr);
  assert.match(bench.stdout, /ms per step in kernels; \d+ kernel calls, \d+ GPU dispatches per step/);
  assert.match(bench.stdout, /^Conv2DBackpropFilter .* 9 calls +18 dispatches$/m); // ours: partial sums, then their total
  const host = bench.stdout.match(/^ {2}([\d.]+) ms on the JavaScript thread .*\n {2}(\d+) GPU dispatches, \d+ copies, (\d+) queue submits, (\d+) buffers created, (\d+) bind groups, [\d.]+ k?B uploaded, 8 B read back$/m);
  assert.ok(host, bench.stdout);
  const profiled = Number(bench.stdout.match(/(\d+) GPU dispatches per step/)![1]);
  // the profiled steps' dispatches, and the batch's gather on the GPU (a few)
  assert.ok(Number(host[2]) >= profiled && Number(host[2]) <= profiled + 5, `${host[2]} dispatches counted, ${profiled} profiled`);
  assert.ok(Number(host[1]) > 0 && Number(host[3]) > 0, host[0]);
  assert.match(bench.stdout, /^train: [\d.]+ img\/s, [\d.]+ ms\/step \(webgpu\)$/m);
});
