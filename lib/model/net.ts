import * as tf from '@tensorflow/tfjs';
import { IMAGE_SHAPE } from '../data/mnist';
import { BatchNorm2d } from './batchnorm';
import { Dropout2d, LogSoftmax, registerLayers } from './layers';
import { Rng } from '../util/rng';

export { registerLayers } from './layers';
export { loadModel, saveModel } from './saved';

export interface NetOptions {
  dropout?: number;
  /** Seeds weight initialisation and the dropout masks; without it both draw from Math.random. */
  seed?: number;
}

/** The original's network, channels-last: Conv(no bias) → ReLU → BatchNorm → Dropout2d blocks, 1×1 transitions without
 *  BatchNorm, MaxPool 2, AvgPool 4, Linear 32→10, log-softmax. 16,034 trainable parameters. */
export function buildNet({ dropout = 0.01, seed }: NetOptions = {}): tf.LayersModel {
  registerLayers();
  const rng = seed === undefined ? undefined : new Rng(seed);
  const model = tf.sequential({ name: 'Net' });
  const block = (filters: number, kernelSize: number, { pad = false, batchNorm = true } = {}): void => {
    model.add(tf.layers.conv2d({
      ...(model.layers.length ? {} : { inputShape: IMAGE_SHAPE }),
      filters,
      kernelSize,
      padding: pad ? 'same' : 'valid',
      useBias: false,
      kernelInitializer: torchDefaultInit(rng),
    }));
    model.add(tf.layers.reLU());
    if (batchNorm) model.add(new BatchNorm2d({ epsilon: 1e-5, momentum: 0.1 }));
    model.add(new Dropout2d({ rate: dropout, seed: rng?.seed() }));
  };

  block(8, 3, { pad: true });
  block(16, 3);
  block(16, 3);
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  block(8, 1, { batchNorm: false });
  block(16, 3);
  block(32, 3);
  block(8, 1, { batchNorm: false });
  block(16, 3);
  block(32, 3);
  model.add(tf.layers.averagePooling2d({ poolSize: 4 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({
    units: 10,
    kernelInitializer: torchDefaultInit(rng),
    biasInitializer: tf.initializers.randomUniform({ minval: -1 / Math.sqrt(32), maxval: 1 / Math.sqrt(32), seed: rng?.seed() }),
  }));
  model.add(new LogSoftmax({}));
  return model;
}

/** PyTorch's default for Conv2d and Linear weights, kaiming_uniform(a=√5): U(−1/√fan_in, 1/√fan_in). */
function torchDefaultInit(rng?: Rng): ReturnType<typeof tf.initializers.varianceScaling> {
  return tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: rng?.seed() });
}

/** Parameters in PyTorch's sense: weights that train (BatchNorm's running statistics are buffers, not parameters). */
export function trainableParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}
