import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { BatchNorm2dTrainingAttrs, BatchNorm2dTrainingGrad, BatchNorm2dTrainingGradInputs } from '../kernels/kernelNames';
import type { Given } from '../kernels/wasmKernel';
import { BLOCK, columnTotals, flatProgram, normalisedInput } from './programs';

type Inputs = Given<BatchNorm2dTrainingGradInputs>;

/** BatchNorm2dTraining's gradient, closed form, as six programs (tfjs's ops take some twenty): each block of BLOCK pixels sums dz and dz·(u − mean)
 *  per channel (dz the incoming gradient times Dropout2d's mask when given); the blocks' sums, in order, give dβ = Σdz
 *  and dγ = Σdz·x̂; then dx = γ/σ · (dz − dβ/P − x̂ · dγ/P), zero where x ≤ 0 with `relu`. Outputs dx, dγ, dβ. */
function batchNorm2dTrainingGrad({ inputs: { dy, x, mean, variance, gamma, scale }, backend, attrs }: { inputs: Inputs; backend: WebGPUBackend; attrs: BatchNorm2dTrainingAttrs }): tf.TensorInfo[] {
  const channels = x.shape[3];
  const pixels = tf.util.sizeFromShape(x.shape) / channels;
  const blocks = Math.ceil(pixels / BLOCK);
  const key = `${attrs.relu}_${Boolean(scale)}`;
  const int = (v: number) => ({ type: 'int32', data: [v] });
  const f32 = (v: number) => ({ type: 'float32', data: [v] });
  const masked = scale ? ['scale'] : [];
  const gradientAt = `fn gradientAt(p : i32, c : i32) -> f32 {
      return dy[p * uniforms.channels + c]${scale ? ' * scale[(p / uniforms.pixelsEach) * uniforms.channels + c]' : ''};
    }`;
  const sizes = [int(pixels), int(channels), int(pixels / x.shape[0])];

  const sumsProgram = flatProgram([blocks, 2 * channels], `mnist20kBatchNormGradSums_${key}`, ['dy', 'x', 'mean', ...masked],
    'pixels : i32, channels : i32, pixelsEach : i32,', `
    ${normalisedInput(attrs.relu)}
    ${gradientAt}
    fn main(index : i32) {
      if (index >= uniforms.size) {
        return;
      }
      let j = index % (2 * uniforms.channels);
      let c = j % uniforms.channels;
      let first = (index / (2 * uniforms.channels)) * ${BLOCK};
      let last = min(first + ${BLOCK}, uniforms.pixels);
      var sum = 0.0;
      for (var p = first; p < last; p = p + 1) {
        if (j < uniforms.channels) {
          sum = sum + gradientAt(p, c);
        } else {
          sum = sum + gradientAt(p, c) * (inputAt(p, c) - mean[c]);
        }
      }
      setOutputAtIndex(index, sum);
    }`);
  const sums = backend.runWebGPUProgram(sumsProgram, [dy, x, mean, ...(scale ? [scale] : [])], 'float32', sizes);
  const totals = columnTotals(blocks, channels);
  const dBeta = backend.runWebGPUProgram(totals.program, [sums], 'float32', totals.uniforms(2 * channels, 0, 1));
  const deviations = backend.runWebGPUProgram(totals.program, [sums], 'float32', totals.uniforms(2 * channels, channels, 1));
  backend.disposeData(sums.dataId);

  // dγ = Σ dz·(u − mean) / σ
  const dGamma = backend.runWebGPUProgram(flatProgram([channels], 'mnist20kBatchNormGradGamma', ['deviations', 'variance'], 'epsilon : f32,', `
    fn main(index : i32) {
      if (index < uniforms.size) {
        setOutputAtIndex(index, deviations[index] / sqrt(variance[index] + uniforms.epsilon));
      }
    }`), [deviations, variance], 'float32', [f32(attrs.epsilon)]);
  backend.disposeData(deviations.dataId);
  // the per-channel factors of dx, in one tensor: a WebGPU program may bind only 8 storage buffers
  const factors = backend.runWebGPUProgram(flatProgram([3, channels], 'mnist20kBatchNormGradFactors', ['gamma', 'variance', 'dBeta', 'dGamma'],
    'channels : i32, count : f32, epsilon : f32,', `
    fn main(index : i32) {
      if (index >= uniforms.size) {
        return;
      }
      let c = index % uniforms.channels;
      let row = index / uniforms.channels;
      let invStd = 1.0 / sqrt(variance[c] + uniforms.epsilon);
      var v = gamma[c] * invStd;
      if (row == 1) {
        v = dBeta[c] / uniforms.count;
      } else if (row == 2) {
        v = dGamma[c] / uniforms.count * invStd;
      }
      setOutputAtIndex(index, v);
    }`), [gamma, variance, dBeta, dGamma], 'float32', [int(channels), f32(pixels), f32(attrs.epsilon)]);
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
