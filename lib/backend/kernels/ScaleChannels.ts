import * as tf from '@tensorflow/tfjs';
import { channelOps, pixelsAndChannels } from './channelOps';
import { address, floats } from './heap';
import { ScaleChannels, ScaleChannelsInputs } from './kernelNames';
import { free, KernelArgs, wasmKernel } from './wasmKernel';

/** x [N, H, W, C] · scale [N, 1, 1, C] (Dropout2d's mask), one pass per sample through `combine` with only its
 *  scale row non-zero. The stock broadcasting Multiply is several times slower. */
function scaleChannels({ inputs: { x, scale }, backend }: KernelArgs<ScaleChannelsInputs, undefined>): tf.TensorInfo {
  const [pixels, channels] = pixelsAndChannels(x);
  const batch = x.shape[0];
  const perSample = pixels / batch;
  const params = backend.makeOutput([batch * 5 * channels], 'float32');
  const y = backend.makeOutput(x.shape, 'float32');
  const [p, s] = floats(backend, params, scale);
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

export const scaleChannelsConfig = wasmKernel(ScaleChannels, scaleChannels);
