import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Conv2d, Dropout2d, LogSoftmax, registerLayers } from '../../lib/model/layers';
import { buildNet, loadModel, saveModel, trainableParams } from '../../lib/model/net';
import { Block, defaultSpec, NetSpec } from '../../lib/model/spec';
import { summary } from '../../lib/model/summary';
import { readTopology } from '../../lib/model/topology';
import { ROOT } from '../../lib/util/paths';
import { Rng } from '../../lib/util/rng';

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

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

test('a saved model loads back with the same weights and predictions, twice over, and model.json holds the SHA-256 of its weights', async () => {
  registerLayers();
  registerLayers();
  const model = buildNet({ seed: 2 });
  const dir = join(mkdtempSync(join(tmpdir(), 'mnist20k-model-')), 'net');
  const identity = await saveModel(model, dir);
  const loaded = await loadModel(dir);
  const x = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 9);
  assert.deepEqual((loaded.predict(x) as tf.Tensor).arraySync(), (model.predict(x) as tf.Tensor).arraySync());
  assert.equal(trainableParams(loaded), 16034);
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  assert.equal(json.format, 'layers-model');
  assert.deepEqual(json.weightsManifest[0].paths, ['./weights.bin']);
  // The sums, worked out here from weights.bin and the manifest's order, not by the code that wrote them.
  const weights = readFileSync(join(dir, 'weights.bin'));
  assert.equal(identity, sha256(weights));
  let at = 0;
  const tensors = Object.fromEntries(json.weightsManifest[0].weights.map((w: { name: string; shape: number[] }) => {
    const end = at + 4 * w.shape.reduce((a, b) => a * b, 1);
    return [w.name, sha256(weights.subarray(at, (at = end)))];
  }));
  assert.deepEqual(json.userDefinedMetadata, { mnist20k: { sha256: { weights: identity, tensors } } });
  // Saved again from what was loaded: the same files, byte for byte.
  const again = join(dir, 'again');
  assert.equal(await saveModel(loaded, again), identity);
  assert.deepEqual(readFileSync(join(again, 'model.json'), 'utf8'), readFileSync(join(dir, 'model.json'), 'utf8'));
});

test('loading from a folder without a model says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mnist20k-nomodel-'));
  await assert.rejects(loadModel(dir), new RegExp(`${dir}: no model here`));
});

test('a model is loaded only from its own folder, with exactly its bytes, as written, and finite weights', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'mnist20k-model-')), 'net');
  const model = buildNet({ seed: 2 });
  await saveModel(model, dir);
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
  // One bit of the Dense layer's bias (the last trainable weight before BatchNorm's statistics), the value still finite.
  const changed = Buffer.from(weights);
  const bias = biasOf(manifest);
  changed[offsetOf(manifest.weightsManifest[0].weights, bias)] ^= 1;
  writeFileSync(join(dir, 'weights.bin'), changed);
  await assert.rejects(loadModel(dir), new RegExp(`^Error: ${dir}/weights.bin: weight ${bias} does not match the SHA-256 ${dir}/model.json records for it \\(changed after it was written, or another model's\\)$`));
  // Written so, as a diverged run would: its sums match, its values are refused.
  const [kernel, ...rest] = model.getWeights();
  const nan = kernel.dataSync().slice();
  nan[2] = NaN;
  model.setWeights([tf.tensor(nan, kernel.shape), ...rest]);
  await saveModel(model, dir);
  model.dispose();
  const before = tf.memory().numTensors;
  await assert.rejects(loadModel(dir), new RegExp(`^Error: ${dir}: weight conv2d_Conv2d\\d+/kernel holds NaN at index 2; not a usable model$`));
  assert.equal(tf.memory().numTensors, before, 'nothing built');
});

test('a model saved without SHA-256 sums (before they were recorded, or by tfjs-node) still loads; one with some missing does not', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'mnist20k-model-')), 'net');
  const model = buildNet({ seed: 3 });
  await saveModel(model, dir);
  model.dispose();
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const sums = json.userDefinedMetadata;
  delete json.userDefinedMetadata;
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  (await loadModel(dir)).dispose();
  delete sums.mnist20k.sha256.tensors[biasOf(json)];
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...json, userDefinedMetadata: sums }));
  await assert.rejects(loadModel(dir), new RegExp(`^Error: ${dir}/model.json: userDefinedMetadata.mnist20k.sha256.tensors: no SHA-256 for weight ${biasOf(json)}$`));
});

/** The Dense layer's bias, named as this process numbered its layers. */
function biasOf(json: { weightsManifest: { weights: { name: string }[] }[] }): string {
  return json.weightsManifest[0].weights.find((w) => w.name.endsWith('/bias'))!.name;
}

