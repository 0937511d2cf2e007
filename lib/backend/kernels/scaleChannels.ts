import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { channelKernelApplies, channelOps, pixelsAndChannels } from './channelOps';
import { address } from './simd';
import { free } from './wasmOps';

const NAME = 'ScaleChannels';

/** x [N, H, W, C] · scale [N, 1, 1, C] (Dropout2d's mask), one pass per sample through `combine` with only its
 *  scale row non-zero. The stock broadcasting Multiply is several times slower. */
export function scaleChannels({ inputs: { x, scale }, backend }: { inputs: Record<'x' | 'scale', tf.TensorInfo>; backend: BackendWasm }): tf.TensorInfo {
  const [pixels, channels] = pixelsAndChannels(x);
  const batch = x.shape[0];
  const perSample = pixels / batch;
  const params = backend.makeOutput([batch * 5 * channels], 'float32');
  const y = backend.makeOutput(x.shape, 'float32');
  const [p, s] = [params, scale].map((t) => backend.typedArrayFromHeap(t) as Float32Array);
  p.fill(0);
  for (let n = 0; n < batch; n++) p.set(s.subarray(n * channels, (n + 1) * channels), (5 * n + 1) * channels);
  const ops = channelOps(backend);
  const [xAt, yAt, pAt, bytes] = [address(backend, x), address(backend, y), address(backend, params), 4 * perSample * channels];
  for (let n = 0; n < batch; n++) {
    ops.combine(xAt + n * bytes, xAt + n * bytes, yAt + n * bytes, pAt + 20 * n * channels, perSample, channels);
  }
  free(backend, params);
  return y;
}

/** x · scale with scale [N, 1, 1, C]: our kernel on wasm, tf.mul elsewhere (same products either way). */
export function scaleChannelsOp(x: tf.Tensor4D, scale: tf.Tensor4D): tf.Tensor4D {
  if (!channelKernelApplies(NAME, x)) return tf.mul(x, scale);
  return tf.engine().runKernel(NAME, { x, scale }) as tf.Tensor4D;
}

export const scaleChannelsGrad: tf.GradConfig = {
  kernelName: NAME,
  inputsToSave: ['x', 'scale'],
  gradFunc: (dy, [x, scale]) => ({
    x: () => tf.engine().runKernel(NAME, { x: dy as tf.Tensor, scale }) as tf.Tensor,
    scale: () => tf.sum(tf.mul(dy as tf.Tensor, x), [1, 2], true),
  }),
};
