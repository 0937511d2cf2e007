import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { initBackend } from '../../lib/backend/choose';
import { CHECKPOINT_FILE, CorruptCheckpoint, readCheckpoint, restoreCheckpoint, saveCheckpoint } from '../../lib/run/checkpoint';
import { checkOneRun, readRunRecord, saveRun } from '../../lib/run/record';
import { defaultSettings, runSettings } from '../../lib/run/settings';
import { ROOT } from '../../lib/util/paths';
import { buildNet } from '../../lib/model/net';
import { defaultSpec } from '../../lib/model/spec';
import { LoopState } from '../../lib/train/loop';
import { disposeMomentum } from '../../lib/train/step';

const settings = runSettings({ ...defaultSettings(), epochs: 3, batchSize: 8, lrStep: 0, shards: 1 }, 'wasm');
const state: LoopState = { epoch: 1, rngState: 12345, history: [{ epoch: 1, trainLoss: 1, trainAcc: 50, testLoss: 1, testAcc: 50, seconds: 1 }] };
const noDropout = { ...defaultSpec(), dropout: 0 };
const x = tf.tidy(() => tf.randomNormal([8, 28, 28, 1], 0, 1, 'float32', 3));

/** One SGD-with-momentum step on a fixed batch (no dropout: its masks are the loop's business); any loss will do. */
function step(model: tf.LayersModel, optimizer: tf.Optimizer): void {
  tf.tidy(() => {
    optimizer.minimize(() => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor)));
  });
}

const values = (ts: tf.Tensor[]): number[][] => ts.map((t) => Array.from(t.dataSync()));

before(async () => {
  await initBackend('wasm');
});

test('a restored model and optimizer take the same next step as the originals: weights, BatchNorm statistics, momentum', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mnist20k-ckpt-'));
  const [model, optimizer] = [buildNet({ seed: 1, spec: noDropout }), tf.train.momentum(0.01, 0.9)];
  step(model, optimizer);
  step(model, optimizer);
  await saveCheckpoint(dir, model, optimizer, settings, state);

  const [copy, copyOptimizer] = [buildNet({ seed: 2, spec: noDropout }), tf.train.momentum(0.01, 0.9)];
  const cp = readCheckpoint(dir)!;
  assert.deepEqual({ epoch: cp.epoch, rngState: cp.rngState, history: cp.history, settings: cp.settings }, { ...state, settings });
  // Format 1 called the shard count `threads`; such a checkpoint still resumes.
  const { shards, ...rest } = settings;
  writeFileSync(join(dir, CHECKPOINT_FILE), JSON.stringify({ ...cp, format: 'mnist20k-checkpoint/1', settings: { ...rest, threads: shards } }));
  assert.deepEqual(readCheckpoint(dir)!.settings, settings);
  await restoreCheckpoint(join(dir, CHECKPOINT_FILE), cp, copy, copyOptimizer);
  assert.deepEqual(values(copy.getWeights()), values(model.getWeights()));

  step(model, optimizer);
  step(copy, copyOptimizer);
  assert.deepEqual(values(copy.getWeights()), values(model.getWeights()), 'momentum restored: the third step agrees too');
  model.dispose();
  copy.dispose();
  disposeMomentum(optimizer);
  disposeMomentum(copyOptimizer);
});

test('saving leaks no tensors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mnist20k-ckpt-'));
  const [model, optimizer] = [buildNet({ seed: 1, spec: noDropout }), tf.train.momentum(0.01, 0.9)];
  step(model, optimizer);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await saveCheckpoint(dir, model, optimizer, settings, state);
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
  disposeMomentum(optimizer);
});

test('NaN weights are never written: the last good checkpoint stays as it was', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mnist20k-ckpt-'));
  const [model, optimizer] = [buildNet({ seed: 1, spec: noDropout }), tf.train.momentum(0.01, 0.9)];
  step(model, optimizer);
  await saveCheckpoint(dir, model, optimizer, settings, state);
  const good = readFileSync(join(dir, CHECKPOINT_FILE), 'utf8');
  const weights = model.getWeights();
  model.setWeights([tf.fill(weights[0].shape, NaN), ...weights.slice(1)]);
  await assert.rejects(saveCheckpoint(dir, model, optimizer, settings, { ...state, epoch: 2 }),
    /^Error: epoch 2: weight .*kernel holds NaN at index 0: not saving a diverged model$/);
  assert.equal(readFileSync(join(dir, CHECKPOINT_FILE), 'utf8'), good);
  model.dispose();
  disposeMomentum(optimizer);
});

test('a damaged checkpoint is refused with a message naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mnist20k-ckpt-'));
  assert.equal(readCheckpoint(dir), undefined);
  const file = join(dir, CHECKPOINT_FILE);
  writeFileSync(file, '{"format":"mnist20k-check');
  assert.throws(() => readCheckpoint(dir), /checkpoint\.json: not valid JSON/);
  writeFileSync(file, '{"format":"other"}');
  assert.throws(() => readCheckpoint(dir), /checkpoint\.json: not an mnist20k checkpoint \(format 'other'/);
  writeFileSync(file, JSON.stringify({ format: 'mnist20k-checkpoint/2', ...state, epoch: 2, settings, weights: [], optimizer: [] }));
  assert.throws(() => readCheckpoint(dir), /checkpoint\.json: corrupt checkpoint: history: holds 1 epochs, expected 2 \(the checkpoint.s epoch\)$/);
});

