import * as tf from '@tensorflow/tfjs';
import { IMAGE_SHAPE } from '../data/mnist';
import { backwardTrunk, runTrunk } from '../model/trunk';
import { LogSoftmax, seedDropout } from '../model/layers';
import { countCorrect, logSoftmaxNll, nllLoss } from './loss';

/** A slice of a batch, as plain arrays. */
export interface Shard {
  images: Float32Array; // size × PIXELS, normalised
  labels: Int32Array;
  size: number;
  /** Seeds the shard's dropout masks. */
  seed: number;
}

/** What one shard contributes to a training step. */
export interface ShardResult {
  /** Gradient of the shard's mean loss, one array per trainable weight (model.trainableWeights order). */
  grads: Float32Array[];
  /** The non-trainable weights (BatchNorm running statistics) after this shard's forward pass. */
  state: Float32Array[];
  loss: number;
  correct: number;
  size: number;
}

/** Forward and backward pass of `model` in training mode on one shard, read back so that shards can be combined. The
 *  model's weights are not changed, only its BatchNorm running statistics, which are returned with the gradients. */
export async function shardGradients(model: tf.LayersModel, shard: Shard): Promise<ShardResult> {
  seedDropout(model, shard.seed);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { loss, correct, grads } = tf.tidy(() => {
    const x = tf.tensor4d(shard.images, [shard.size, ...IMAGE_SHAPE]);
    const y = tf.tensor1d(shard.labels, 'int32');
    return lossAndGradients(model, x, y, variables);
  });
  const [gradValues, state, [lossValue], [correctValue]] = await Promise.all([
    Promise.all(grads.map(valuesOf)),
    Promise.all(model.nonTrainableWeights.map((w) => copyOf(w.read()))),
    valuesOf(loss),
    valuesOf(correct),
  ]);
  return { grads: gradValues, state, loss: lossValue, correct: correctValue, size: shard.size };
}

/** The mean loss of a batch, its correct predictions, and the loss's gradient for each of `variables`, in training
 *  mode (which also moves BatchNorm's running statistics). The network's layers run and are taken back by hand
 *  (model/trunk.ts: no tape entries, no saved copies), and so does the log-softmax with the loss (loss.ts). Layers
 *  those do not take, and what follows them, run under tfjs's tape, which also gives the gradient of the hand-run
 *  part's output. The same numbers as tf.variableGrads over the whole model, to the bit (test/unit/trunk.test.ts).
 *  Call inside tf.tidy. */
export function lossAndGradients(model: tf.LayersModel, x: tf.Tensor4D, y: tf.Tensor1D, variables: tf.Variable[]) {
  const trunk = runTrunk(model, x);
  const byName = new Map<string, tf.Tensor>();
  const backward = (dy: tf.Tensor) => {
    for (const [name, gradient] of backwardTrunk(trunk.passes, dy)) byName.set(name, gradient);
  };
  let loss: tf.Scalar;
  let correct: tf.Scalar;
  if (trunk.passes.length > 0 && trunk.rest.length === 1 && trunk.rest[0] instanceof LogSoftmax && trunk.y.rank === 2) {
    const result = logSoftmaxNll(trunk.y as tf.Tensor2D, y);
    ({ loss, correct } = result);
    backward(result.dLogits);
  } else {
    const head = trunk.rest.flatMap((layer) => layer.trainableWeights.map((w) => w.read() as tf.Variable));
    const features = trunk.passes.length > 0 ? [trunk.y] : [];
    let hits!: tf.Scalar;
    const { value, grads } = tf.engine().gradients(() => {
      const logProbs = trunk.rest.reduce((h, layer) => layer.apply(h, { training: true }) as tf.Tensor, trunk.y) as tf.Tensor2D;
      hits = tf.keep(countCorrect(logProbs, y));
      return nllLoss(logProbs, y);
    }, [...features, ...head], undefined, true);
    head.forEach((v, i) => byName.set(v.name, grads[features.length + i]));
    if (features.length > 0) backward(grads[0]);
    [loss, correct] = [value as tf.Scalar, hits];
  }
  return { loss, correct, grads: variables.map((v) => byName.get(v.name)!) };
}

/** Reads and disposes a tensor (outside tf.tidy, which would walk a returned typed array element by element). */
async function valuesOf(t: tf.Tensor): Promise<Float32Array> {
  const values = await copyOf(t);
  t.dispose();
  return values;
}

/** The values of `weights` (e.g. a model's non-trainable ones), in order. */
export function readWeights(weights: tf.LayerVariable[]): Promise<Float32Array[]> {
  return Promise.all(weights.map((w) => copyOf(w.read())));
}

/** A copy, since the cpu backend hands out the tensor's own storage; read asynchronously, as webgpu requires. */
async function copyOf(t: tf.Tensor): Promise<Float32Array> {
  return Float32Array.from(await t.data());
}

export function writeWeights(weights: tf.LayerVariable[], values: Float32Array[]): void {
  tf.tidy(() => weights.forEach((w, i) => w.write(tf.tensor(values[i], w.shape as number[]))));
}
