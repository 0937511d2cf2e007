import * as tf from '@tensorflow/tfjs';
import { channelOps, pixelsAndChannels, scratch } from './channelOps';
import { address, floats } from './heap';
import { BatchNorm2dAttrs, BatchNorm2dTraining, BatchNorm2dTrainingInputs } from './kernelNames';
import { free, KernelArgs, wasmKernel } from './wasmKernel';

/** Training-mode batch normalisation of x [N, H, W, C] in two passes: per-channel sums of deviations from the first
 *  pixel (so large means cost no precision), then y = (x − mean) · γ/σ + β. Outputs y, the batch mean and the
 *  biased batch variance. */
function batchNorm2dTraining({ inputs: { x, gamma, beta }, backend, attrs }: KernelArgs<BatchNorm2dTrainingInputs, BatchNorm2dAttrs>): tf.TensorInfo[] {
  const [pixels, channels] = pixelsAndChannels(x);
  const work = scratch(backend, channels);
  const outputs = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput([channels], 'float32'), backend.makeOutput([channels], 'float32')];
  const [y, mean, variance] = outputs;
  const ops = channelOps(backend);
  const { shift, sums, params } = work.views();
  const [xs, g, b, m, v] = floats(backend, x, gamma, beta, mean, variance);
  shift.set(xs.subarray(0, channels));
  ops.sums(address(backend, x), address(backend, x), work.shift, work.shift, work.sums, pixels, channels);
  params.fill(0);
  for (let c = 0; c < channels; c++) {
    const d = sums[c] / pixels;
    m[c] = shift[c] + d;
    v[c] = Math.max(0, sums[channels + c] / pixels - d * d);
    params[c] = m[c];
    params[channels + c] = g[c] / Math.sqrt(v[c] + attrs.epsilon);
    params[4 * channels + c] = b[c];
  }
  ops.combine(address(backend, x), address(backend, x), address(backend, y), work.params, pixels, channels);
  free(backend, work.info);
  return outputs;
}

export const batchNorm2dTrainingConfig = wasmKernel(BatchNorm2dTraining, batchNorm2dTraining);
