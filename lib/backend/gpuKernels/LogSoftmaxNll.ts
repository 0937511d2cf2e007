import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { LogSoftmaxNllInputs } from '../kernels/kernelNames';
import { LogSoftmaxNll } from '../kernels/kernelNames';
import type { Given } from '../kernels/wasmKernel';
import { GROUP_SIZE, groupSum } from './programs';
import { runShader } from './shader';

/** The log-softmax, the loss, the correct count and the logits' gradient in one dispatch of one workgroup, where
 *  tfjs's ops ran some twenty programs on a [128, 10] tensor. Each invocation takes rows: the log-probabilities
 *  lp = (x − max) − log Σ exp(x − max), the row's loss −lp[label], whether its first largest lp is the label's, and
 *  the gradient as loss.ts computes it, d − (Σd)·exp(lp) with d = −1/N at the label (−0 elsewhere); the workgroup then
 *  adds the rows' losses and hits in a fixed order. */
function logSoftmaxNll({ inputs: { logits, labels }, backend }: { inputs: Given<LogSoftmaxNllInputs>; backend: WebGPUBackend }): tf.TensorInfo[] {
  const [rows, classes] = logits.shape;
  const [loss, correct, dLogits] = [backend.makeTensorInfo([], 'float32'), backend.makeTensorInfo([], 'int32'), backend.makeTensorInfo([rows, classes], 'float32')];
  runShader(backend, {
    key: 'mnist20kLogSoftmaxNll',
    inputs: { logits, labels },
    outputs: { loss, correct, dLogits },
    uniforms: { rows: { type: 'i32', value: rows }, classes: { type: 'i32', value: classes } },
    workgroups: [1, 1, 1],
    code: `
    ${groupSum}
    @compute @workgroup_size(${GROUP_SIZE})
    fn main(@builtin(local_invocation_index) t : u32) {
      let k = uniforms.classes;
      let d = -1.0 / f32(uniforms.rows);
      var losses = 0.0;
      var hits = 0.0;
      for (var n = i32(t); n < uniforms.rows; n = n + ${GROUP_SIZE}) {
        let row = n * k;
        var largest = logits[row];
        for (var j = 1; j < k; j = j + 1) {
          largest = max(largest, logits[row + j]);
        }
        var total = 0.0;
        for (var j = 0; j < k; j = j + 1) {
          total = total + exp(logits[row + j] - largest);
        }
        let logTotal = log(total);
        let label = labels[n];
        var best = 0;
        for (var j = 0; j < k; j = j + 1) {
          let lp = (logits[row + j] - largest) - logTotal;
          if (lp > (logits[row + best] - largest) - logTotal) {
            best = j;
          }
          dLogits[row + j] = select(-0.0, d, j == label) - d * exp(lp);
        }
        losses = losses + ((logits[row + label] - largest) - logTotal);
        hits = hits + select(0.0, 1.0, best == label);
      }
      let sumLosses = groupSum(t, losses);
      let sumHits = groupSum(t, hits);
      if (t == 0u) {
        loss[0] = -(sumLosses / f32(uniforms.rows));
        correct[0] = i32(sumHits);
      }
    }`,
  });
  return [loss, correct, dLogits];
}

export const logSoftmaxNllConfig: tf.KernelConfig = {
  kernelName: LogSoftmaxNll,
  backendName: 'webgpu',
  kernelFunc: logSoftmaxNll as unknown as tf.KernelFunc,
};
