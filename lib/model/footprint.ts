import { CLASSES, ConvBlock, NetSpec, planSpec, size } from './spec';

/** What a spec's network holds, worked out from the spec without building it: the values its layers output for one
 *  image (what a training step keeps for its backward pass: lib/train/memory.ts), and its weights' shapes (what a
 *  checkpoint of it must hold: lib/run/checkpoint.ts). */

/** Floats every layer of the spec's network outputs for one image, the closing Flatten and LogSoftmax included: what
 *  a training step keeps per image for its backward pass (lib/train/memory.ts). */
export function specActivations(spec: NetSpec): number {
  const planned = planSpec(spec);
  const last = planned[planned.length - 1].output;
  return planned.reduce((sum, p) => sum + p.activations, 0) + (last.length === 3 ? CLASSES : 0) + CLASSES;
}

/** A weight of the spec's network: its shape, and whether it trains (BatchNorm's running statistics do not). */
export interface WeightShape {
  shape: number[];
  trainable: boolean;
}

/** The weights of the spec's network in the order its model lists them: the trainable ones layer by layer (a
 *  convolution's kernel, BatchNorm's gamma and beta, a linear layer's kernel and bias), then BatchNorm's running mean
 *  and variance. What a checkpoint of this network must hold, known without building it. */
export function specWeights(spec: NetSpec): WeightShape[] {
  const weights = planSpec(spec).flatMap(({ kind, block, input, output }) => {
    const n = output[output.length - 1];
    if (kind === 'linear') return [{ shape: [size(input), n], trainable: true }, { shape: [n], trainable: true }];
    if (kind !== 'conv') return [];
    const { kernel, batchNorm = true } = block as ConvBlock;
    const stats = [true, true, false, false].map((trainable) => ({ shape: [n], trainable }));
    return [{ shape: [kernel, kernel, input[2], n], trainable: true }, ...(batchNorm ? stats : [])];
  });
  return [...weights.filter((w) => w.trainable), ...weights.filter((w) => !w.trainable)];
}