/** Ways a checkpoint can be damaged yet parse, each with the field the error must name. */
const DAMAGE: [string, (cp: Record<string, any>) => void, RegExp][] = [
  ['a missing setting', (cp) => delete cp.settings.momentum, /settings\.momentum: missing$/],
  ['a missing learning rate', (cp) => delete cp.settings.lr, /settings\.lr: missing$/],
  ['no shards', (cp) => (cp.settings.shards = 0), /settings\.shards: expected a positive integer, got '0'$/],
  ['a setting of the wrong type', (cp) => (cp.settings.seed = '1'), /settings\.seed: "1" is not a number$/],
  ['an unknown backend', (cp) => (cp.settings.backend = 'gpu'), /settings\.backend: unknown backend 'gpu' \(expected one of auto, tensorflow, webgpu, wasm, cpu\)$/],
  ['a history of strings', (cp) => (cp.history = ['x']), /history\[0\]: "x", expected an epoch's numbers$/],
  ['a history row without a number', (cp) => delete cp.history[0].testAcc, /history\[0\]\.testAcc: missing, expected a finite number$/],
  ['history epochs out of order', (cp) => (cp.history[0].epoch = 2), /history\[0\]\.epoch: 2, expected 1$/],
  ['no weights', (cp) => (cp.weights = []), /weights: empty$/],
  ['int32 weights', (cp) => (cp.weights[1].dtype = 'int32'), /weights\[1\] \(.*\): dtype int32, expected float32$/],
  ['bytes missing', (cp) => (cp.weights[0].data = cp.weights[0].data.slice(8)), /weights\[0\] \(.*\): \d+ bytes of data, shape 3x3x1x8 needs 288$/],
  ['a NaN weight, checksummed', (cp) => {
    const bytes = Buffer.from(new Float32Array(72).fill(NaN).buffer);
    cp.weights[0].data = bytes.toString('base64');
    cp.weights[0].sha256 = createHash('sha256').update(bytes).digest('hex');
  }, /weights\[0\] \(.*\): holds NaN at index 0$/],
  ['one base64 character changed', (cp) => (cp.weights[3].data = (cp.weights[3].data[0] === 'A' ? 'B' : 'A') + cp.weights[3].data.slice(1)),
    /weights\[3\] \(.*\): its data do not match their SHA-256 \(changed after the checkpoint was written\)$/],
  ['a momentum byte changed', (cp) => (cp.optimizer[1].data = (cp.optimizer[1].data[0] === 'A' ? 'B' : 'A') + cp.optimizer[1].data.slice(1)),
    /optimizer\[1\] \(.*\): its data do not match their SHA-256/],
  ['no checksum', (cp) => delete cp.weights[2].sha256, /weights\[2\] \(.*\): no sha256 of its data$/],
  ['an epoch past the last', (cp) => (cp.epoch = 5), /epoch: 5, past the run's last epoch \(settings\.epochs 3\)$/],
  ['a weight of another shape', (cp) => cp.weights[0].shape.reverse(), /weights\[0\] \(.*\): shape 8x1x3x3, the network of its settings needs 3x3x1x8$/],
  ['a missing accumulator', (cp) => cp.optimizer.pop(), /optimizer: \d+ tensors, the network of its settings needs \d+$/],
  ['a float iteration count', (cp) => (cp.optimizer[0].dtype = 'float32'), /optimizer\[0\] \(iter\): dtype float32, expected int32$/],
];

test('a checkpoint that parses but cannot be continued is refused on reading, naming the file and the field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mnist20k-ckpt-'));
  const [model, optimizer] = [buildNet({ seed: 1, spec: noDropout }), tf.train.momentum(0.01, 0.9)];
  step(model, optimizer);
  await saveCheckpoint(dir, model, optimizer, settings, state);
  model.dispose();
  disposeMomentum(optimizer);
  const file = join(dir, CHECKPOINT_FILE);
  const good = readFileSync(file, 'utf8');
  for (const [what, damage, message] of DAMAGE) {
    const cp = JSON.parse(good);
    damage(cp);
    writeFileSync(file, JSON.stringify(cp));
    assert.throws(() => readCheckpoint(dir), (e: Error) => e instanceof CorruptCheckpoint && e.message.startsWith(`${file}: corrupt checkpoint: `) && message.test(e.message), what);
  }
});

