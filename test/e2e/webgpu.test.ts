/** The webgpu backend on SwiftShader (a Vulkan driver on the CPU, from Debian's chromium package): the same numbers as
 *  cpu and wasm, within float tolerance, and the ladder's decisions about it. SwiftShader is slow (a few images a
 *  second on two cores), so the runs here are a few small steps; test/gpu/ holds the one-epoch comparison. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../lib/backend/choose';
import { DenseGrad, ReluScaleChannels, ReluScaleChannelsGrad, RunningStatistics } from '../../lib/backend/kernels/kernelNames';
import { SWIFTSHADER_ICD } from '../../lib/backend/webgpu';
import { floatTensor } from '../../lib/backend/tensors';
import { watchGpuWork } from '../../lib/backend/webgpuWork';
import { batches, loadMnist, Mnist } from '../../lib/data/mnist';
import { buildNet } from '../../lib/model/net';
import { evaluate } from '../../lib/train/evaluate';
import { logSoftmaxNll } from '../../lib/train/loss';
import { readOutcomes } from '../../lib/train/metrics';
import { Momentum } from '../../lib/train/momentum';
import { readWeights } from '../../lib/train/shard';
import { Trainer } from '../../lib/train/step';
import { Rng } from '../../lib/util/rng';
import { assertOneLineError, mnist20kWith } from './mnist20k';
import { assertClose } from '../kernels/assertClose';
import { randomValues } from '../kernels/runKernel';

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

function assertWithin(a: number[], b: number[], tolerance: number, what: string): void {
  const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  assert.ok(worst < tolerance, `${what} differ by ${worst}`);
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

/** One kernel on a backend from plain arrays, read back asynchronously (webgpu in Node cannot read synchronously). */
async function kernelOn(backend: string, kernel: string, inputs: Record<string, [Float32Array, number[]]>, attrs: object): Promise<Float32Array> {
  await tf.setBackend(backend);
  const out = tf.tidy(() => {
    const tensors = Object.fromEntries(Object.entries(inputs).map(([k, [v, shape]]) => [k, tf.tensor(v, shape)]));
    return tf.engine().runKernel(kernel, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
  });
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return values;
}

test('our Conv2DBackpropFilter on webgpu (partial sums, then their total) matches the cpu backend on random shapes', async () => {
  await initBackend('webgpu');
  const rng = new Rng(77);
  const pick = <T>(xs: T[]): T => xs[rng.int(xs.length)];
  const cases = [
    // the network's 16→16 layer, whose 24 output rows make three bands of eight
    { x: [2, 26, 26, 16], filter: 3, stride: 1, pad: 'valid' as 'same' | 'valid' | number, outChannels: 16 },
    ...Array.from({ length: 8 }, (_, i) => ({
      x: [1 + rng.int(3), 4 + rng.int(14), 4 + rng.int(10), pick([1, 3, 4, 8])], filter: pick([1, 3]),
      stride: 1 + (i % 2), pad: pick<'same' | 'valid' | number>(['same', 'valid', 1]), outChannels: pick([1, 5, 8, 16]),
    })),
  ];
  for (const c of cases) {
    const filterShape = [c.filter, c.filter, c.x[3], c.outChannels] as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(c.x as [number, number, number, number], filterShape, c.stride, 1, c.pad);
    const dyShape = [c.x[0], info.outHeight, info.outWidth, c.outChannels];
    const inputs = { x: [randomValues(rng, c.x), c.x] as [Float32Array, number[]], dy: [randomValues(rng, dyShape), dyShape] as [Float32Array, number[]] };
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape };
    assertClose(await kernelOn('webgpu', 'Conv2DBackpropFilter', inputs, attrs), await kernelOn('cpu', 'Conv2DBackpropFilter', inputs, attrs), JSON.stringify(c));
  }
});

