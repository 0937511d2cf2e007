import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { address, instantiate } from './heap';
import { parallel } from './threads';
import { directWasm } from './wasm/modules';
import { free } from './wasmKernel';

/** wasm/direct.c's images per unit of the filter gradient (its GRAD_IMAGES). */
const GRAD_IMAGES = 8;

/** Whether wasm/direct.c computes this convolution: output channels in eights (its SIMD blocks), no dilation. */
export function directFits(info: tf.backend_util.Conv2DInfo): boolean {
  return info.outChannels % 8 === 0 && info.dilationHeight === 1 && info.dilationWidth === 1;
}

/** The sizes wasm/direct.c takes after its pointers. */
function dims(info: tf.backend_util.Conv2DInfo): number[] {
  return [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left];
}

/** y = x ⊛ filter, one image per unit of work. */
export function directConv(backend: BackendWasm, x: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const y = backend.makeOutput(info.outShape, 'float32');
  parallel(backend, directWasm, 'directConv', info.batchSize, [address(backend, x), address(backend, filter), address(backend, y), ...dims(info)]);
  return y;
}

/** dw of the convolution of `info` from x and dy: each group of GRAD_IMAGES images sums its own part (in parallel),
 *  then the parts are added in order, so that no sum depends on the thread count. */
export function directFilterGrad(backend: BackendWasm, x: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const units = Math.ceil(info.batchSize / GRAD_IMAGES);
  const size = tf.util.sizeFromShape(info.filterShape);
  const partials = backend.makeOutput([units, size], 'float32');
  const dw = backend.makeOutput(info.filterShape, 'float32');
  parallel(backend, directWasm, 'directFilterGrad', units, [address(backend, x), address(backend, dy), address(backend, partials), ...dims(info)]);
  instantiate<{ sumPartials(...args: number[]): void }>(backend, directWasm).sumPartials(address(backend, partials), address(backend, dw), units, size, 0, 0);
  free(backend, partials);
  return dw;
}
