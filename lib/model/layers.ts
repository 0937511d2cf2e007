import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { BatchNorm2d } from './batchnorm';
import { scaleChannelsOp } from '../backend/kernels/ops';
import { floatTensor } from '../backend/tensors';
import { Rng } from '../util/rng';

interface Conv2dConfig {
  filters: number;
  kernelSize: number;
  padding: 'same' | 'valid';
  kernelInitializer?: ReturnType<typeof tf.initializers.zeros>;
  inputShape?: tf.Shape;
  name?: string;
}

/** PyTorch's Conv2d without bias, channels-last, stride 1. tfjs-layers' Conv2D runs tf.fused.conv2d, whose gradient
 *  computes the input's gradient whether or not anyone uses it; tf.conv2d's only when asked. Nobody asks for the
 *  first layer's, the images' — on wasm it cost a tenth of a training step. */
export class Conv2d extends tf.layers.Layer {
  static className = 'Conv2d';
  readonly filters: number;
  readonly kernelSize: number;
  readonly padding: 'same' | 'valid';
  private readonly initializer?: ReturnType<typeof tf.initializers.zeros>;
  private kernel!: tf.LayerVariable;

  constructor(config: Conv2dConfig) {
    super(config);
    this.filters = config.filters;
    this.kernelSize = config.kernelSize;
    this.padding = config.padding;
    this.initializer = config.kernelInitializer;
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = (inputShape as number[]).at(-1)!;
    const shape = [this.kernelSize, this.kernelSize, channels, this.filters];
    this.kernel = this.addWeight('kernel', shape, 'float32', this.initializer ?? tf.initializers.glorotUniform({}));
    this.built = true;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, h, w] = inputShape as number[];
    const lost = this.padding === 'same' ? 0 : this.kernelSize - 1;
    return [n, h - lost, w - lost, this.filters];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return tf.conv2d(x, this.kernel.read() as tf.Tensor4D, 1, this.padding);
  }

  getConfig(): tf.serialization.ConfigDict {
    const { filters, kernelSize, padding } = this;
    return { ...super.getConfig(), filters, kernelSize, padding };
  }
}

interface Dropout2dConfig {
  rate: number;
  seed?: number;
  name?: string;
}

/** PyTorch's Dropout2d: zeroes whole channels (one draw per sample and channel), scales the rest by 1/(1−rate),
 *  and passes inputs through unchanged at inference. tfjs-layers has no SpatialDropout2D. */
export class Dropout2d extends tf.layers.Layer {
  static className = 'Dropout2d';
  readonly rate: number;
  private readonly seed?: number;
  private rng?: Rng;

  constructor(config: Dropout2dConfig) {
    super(config);
    if (!(config.rate >= 0 && config.rate < 1)) throw new Error(`Dropout2d: rate must be in [0, 1), got ${config.rate}`);
    this.rate = config.rate;
    this.seed = config.seed;
    this.rng = config.seed === undefined ? undefined : new Rng(config.seed);
  }

  /** Restarts the mask generator; the training loop does this every step so that its own RNG is the only state. */
  reseed(seed: number): void {
    this.rng = new Rng(seed);
  }

  call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training || this.rate === 0) return x;
    // One op for the gradient tape: the mask is drawn inside its forward function, where tfjs records nothing, and
    // the gradient is dy scaled by the same mask (the mask is no function of the weights).
    const dropout = tf.customGrad((xIn, save) => {
      const mask = this.drawMask((xIn as tf.Tensor).shape);
      (save as tf.GradSaveFunc)([mask]);
      return { value: scaleChannelsOp(xIn as tf.Tensor4D, mask), gradFunc: (dy, [m]) => scaleChannelsOp(dy as tf.Tensor4D, m as tf.Tensor4D) };
    });
    return dropout(x);
  }

  /** The mask of one training pass over an input of this shape [N, H, W, C]: [N, 1, 1, C], each 0 or 1/(1 − rate),
   *  the next draw of the layer's generator. The training step (trunk.ts) draws it too.
   *  Made here rather than by ops, with no kernel call (three a layer, on the GPU three dispatches), from the numbers
   *  tf.randomUniform(shape, 0, 1, 'float32', seed) draws, with the same float32 rounding as
   *  tf.mul(tf.step(tf.sub(u, rate)), 1 / (1 − rate)), which made the committed runs: a channel is kept where
   *  u > rate in float32 (rounding keeps the sign of u − rate). test/unit/layers.test.ts compares the two. */
  readonly drawMask = ([n, , , c]: number[]): tf.Tensor4D => {
    const uniform = seedrandom.alea(String(this.rng?.seed() ?? Math.random())); // as tf.randomUniform seeds it
    const rate = Math.fround(this.rate);
    const kept = Math.fround(1 / (1 - this.rate));
    const mask = new Float32Array(n * c);
    for (let i = 0; i < mask.length; i++) mask[i] = Math.fround(uniform()) > rate ? kept : 0;
    return floatTensor(mask, [n, 1, 1, c]) as tf.Tensor4D; // on webgpu without a staging buffer a mask
  };

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, ...(this.seed === undefined ? {} : { seed: this.seed }) };
  }
}

/** Reseeds every Dropout2d layer of `model` from one seed. */
export function seedDropout(model: tf.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  for (const layer of model.layers) if (layer instanceof Dropout2d) layer.reseed(rng.seed());
}

/** log(softmax(x)) over the last axis, as PyTorch's F.log_softmax ends the original network. */
export class LogSoftmax extends tf.layers.Layer {
  static className = 'LogSoftmax';

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.logSoftmax(Array.isArray(inputs) ? inputs[0] : inputs);
  }
}

/** Makes saved models with these layers loadable by tf.loadLayersModel. Safe to call again (notebook reruns). */
export function registerLayers(): void {
  tf.serialization.registerClass(Conv2d);
  tf.serialization.registerClass(BatchNorm2d);
  tf.serialization.registerClass(Dropout2d);
  tf.serialization.registerClass(LogSoftmax);
}
