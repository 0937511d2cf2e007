import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BackendChoice } from '../backend/choose';
import { DeviceBatch, disposeBatch, isDeviceBatch, toDevice } from '../data/device';
import { Batch, PIXELS } from '../data/mnist';
import { seedDropout } from '../model/layers';
import { Rng } from '../util/rng';
import { StepOutcome } from './metrics';
import { Momentum } from './momentum';
import { lossAndGradients, readWeights, Shard, shardGradients, ShardResult, writeWeights } from './shard';
import type { Recipe } from './recipe';
import type { StepRequest, WorkerInit } from './worker';

/** Worker threads worth starting for `shards` shards: one thread per shard, at most one per core, the main thread
 *  being one of them. More threads than cores only slow each other down. On webgpu the shards share the one GPU, so
 *  they run one after another on the main thread. */
export function defaultWorkers(shards: number, backend = tf.getBackend()): number {
  return backend === 'webgpu' ? 0 : Math.min(shards, availableParallelism()) - 1;
}

/** One training step = one batch split into shards, their gradients averaged (weighted by shard size), then SGD with
 *  momentum as PyTorch applies it: v = m·v + g; w −= lr·v (tfjs's momentum optimizer does the same). The number of
 *  shards fixes the numerics; how many run on worker threads only changes the speed. */
export class Trainer {
  readonly optimizer: tf.MomentumOptimizer;

  private constructor(readonly model: tf.LayersModel, private readonly shards: number, lr: number, momentum: number, private readonly helpers: ShardWorker[]) {
    this.optimizer = new Momentum(lr, momentum);
  }

  /** `workers` threads (besides this one) compute shards 1…workers; this thread computes the rest. */
  static async create(model: tf.LayersModel, { lr, momentum, shards }: Pick<Recipe, 'lr' | 'momentum' | 'shards'>, workers = defaultWorkers(shards)): Promise<Trainer> {
    if (!(shards >= 1 && workers >= 0 && workers < shards)) {
      throw new Error(`Trainer: need 0 ≤ workers < shards, got ${workers} workers for ${shards} shards`);
    }
    const init: WorkerInit = { backend: tf.getBackend() as BackendChoice, topology: model.toJSON(null, false) as object };
    const started = await Promise.allSettled(Array.from({ length: workers }, () => ShardWorker.start(init)));
    const helpers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    // Whatever fails from here on (a worker's start, the optimizer's settings) ends the workers already running:
    // a live worker thread keeps the process from exiting after its error message.
    try {
      const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      return new Trainer(model, shards, lr, momentum, helpers);
    } catch (e) {
      await Promise.all(helpers.map((h) => h.stop()));
      throw e;
    }
  }

  /** Threads computing each step, this one included. */
  get threads(): number {
    return this.helpers.length + 1;
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
    // Workers get the current weights; local shards after the first start again from the running statistics as they
    // were. A batch smaller than the shard count may leave a single shard, which needs neither.
    const weights = shards.length > 1 ? await readWeights(this.model) : [];
    const initialState = weights.slice(this.model.trainableWeights.length);
    const results: ShardResult[] = new Array(shards.length);
    const remote = this.helpers.map(async (helper, i) => {
      if (shards[i + 1]) results[i + 1] = await helper.run({ weights, shard: shards[i + 1] });
    });
    for (const [k, shard] of shards.entries()) {
      if (k > 0 && k <= this.helpers.length) continue;
      if (k > 0) writeWeights(this.model.nonTrainableWeights, initialState);
      results[k] = await shardGradients(this.model, shard);
    }
    await Promise.all(remote);

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

  async dispose(): Promise<void> {
    disposeMomentum(this.optimizer);
    await Promise.all(this.helpers.map((h) => h.stop()));
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

/** A worker thread running lib/train/worker.ts, one request at a time. It keeps the process alive only while a request
 *  is out: an idle worker that some failure left behind cannot stop the process from exiting. */
class ShardWorker {
  private pending?: { resolve(r: ShardResult): void; reject(e: Error): void };
  private exited?: Error;

  private constructor(private readonly worker: Worker) {
    worker.unref();
    worker.on('message', (m: { result?: ShardResult; error?: string }) => {
      if (m.error !== undefined) this.fail(new Error(`worker thread: ${m.error}`));
      else this.take()?.resolve(m.result!);
    });
    worker.on('error', (e) => this.fail(e));
    // A step waiting on a worker that died (out of memory, say) fails instead of waiting for ever.
    worker.on('exit', (code) => {
      this.exited = new Error(`worker thread exited (code ${code})`);
      this.fail(this.exited);
    });
  }

  private take() {
    const p = this.pending;
    this.pending = undefined;
    this.worker.unref();
    return p;
  }

  private fail(e: Error): void {
    this.take()?.reject(e);
  }

  static start(init: WorkerInit): Promise<ShardWorker> {
    const worker = new Worker(join(__dirname, 'worker.js'), { workerData: init });
    return new Promise((resolve, reject) => {
      const failed = (e: Error): void => {
        void worker.terminate();
        reject(e);
      };
      worker.once('message', (m: { ready?: boolean; error?: string }) => {
        if (m.ready) resolve(new ShardWorker(worker));
        else failed(new Error(`worker thread failed to start: ${m.error}`));
      });
      worker.once('error', failed);
    });
  }

  run(request: StepRequest): Promise<ShardResult> {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(this.exited);
      this.pending = { resolve, reject };
      this.worker.ref();
      this.worker.postMessage(request);
    });
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
