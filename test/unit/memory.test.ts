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
  checkBatchFits({ batchSize: 128, shards: 2 }, 'wasm', { memory: 8 * GiB });
  checkBatchFits({ batchSize: 100_000, shards: 2 }, 'wasm', { images: 2000, memory: 8 * GiB });
});

test('a shard too big for a wasm instance is refused in one line that names the largest batch that fits, and that one fits', () => {
  const message = failure(() => checkBatchFits({ batchSize: 100_000, shards: 2 }, 'wasm', { memory: 64 * GiB }));
  assert.match(message, /^--batch-size 100000: a shard of 50000 images needs about [\d.]+ GiB on wasm, beyond the 4 GiB a wasm instance can address; the largest batch that fits is \d+$/);
  const fits = Number(/(\d+)$/.exec(message)![1]);
  // Measured: a shard of 4,000 images fits in a wasm instance, one of 4,200 does not.
  assert.ok(fits >= 2 * 3900 && fits <= 2 * 4000, `largest: ${fits}`);
  checkBatchFits({ batchSize: fits, shards: 2 }, 'wasm', { memory: 64 * GiB });
  assert.throws(() => checkBatchFits({ batchSize: fits + 1, shards: 2 }, 'wasm', { memory: 64 * GiB }));
});

test('a batch that outgrows the machine is refused naming its memory; shards, computed one after another, need one shard\'s', () => {
  const message = failure(() => checkBatchFits({ batchSize: 4000, shards: 1 }, 'cpu', { memory: 2 * GiB }));
  assert.match(message, /^--batch-size 4000: a batch of 4000 images needs about [\d.]+ GiB on cpu, beyond this machine's 2 GiB; the largest batch that fits is \d+$/);
  const fits = Number(/(\d+)$/.exec(message)![1]);
  assert.ok(fits < 4000);
  checkBatchFits({ batchSize: fits, shards: 1 }, 'cpu', { memory: 2 * GiB });
  assert.throws(() => checkBatchFits({ batchSize: fits + 1, shards: 1 }, 'cpu', { memory: 2 * GiB }));
  checkBatchFits({ batchSize: 4 * fits, shards: 4 }, 'cpu', { memory: 2 * GiB });
});

test('more shards than images in a batch names the shard count, by the flag or variable that set it', () => {
  assert.match(failure(() => checkBatchFits({ batchSize: 128, shards: 5000 }, 'wasm', { memory: 8 * GiB })),
    /^--shards 5000: more shards than the 128 images of a batch \(--batch-size 128\); at most 128$/);
  const name = (key: string) => ({ batchSize: 'MNIST_BATCH_SIZE', shards: 'MNIST_SHARDS', modelSpec: 'MNIST_MODEL_SPEC' })[key]!;
  assert.match(failure(() => checkBatchFits({ batchSize: 128, shards: 1e12, name }, 'wasm', { images: 100 })),
    /^MNIST_SHARDS 1000000000000: more shards than the 100 images of a batch \(the data hold 100\); at most 100$/);
  assert.match(failure(() => checkBatchFits({ batchSize: 100_000, shards: 1, name }, 'cpu', { memory: 2 * GiB })), /^MNIST_BATCH_SIZE 100000: /);
});

test('the memory a step needs is the spec\'s: a network too big for even one image names the spec', () => {
  const wide = { dropout: 0, blocks: [{ conv: 5000, kernel: 1, batchNorm: false }, { conv: 10, kernel: 1 }, { avgPool: 28 }] };
  assert.match(failure(() => checkBatchFits({ batchSize: 128, shards: 1, modelSpec: wide }, 'wasm', { memory: 64 * GiB })),
    /^--batch-size 128: a batch of 128 images needs about [\d.]+ GiB on wasm, beyond the 4 GiB a wasm instance can address; the largest batch that fits is \d+$/);
  assert.match(failure(() => checkBatchFits({ batchSize: 1, shards: 1, modelSpec: wide }, 'cpu', { memory: 0.2 * GiB })),
    /^--model-spec: one image through this network needs about [\d.]+ GiB on cpu, beyond this machine's 0\.2 GiB$/);
});
