import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { address, instantiate } from './heap';
import { maxPool2x2Wasm, maxPoolGradWasm } from './wasm/modules';
import { KernelArgs, wasmKernel } from './wasmKernel';
import { parallel } from './threads';

type Args = KernelArgs<tf.MaxPoolGradInputs, tf.MaxPoolGradAttrs>;
type Inputs = Args['inputs'];
type PoolInfo = tf.backend_util.Conv2DInfo;

/** Routes each output gradient to the first maximum of its window (as the cpu backend does). One pass over the
 *  output instead of the stock kernel's search from every input position: SIMD for channels in fours, else JS; the
 *  network's pool (2×2, stride 2, even sizes) by a kernel of its own, an image per unit of work on the kernel threads. */
function maxPoolGrad({ inputs, backend, attrs }: Args): tf.TensorInfo {
  const info = tf.backend_util.computePool2DInfo(
    inputs.input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const simd = info.inChannels % 4 === 0 && tf.util.sizeFromShape(info.outShape) > 0;
  if (simd && tiles2x2(info)) return by2x2(inputs, backend, info);
  return simd ? bySimd(inputs, backend, info) : byLoops(inputs, backend, info);
}

/** Whether the windows are 2×2 of stride 2 and cover the input exactly once (wasm/maxPool2x2.c's case). */
export function tiles2x2(info: PoolInfo): boolean {
  const { filterHeight, filterWidth, strideHeight, strideWidth, inHeight, inWidth, outHeight, outWidth, padInfo } = info;
  return filterHeight === 2 && filterWidth === 2 && strideHeight === 2 && strideWidth === 2 && padInfo.top === 0 &&
    padInfo.left === 0 && inHeight === 2 * outHeight && inWidth === 2 * outWidth;
}

/** wasm/maxPool2x2.c: each dx value written once, no zeroing pass. */
function by2x2({ dy, input }: Inputs, backend: BackendWasm, info: PoolInfo): tf.TensorInfo {
  const dx = backend.makeOutput(input.shape, 'float32');
  parallel(backend, maxPool2x2Wasm, 'maxPoolGrad2x2', info.batchSize, [address(backend, input), address(backend, dy),
    address(backend, dx), info.batchSize, info.inHeight, info.inWidth, info.inChannels]);
  return dx;
}

function bySimd({ dy, input }: Inputs, backend: BackendWasm, info: PoolInfo): tf.TensorInfo {
  const dx = backend.makeOutput(input.shape, 'float32');
  const kernel = instantiate<{ maxPoolGrad(...args: number[]): void }>(backend, maxPoolGradWasm);
  kernel.maxPoolGrad(address(backend, input), address(backend, dy), address(backend, dx),
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left);
  return dx;
}

/** Channels innermost and contiguous. */
function byLoops({ dy, input }: Inputs, backend: BackendWasm, info: PoolInfo): tf.TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  const dx = new Float32Array(x.length);
  const best = new Float32Array(channels);
  const where = new Int32Array(channels);

  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        best.fill(-Infinity);
        where.fill(-1);
        for (let r = 0; r < fh; r++) {
          const iy = oy * sh + r - top;
          if (iy < 0 || iy >= inHeight) continue;
          for (let c = 0; c < fw; c++) {
            const ix = ox * sw + c - left;
            if (ix < 0 || ix >= inWidth) continue;
            const base = ((b * inHeight + iy) * inWidth + ix) * channels;
            for (let ch = 0; ch < channels; ch++) {
              if (x[base + ch] > best[ch]) {
                best[ch] = x[base + ch];
                where[ch] = base + ch;
              }
            }
          }
        }
        const gBase = ((b * outHeight + oy) * outWidth + ox) * channels;
        for (let ch = 0; ch < channels; ch++) if (where[ch] >= 0) dx[where[ch]] += g[gBase + ch];
      }
    }
  }
  const out = backend.makeOutput(input.shape, 'float32');
  (backend.typedArrayFromHeap(out) as Float32Array).set(dx);
  return out;
}

export const maxPoolGradConfig = wasmKernel(tf.MaxPoolGrad, maxPoolGrad);
