import * as tf from '@tensorflow/tfjs';
import { DeviceBatch, disposeBatch, isDeviceBatch, toDevice } from '../data/device';
import { Batch, PIXELS } from '../data/mnist';
import { seedDropout } from '../model/layers';
import { Rng } from '../util/rng';
import { StepOutcome } from './metrics';
import { Momentum } from './momentum';
import { lossAndGradients, readWeights, Shard, shardGradients, ShardResult, writeWeights } from './shard';
import type { Recipe } from './recipe';

/** One training step = one batch split into shards, their gradients averaged (weighted by shard size), then SGD with
 *  momentum as PyTorch applies it: v = m·v + g; w −= lr·v (tfjs's momentum optimizer does the same). The number of
 *  shards fixes the numerics (BatchNorm's statistics are each shard's own); the shards run one after another, each on
 *  all the backend's threads. */
export class Trainer {
  readonly optimizer: tf.MomentumOptimizer;
  private readonly shards: number;

  constructor(readonly model: tf.LayersModel, { lr, momentum, shards }: Pick<Recipe, 'lr' | 'momentum' | 'shards'>) {
    if (!(Number.isInteger(shards) && shards >= 1)) throw new Error(`Trainer: shards must be a positive integer, got ${shards}`);
    this.shards = shards;
    this.optimizer = new Momentum(lr, momentum);
  }

  /** Trains on one batch; `seed` draws the dropout masks. Returns the batch's mean loss and its correct predictions:
   *  with one shard as scalars on the backend, not read back (nor are the gradients, applied where they were
   *  computed); with more, as numbers. A batch already on the backend (DeviceSplit) takes a single shard only. */
  async step(batch: Batch | DeviceBatch, seed: number): Promise<StepOutcome> {
    if (this.shards === 1) {
      const onDevice = isDeviceBatch(batch) ? batch : toDevice(batch);
      try {
        return this.stepOnDevice(onDevice, seed);
      } finally {
        if (onDevice !== batch) disposeBatch(onDevice);
      }
    }
    if (isDeviceBatch(batch)) throw new Error('Trainer: a batch on the backend cannot be split into shards');
    return this.stepInShards(batch, seed);
  }

  /** One shard, the whole batch: forward, backward and SGD on the backend, nothing read back. */
  private stepOnDevice({ x, y, size }: DeviceBatch, seed: number): StepOutcome {
    seedDropout(this.model, new Rng(seed).seed()); // the seed split() gives a single shard
    const variables = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { loss, correct } = tf.tidy(() => {
      const result = lossAndGradients(this.model, x, y, variables);
      this.optimizer.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: result.grads[i] })));
      return { loss: result.loss, correct: result.correct };
    });
    return { loss, correct, size };
  }

  private async stepInShards(batch: Batch, seed: number): Promise<StepOutcome> {
    const shards = split(batch, this.shards, seed);
    // Shards after the first start again from the running statistics as they were. A batch smaller than the shard
    // count may leave a single shard, which needs nothing restored.
    const initialState = shards.length > 1 ? await readWeights(this.model.nonTrainableWeights) : [];
    const results: ShardResult[] = [];
    for (const [k, shard] of shards.entries()) {
      if (k > 0) writeWeights(this.model.nonTrainableWeights, initialState);
      results.push(await shardGradients(this.model, shard));
    }

    const share = results.map((r) => r.size / batch.size);
    if (results.length > 1) writeWeights(this.model.nonTrainableWeights, weightedSum(results.map((r) => r.state), share));
    const grads = weightedSum(results.map((r) => r.grads), share);
    tf.tidy(() => {
      this.optimizer.applyGradients(this.model.trainableWeights.map((w, i) => ({
        name: (w.read() as tf.Variable).name,
        tensor: tf.tensor(grads[i], w.shape as number[]),
      })));
    });
    return {
      loss: results.reduce((sum, r, i) => sum + r.loss * share[i], 0),
      correct: results.reduce((sum, r) => sum + r.correct, 0),
      size: batch.size,
    };
  }

  dispose(): void {
    disposeMomentum(this.optimizer);
  }
}

/** Disposes a tfjs momentum optimizer entirely: its own dispose() forgets the learning-rate scalar (`c`) of its
 *  SGD base class, one leaked tensor per optimizer. */
export function disposeMomentum(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  (optimizer as unknown as { c?: tf.Tensor }).c?.dispose();
}

/** Contiguous slices of the batch (sizes differ by at most one), each with its own dropout seed. Empty ones are
 *  left out, so a batch smaller than the shard count still trains. */
function split(batch: Batch, count: number, seed: number): Shard[] {
  const rng = new Rng(seed);
  const shards: Shard[] = [];
  for (let k = 0, start = 0; k < count; k++) {
    const size = Math.floor(batch.size / count) + (k < batch.size % count ? 1 : 0);
    const shardSeed = rng.seed();
    if (size === 0) continue;
    shards.push({
      images: batch.images.subarray(start * PIXELS, (start + size) * PIXELS),
      labels: batch.labels.subarray(start, start + size),
      size,
      seed: shardSeed,
    });
    start += size;
  }
  return shards;
}

/** Σ share[k] · arrays[k], element-wise, for lists of equally shaped arrays; summed in shard order. */
function weightedSum(arrays: Float32Array[][], share: number[]): Float32Array[] {
  return arrays[0].map((first, j) => {
    const out = new Float32Array(first.length);
    arrays.forEach((list, k) => {
      const a = list[j];
      for (let i = 0; i < out.length; i++) out[i] += share[k] * a[i];
    });
    return out;
  });
}
