import * as tf from '@tensorflow/tfjs';
import { floats } from './heap';
import { RunningStatistics, RunningStatisticsAttrs, RunningStatisticsInputs, runningFactors } from './kernelNames';
import { KernelArgs, wasmKernel } from './wasmKernel';

/** The running statistics' update in one kernel where tf ops took six (four multiplies, two adds), with their float32
 *  arithmetic: each product and sum rounded to float32 (Math.fround of the double result, which is exactly float32's
 *  rounding of one product or sum of floats). */
function runningStatistics({ inputs: { mean, variance, batchMean, batchVariance }, backend, attrs }: KernelArgs<RunningStatisticsInputs, RunningStatisticsAttrs>): tf.TensorInfo[] {
  const newMean = backend.makeOutput(mean.shape, 'float32');
  const newVariance = backend.makeOutput(mean.shape, 'float32');
  const [m, v, bm, bv, m1, v1] = floats(backend, mean, variance, batchMean, batchVariance, newMean, newVariance);
  const { keep, take, takeUnbiased } = runningFactors(attrs);
  for (let c = 0; c < m.length; c++) {
    m1[c] = Math.fround(Math.fround(m[c] * keep) + Math.fround(bm[c] * take));
    v1[c] = Math.fround(Math.fround(v[c] * keep) + Math.fround(bv[c] * takeUnbiased));
  }
  return [newMean, newVariance];
}

export const runningStatisticsConfig = wasmKernel(RunningStatistics, runningStatistics);
