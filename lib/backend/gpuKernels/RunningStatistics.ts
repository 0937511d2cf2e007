import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { RunningStatisticsAttrs, RunningStatisticsInputs } from '../kernels/kernelNames';
import { RunningStatistics, runningFactors } from '../kernels/kernelNames';
import type { Given } from '../kernels/wasmKernel';
import { runShader } from './shader';

/** The running statistics' update in one shader writing both, where tf ops ran six programs (a shader compiler may
 *  fuse a multiply and an add into one rounding: within a rounding of the ops). */
function runningStatistics({ inputs: { mean, variance, batchMean, batchVariance }, backend, attrs }: { inputs: Given<RunningStatisticsInputs>; backend: WebGPUBackend; attrs: RunningStatisticsAttrs }): tf.TensorInfo[] {
  const { keep, take, takeUnbiased } = runningFactors(attrs);
  const [newMean, newVariance] = [backend.makeTensorInfo(mean.shape, 'float32'), backend.makeTensorInfo(variance.shape, 'float32')];
  const channels = tf.util.sizeFromShape(mean.shape);
  runShader(backend, {
    key: 'mnist20kRunningStatistics',
    inputs: { mean, variance, batchMean, batchVariance },
    outputs: { newMean, newVariance },
    uniforms: { channels: { type: 'i32', value: channels }, keep: { type: 'f32', value: keep }, take: { type: 'f32', value: take },
      takeUnbiased: { type: 'f32', value: takeUnbiased } },
    workgroups: [Math.ceil(channels / 64), 1, 1],
    code: `
    @compute @workgroup_size(64)
    fn main(@builtin(global_invocation_id) id : vec3<u32>) {
      let c = i32(id.x);
      if (c < uniforms.channels) {
        newMean[c] = uniforms.keep * mean[c] + uniforms.take * batchMean[c];
        newVariance[c] = uniforms.keep * variance[c] + uniforms.takeUnbiased * batchVariance[c];
      }
    }`,
  });
  return [newMean, newVariance];
}

export const runningStatisticsConfig: tf.KernelConfig = {
  kernelName: RunningStatistics,
  backendName: 'webgpu',
  kernelFunc: runningStatistics as unknown as tf.KernelFunc,
};
