import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { assertRefused } from './mnist20k';

// Data files that claim more than this machine holds, that never end or never start, and data settings that ask for
// more than there is: each is refused before training, in one line naming the file, flag or variable at fault, in
// bounded memory (assertRefused).
const scratch = (): string => mkdtempSync(join(tmpdir(), 'mnist20k-hostile-data-'));

function idx(magic: number, dims: number[], payload: Uint8Array = new Uint8Array(0)): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, payload]);
}

/** A data folder whose training labels are sound and whose training images are made by `images` (given the path). */
function dataDir(images: (file: string) => void): string {
  const dir = scratch();
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx(0x801, [1], Uint8Array.of(7)));
  images(join(dir, 'train-images-idx3-ubyte'));
  return dir;
}

test('data files that claim a billion images, never end or wait for a writer are refused in bounded memory', () => {
  // 1.2 MB that inflate to 1.2 GB (gzip members, one after the other, are one stream), under a header that claims
  // a billion images: loading it whole would pass the 1 GiB that assertRefused allows.
  const zeros = gzipSync(Buffer.alloc(2 ** 20));
  const billion = dataDir((file) => writeFileSync(`${file}.gz`, Buffer.concat([gzipSync(idx(0x803, [1e9, 28, 28])), ...Array(1200).fill(zeros)])));
  const device = dataDir((file) => symlinkSync('/dev/zero', file));
  const fifo = dataDir((file) => assert.equal(spawnSync('mkfifo', [file]).status, 0, 'mkfifo'));
  const out = join(scratch(), 'run');
  const train = ['train', '--out', out];
  assertRefused({ MNIST_DATA_DIR: billion }, train,
    /^mnist20k train: .*train-images-idx3-ubyte\.gz: holds 1,000,000,000 images by its header, [\d,.]+ GiB to load .*, more than this machine's [\d,.]+ GiB of memory$/);
  assertRefused({}, [...train, '--data-dir', device], /^mnist20k train: .*train-images-idx3-ubyte: a device, not an IDX file$/);
  assertRefused({}, [...train, '--data-dir', fifo], /^mnist20k train: .*train-images-idx3-ubyte: a FIFO \(named pipe\), not an IDX file$/);
  assertRefused({ MNIST_DATA_DIR: fifo }, ['bench', '--backend', 'wasm'], /^mnist20k bench: .*train-images-idx3-ubyte: a FIFO/);
  assert.equal(existsSync(out), false, 'no run folder left behind');
});

test('more samples than the data hold, or a data folder that is not there, is named as the flag or variable given', () => {
  const out = join(scratch(), 'run');
  const train = ['train', '--out', out];
  const evaluate = ['evaluate', '--model', join(scratch(), 'model')];
  assertRefused({ MNIST_TRAIN_SAMPLES: '1000000000000' }, train,
    /^mnist20k train: MNIST_TRAIN_SAMPLES: 1000000000000 requested, but train-images-idx3-ubyte holds 60000 images$/);
  assertRefused({}, [...train, '--train-samples', '1000000000000'], /^mnist20k train: --train-samples: 1000000000000 requested/);
  assertRefused({ MNIST_DATA_DIR: '/nonexistent' }, train, /^mnist20k train: MNIST_DATA_DIR \/nonexistent: no such folder$/);
  assertRefused({}, [...train, '--data-dir', '/nonexistent'], /^mnist20k train: --data-dir \/nonexistent: no such folder$/);
  assertRefused({ MNIST_DATA_DIR: '/nonexistent' }, ['bench'], /^mnist20k bench: MNIST_DATA_DIR \/nonexistent: no such folder$/);
  assertRefused({ MNIST_TEST_SAMPLES: '20000' }, evaluate,
    /^mnist20k evaluate: MNIST_TEST_SAMPLES: 20000 requested, but t10k-images-idx3-ubyte holds 10000 images$/);
  assertRefused({}, [...evaluate, '--test-samples', '20000'], /^mnist20k evaluate: --test-samples: 20000 requested/);
  assert.equal(existsSync(out), false, 'no run folder left behind');
});
