import * as tf from '@tensorflow/tfjs';
import { batchNorm, pixelsAndChannels, scratch } from './channelOps';
import { address, floats } from './heap';
import { BatchNorm2dTraining, BatchNorm2dTrainingForwardAttrs, BatchNorm2dTrainingInputs, runningFactors } from './kernelNames';
import { free, KernelArgs, wasmKernel } from './wasmKernel';

/** Training-mode batch normalisation of x [N, H, W, C] in two passes (wasm/batchNorm.c): per-channel sums of
 *  deviations from the first pixel (so large means cost no precision), then y = (x − mean) · γ/σ + β. With `relu`,
 *  it normalises max(x, 0), the ReLU before it; with a `scale` [N, 1, 1, C], Dropout2d's mask, it multiplies y by it.
 *  Outputs y, the batch mean and the biased batch variance (of what it normalised), then the running statistics moved
 *  (runningFactors), each product and sum rounded to float32 as the six tf ops they replace round them
 *  (Math.fround of the double result is exactly float32's rounding of one product or sum of floats). */
function batchNorm2dTraining({ inputs: { x, gamma, beta, scale, runningMean, runningVariance }, backend, attrs }: KernelArgs<BatchNorm2dTrainingInputs, BatchNorm2dTrainingForwardAttrs>): tf.TensorInfo[] {
  const [pixels, channels] = pixelsAndChannels(x);
  const work = scratch(backend, channels);
  const outputs = [backend.makeOutput(x.shape, 'float32'), ...Array.from({ length: 4 }, () => backend.makeOutput([channels], 'float32'))];
  const [y, mean, variance, movedMean, movedVariance] = outputs;
  const ops = batchNorm(backend, pixels, channels);
  const relu = attrs.relu ? 1 : 0;
  ops.forwardSums(address(backend, x), work.shift, work.sums, relu);
  const { shift, sums, params } = work.views();
  const [g, b, m, v] = floats(backend, gamma, beta, mean, variance);
  for (let c = 0; c < channels; c++) {
    const d = sums[c] / pixels;
    m[c] = shift[c] + d;
    v[c] = Math.max(0, sums[channels + c] / pixels - d * d);
    params[c] = m[c];
    params[channels + c] = g[c] / Math.sqrt(v[c] + attrs.epsilon);
    params[2 * channels + c] = b[c];
  }
  const [rm, rv, rm1, rv1] = floats(backend, runningMean, runningVariance, movedMean, movedVariance);
  const { keep, take, takeUnbiased } = runningFactors(attrs.momentum, pixels);
  for (let c = 0; c < channels; c++) {
    rm1[c] = Math.fround(Math.fround(rm[c] * keep) + Math.fround(m[c] * take));
    rv1[c] = Math.fround(Math.fround(rv[c] * keep) + Math.fround(v[c] * takeUnbiased));
  }
  ops.forwardApply(address(backend, x), scale ? address(backend, scale) : 0, address(backend, y), work.params, pixels / x.shape[0], relu);
  free(backend, work.info);
  return outputs;
}

export const batchNorm2dTrainingConfig = wasmKernel(BatchNorm2dTraining, batchNorm2dTraining);
