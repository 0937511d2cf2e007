import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '../../lib/run/checkpoint';
import { saveModel } from '../../lib/model/net';
import { decodeTensors } from '../../lib/run/savedTensor';
import { History } from '../../lib/train/loop';
import { assertOneLineError, mnist20k, startMnist20k } from './mnist20k';

const QUICK = ['--train-samples', '1200', '--test-samples', '200', '--batch-size', '50', '--backend', 'wasm'];
const folder = (): string => join(mkdtempSync(join(tmpdir(), 'mnist20k-resume-')), 'run');
const numbers = (file: string) => (JSON.parse(readFileSync(file, 'utf8')).history as History).map(({ seconds, ...rest }) => rest);

test('a run killed mid-epoch by a real signal resumes to the same history as a run never stopped', async () => {
  const [stopped, whole] = [folder(), folder()];
  const run = startMnist20k('train', '--epochs', '2', ...QUICK, '--out', stopped);
  await run.waitFor(/^epoch  1: /m);
  process.kill(run.pid, 'SIGSTOP'); // held still mid-epoch 2 while a second run tries the same folder
  assertOneLineError(mnist20k('train', '--epochs', '1', ...QUICK, '--out', stopped), new RegExp(`in use by another run \\(pid ${run.pid}\\)`));
  process.kill(run.pid, 'SIGCONT');
  process.kill(run.pid, 'SIGTERM');
  const r = await run.done;
  assert.equal(r.code, 143);
  assert.match(r.stderr, new RegExp(`interrupted by SIGTERM at epoch 2, batch \\d+ of 24; the last good checkpoint \\(epoch 1 of 2\\) ` +
    `is in .*; resume with: npx mnist20k train --resume --out ${stopped}$`, 'm'));
  assert.equal(readCheckpoint(stopped)!.epoch, 1);
  assert.equal(existsSync(join(stopped, 'lock')), false);

  assertOneLineError(mnist20k('train', '--epochs', '2', ...QUICK, '--out', stopped), /holds an unfinished run \(epoch 1 of 2\); use --resume/);
  assertOneLineError(mnist20k('train', '--resume', '--seed', '5', '--out', stopped), /--seed: the run in .* was made with 1, not 5; a resumed run keeps it/);
  const resumed = mnist20k('train', '--resume', '--out', stopped);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /resuming after epoch 1/);
  assert.doesNotMatch(resumed.stdout, /^epoch  1: /m, 'epoch 1 is not trained again');

  const uninterrupted = mnist20k('train', '--epochs', '2', ...QUICK, '--out', whole);
  assert.equal(uninterrupted.code, 0, uninterrupted.stderr);
  assert.deepEqual(numbers(join(stopped, 'history.json')), numbers(join(whole, 'history.json')));
});

test('a one-cycle run resumed without its schedule flags keeps its schedule and gives the history of one never stopped', async () => {
  const [stopped, whole] = [folder(), folder()];
  const onecycle = ['--epochs', '2', '--lr-schedule', 'onecycle', '--lr', '0.05', '--lr-warmup', '0.4', ...QUICK];
  const run = startMnist20k('train', ...onecycle, '--out', stopped);
  await run.waitFor(/^epoch  1: /m);
  process.kill(run.pid, 'SIGTERM');
  assert.equal((await run.done).code, 143);
  const resumed = mnist20k('train', '--resume', '--out', stopped);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /lr one-cycle to 0\.05 \(40 % warm-up\)/);
  const uninterrupted = mnist20k('train', ...onecycle, '--out', whole);
  assert.equal(uninterrupted.code, 0, uninterrupted.stderr);
  assert.deepEqual(numbers(join(stopped, 'history.json')), numbers(join(whole, 'history.json')));
  const { settings } = JSON.parse(readFileSync(join(stopped, 'history.json'), 'utf8'));
  assert.deepEqual([settings.lrSchedule, settings.lr, settings.lrWarmup], ['onecycle', 0.05, 0.4]);
});

test('a NaN loss stops the run naming epoch, batch and the last good checkpoint, which holds no NaN', () => {
  const out = folder();
  const first = mnist20k('train', '--epochs', '1', ...QUICK, '--out', out);
  assert.equal(first.code, 0, first.stderr);
  const r = mnist20k('train', '--resume', '--epochs', '2', '--lr', '1e9', '--out', out);
  assertOneLineError(r, /training diverged: loss (NaN|-?Infinity) at epoch 2, batch \d+ \(try a smaller --lr\); the last good checkpoint \(epoch 1 of 2\) is in .*; resume with: /);
  const cp = readCheckpoint(out)!;
  assert.equal(cp.epoch, 1);
  for (const { name, tensor } of decodeTensors([...cp.weights, ...cp.optimizer], 'checkpoint')) {
    assert.ok(tensor.dataSync().every(Number.isFinite), `${name} is finite`);
    tensor.dispose();
  }
});

test('a run that diverges before any checkpoint leaves no folder behind', () => {
  const out = folder();
  const r = mnist20k('train', '--lr', '1e9', '--epochs', '1', ...QUICK, '--out', out);
  assertOneLineError(r, /training diverged: loss (NaN|-?Infinity) at epoch 1, batch \d+ \(try a smaller --lr\); no epoch finished, so no checkpoint$/m);
  assert.equal(existsSync(out), false);
});

test('resume and model paths that hold nothing usable get one-line errors', async () => {
  const out = folder();
  assertOneLineError(mnist20k('train', '--resume', '--out', out), /--resume: no checkpoint in .* \(checkpoint\.json\) to continue/);
  assert.equal(existsSync(out), false, 'no partial output');
  assertOneLineError(mnist20k('train', '--out', join(__filename)), /--out .*: not a folder/);
  assertOneLineError(mnist20k('evaluate', '--model', __filename), /--model .*: not a folder/);
  assertOneLineError(mnist20k('evaluate', '--model', out), /no model here \(expected model\.json and weights\.bin\)/);
  const other = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [5] })] });
  await saveModel(other, out);
  other.dispose();
  assertOneLineError(mnist20k('evaluate', '--model', out, '--test-samples', '10'),
    /model\.json: modelTopology\.config\.layers\[0\] \(Dense .*\): config\.batch_input_shape: \[null,5\], expected \[null,28,28,1\]/);
});