test('our BatchNorm2dTraining and its gradient on webgpu match the wasm kernels (tested against cpu), with and without ReLU and mask', async () => {
  const rng = new Rng(11);
  const outputs = async (backend: 'wasm' | 'webgpu', c: { shape: number[]; relu: boolean; mask: boolean }, values: Float32Array[]) => {
    await initBackend(backend);
    const [n, , , channels] = c.shape;
    const [x, dy, gamma, beta, scale] = [tf.tensor(values[0], c.shape), tf.tensor(values[1], c.shape), tf.tensor1d(values[2]),
      tf.tensor1d(values[3]), tf.tensor(values[4], [n, 1, 1, channels])];
    const attrs = { epsilon: 1e-5, relu: c.relu };
    const masked: tf.NamedTensorMap = c.mask ? { scale } : {};
    const watch = backend === 'webgpu' ? watchGpuWork() : undefined;
    const [y, mean, variance] = tf.engine().runKernel('BatchNorm2dTraining', { x, gamma, beta, ...masked }, attrs) as tf.Tensor[];
    const grads = tf.engine().runKernel('BatchNorm2dTrainingGrad', { dy, x, mean, variance, gamma, ...masked }, attrs) as tf.Tensor[];
    watch?.stop();
    // on webgpu, two dispatches each way (the statistics, then the element-wise pass) and dγ, dβ copied out
    if (watch) assert.deepEqual([watch.work.dispatches, watch.work.copies], [4, 2]);
    const all = [y, mean, variance, ...grads];
    const read = await Promise.all(all.map((t) => t.data()));
    tf.dispose([x, dy, gamma, beta, scale, ...all]);
    return read.map((v) => Array.from(v));
  };
  for (const relu of [false, true]) {
    for (const mask of [false, true]) {
      // up to 1,600 pixels a channel: each of a workgroup's 256 invocations sums several
      const shape = [1 + rng.int(4), 3 + rng.int(20), 3 + rng.int(20), 4 * (1 + rng.int(4))];
      const size = shape.reduce((a, b) => a * b);
      const values = [
        randomValues(rng, shape).map((v) => 3 * v + 0.5), randomValues(rng, shape), randomValues(rng, [shape[3]]),
        randomValues(rng, [shape[3]]), Float32Array.from({ length: shape[0] * shape[3] }, () => (rng.next() < 0.2 ? 0 : 1.25)),
      ];
      const c = { shape, relu, mask };
      const [gpu, wasm] = [await outputs('webgpu', c, values), await outputs('wasm', c, values)];
      ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'].forEach((name, i) => {
        const scale = Math.max(1, ...wasm[i].map(Math.abs));
        assertWithin(gpu[i], wasm[i], 1e-5 * scale, `${name} ${JSON.stringify(c)} (${size} values)`);
      });
    }
  }
});

test('Momentum on webgpu runs our SgdMomentum, one call and one dispatch a step, and matches tfjs\'s optimizer on cpu', async () => {
  const rng = new Rng(5);
  const shapes = Array.from({ length: 4 }, () => [1 + rng.int(30), 1 + rng.int(40)]);
  const starts = shapes.map((s) => randomValues(rng, s));
  const grads = Array.from({ length: 3 }, () => shapes.map((s) => randomValues(rng, s)));
  const run = async (backend: 'cpu' | 'webgpu') => {
    await initBackend(backend);
    const variables = shapes.map((s, i) => tf.variable(tf.tensor(starts[i], s), true, `m${i}_${backend}`));
    const optimizer = new Momentum(0.05, 0.9);
    const watch = backend === 'webgpu' ? watchGpuWork() : undefined;
    const calls: string[] = [];
    for (const [k, step] of grads.entries()) {
      if (k === 2) optimizer.setLearningRate(0.01);
      calls.push(...(await tf.profile(() => tf.tidy(() => optimizer.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: tf.tensor(step[i], shapes[i]) })))))).kernels.map((k) => k.name));
    }
    watch?.stop();
    const values = await Promise.all(variables.map((v) => v.data()));
    tf.dispose(variables);
    optimizer.dispose();
    return { values: values.map((v) => Array.from(v)), dispatches: watch?.work.dispatches, copies: watch?.work.copies, calls };
  };
  const gpu = await run('webgpu');
  const cpu = await run('cpu');
  // one a step, and the zeros each variable's accumulator starts from (tfjs's optimizer: four a variable a step)
  assert.equal(gpu.dispatches, grads.length + shapes.length);
  // each variable's value, accumulation and gradient into one buffer, its new value and accumulation out
  assert.equal(gpu.copies, grads.length * shapes.length * 5);
  assert.equal(gpu.calls.filter((name) => name === 'SgdMomentum').length, grads.length);
  gpu.values.forEach((v, i) => assertWithin(v, cpu.values[i], 1e-6, `variable ${i} on webgpu and cpu`));
});

test('BatchNorm2d\'s running statistics on webgpu: one RunningStatistics call, one dispatch, the cpu backend\'s ops within a rounding', async () => {
  for (const [channels, count] of [[8, 2], [37, 4097]]) {
    const stats = Array.from({ length: 4 }, (_, k) => randomValues(new Rng(channels + k), [channels]));
    const move = () => {
      const [mean, variance, batchMean, batchVariance] = stats.map((a) => tf.tensor1d(a));
      if (tf.getBackend() === 'cpu') return [tf.add(tf.mul(mean, 0.9), tf.mul(batchMean, 0.1)), tf.add(tf.mul(variance, 0.9), tf.mul(batchVariance, (0.1 * count) / (count - 1)))];
      return tf.engine().runKernel(RunningStatistics, { mean, variance, batchMean, batchVariance }, { momentum: 0.1, count }) as tf.Tensor[];
    };
    const [expected, watch] = [await initBackend('cpu').then(() => move().map((t) => Array.from(t.dataSync()))), await initBackend('webgpu').then(watchGpuWork)];
    const values = await Promise.all(move().map((t) => t.data())).finally(() => watch.stop());
    assert.equal(watch.work.dispatches, 1);
    values.forEach((v, i) => assertWithin(Array.from(v), expected[i], 1e-6 * Math.max(1, ...expected[i].map(Math.abs)), `output ${i}, ${channels} channels`));
  }
});

