import * as tf from '@tensorflow/tfjs';
import { ScaleChannels } from './kernelNames';

/** Whether our kernel `name` runs now: the active backend (wasm, or webgpu for those in ../gpuKernels/) has it
 *  registered. */
export function ourKernelActive(name: string): boolean {
  const backend = tf.getBackend();
  return (backend === 'wasm' || backend === 'webgpu') && tf.getKernel(name, backend) !== undefined;
}

/** Whether a float32 tensor of this shape can take our channel kernel `name` now: the kernel is active, and the
 *  channels (the last axis) come in fours, as the SIMD code needs. */
export function channelKernelApplies(name: string, x: tf.Tensor): boolean {
  return ourKernelActive(name) && x.dtype === 'float32' && x.size > 0 && x.shape.length > 0 &&
    x.shape[x.shape.length - 1] % 4 === 0;
}

/** x · scale with scale [N, 1, 1, C] (Dropout2d's mask): our kernel on wasm, tf.mul elsewhere (same products either
 *  way). */
export function scaleChannelsOp(x: tf.Tensor4D, scale: tf.Tensor4D): tf.Tensor4D {
  if (!channelKernelApplies(ScaleChannels, x)) return tf.mul(x, scale);
  return tf.engine().runKernel(ScaleChannels, { x, scale }) as tf.Tensor4D;
}