/** Where a weight's bytes start in weights.bin: after those of the weights listed before it. */
function offsetOf(weights: { name: string; shape: number[] }[], name: string): number {
  const before = weights.slice(0, weights.findIndex((w) => w.name === name));
  return before.reduce((sum, w) => sum + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
}

/** A valid spec in the form a spec is written (fields at their defaults left out), of 3 to 8 blocks: convolutions of
 *  random channels and kernels, padded or not, with or without ReLU, BatchNorm and dropout, pools, and a head that is
 *  either linear layers or a 10-channel map pooled to 1×1. */
function randomSpec(rng: Rng): NetSpec {
  const dropout = rng.int(2) ? 0 : [0.05, 0.1, 0.25][rng.int(3)];
  const blocks: Block[] = [];
  let [size, dropped] = [28, false];
  const conv = (channels: number): void => {
    const kernels = [1, 3, 5].filter((k) => k <= size);
    const kernel = kernels[rng.int(kernels.length)];
    const pad = kernel > 1 && rng.int(2) ? (kernel - 1) / 2 : 0;
    // Without any Dropout2d the rate cannot be read back: the first convolution always has one when the rate is set.
    const noDropout = dropout > 0 && dropped && rng.int(3) === 0;
    blocks.push({
      conv: channels, kernel, ...(pad ? { pad } : {}), ...(rng.int(3) ? {} : { relu: false }), ...(rng.int(3) ? {} : { batchNorm: false }),
      ...(noDropout ? { dropout: false } : {}),
    });
    dropped = true;
    size = pad ? size : size - kernel + 1;
  };
  conv(1 + rng.int(12));
  for (let n = 1 + rng.int(5); n > 0; n--) {
    if (size >= 8 && rng.int(3) === 0) {
      const window = 2 + rng.int(2);
      blocks.push(rng.int(2) ? { maxPool: window } : { avgPool: window });
      size = Math.floor(size / window);
    } else conv(1 + rng.int(12));
  }
  if (rng.int(2)) {
    conv(10);
    blocks.push({ avgPool: size });
  } else {
    if (rng.int(2)) blocks.push({ linear: 1 + rng.int(20) });
    blocks.push({ linear: 10 });
  }
  return { dropout, blocks };
}

test('the topology of buildNet(spec) reads back as spec, with the weights the network has', () => {
  const rng = new Rng(7);
  const specs = [defaultSpec(), ...Array.from({ length: 12 }, () => randomSpec(rng))];
  for (const spec of specs) {
    const model = buildNet({ spec });
    const read = readTopology(model.toJSON(null, false));
    assert.deepEqual(read.spec, spec);
    const byName = (ws: { name: string; shape: number[] }[]) => ws.map((w) => `${w.name} ${w.shape.join('x')}`).sort();
    assert.deepEqual(byName(read.weights), byName(model.weights.map((w) => ({ name: w.originalName, shape: w.shape as number[] }))));
    model.dispose();
  }
});

/** Edits of the original's topology (layers: Conv2d, ReLU, BatchNorm2d, Dropout2d, Conv2d, …, Dense, LogSoftmax) and
 *  what reading it back must say. */
const TOPOLOGY_DAMAGE: [string, (layers: { class_name: string; config: Record<string, unknown> }[]) => void, RegExp][] = [
  ['an unknown class', (l) => (l[1].class_name = 'Softmax'), /^modelTopology\.config\.layers\[1\] \(Softmax re_lu_ReLU\d+\): a layer class buildNet never makes/],
  ['BatchNorm before ReLU', (l) => ([l[1], l[2]] = [l[2], l[1]]), /^modelTopology\.config\.layers\[1\] \(BatchNorm2d .*\): buildNet puts a ReLU here/],
  ['a ReLU after a pool', (l) => l.splice(13, 0, { class_name: 'ReLU', config: { name: 'extra' } }), /^modelTopology\.config\.layers\[13\] \(ReLU extra\): follows no convolution/],
  ['two dropout rates', (l) => (l[3].config.rate = 0.5), /^modelTopology\.config\.layers\[7\] \(Dropout2d .*\): rate 0\.01, where modelTopology\.config\.layers\[3\] .* has 0\.5/],
  ['no LogSoftmax', (l) => l.pop(), /^modelTopology\.config\.layers: ends before the LogSoftmax that buildNet puts next$/],
  ['a costly initialiser', (l) => (l.at(-2)!.config.kernel_initializer = { class_name: 'Orthogonal', config: {} }), /\(Dense .*\): config\.kernel_initializer: .* not what buildNet gives a Dense$/],
  ['a field tfjs never writes', (l) => (l[0].config.kernel_initializer = null), /^modelTopology\.config\.layers\[0\] \(Conv2d .*\): config\.kernel_initializer: not a setting buildNet gives a Conv2d$/],
  ['another input', (l) => (l[0].config.batch_input_shape = [null, 280, 280, 1]), /config\.batch_input_shape: \[null,280,280,1\], expected \[null,28,28,1\]/],
  ['1e8 filters', (l) => (l[0].config.filters = 1e8), /^modelTopology: the network it describes does not fit: spec block 1 .*parameters/],
];

test('a topology buildNet never makes is refused in one line naming the layer', () => {
  const model = buildNet({ seed: 1 });
  const good = JSON.stringify(model.toJSON(null, false));
  model.dispose();
  for (const [what, damage, message] of TOPOLOGY_DAMAGE) {
    const topology = JSON.parse(good);
    damage(topology.config.layers);
    assert.throws(() => readTopology(topology), (e: Error) => message.test(e.message) && !e.message.includes('\n'), what);
  }
});
