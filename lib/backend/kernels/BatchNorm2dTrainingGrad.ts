import * as tf from '@tensorflow/tfjs';
import { batchNorm, pixelsAndChannels, scratch } from './channelOps';
import { address, floats } from './heap';
import { BatchNorm2dTrainingAttrs, BatchNorm2dTrainingGrad, BatchNorm2dTrainingGradInputs } from './kernelNames';
import { free, KernelArgs, wasmKernel } from './wasmKernel';

/** BatchNorm2dTraining's gradient, closed form, in two passes (wasm/batchNorm.c): per-channel Σdy and
 *  Σdy·(x − mean), then dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂)); dy is the incoming gradient times the `scale`
 *  when there is one, and with `relu` dx is taken on through the ReLU (zero where x ≤ 0). Outputs dx, dγ, dβ. */
function batchNorm2dTrainingGrad({ inputs, backend, attrs }: KernelArgs<BatchNorm2dTrainingGradInputs, BatchNorm2dTrainingAttrs>): tf.TensorInfo[] {
  const { dy, x, mean, scale } = inputs;
  const [pixels, channels] = pixelsAndChannels(x);
  const work = scratch(backend, channels);
  const outputs = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput([channels], 'float32'), backend.makeOutput([channels], 'float32')];
  const [dx, dGamma, dBeta] = outputs;
  const ops = batchNorm(backend, pixels, channels);
  const [pixelsEach, relu, mask] = [pixels / x.shape[0], attrs.relu ? 1 : 0, scale ? address(backend, scale) : 0];
  ops.backwardSums(address(backend, dy), mask, address(backend, x), address(backend, mean), work.sums, pixelsEach, relu);
  const { sums, params } = work.views();
  const [g, m, v, dg, db] = floats(backend, inputs.gamma, mean, inputs.variance, dGamma, dBeta);
  for (let c = 0; c < channels; c++) {
    const invStd = 1 / Math.sqrt(v[c] + attrs.epsilon);
    db[c] = sums[c];
    dg[c] = sums[channels + c] * invStd;
    params[c] = sums[c] / pixels;
    params[channels + c] = g[c] * invStd;
    params[2 * channels + c] = m[c];
    params[3 * channels + c] = (-g[c] * invStd * invStd * dg[c]) / pixels;
  }
  ops.backwardApply(address(backend, dy), mask, address(backend, x), work.params, address(backend, dx), pixelsEach, relu);
  free(backend, work.info);
  return outputs;
}

export const batchNorm2dTrainingGradConfig = wasmKernel(BatchNorm2dTrainingGrad, batchNorm2dTrainingGrad);