test('a checkpoint of another shape fails its restore naming the file and the tensor, and leaks nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mnist20k-ckpt-'));
  const [model, optimizer] = [buildNet({ seed: 1, spec: noDropout }), tf.train.momentum(0.01, 0.9)];
  step(model, optimizer);
  await saveCheckpoint(dir, model, optimizer, settings, state);
  const file = join(dir, CHECKPOINT_FILE);
  const cp = readCheckpoint(dir)!;
  cp.weights[0].shape = [...cp.weights[0].shape].reverse();
  const before = tf.memory().numTensors;
  await assert.rejects(restoreCheckpoint(file, cp, model, optimizer),
    (e: Error) => e instanceof CorruptCheckpoint && e.message === `${file}: does not fit this network: weights[0] (${cp.weights[0].name}): shape 8x1x3x3, this network needs 3x3x1x8`);
  cp.weights[0].shape.reverse();
  cp.optimizer.pop();
  await assert.rejects(restoreCheckpoint(file, cp, model, optimizer), new RegExp(`^Error: ${file}: does not fit this network: optimizer: 25 tensors, this network needs 26$`));
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
  disposeMomentum(optimizer);
});

const sha256Of = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

test('the committed run records share one shape: format, the SHA-256 of the run\'s weights.bin, resolved settings with the shard count, backend, history', () => {
  const runs = ['s6_net1', 's6_net1-seed2', 'augment-seed1', 'augment-seed2', 'under-10k-seed1', 'under-10k-seed2', 'under-8k-seed1', 'under-8k-seed2']
    .map((run) => `${run}/history.json`);
  // models/plain-recipe keeps histories without their weights: there is nothing for them to name.
  const files = [...runs, 'plain-recipe/seed1-history.json', 'plain-recipe/seed2-history.json'];
  for (const f of files) {
    const record = readRunRecord(join(ROOT, 'models', f));
    const named = runs.includes(f);
    assert.deepEqual(Object.keys(record), ['format', ...(named ? ['weightsSha256'] : []), 'settings', 'backend', 'history'], f);
    if (named) assert.equal(record.weightsSha256, sha256Of(join(ROOT, 'models', dirname(f), 'weights.bin')), f);
    const spec = f.startsWith('under-') ? ['modelSpec'] : []; // recorded only when it is not the original
    assert.deepEqual(Object.keys(record.settings),
      ['epochs', 'batchSize', 'lr', 'lrSchedule', 'lrStep', 'lrGamma', 'lrWarmup', 'momentum', 'seed', 'augment', ...spec, 'backend', 'shards'], f);
    assert.equal(record.history.length, record.settings.epochs, f);
  }
  const dir = mkdtempSync(join(tmpdir(), 'mnist20k-record-'));
  const file = join(dir, 'history.json');
  writeFileSync(file, JSON.stringify({ options: {}, history: [] }));
  assert.throws(() => readRunRecord(file), /history.json: not an mnist20k run record \(format 'undefined'/);
  const good = readFileSync(join(ROOT, 'models', runs[0]), 'utf8');
  writeFileSync(file, good.replace(/"weightsSha256": "[0-9a-f]+"/, '"weightsSha256": "d770"'));
  assert.throws(() => readRunRecord(file), new RegExp(`^Error: ${file}: weightsSha256: "d770", expected a SHA-256 \\(64 hex digits\\)$`));
  writeFileSync(file, `a record\n${good}`);
  assert.throws(() => readRunRecord(file), (e: Error) => e.message.startsWith(`${file}: not valid JSON (`) && !e.message.includes('\n'));
});

test('saveRun over a finished run: history.json names the new weights, and a failure part way leaves no earlier model.json or history.json beside them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mnist20k-record-'));
  const record = { settings, backend: { backend: 'cpu', device: 'CPU', notes: [] }, history: state.history };
  const [first, second] = [buildNet({ seed: 1, spec: noDropout }), buildNet({ seed: 2, spec: noDropout })];
  await saveRun(dir, first, record);
  const firstWeights = sha256Of(join(dir, 'weights.bin'));
  assert.equal(readRunRecord(join(dir, 'history.json')).weightsSha256, firstWeights);
  checkOneRun(dir);
  // model.json cannot be written this time (its temporary file is a link into no folder), as a full disk would stop it.
  symlinkSync('/nonexistent-mnist20k/model.json', join(dir, `model.json.${process.pid}.tmp`));
  await assert.rejects(saveRun(dir, second, record), new RegExp(`^Error: ${dir}/model.json: cannot write`));
  assert.deepEqual(readdirSync(dir), ['weights.bin']);
  assert.notEqual(sha256Of(join(dir, 'weights.bin')), firstWeights, 'the new weights');
  await saveRun(dir, second, record);
  assert.deepEqual(readdirSync(dir).sort(), ['history.json', 'model.json', 'weights.bin']);
  checkOneRun(dir);
  // The first run's record beside the second run's model: pieces of two runs.
  writeFileSync(join(dir, 'history.json'), JSON.stringify({ ...readRunRecord(join(dir, 'history.json')), weightsSha256: firstWeights }));
  assert.throws(() => checkOneRun(dir), new RegExp(`^Error: ${dir}/history.json and ${dir}/model.json come from different runs: ` +
    `the record names weights of SHA-256 ${firstWeights.slice(0, 12)}…, the model ${sha256Of(join(dir, 'weights.bin')).slice(0, 12)}…$`));
  first.dispose();
  second.dispose();
});
