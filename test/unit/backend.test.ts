import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, isInstalled, parseBackendChoice } from '../../lib/backend/choose';
import { olderThan } from '../../lib/backend/system';
import { describeAdapter, toAdapter } from '../../lib/backend/webgpu';

const nativeInstalled = isInstalled('@tensorflow/tfjs-node') || isInstalled('@tensorflow/tfjs-node-gpu');

test('auto falls back past missing native TensorFlow and a missing or software WebGPU adapter to wasm, and says why', async () => {
  const report = await initBackend('auto');
  assert.equal(tf.getBackend(), report.backend);
  if (nativeInstalled) {
    assert.equal(report.backend, 'tensorflow');
  } else if (report.backend === 'webgpu') {
    assert.match(report.device, /^GPU /, 'auto takes WebGPU only on a hardware adapter');
  } else {
    assert.equal(report.backend, 'wasm');
    assert.match(report.notes.join('\n'), /tfjs-node-gpu: not installed/);
    assert.match(report.notes.join('\n'), /tfjs-node: not installed/);
    assert.match(report.notes.join('\n'), /webgpu: /, 'the WebGPU rung says why it was skipped');
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
  assert.equal(parseBackendChoice('webgpu', 'MNIST_BACKEND'), 'webgpu');
  assert.throws(() => parseBackendChoice('gpu', '--backend'), /^Error: --backend: unknown backend 'gpu'/);
});

test('a WebGPU adapter is software when it says so or its names give it away, and reports say which', () => {
  const swiftShader = toAdapter({ vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0', isFallbackAdapter: true });
  assert.equal(swiftShader.software, true);
  assert.equal(describeAdapter(swiftShader), 'google swiftshader (SwiftShader driver 5.0.0), software: a CPU emulating a GPU');
  assert.equal(toAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }).software, true);
  const hardware = toAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' });
  assert.equal(hardware.software, false);
  assert.equal(describeAdapter(hardware), 'nvidia hopper (NVIDIA H100 80GB HBM3), hardware');
});

test('glibc versions compare as numbers', () => {
  assert.ok(olderThan([2, 31], [2, 34]));
  assert.ok(!olderThan([2, 36], [2, 34]));
  assert.ok(!olderThan([2, 34], [2, 34]));
  assert.ok(olderThan([2, 9], [2, 34]), '2.9 is older than 2.34');
});
