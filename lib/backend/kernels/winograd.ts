import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { address, instantiate } from './heap';
import { kernelThreads, parallel } from './threads';
import { winogradWasm } from './wasm/modules';
import { free } from './wasmKernel';

/** wasm/winograd.c's filter transform; its other functions run as parallel units (threads.ts). Pointers are byte
 *  offsets into the backend's memory. */
interface Winograd {
  winogradFilter(w: number, u: number, C: number, K: number, flipped: number): void;
}

/** wasm/winograd.c's units of work: tiles per unit of the convolution (CONV_UNIT), images per unit of the filter
 *  gradient (GRAD_IMAGES), and tiles that the filter gradient transforms at a time (TILES). */
const CONV_UNIT = 64;
const GRAD_IMAGES = 8;
const TILES = 31;

/** Floats between one thread's scratch and the next (wasm/winograd.c's SCRATCH_GAP: no two threads write near each
 *  other, where the cores' prefetchers would pass lines to and fro). */
const SCRATCH_GAP = 256;

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
 *  stride 1, no dilation, C and K multiples of 4 (its SIMD blocks: the network's 8, 16 and 32, and the 12 of
 *  specs/under-8k.json, which XNNPACK and loops took 2.5 times as long over before). */
export function winogradFits(info: tf.backend_util.Conv2DInfo, inChannels: number, outChannels: number): boolean {
  return info.filterHeight === 3 && info.filterWidth === 3 && info.strideHeight === 1 && info.strideWidth === 1 &&
    info.dilationHeight === 1 && info.dilationWidth === 1 && inChannels % 4 === 0 && outChannels % 4 === 0;
}

/** y = x ⊛ filter by Winograd F(2×2, 3×3), tiles spread over the kernel threads. `flipped` computes with the filter
 *  turned half round and its channels swapped, as the input gradient needs: the filter is then [3, 3, K, C]. */
export function winogradConv(backend: BackendWasm, x: tf.TensorInfo, filter: tf.TensorInfo, shape: WinogradShape, flipped: boolean): tf.TensorInfo {
  const { batch, inHeight, inWidth, inChannels: C, outHeight, outWidth, outChannels: K, top, left } = shape;
  const u = backend.makeOutput([16, C, K], 'float32');
  const scratch = backend.makeOutput([kernelThreads() * (80 * C + 528 + SCRATCH_GAP)], 'float32');
  const y = backend.makeOutput([batch, outHeight, outWidth, K], 'float32');
  instantiate<Winograd>(backend, winogradWasm).winogradFilter(address(backend, filter), address(backend, u), C, K, flipped ? 1 : 0);
  const tiles = batch * Math.ceil(outHeight / 2) * Math.ceil(outWidth / 2);
  parallel(backend, winogradWasm, 'winogradConv', Math.ceil(tiles / CONV_UNIT), [address(backend, x), address(backend, u),
    address(backend, y), address(backend, scratch), batch, inHeight, inWidth, C, outHeight, outWidth, K, top, left]);
  free(backend, u, scratch);
  return y;
}

/** dw [3, 3, C, K] of the convolution y = x ⊛ w of this shape, from x and dy, by Winograd F(3×3, 4×4): each group of
 *  GRAD_IMAGES images sums its tiles' products (in parallel), then the groups' sums are added in order, so that no
 *  sum depends on the thread count. */
export function winogradFilterGrad(backend: BackendWasm, x: tf.TensorInfo, dy: tf.TensorInfo, shape: WinogradShape): tf.TensorInfo {
  const { batch, inHeight, inWidth, inChannels: C, outHeight, outWidth, outChannels: K, top, left } = shape;
  const units = Math.ceil(batch / GRAD_IMAGES);
  const scratch = backend.makeOutput([kernelThreads() * (36 * TILES * (C + K) + 36 * C + 144 + SCRATCH_GAP)], 'float32');
  const partials = backend.makeOutput([units, 36, C, K], 'float32');
  const dw = backend.makeOutput([3, 3, C, K], 'float32');
  parallel(backend, winogradWasm, 'winogradFilterGradPartial', units, [address(backend, x), address(backend, dy),
    address(backend, partials), address(backend, scratch), batch, inHeight, inWidth, C, outHeight, outWidth, K, top, left]);
  parallel(backend, winogradWasm, 'winogradFilterGradSum', C / 4, [address(backend, partials), address(backend, dw), units, C, K]);
  free(backend, scratch, partials);
  return dw;
}
