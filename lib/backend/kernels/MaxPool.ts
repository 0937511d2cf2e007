import * as tf from '@tensorflow/tfjs';
import { address } from './heap';
import { tiles2x2 } from './MaxPoolGrad';
import { parallel } from './threads';
import { maxPool2x2Wasm } from './wasm/modules';
import { KernelArgs, StockKernel, wasmKernel } from './wasmKernel';

/** The network's pool — 2×2, stride 2, windows tiling the input, channels in fours — by wasm/maxPool2x2.c, an image
 *  per unit of work on the kernel threads (XNNPACK's runs on one); others go to `stock`. */
function maxPool({ inputs: { x }, backend, attrs }: KernelArgs<tf.MaxPoolInputs, tf.MaxPoolAttrs>, stock: StockKernel): tf.TensorInfo | tf.TensorInfo[] {
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  if (!(info.inChannels % 4 === 0 && tiles2x2(info) && info.batchSize > 0)) return stock();
  const y = backend.makeOutput(info.outShape, 'float32');
  parallel(backend, maxPool2x2Wasm, 'maxPool2x2', info.batchSize,
    [address(backend, x), address(backend, y), info.batchSize, info.inHeight, info.inWidth, info.inChannels]);
  return y;
}

export const maxPoolConfig = wasmKernel(tf.MaxPool, maxPool);
