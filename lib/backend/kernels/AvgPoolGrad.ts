import * as tf from '@tensorflow/tfjs';
import { KernelArgs, wasmKernel } from './wasmKernel';

type Args = KernelArgs<tf.AvgPoolGradInputs, tf.AvgPoolGradAttrs>;

/** Spreads each output gradient evenly over the inside of its window: one pass over dy, channels innermost. The
 *  share is 1/(window area) even where the window overhangs the padding, as the cpu backend computes it. The stock
 *  kernel takes milliseconds even for the net's [128, 1, 1, 32] gradient. Windows that do not overlap (the net's
 *  average pool) write each input once; overlapping ones add up in float64 first. Both give (0 + Σ g) · share rounded
 *  once to float32, so the two ways agree to the bit. */
function avgPoolGrad({ inputs: { dy, input }, backend, attrs }: Args): tf.TensorInfo {
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  const out = backend.makeOutput(input.shape, 'float32');
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const overlapping = sh < fh || sw < fw;
  const sums = overlapping ? new Float64Array(dx.length) : undefined;
  const share = 1 / (fh * fw);
  if (!overlapping) dx.fill(0); // inputs no window covers

  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const gBase = ((b * outHeight + oy) * outWidth + ox) * channels;
        const y1 = Math.min(inHeight, oy * sh - top + fh), x0 = Math.max(0, ox * sw - left);
        const x1 = Math.min(inWidth, ox * sw - left + fw);
        for (let iy = Math.max(0, oy * sh - top); iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const base = ((b * inHeight + iy) * inWidth + ix) * channels;
            if (sums) for (let ch = 0; ch < channels; ch++) sums[base + ch] += g[gBase + ch];
            else for (let ch = 0; ch < channels; ch++) dx[base + ch] = (0 + g[gBase + ch]) * share;
          }
        }
      }
    }
  }
  if (sums) for (let i = 0; i < sums.length; i++) dx[i] = sums[i] * share;
  return out;
}

export const avgPoolGradConfig = wasmKernel(tf.AvgPoolGrad, avgPoolGrad);
