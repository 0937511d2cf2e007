import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { BatchNorm2dTraining, BatchNorm2dTrainingAttrs, BatchNorm2dTrainingInputs } from '../kernels/kernelNames';
import type { Given } from '../kernels/wasmKernel';
import { BLOCK, columnTotals, flatProgram, normalisedInput } from './programs';

type Inputs = Given<BatchNorm2dTrainingInputs>;

/** Training-mode batch normalisation of x [N, H, W, C] as five programs, where tfjs's ops take some twenty: each
 *  block of BLOCK pixels sums its values per channel; the blocks' sums, in order, give the mean; the same for the
 *  squared deviations from it, the (biased) variance; then y = (u − mean) · γ/σ + β, times Dropout2d's mask `scale`
 *  [N, 1, 1, C] when given, u being x or, with `relu`, max(x, 0). Outputs y, the mean and the variance, as the wasm
 *  kernel of the same name. */
function batchNorm2dTraining({ inputs: { x, gamma, beta, scale }, backend, attrs }: { inputs: Inputs; backend: WebGPUBackend; attrs: BatchNorm2dTrainingAttrs }): tf.TensorInfo[] {
  const channels = x.shape[3];
  const pixels = tf.util.sizeFromShape(x.shape) / channels;
  const blocks = Math.ceil(pixels / BLOCK);
  const key = `${attrs.relu}_${Boolean(scale)}`;
  const int = (v: number) => ({ type: 'int32', data: [v] });
  const sizes = [int(pixels), int(channels)];
  const totals = columnTotals(blocks, channels);
  const blockSums = (deviations: boolean) => flatProgram([blocks, channels], `mnist20kBatchNormSums_${deviations}_${key}`,
    deviations ? ['x', 'mean'] : ['x'], 'pixels : i32, channels : i32,', `
    ${normalisedInput(attrs.relu)}
    fn main(index : i32) {
      if (index >= uniforms.size) {
        return;
      }
      let c = index % uniforms.channels;
      let first = (index / uniforms.channels) * ${BLOCK};
      let last = min(first + ${BLOCK}, uniforms.pixels);
      var sum = 0.0;
      for (var p = first; p < last; p = p + 1) {
        ${deviations ? 'let d = inputAt(p, c) - mean[c];\n        sum = sum + d * d;' : 'sum = sum + inputAt(p, c);'}
      }
      setOutputAtIndex(index, sum);
    }`);

  const sums = backend.runWebGPUProgram(blockSums(false), [x], 'float32', sizes);
  const mean = backend.runWebGPUProgram(totals.program, [sums], 'float32', totals.uniforms(channels, 0, 1 / pixels));
  const squares = backend.runWebGPUProgram(blockSums(true), [x, mean], 'float32', sizes);
  const variance = backend.runWebGPUProgram(totals.program, [squares], 'float32', totals.uniforms(channels, 0, 1 / pixels));
  backend.disposeData(sums.dataId);
  backend.disposeData(squares.dataId);

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
  return [y, mean, variance];
}

export const batchNorm2dTrainingConfig: tf.KernelConfig = {
  kernelName: BatchNorm2dTraining,
  backendName: 'webgpu',
  kernelFunc: batchNorm2dTraining as unknown as tf.KernelFunc,
};
