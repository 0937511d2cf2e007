import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSpec } from '../../lib/model/spec';
import { defaultSettings, runSettings, envOf, flagOf, notebookSettings, readSettings, recordedSettingProblem, settingsHelp, usageOf } from '../../lib/run/settings';

test('every setting has a flag and a variable named after it', () => {
  assert.equal(flagOf('lrStep'), '--lr-step');
  assert.equal(envOf('lrStep'), 'MNIST_LR_STEP');
  assert.equal(envOf('trainSamples'), 'MNIST_TRAIN_SAMPLES');
  const help = settingsHelp();
  for (const key of Object.keys(defaultSettings())) {
    assert.match(help, new RegExp(`${flagOf(key)}\\b.*${envOf(key)}`), key);
    assert.ok(usageOf().some((u) => u.startsWith(`[${flagOf(key)}`)), key);
  }
});

test('the defaults are the original recipe, with the step schedule', () => {
  const { settings, given } = readSettings({ argv: [], env: {} });
  assert.deepEqual(settings, {
    epochs: 20, batchSize: 128, lr: 0.01, lrSchedule: 'step', lrStep: 8, lrGamma: 0.1, lrWarmup: 0.3, momentum: 0.9, seed: 1, augment: false, modelSpec: undefined, trainSamples: undefined,
    testSamples: undefined, dataDir: undefined, backend: 'auto', shards: 1, threads: undefined, out: 'runs/latest', resume: false,
  });
  assert.deepEqual(given, {});
});

test('a flag beats its variable, which beats the default; what was set is `given`, and named as it was set', () => {
  const env = { MNIST_EPOCHS: '3', MNIST_SEED: '4', MNIST_BACKEND: '' };
  const { settings, given, name } = readSettings({ argv: ['--epochs', '5', '--lr-step=0', '--resume'], env });
  assert.deepEqual([settings.epochs, settings.seed, settings.lrStep, settings.resume, settings.backend], [5, 4, 0, true, 'auto']);
  assert.deepEqual(given, { epochs: 5, lrStep: 0, seed: 4, resume: true });
  assert.deepEqual([name('epochs'), name('seed'), name('lr')], ['--epochs', 'MNIST_SEED', '--lr']);
  assert.equal(notebookSettings({}).name('seed'), 'MNIST_SEED');
});

test('the notebook reads only the environment and writes to runs/notebook', () => {
  const full = notebookSettings({});
  assert.deepEqual([full.settings.epochs, full.settings.trainSamples, full.settings.out], [20, undefined, 'runs/notebook']);
  const quick = notebookSettings({ MNIST_EPOCHS: '2', MNIST_TRAIN_SAMPLES: '600', MNIST_BACKEND: 'cpu', MNIST_SEED: '0', MNIST_RESUME: '1' });
  assert.deepEqual([quick.settings.epochs, quick.settings.trainSamples, quick.settings.backend, quick.settings.seed, quick.settings.resume],
    [2, 600, 'cpu', 0, true]);
});

test('a bad value is one line naming the flag or variable', () => {
  const bad: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['--epochs', 'ten'], {}, /^--epochs: expected a positive integer, got 'ten'$/],
    [[], { MNIST_EPOCHS: '0' }, /^MNIST_EPOCHS: expected a positive integer, got '0'$/],
    [[], { MNIST_TEST_SAMPLES: '1e3' }, /^MNIST_TEST_SAMPLES: expected a positive integer/],
    [['--lr=-1'], {}, /^--lr: expected a positive number, got '-1'$/],
    [['--lr', '-1'], {}, /^--lr: a value starting with '-' must be written --lr=VALUE$/],
    [['--epochs', '--lr', '0.1'], {}, /^--epochs: expected a value, got the flag --lr$/],
    [['--momentum', '1'], {}, /^--momentum: expected a number from 0 up to \(not including\) 1, got '1'$/],
    [['--backend', 'gpu'], {}, /^--backend: unknown backend 'gpu'/],
    [[], { MNIST_BACKEND: 'tpu' }, /^MNIST_BACKEND: unknown backend 'tpu'/],
    [['--shards', '0'], {}, /^--shards: expected a positive integer, got '0'$/],
    [['--threads', '0'], {}, /^--threads: expected an integer from 1 to 256, got '0'$/],
    [[], { MNIST_THREADS: '257' }, /^MNIST_THREADS: expected an integer from 1 to 256, got '257'$/],
    [['--threads', '1.5'], {}, /^--threads: expected an integer from 1 to 256, got '1.5'$/],
    [[], { MNIST_RESUME: 'yes' }, /^MNIST_RESUME: expected 1 or 0, got 'yes'$/],
    [[], { MNIST_AUGMENT: 'on' }, /^MNIST_AUGMENT: expected 1 or 0, got 'on'$/],
    [['--model-spec', '/nonexistent/spec.json'], {}, /^--model-spec \/nonexistent\/spec\.json: no such file$/],
    [['--epochz', '3'], {}, /^unknown flag '--epochz'$/],
    [['--out='], {}, /^--out: expected a value$/],
  ];
  for (const [argv, env, message] of bad) {
    assert.throws(() => readSettings({ argv, env }), (e: Error) => message.test(e.message), `${argv} ${JSON.stringify(env)}`);
  }
});

