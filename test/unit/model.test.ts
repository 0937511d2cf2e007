import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Conv2d, Dropout2d, LogSoftmax, registerLayers } from '../../lib/model/layers';
import { buildNet, loadModel, saveModel, trainableParams } from '../../lib/model/net';
import { summary } from '../../lib/model/summary';
import { ROOT } from '../../lib/util/paths';

before(async () => {
  await tf.setBackend('cpu');
});

test('the network has the seed\'s 16,034 trainable parameters', () => {
  assert.equal(trainableParams(buildNet()), 16034);
});

test('the summary equals the table in the original README, line for line', () => {
  const fixture = readFileSync(join(ROOT, 'test', 'fixtures', 'original-summary.txt'), 'utf8');
  const table = fixture.trim().split('\n').filter((l) => !l.startsWith('#'));
  assert.deepEqual(summary(buildNet()).split('\n'), table);
});

test('Dropout2d drops whole channels in training and nothing at inference', () => {
  const layer = new Dropout2d({ rate: 0.5, seed: 3 });
  const x = tf.ones([4, 5, 5, 6]);
  const y = layer.apply(x, { training: true }) as tf.Tensor;
  const values = y.arraySync() as number[][][][];
  let dropped = 0;
  for (let n = 0; n < 4; n++) {
    for (let c = 0; c < 6; c++) {
      const channel = values[n].flatMap((row) => row.map((px) => px[c]));
      assert.ok(channel.every((v) => v === channel[0]) && [0, 2].includes(channel[0]), `sample ${n} channel ${c}`);
      if (channel[0] === 0) dropped++;
    }
  }
  assert.ok(dropped > 0 && dropped < 24, `${dropped} of 24 channels dropped at rate 0.5`);
  assert.deepEqual((layer.apply(x, { training: false }) as tf.Tensor).arraySync(), x.arraySync());
});

test('Conv2d equals tfjs-layers\' Conv2D (same weights, same output), and a step skips the images\' gradient', () => {
  const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 8);
  for (const padding of ['same', 'valid'] as const) {
    const ours = new Conv2d({ filters: 5, kernelSize: 3, padding, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) });
    const theirs = tf.layers.conv2d({ filters: 5, kernelSize: 3, padding, useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) });
    const [a, b] = [ours.apply(x) as tf.Tensor, theirs.apply(x) as tf.Tensor];
    assert.deepEqual(ours.computeOutputShape(x.shape), b.shape);
    assert.deepEqual(a.arraySync(), b.arraySync());
  }
  // One training step's kernels: every conv layer's filter gradient, every input gradient but the first layer's.
  const model = buildNet({ seed: 1 });
  const convs = model.layers.filter((l) => l instanceof Conv2d).length;
  const calls = (name: string, kernels: { name: string }[]) => kernels.filter((k) => k.name === name).length;
  return tf.profile(() => tf.variableGrads(() => tf.mean(model.apply(tf.randomNormal([2, 28, 28, 1]), { training: true }) as tf.Tensor) as tf.Scalar))
    .then((info) => {
      assert.equal(calls('Conv2DBackpropFilter', info.kernels), convs);
      assert.equal(calls('Conv2DBackpropInput', info.kernels), convs - 1);
    });
});

test('the network ends in log-probabilities', () => {
  const logProbs = buildNet({ seed: 1 }).predict(tf.randomNormal([3, 28, 28, 1], 0, 1, 'float32', 5)) as tf.Tensor;
  const sums = tf.sum(tf.exp(logProbs), 1).arraySync() as number[];
  sums.forEach((s) => assert.ok(Math.abs(s - 1) < 1e-5));
  assert.ok(new LogSoftmax({}) instanceof tf.layers.Layer);
});

test('the same seed builds the same weights', () => {
  const weights = (seed: number) => buildNet({ seed }).getWeights().map((w) => Array.from(w.dataSync()));
  assert.deepEqual(weights(4), weights(4));
  assert.notDeepEqual(weights(4), weights(5));
});

test('a saved model loads back with the same weights and predictions, twice over', async () => {
  registerLayers();
  registerLayers();
  const model = buildNet({ seed: 2 });
  const dir = join(mkdtempSync(join(tmpdir(), 'mnist20k-model-')), 'net');
  await saveModel(model, dir);
  const loaded = await loadModel(dir);
  const x = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 9);
  assert.deepEqual((loaded.predict(x) as tf.Tensor).arraySync(), (model.predict(x) as tf.Tensor).arraySync());
  assert.equal(trainableParams(loaded), 16034);
  const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  assert.equal(manifest.format, 'layers-model');
  assert.deepEqual(manifest.weightsManifest[0].paths, ['./weights.bin']);
});

test('loading from a folder without a model says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mnist20k-nomodel-'));
  await assert.rejects(loadModel(dir), new RegExp(`${dir}: no model here`));
});

test('a model is loaded only from its own folder, with exactly its bytes, and finite weights', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'mnist20k-model-')), 'net');
  const model = buildNet({ seed: 2 });
  await saveModel(model, dir);
  model.dispose();
  const [json, weights] = [readFileSync(join(dir, 'model.json'), 'utf8'), readFileSync(join(dir, 'weights.bin'))];
  const manifest = JSON.parse(json);
  for (const outside of ['../../../etc/passwd', '/etc/passwd', '..']) {
    manifest.weightsManifest[0].paths = [outside];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
    await assert.rejects(loadModel(dir), new RegExp(`^Error: ${dir}/model.json: weight file '${outside}' lies outside the model's folder$`));
  }
  writeFileSync(join(dir, 'model.json'), json);
  writeFileSync(join(dir, 'weights.bin'), Buffer.concat([weights, Buffer.from('tail')]));
  await assert.rejects(loadModel(dir), new RegExp(`^Error: ${dir}/model.json: its weight files hold ${weights.length + 4} bytes, its manifest describes ${weights.length}$`));
  const nan = Buffer.from(weights);
  nan.writeFloatLE(NaN, 8);
  writeFileSync(join(dir, 'weights.bin'), nan);
  const before = tf.memory().numTensors;
  await assert.rejects(loadModel(dir), new RegExp(`^Error: ${dir}: weight .*kernel holds NaN at index 2; not a usable model$`));
  assert.equal(tf.memory().numTensors, before, 'the refused model is disposed');
});
