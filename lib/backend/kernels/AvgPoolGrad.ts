import * as tf from '@tensorflow/tfjs';
import { KernelArgs, wasmKernel } from './wasmKernel';

/** Spreads each output gradient evenly over the inside of its window: one pass over dy, channels innermost. The
 *  share is 1/(window area) even where the window overhangs the padding, as the cpu backend computes it. The stock
 *  kernel takes milliseconds even for the net's [128, 1, 1, 32] gradient. */
function avgPoolGrad({ inputs: { dy, input }, backend, attrs }: KernelArgs<tf.AvgPoolGradInputs, tf.AvgPoolGradAttrs>): tf.TensorInfo {
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  const sums = new Float64Array(tf.util.sizeFromShape(input.shape));

  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const gBase = ((b * outHeight + oy) * outWidth + ox) * channels;
        for (let iy = Math.max(0, oy * sh - top); iy < Math.min(inHeight, oy * sh - top + fh); iy++) {
          for (let ix = Math.max(0, ox * sw - left); ix < Math.min(inWidth, ox * sw - left + fw); ix++) {
            const base = ((b * inHeight + iy) * inWidth + ix) * channels;
            for (let ch = 0; ch < channels; ch++) sums[base + ch] += g[gBase + ch];
          }
        }
      }
    }
  }
  const out = backend.makeOutput(input.shape, 'float32');
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const share = 1 / (fh * fw);
  for (let i = 0; i < sums.length; i++) dx[i] = sums[i] * share;
  return out;
}

export const avgPoolGradConfig = wasmKernel(tf.AvgPoolGrad, avgPoolGrad);
