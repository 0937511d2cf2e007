import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { address, instantiate } from './heap';
import { winogradWasm } from './wasm/modules';
import { free } from './wasmKernel';

/** wasm/winograd.c's two functions; pointers are byte offsets into the backend's memory. */
interface Winograd {
  winogradFilter(w: number, u: number, C: number, K: number, flipped: number): void;
  winogradConv(x: number, u: number, y: number, scratch: number, ...dims: number[]): void;
  winogradFilterGrad(x: number, dy: number, dw: number, scratch: number, ...dims: number[]): void;
}

/** Tiles wasm/winograd.c's filter gradient transforms at a time (its TILES). */
const TILES = 63;

/** A convolution as wasm/winograd.c computes it: y [B, OH, OW, K] from x [B, H, W, C], 3×3, stride 1, padded by
 *  top and left (and whatever makes OH × OW). */
export interface WinogradShape {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  top: number;
  left: number;
}

/** The convolution of `info` (its forward direction) as wasm/winograd.c takes it. */
export function winogradShape(info: tf.backend_util.Conv2DInfo): WinogradShape {
  return {
    batch: info.batchSize, inHeight: info.inHeight, inWidth: info.inWidth, inChannels: info.inChannels,
    outHeight: info.outHeight, outWidth: info.outWidth, outChannels: info.outChannels,
    top: info.padInfo.top, left: info.padInfo.left,
  };
}

/** Whether wasm/winograd.c computes a convolution of this filter size, stride, dilation and channel counts: 3×3,
 *  stride 1, no dilation, C a multiple of 4 and K of 8 (its SIMD blocks). */
export function winogradFits(info: tf.backend_util.Conv2DInfo, inChannels: number, outChannels: number): boolean {
  return info.filterHeight === 3 && info.filterWidth === 3 && info.strideHeight === 1 && info.strideWidth === 1 &&
    info.dilationHeight === 1 && info.dilationWidth === 1 && inChannels % 4 === 0 && outChannels % 8 === 0;
}

/** y = x ⊛ filter by Winograd F(2×2, 3×3). `flipped` computes with the filter turned half round and its channels
 *  swapped, as the input gradient needs: the filter is then [3, 3, K, C]. */
export function winogradConv(backend: BackendWasm, x: tf.TensorInfo, filter: tf.TensorInfo, shape: WinogradShape, flipped: boolean): tf.TensorInfo {
  const { batch, inHeight, inWidth, inChannels: C, outHeight, outWidth, outChannels: K, top, left } = shape;
  const kernels = instantiate<Winograd>(backend, winogradWasm);
  const u = backend.makeOutput([16, C, K], 'float32');
  const scratch = backend.makeOutput([80 * C + 512], 'float32');
  const y = backend.makeOutput([batch, outHeight, outWidth, K], 'float32');
  kernels.winogradFilter(address(backend, filter), address(backend, u), C, K, flipped ? 1 : 0);
  kernels.winogradConv(address(backend, x), address(backend, u), address(backend, y), address(backend, scratch),
    batch, inHeight, inWidth, C, outHeight, outWidth, K, top, left);
  free(backend, u, scratch);
  return y;
}

/** dw [3, 3, C, K] of the convolution y = x ⊛ w of this shape, from x and dy, by Winograd F(3×3, 2×2). */
export function winogradFilterGrad(backend: BackendWasm, x: tf.TensorInfo, dy: tf.TensorInfo, shape: WinogradShape): tf.TensorInfo {
  const { batch, inHeight, inWidth, inChannels: C, outHeight, outWidth, outChannels: K, top, left } = shape;
  const kernels = instantiate<Winograd>(backend, winogradWasm);
  const scratch = backend.makeOutput([16 * TILES * (C + K) + 16 * C * (K + 1)], 'float32');
  const dw = backend.makeOutput([3, 3, C, K], 'float32');
  kernels.winogradFilterGrad(address(backend, x), address(backend, dy), address(backend, dw), address(backend, scratch),
    batch, inHeight, inWidth, C, outHeight, outWidth, K, top, left);
  free(backend, scratch);
  return dw;
}

/** A forward convolution (Conv2D's or FusedConv2D's inputs and attributes) by Winograd, or undefined where it does
 *  not fit (see winogradFits) and the stock kernel runs. */
export function forwardByWinograd(backend: BackendWasm, x: tf.TensorInfo, filter: tf.TensorInfo, attrs: tf.Conv2DAttrs): tf.TensorInfo | undefined {
  if (attrs.dataFormat === 'NCHW') return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number], attrs.strides,
    attrs.dilations, attrs.pad, attrs.dimRoundingMode);
  if (!winogradFits(info, info.inChannels, info.outChannels)) return undefined;
  return winogradConv(backend, x, filter, winogradShape(info), false);
}
