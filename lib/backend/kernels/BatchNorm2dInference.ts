import * as tf from '@tensorflow/tfjs';
import { channelOps, pixelsAndChannels, scratch } from './channelOps';
import { address, floats } from './heap';
import { BatchNorm2dAttrs, BatchNorm2dInference, BatchNorm2dInferenceInputs } from './kernelNames';
import { free, KernelArgs, wasmKernel } from './wasmKernel';

/** Inference: y = x·scale + shift with scale = γ·rsqrt(var + ε), shift = β − mean·scale, each step rounded to float32
 *  as tf ops round it, in one pass instead of two broadcasting kernels and eight tiny ones per layer. */
function batchNorm2dInference({ inputs, backend, attrs }: KernelArgs<BatchNorm2dInferenceInputs, BatchNorm2dAttrs>): tf.TensorInfo {
  const [pixels, channels] = pixelsAndChannels(inputs.x);
  const work = scratch(backend, channels);
  const y = backend.makeOutput(inputs.x.shape, 'float32');
  const { params } = work.views();
  const [g, b, m, v] = floats(backend, inputs.gamma, inputs.beta, inputs.mean, inputs.variance);
  const f = Math.fround;
  for (let c = 0; c < channels; c++) {
    const scale = f(g[c] * f(1 / Math.sqrt(f(v[c] + attrs.epsilon))));
    params[c] = scale;
    params[channels + c] = f(b[c] - f(m[c] * scale));
  }
  channelOps(backend).affine(address(backend, inputs.x), address(backend, y), work.params, pixels, channels);
  free(backend, work.info);
  return y;
}

export const batchNorm2dInferenceConfig = wasmKernel(BatchNorm2dInference, batchNorm2dInference);