test('the log-softmax and loss on webgpu, one dispatch, give the loss, correct count and logits\' gradient of the cpu backend\'s ops', async () => {
  const rng = new Rng(9);
  // up to 300 rows: the workgroup's 256 invocations take more than one row each
  for (const [rows, classes] of [[128, 10], [1 + rng.int(5), 2 + rng.int(11)], [257 + rng.int(44), 2 + rng.int(11)]]) {
    const logits = randomValues(rng, [rows, classes]).map((v) => 5 * v);
    const labels = Int32Array.from({ length: rows }, () => rng.int(classes));
    const run = async () => {
      const result = tf.tidy(() => logSoftmaxNll(tf.tensor2d(logits, [rows, classes]), tf.tensor1d(labels, 'int32')));
      const [loss, correct, dLogits] = await Promise.all([result.loss.data(), result.correct.data(), result.dLogits.data()]);
      tf.dispose([result.loss, result.correct, result.dLogits]);
      return { loss: loss[0], correct: correct[0], dLogits: Array.from(dLogits), dtype: result.correct.dtype };
    };
    await initBackend('cpu');
    const cpu = await run();
    await initBackend('webgpu');
    const watch = watchGpuWork();
    const gpu = await run().finally(() => watch.stop());
    assert.equal(watch.work.dispatches, 1);
    const what = `${rows}×${classes}`;
    assertWithin([gpu.loss], [cpu.loss], 1e-6 * Math.max(1, Math.abs(cpu.loss)), `loss ${what}`);
    assert.deepEqual([gpu.correct, gpu.dtype], [cpu.correct, cpu.dtype], `correct ${what}`);
    assertWithin(gpu.dLogits, cpu.dLogits, 1e-7, `dLogits ${what}`);
  }
});

test('ReLU with Dropout2d\'s mask, and a linear layer\'s gradients, on webgpu: one dispatch each, the cpu backend\'s ops', async () => {
  const rng = new Rng(21);
  for (let round = 0; round < 3; round++) {
    const shape = [1 + rng.int(4), 1 + rng.int(12), 1 + rng.int(12), 1 + rng.int(20)];
    const maskShape = [shape[0], 1, 1, shape[3]];
    const [x, dy] = [randomValues(rng, shape), randomValues(rng, shape)];
    const mask = Float32Array.from({ length: shape[0] * shape[3] }, () => (rng.next() < 0.3 ? 0 : 1.25));
    const [rows, features, units] = [1 + rng.int(40), 1 + rng.int(40), 1 + rng.int(12)];
    const [input, kernel, dOut] = [randomValues(rng, [rows, features]), randomValues(rng, [features, units]), randomValues(rng, [rows, units])];
    const run = async (backend: 'cpu' | 'webgpu') => {
      await initBackend(backend);
      const watch = backend === 'webgpu' ? watchGpuWork() : undefined;
      const out = tf.tidy(() => {
        const [xs, dys, masks] = [tf.tensor(x, shape), tf.tensor(dy, shape), tf.tensor(mask, maskShape)];
        const [a, w, d] = [tf.tensor2d(input, [rows, features]), tf.tensor2d(kernel, [features, units]), tf.tensor2d(dOut, [rows, units])];
        if (backend === 'cpu') {
          return [tf.mul(tf.relu(xs), masks), tf.mul(tf.mul(dys, masks), tf.step(xs)), tf.matMul(d, w, false, true), tf.matMul(a, d, true), tf.sum(d, 0)];
        }
        return [
          tf.engine().runKernel(ReluScaleChannels, { x: xs, scale: masks }) as tf.Tensor,
          tf.engine().runKernel(ReluScaleChannelsGrad, { dy: dys, x: xs, scale: masks }) as tf.Tensor,
          ...(tf.engine().runKernel(DenseGrad, { dy: d, x: a, kernel: w }) as tf.Tensor[]),
        ];
      });
      const values = await Promise.all(out.map((t) => t.data()));
      watch?.stop();
      tf.dispose(out);
      return { values: values.map((v) => Array.from(v)), dispatches: watch?.work.dispatches };
    };
    const [cpu, gpu] = [await run('cpu'), await run('webgpu')];
    assert.equal(gpu.dispatches, 3);
    const what = JSON.stringify({ shape, rows, features, units });
    ['relu·mask', 'its gradient', 'dx', 'dKernel', 'dBias'].forEach((name, i) => {
      assertWithin(gpu.values[i], cpu.values[i], 1e-5 * Math.max(1, ...cpu.values[i].map(Math.abs)), `${name} ${what}`);
    });
  }
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
