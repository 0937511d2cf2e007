import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { BatchNorm2dTrainingAttrs, BatchNorm2dTrainingGrad, BatchNorm2dTrainingGradInputs } from '../kernels/kernelNames';
import type { Given } from '../kernels/wasmKernel';
import { GROUP_SIZE, groupSum, flatProgram, normalisedInput } from './programs';
import { copyValues, runShader } from './shader';

type Inputs = Given<BatchNorm2dTrainingGradInputs>;

/** BatchNorm2dTraining's gradient, closed form, as two dispatches (tfjs's ops take some twenty): a workgroup a channel
 *  sums dz and dz·(u − mean) (dz the incoming gradient times Dropout2d's mask when given), which give dβ = Σdz and
 *  dγ = Σdz·x̂, and writes them with the per-channel factors of dx in one tensor, whence dβ and dγ are copied out (a
 *  dispatch may bind only 8 buffers); then dx = γ/σ · (dz − dβ/P − x̂ · dγ/P), zero where x ≤ 0 with `relu`. Outputs
 *  dx, dγ, dβ. */
function batchNorm2dTrainingGrad({ inputs: { dy, x, mean, variance, gamma, scale }, backend, attrs }: { inputs: Inputs; backend: WebGPUBackend; attrs: BatchNorm2dTrainingAttrs }): tf.TensorInfo[] {
  const channels = x.shape[3];
  const pixels = tf.util.sizeFromShape(x.shape) / channels;
  const key = `${attrs.relu}_${Boolean(scale)}`;
  const int = (v: number) => ({ type: 'int32', data: [v] });
  const masked = scale ? ['scale'] : [];
  const gradientAt = `fn gradientAt(p : i32, c : i32) -> f32 {
      return dy[p * uniforms.channels + c]${scale ? ' * scale[(p / uniforms.pixelsEach) * uniforms.channels + c]' : ''};
    }`;
  const sizes = [int(pixels), int(channels), int(pixels / x.shape[0])];

  // rows: γ/σ, dβ/P, dγ/(P·σ), then dβ and dγ themselves
  const factors = backend.makeTensorInfo([5, channels], 'float32');
  runShader(backend, {
    key: `mnist20kBatchNormGradSums_${key}`,
    inputs: { dy, x, mean, variance, gamma, ...(scale ? { scale } : {}) },
    outputs: { factors },
    uniforms: { pixels: { type: 'i32', value: pixels }, channels: { type: 'i32', value: channels },
      pixelsEach: { type: 'i32', value: pixels / x.shape[0] }, epsilon: { type: 'f32', value: attrs.epsilon } },
    workgroups: [channels, 1, 1],
    code: `
    ${normalisedInput(attrs.relu)}
    ${gradientAt}
    ${groupSum}
    @compute @workgroup_size(${GROUP_SIZE})
    fn main(@builtin(local_invocation_index) t : u32, @builtin(workgroup_id) group : vec3<u32>) {
      let c = i32(group.x);
      var gradients = 0.0;
      var deviations = 0.0;
      for (var p = i32(t); p < uniforms.pixels; p = p + ${GROUP_SIZE}) {
        let dz = gradientAt(p, c);
        gradients = gradients + dz;
        deviations = deviations + dz * (inputAt(p, c) - mean[c]);
      }
      let dBeta = groupSum(t, gradients);
      let sumDeviations = groupSum(t, deviations);
      if (t == 0u) {
        let n = uniforms.channels;
        let invStd = 1.0 / sqrt(variance[c] + uniforms.epsilon);
        let dGamma = sumDeviations / sqrt(variance[c] + uniforms.epsilon);
        factors[c] = gamma[c] * invStd;
        factors[n + c] = dBeta / f32(uniforms.pixels);
        factors[2 * n + c] = dGamma / f32(uniforms.pixels) * invStd;
        factors[3 * n + c] = dBeta;
        factors[4 * n + c] = dGamma;
      }
    }`,
  });
  const [dBeta, dGamma] = [backend.makeTensorInfo([channels], 'float32'), backend.makeTensorInfo([channels], 'float32')];
  copyValues(backend, factors, 3 * channels, dBeta, 0, channels);
  copyValues(backend, factors, 4 * channels, dGamma, 0, channels);

  // dx = γ/σ · (dz − dβ/P − (u − mean) · dγ/(P·σ))
  const applyProgram = flatProgram(x.shape, `mnist20kBatchNormGradApply_${key}`, ['dy', 'x', 'mean', 'factors', ...masked],
    'pixels : i32, channels : i32, pixelsEach : i32,', `
    ${normalisedInput(attrs.relu)}
    ${gradientAt}
    fn main(index : i32) {
      if (index >= uniforms.size) {
        return;
      }
      let c = index % uniforms.channels;
      let p = index / uniforms.channels;
      let n = uniforms.channels;
      let dx = factors[c] * (gradientAt(p, c) - factors[n + c] - (inputAt(p, c) - mean[c]) * factors[2 * n + c]);
      setOutputAtIndex(index, ${attrs.relu ? 'select(0.0, dx, x[index] > 0.0)' : 'dx'});
    }`);
  const dx = backend.runWebGPUProgram(applyProgram, [dy, x, mean, factors, ...(scale ? [scale] : [])], 'float32', sizes);
  backend.disposeData(factors.dataId);
  return [dx, dGamma, dBeta];
}

export const batchNorm2dTrainingGradConfig: tf.KernelConfig = {
  kernelName: BatchNorm2dTrainingGrad,
  backendName: 'webgpu',
  kernelFunc: batchNorm2dTrainingGrad as unknown as tf.KernelFunc,
};
