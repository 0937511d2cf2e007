import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, isInstalled, parseBackendChoice } from '../../lib/backend/choose';

const nativeInstalled = isInstalled('@tensorflow/tfjs-node') || isInstalled('@tensorflow/tfjs-node-gpu');

test('auto falls back past missing native TensorFlow to wasm, and says why', async () => {
  const report = await initBackend('auto');
  assert.equal(tf.getBackend(), report.backend);
  if (nativeInstalled) {
    assert.equal(report.backend, 'tensorflow');
  } else {
    assert.equal(report.backend, 'wasm');
    assert.match(report.notes.join('\n'), /tfjs-node-gpu: not installed/);
    assert.match(report.notes.join('\n'), /tfjs-node: not installed/);
  }
});

test('an explicit backend is honoured', async () => {
  for (const choice of ['cpu', 'wasm'] as const) {
    const report = await initBackend(choice);
    assert.equal(report.backend, choice);
    assert.equal(tf.getBackend(), choice);
  }
});

test('an explicit backend that cannot run fails clearly instead of falling back', async () => {
  if (nativeInstalled) return assert.ok((await initBackend('tensorflow')).backend === 'tensorflow');
  await assert.rejects(initBackend('tensorflow'), /--backend tensorflow: .*tfjs-node-gpu: not installed/);
});

test('backend names are checked', () => {
  assert.equal(parseBackendChoice('wasm', '--backend'), 'wasm');
  assert.throws(() => parseBackendChoice('gpu', '--backend'), /^Error: --backend: unknown backend 'gpu'/);
});
