import * as tf from '@tensorflow/tfjs';
import { channelOps, pixelsAndChannels, scratch } from './channelOps';
import { address, floats } from './heap';
import { BatchNorm2dAttrs, BatchNorm2dTrainingGrad, BatchNorm2dTrainingGradInputs } from './kernelNames';
import { free, KernelArgs, wasmKernel } from './wasmKernel';

/** BatchNorm2dTraining's gradient, closed form, in two passes: per-channel Σdy and Σdy·(x − mean), then
 *  dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂)). Outputs dx, dγ, dβ. */
function batchNorm2dTrainingGrad({ inputs, backend, attrs }: KernelArgs<BatchNorm2dTrainingGradInputs, BatchNorm2dAttrs>): tf.TensorInfo[] {
  const { dy, x, mean } = inputs;
  const [pixels, channels] = pixelsAndChannels(x);
  const work = scratch(backend, channels);
  const outputs = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput([channels], 'float32'), backend.makeOutput([channels], 'float32')];
  const [dx, dGamma, dBeta] = outputs;
  const ops = channelOps(backend);
  const { shift, sums, params } = work.views();
  const [g, m, v, dg, db] = floats(backend, inputs.gamma, mean, inputs.variance, dGamma, dBeta);
  shift.fill(0);
  ops.sums(address(backend, dy), address(backend, x), work.shift, address(backend, mean), work.sums, pixels, channels);
  for (let c = 0; c < channels; c++) {
    const invStd = 1 / Math.sqrt(v[c] + attrs.epsilon);
    db[c] = sums[c];
    dg[c] = sums[channels + c] * invStd;
    params[c] = sums[c] / pixels;
    params[channels + c] = g[c] * invStd;
    params[2 * channels + c] = m[c];
    params[3 * channels + c] = (-g[c] * invStd * invStd * dg[c]) / pixels;
    params[4 * channels + c] = 0;
  }
  ops.combine(address(backend, dy), address(backend, x), address(backend, dx), work.params, pixels, channels);
  free(backend, work.info);
  return outputs;
}

export const batchNorm2dTrainingGradConfig = wasmKernel(BatchNorm2dTrainingGrad, batchNorm2dTrainingGrad);
