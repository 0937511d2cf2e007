import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../lib/backend/choose';
import { checkBatchFits } from '../../lib/train/memory';

const GiB = 2 ** 30;
/** The message of what `run` throws (it must throw). */
function failure(run: () => void): string {
  try {
    run();
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail('expected an error');
}

before(async () => {
  await initBackend('cpu');
});

test('the recipe\'s batch fits; a batch bigger than the data counts as the data', () => {
  checkBatchFits(128, 2, 'wasm', { memory: 8 * GiB });
  checkBatchFits(100_000, 2, 'wasm', { images: 2000, memory: 8 * GiB });
});

test('a shard too big for a wasm instance is refused in one line that names the largest batch that fits, and that one fits', () => {
  const message = failure(() => checkBatchFits(100_000, 2, 'wasm', { memory: 64 * GiB }));
  assert.match(message, /^--batch-size 100000: a shard of 50000 images needs about [\d.]+ GiB on wasm, beyond the 4 GiB a wasm instance can address; the largest batch that fits is \d+$/);
  const fits = Number(/(\d+)$/.exec(message)![1]);
  // Measured: a shard of 4,000 images fits in a wasm instance, one of 4,200 does not.
  assert.ok(fits >= 2 * 3900 && fits <= 2 * 4000, `largest: ${fits}`);
  checkBatchFits(fits, 2, 'wasm', { memory: 64 * GiB });
  assert.throws(() => checkBatchFits(fits + 1, 2, 'wasm', { memory: 64 * GiB }));
});

test('a batch that outgrows the machine is refused naming its memory; shards, computed one after another, need one shard\'s', () => {
  const message = failure(() => checkBatchFits(4000, 1, 'cpu', { memory: 2 * GiB }));
  assert.match(message, /^--batch-size 4000: a batch of 4000 images needs about [\d.]+ GiB on cpu, beyond this machine's 2 GiB; the largest batch that fits is \d+$/);
  const fits = Number(/(\d+)$/.exec(message)![1]);
  assert.ok(fits < 4000);
  checkBatchFits(fits, 1, 'cpu', { memory: 2 * GiB });
  assert.throws(() => checkBatchFits(fits + 1, 1, 'cpu', { memory: 2 * GiB }));
  checkBatchFits(4 * fits, 4, 'cpu', { memory: 2 * GiB });
});
