import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { RunningStatisticsAttrs, RunningStatisticsInputs } from '../kernels/kernelNames';
import { RunningStatistics, runningFactors } from '../kernels/kernelNames';
import type { Given } from '../kernels/wasmKernel';
import { elementwiseProgram } from './programs';

/** The running statistics' update in two programs, one per output, where tf ops ran six (a shader compiler may fuse
 *  a multiply and an add into one rounding: within a rounding of the ops). */
function runningStatistics({ inputs: { mean, variance, batchMean, batchVariance }, backend, attrs }: { inputs: Given<RunningStatisticsInputs>; backend: WebGPUBackend; attrs: RunningStatisticsAttrs }): tf.TensorInfo[] {
  const { keep, take, takeUnbiased } = runningFactors(attrs);
  const mix = (running: tf.TensorInfo, batch: tf.TensorInfo, factor: number) => backend.runWebGPUProgram(
    elementwiseProgram(running.shape, 'mnist20kRunningStatistics', ['running', 'batch'], 'keep : f32, take : f32,',
      'uniforms.keep * running[index] + uniforms.take * batch[index]'),
    [running, batch], 'float32', [{ type: 'float32', data: [keep] }, { type: 'float32', data: [factor] }]);
  return [mix(mean, batchMean, take), mix(variance, batchVariance, takeUnbiased)];
}

export const runningStatisticsConfig: tf.KernelConfig = {
  kernelName: RunningStatistics,
  backendName: 'webgpu',
  kernelFunc: runningStatistics as unknown as tf.KernelFunc,
};
