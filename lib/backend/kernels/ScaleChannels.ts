import * as tf from '@tensorflow/tfjs';
import { pixelsAndChannels } from './channelOps';
import { address } from './heap';
import { ScaleChannels, ScaleChannelsInputs } from './kernelNames';
import { parallel } from './threads';
import { scaleChannelsWasm } from './wasm/modules';
import { KernelArgs, wasmKernel } from './wasmKernel';

/** x [N, H, W, C] · scale [N, 1, 1, C] (Dropout2d's mask) in one SIMD pass (wasm/scaleChannels.c), an image per
 *  unit of work on the kernel threads. The stock broadcasting Multiply is several times slower. */
function scaleChannels({ inputs: { x, scale }, backend }: KernelArgs<ScaleChannelsInputs, undefined>): tf.TensorInfo {
  const [pixels, channels] = pixelsAndChannels(x);
  const batch = x.shape[0];
  const y = backend.makeOutput(x.shape, 'float32');
  parallel(backend, scaleChannelsWasm, 'scaleChannels', batch,
    [address(backend, x), address(backend, scale), address(backend, y), batch, pixels / batch, channels]);
  return y;
}

export const scaleChannelsConfig = wasmKernel(ScaleChannels, scaleChannels);
