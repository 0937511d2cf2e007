import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { BatchNorm2dTraining, BatchNorm2dTrainingForwardAttrs, BatchNorm2dTrainingInputs, runningFactors } from '../kernels/kernelNames';
import type { Given } from '../kernels/wasmKernel';
import { GROUP_SIZE, groupSum, flatProgram, normalisedInput } from './programs';
import { runShader } from './shader';

type Inputs = Given<BatchNorm2dTrainingInputs>;

/** Training-mode batch normalisation of x [N, H, W, C] as two dispatches, where tfjs's ops take some twenty: a
 *  workgroup a channel sums its values, giving the mean, then the squared deviations from it, the (biased) variance,
 *  and writes both, and the running statistics moved (runningFactors); then y = (u − mean) · γ/σ + β,
 *  times Dropout2d's mask `scale` [N, 1, 1, C] when given, u being x or, with `relu`, max(x, 0). Outputs y, the mean
 *  and the variance, then the running statistics, as the wasm kernel of the same name (a shader compiler
 *  may fuse a multiply and an add of their update into one rounding: within a rounding of the wasm kernel's). */
function batchNorm2dTraining({ inputs: { x, gamma, beta, scale, runningMean, runningVariance }, backend, attrs }: { inputs: Inputs; backend: WebGPUBackend; attrs: BatchNorm2dTrainingForwardAttrs }): tf.TensorInfo[] {
  const channels = x.shape[3];
  const pixels = tf.util.sizeFromShape(x.shape) / channels;
  const key = `${attrs.relu}_${Boolean(scale)}`;
  const int = (v: number) => ({ type: 'int32', data: [v] });
  const sizes = [int(pixels), int(channels)];
  const [mean, variance, movedMean, movedVariance] = Array.from({ length: 4 }, () => backend.makeTensorInfo([channels], 'float32'));
  const { keep, take, takeUnbiased } = runningFactors(attrs.momentum, pixels);
  runShader(backend, {
    key: `mnist20kBatchNormStatistics_${attrs.relu}`,
    inputs: { x, runningMean, runningVariance },
    outputs: { mean, variance, movedMean, movedVariance },
    uniforms: { pixels: { type: 'i32', value: pixels }, channels: { type: 'i32', value: channels }, keep: { type: 'f32', value: keep },
      take: { type: 'f32', value: take }, takeUnbiased: { type: 'f32', value: takeUnbiased } },
    workgroups: [channels, 1, 1],
    code: `
    ${normalisedInput(attrs.relu)}
    ${groupSum}
    @compute @workgroup_size(${GROUP_SIZE})
    fn main(@builtin(local_invocation_index) t : u32, @builtin(workgroup_id) group : vec3<u32>) {
      let c = i32(group.x);
      var sum = 0.0;
      for (var p = i32(t); p < uniforms.pixels; p = p + ${GROUP_SIZE}) {
        sum = sum + inputAt(p, c);
      }
      let m = groupSum(t, sum) / f32(uniforms.pixels);
      var squares = 0.0;
      for (var p = i32(t); p < uniforms.pixels; p = p + ${GROUP_SIZE}) {
        let d = inputAt(p, c) - m;
        squares = squares + d * d;
      }
      let v = groupSum(t, squares) / f32(uniforms.pixels);
      if (t == 0u) {
        mean[c] = m;
        variance[c] = v;
        movedMean[c] = uniforms.keep * runningMean[c] + uniforms.take * m;
        movedVariance[c] = uniforms.keep * runningVariance[c] + uniforms.takeUnbiased * v;
      }
    }`,
  });

  const apply = flatProgram(x.shape, `mnist20kBatchNormApply_${key}`, ['x', 'mean', 'variance', 'gamma', 'beta', ...(scale ? ['scale'] : [])],
    'pixels : i32, channels : i32, pixelsEach : i32, epsilon : f32,', `
    ${normalisedInput(attrs.relu)}
    fn main(index : i32) {
      if (index >= uniforms.size) {
        return;
      }
      let c = index % uniforms.channels;
      let p = index / uniforms.channels;
      let y = (inputAt(p, c) - mean[c]) * (gamma[c] / sqrt(variance[c] + uniforms.epsilon)) + beta[c];
      setOutputAtIndex(index, ${scale ? 'y * scale[(p / uniforms.pixelsEach) * uniforms.channels + c]' : 'y'});
    }`);
  const y = backend.runWebGPUProgram(apply, [x, mean, variance, gamma, beta, ...(scale ? [scale] : [])], 'float32',
    [...sizes, int(pixels / x.shape[0]), { type: 'float32', data: [attrs.epsilon] }]);
  return [y, mean, variance, movedMean, movedVariance];
}

export const batchNorm2dTrainingConfig: tf.KernelConfig = {
  kernelName: BatchNorm2dTraining,
  backendName: 'webgpu',
  kernelFunc: batchNorm2dTraining as unknown as tf.KernelFunc,
};
