import * as tf from '@tensorflow/tfjs';
import { IMAGE_SHAPE } from '../data/mnist';
import { BatchNorm2d } from './batchnorm';
import { Conv2d, Dropout2d, LogSoftmax, registerLayers } from './layers';
import { ConvBlock, defaultSpec, NetSpec, planSpec } from './spec';
import { Rng } from '../util/rng';

export { registerLayers } from './layers';
export { loadModel, saveModel } from './saved';

export interface NetOptions {
  /** The network (lib/model/spec.ts); default: the original's. */
  spec?: NetSpec;
  /** Seeds weight initialisation and the dropout masks; without it both draw from Math.random. */
  seed?: number;
}

/** The network of a spec, channels-last, with PyTorch's initialisation: by default the original's, Conv(no bias) →
 *  ReLU → BatchNorm → Dropout2d blocks, 1×1 transitions without BatchNorm, MaxPool 2, AvgPool 4, Linear 32→10,
 *  log-softmax; 16,034 trainable parameters. One Rng seeds every initialiser and Dropout2d in layer order, so a seed
 *  gives the same weights whatever the spec's later blocks are. A spec that does not fit fails in one line naming
 *  the block, before anything is built. */
export function buildNet({ spec = defaultSpec(), seed }: NetOptions = {}): tf.LayersModel {
  const planned = planSpec(spec);
  registerLayers();
  const rng = seed === undefined ? undefined : new Rng(seed);
  const model = tf.sequential({ name: 'Net' });
  const first = () => (model.layers.length ? {} : { inputShape: IMAGE_SHAPE });
  for (const { kind, block, input } of planned) {
    if (kind === 'conv') addConvBlock(model, block as ConvBlock, spec.dropout, first(), rng);
    else if (kind === 'maxPool') model.add(tf.layers.maxPooling2d({ ...first(), poolSize: (block as { maxPool: number }).maxPool }));
    else if (kind === 'avgPool') model.add(tf.layers.averagePooling2d({ ...first(), poolSize: (block as { avgPool: number }).avgPool }));
    else {
      if (input.length === 3) model.add(tf.layers.flatten(first()));
      const fanIn = input.reduce((a, b) => a * b, 1);
      model.add(tf.layers.dense({
        units: (block as { linear: number }).linear,
        kernelInitializer: torchDefaultInit(rng),
        biasInitializer: tf.initializers.randomUniform({ minval: -1 / Math.sqrt(fanIn), maxval: 1 / Math.sqrt(fanIn), seed: rng?.seed() }),
      }));
    }
  }
  if (planned[planned.length - 1].output.length === 3) model.add(tf.layers.flatten());
  model.add(new LogSoftmax({}));
  return model;
}

function addConvBlock(model: tf.Sequential, block: ConvBlock, rate: number, first: object, rng?: Rng): void {
  const { conv, kernel, pad = 0, relu = true, batchNorm = true, dropout = true } = block;
  model.add(new Conv2d({
    ...first,
    filters: conv,
    kernelSize: kernel,
    padding: pad ? 'same' : 'valid',
    kernelInitializer: torchDefaultInit(rng),
  }));
  if (relu) model.add(tf.layers.reLU());
  if (batchNorm) model.add(new BatchNorm2d({ epsilon: 1e-5, momentum: 0.1 }));
  if (dropout && rate > 0) model.add(new Dropout2d({ rate, seed: rng?.seed() }));
}

/** PyTorch's default for Conv2d and Linear weights, kaiming_uniform(a=√5): U(−1/√fan_in, 1/√fan_in). */
function torchDefaultInit(rng?: Rng): ReturnType<typeof tf.initializers.varianceScaling> {
  return tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: rng?.seed() });
}

/** Parameters in PyTorch's sense: weights that train (BatchNorm's running statistics are buffers, not parameters). */
export function trainableParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}
