import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../lib/backend/choose';
import { notebookSettings } from '../../lib/run/settings';
import { loadMnist, Mnist } from '../../lib/data/mnist';
import { trainLive } from '../../lib/views/live';
import { buildNet } from '../../lib/model/net';
import { defaultSpec } from '../../lib/model/spec';
import { evaluate } from '../../lib/train/evaluate';
import { History } from '../../lib/train/loop';
import { closeRenderer } from '../../lib/views/render';

let data: Mnist;
const numbers = (h: History) => h.map(({ seconds, ...rest }) => rest);

/** trainLive as the notebook's cells call it, with the settings the environment gives and the network of `spec`. */
async function notebookRun(env: NodeJS.ProcessEnv, spec = defaultSpec()): Promise<History> {
  const config = notebookSettings({ MNIST_TRAIN_SAMPLES: '600', MNIST_TEST_SAMPLES: '200', MNIST_SEED: '4', ...env });
  const model = buildNet({ seed: config.settings.seed, spec });
  try {
    return (await trainLive(config, data, model, spec)).history;
  } finally {
    model.dispose();
  }
}

before(async () => {
  await initBackend('wasm');
  data = loadMnist({ trainSamples: 600, testSamples: 200 });
  // Outside the tslab kernel there is no page to draw on: the live displays write nowhere.
  (require('tslab/dist/jupyter') as { lastWriteDisplayData: unknown }).lastWriteDisplayData = () => undefined;
});

// The live chart's PNGs are drawn in Chromium, which would keep this process alive.
after(closeRenderer);

test('the notebook resumes with MNIST_RESUME=1 to the history of a run never stopped, rotations and all, and leaks no tensors', async () => {
  const tensors = tf.memory().numTensors;
  const [stopped, whole] = [mkdtempSync(join(tmpdir(), 'mnist20k-nb-')), mkdtempSync(join(tmpdir(), 'mnist20k-nb-'))];
  await notebookRun({ MNIST_EPOCHS: '1', MNIST_OUT: stopped, MNIST_SHARDS: '2', MNIST_AUGMENT: '1' });
  await assert.rejects(notebookRun({ MNIST_EPOCHS: '2', MNIST_OUT: stopped, MNIST_RESUME: '1', MNIST_SEED: '5' }),
    /^Error: MNIST_SEED: the run in .* was made with 4, not 5; a resumed run keeps it$/);
  await assert.rejects(notebookRun({ MNIST_EPOCHS: '2', MNIST_OUT: stopped, MNIST_RESUME: '1', MNIST_SHARDS: '3' }),
    /^Error: MNIST_SHARDS: the run in .* was made with 2, not 3; a resumed run keeps it$/);
  await assert.rejects(notebookRun({ MNIST_EPOCHS: '2', MNIST_OUT: stopped, MNIST_RESUME: '1', MNIST_AUGMENT: '0' }),
    /^Error: MNIST_AUGMENT: the run in .* was made with true, not false; a resumed run keeps it$/);
  const smaller = { ...defaultSpec(), dropout: 0.1 };
  await assert.rejects(notebookRun({ MNIST_EPOCHS: '2', MNIST_OUT: stopped, MNIST_RESUME: '1' }, smaller),
    /^Error: MNIST_MODEL_SPEC: the run in .* was made with the default, not a network spec of 16,034 parameters; a resumed run keeps it$/);
  const resumed = await notebookRun({ MNIST_EPOCHS: '2', MNIST_OUT: stopped, MNIST_RESUME: '1' });
  const uninterrupted = await notebookRun({ MNIST_EPOCHS: '2', MNIST_OUT: whole, MNIST_SHARDS: '2', MNIST_AUGMENT: '1' });
  assert.equal(resumed.length, 2);
  assert.deepEqual(numbers(resumed), numbers(uninterrupted));
  assert.equal(tf.memory().numTensors, tensors, 'as many tensors as before the runs');
});

test('repeated evaluation leaks no tensors', async () => {
  const model = buildNet({ seed: 1 });
  await evaluate(model, data.test);
  const tensors = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await evaluate(model, data.test);
  assert.equal(tf.memory().numTensors, tensors);
  model.dispose();
});