test('--threads and MNIST_THREADS set the threads, apart from the shard count, and a run does not record them', () => {
  const { settings } = readSettings({ argv: ['--threads', '3'], env: { MNIST_SHARDS: '2' } });
  assert.deepEqual([settings.threads, settings.shards], [3, 2]);
  assert.deepEqual([readSettings({ env: { MNIST_THREADS: '1' } }).settings.threads, readSettings({ env: { MNIST_THREADS: '1' } }).settings.shards], [1, 1]);
  const recorded = runSettings(settings, 'wasm');
  assert.equal('threads' in recorded, false);
  assert.equal(recorded.shards, 2);
});

test('a command takes only its own settings, and its own extra flags', () => {
  const { settings, extra } = readSettings({ argv: ['--model', 'm', '--json', '--by-shape', '--test-samples', '50'], env: {}, keys: ['testSamples'], extra: { model: 'string', json: 'boolean', 'by-shape': 'boolean', profile: 'boolean' } });
  assert.equal(settings.testSamples, 50);
  assert.deepEqual(extra, { model: 'm', json: true, 'by-shape': true, profile: undefined });
  assert.throws(() => readSettings({ argv: ['--epochs', '2'], env: {}, keys: ['testSamples'] }), /unknown flag '--epochs'/);
});

test('--model-spec reads a JSON spec, checked; the original given as a file counts as unset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mnist20k-spec-'));
  const file = (name: string, content: unknown) => {
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
    return join(dir, name);
  };
  const small = { dropout: 0, blocks: [{ conv: 10, kernel: 3 }, { avgPool: 26 }] };
  assert.deepEqual(readSettings({ argv: ['--model-spec', file('small.json', small)], env: {} }).settings.modelSpec, small);
  assert.equal(readSettings({ env: { MNIST_MODEL_SPEC: file('original.json', defaultSpec()) } }).settings.modelSpec, undefined);
  const bad = file('bad.json', { dropout: 0, blocks: [{ conv: 10, kernel: 3 }, { avgPool: 27 }] });
  assert.throws(() => readSettings({ env: { MNIST_MODEL_SPEC: bad } }),
    (e: Error) => e.message === `MNIST_MODEL_SPEC ${bad}: spec block 2 (avgPool 27): input is 26×26, smaller than the 27×27 window`);
  const broken = file('broken.json', '{ "dropout": 0,');
  assert.throws(() => readSettings({ argv: [`--model-spec=${broken}`], env: {} }), new RegExp(`^Error: --model-spec ${broken}: not valid JSON`));
});

test('the schedule is one of step, onecycle, constant, and the warm-up a fraction strictly between 0 and 1, each refused in one line naming it', () => {
  assert.equal(readSettings({ argv: ['--lr-schedule', 'onecycle'], env: {} }).settings.lrSchedule, 'onecycle');
  assert.equal(readSettings({ env: { MNIST_LR_SCHEDULE: 'constant' } }).settings.lrSchedule, 'constant');
  assert.throws(() => readSettings({ argv: ['--lr-schedule', 'cosine'], env: {} }), { message: "--lr-schedule: expected one of step, onecycle, constant, got 'cosine'" });
  assert.throws(() => readSettings({ env: { MNIST_LR_SCHEDULE: 'OneCycle' } }), /^Error: MNIST_LR_SCHEDULE: expected one of step, onecycle, constant, got 'OneCycle'$/);
  for (const bad of ['0', '1', '-0.2', 'x', '1.5']) {
    assert.throws(() => readSettings({ argv: [`--lr-warmup=${bad}`], env: {} }), { message: `--lr-warmup: expected a number between 0 and 1 (both excluded), got '${bad}'` });
  }
  assert.equal(readSettings({ argv: ['--lr-warmup', '0.2'], env: {} }).settings.lrWarmup, 0.2);
});

test('a record from before the schedule settings existed was made with the step schedule: their absence is no problem, a bad value is', () => {
  assert.equal(recordedSettingProblem('lrSchedule', undefined, 'settings.lrSchedule'), undefined);
  assert.equal(recordedSettingProblem('lrWarmup', undefined, 'settings.lrWarmup'), undefined);
  assert.equal(recordedSettingProblem('lr', undefined, 'settings.lr'), 'settings.lr: missing');
  assert.equal(recordedSettingProblem('lrSchedule', 'cyclic', 'settings.lrSchedule'), "settings.lrSchedule: expected one of step, onecycle, constant, got 'cyclic'");
  assert.equal(recordedSettingProblem('lrWarmup', 1, 'settings.lrWarmup'), "settings.lrWarmup: expected a number between 0 and 1 (both excluded), got '1'");
});
