import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertRefused } from './mnist20k';

// Settings and specs that imply more than anything can hold, or that name nothing that exists: each is refused before
// any work, in one line naming the flag, variable or file at fault, in bounded memory (assertRefused).
const scratch = (): string => mkdtempSync(join(tmpdir(), 'mnist20k-hostile-'));

function specFile(spec: unknown): string {
  const file = join(scratch(), 'spec.json');
  writeFileSync(file, typeof spec === 'string' ? spec : JSON.stringify(spec));
  return file;
}

test('a spec of huge counts, deep nesting or no JSON is refused by summary and train, naming the file and the block', () => {
  const linear = specFile({ dropout: 0.01, blocks: [{ linear: 1e9 }, { linear: 10 }] });
  const conv = specFile({ dropout: 0.01, blocks: [{ conv: 1e6, kernel: 3 }, { avgPool: 26 }, { linear: 10 }] });
  const wide = specFile({ dropout: 0, blocks: [{ conv: 1e5, kernel: 1, batchNorm: false }, { conv: 10, kernel: 1 }, { avgPool: 28 }] });
  const deep = specFile(`{"dropout":0.01,"blocks":${'['.repeat(1e5)}${']'.repeat(1e5)}}`);
  const text = specFile('a spec\nof words\n');
  const out = join(scratch(), 'run');
  for (const command of ['summary', 'train']) {
    const args = (spec: string) => [command, '--model-spec', spec, ...(command === 'train' ? ['--out', out] : [])];
    assertRefused({}, args(linear), /^mnist20k \w+: --model-spec .*spec\.json: spec block 1 \(linear 1000000000\): brings the network to 785,000,000,000 parameters, beyond the 10,000,000/);
    assertRefused({}, args(conv), /spec block 1 \(conv 3×3, 1000000\): brings the network to 11,000,000 parameters/);
    assertRefused({}, args(wide), /spec block 1 \(conv 1×1, 100000\): brings the network's outputs to 156,800,000 values per image, beyond the 16,777,216/);
    assertRefused({}, args(deep), /--model-spec .*spec\.json: nested more than 3 levels deep \(4 found\), more than a spec file is$/);
    assertRefused({}, args(text), /--model-spec .*spec\.json: not valid JSON \(Unexpected token .*\)$/);
    assertRefused({ MNIST_MODEL_SPEC: linear }, [command, ...(command === 'train' ? ['--out', out] : [])], /^mnist20k \w+: MNIST_MODEL_SPEC .*spec\.json: spec block 1/);
  }
  assert.equal(existsSync(out), false, 'no run folder left behind');
});

test('impossible batch and shard counts are refused by bench as by train, naming the flag or variable', () => {
  const out = join(scratch(), 'run');
  assertRefused({}, ['bench', '--batch-size', '60001', '--backend', 'wasm'],
    /^mnist20k bench: --batch-size 60001: bench times full batches, and the data hold 60000 training images$/);
  assertRefused({}, ['bench', '--batches', '1', '--shards', '1000000000000', '--backend', 'wasm'],
    /^mnist20k bench: --shards 1000000000000: more shards than the 128 images of a batch \(--batch-size 128\); at most 128$/);
  assertRefused({}, ['bench', '--batch-size', '9000', '--backend', 'wasm'],
    /^mnist20k bench: --batch-size 9000: a batch of 9000 images needs about [\d.]+ GiB on wasm, beyond the 4 GiB a wasm instance can address; the largest batch that fits is \d+$/);
  assertRefused({}, ['train', '--shards', '5000', '--backend', 'wasm', '--out', out], /^mnist20k train: --shards 5000: more shards than the 128 images of a batch/);
  assertRefused({ MNIST_SHARDS: '5000' }, ['train', '--backend', 'wasm', '--out', out], /^mnist20k train: MNIST_SHARDS 5000: more shards/);
  assert.equal(existsSync(out), false, 'no run folder left behind');
});

test('a value from a variable is named as that variable; a missing value as missing', () => {
  const out = join(scratch(), 'run');
  assertRefused({ MNIST_BACKEND: 'tensorflow' }, ['train', '--out', out], /^mnist20k train: MNIST_BACKEND=tensorflow: @tensorflow\/tfjs-node-gpu: /);
  assertRefused({}, ['train', '--backend', 'tensorflow', '--out', out], /^mnist20k train: --backend tensorflow: @tensorflow\/tfjs-node-gpu: /);
  assertRefused({}, ['train', '--epochs', '--lr', '0.1'], /^mnist20k train: --epochs: expected a value, got the flag --lr$/);
  assert.equal(existsSync(out), false, 'no run folder left behind');
});

test('compare into a path under a file is refused before anything is shown', () => {
  const file = join(scratch(), 'file');
  writeFileSync(file, 'not a folder');
  const r = assertRefused({}, ['compare', 'models/s6_net1', '--out', join(file, 'chart.html')], /^mnist20k compare: --out .*chart\.html: its folder .*file: not a folder$/);
  assert.equal(r.stdout, '');
});
