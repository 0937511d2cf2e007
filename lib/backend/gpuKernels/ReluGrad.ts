import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { ReluGradInputs } from '../kernels/kernelNames';
import { ReluGrad } from '../kernels/kernelNames';
import type { Given } from '../kernels/wasmKernel';
import { elementwiseProgram } from './programs';

/** dy · step(x) in one program, where tfjs's Relu gradient runs Step, Cast and Multiply (two programs): the same
 *  products, dy·1 or dy·0. */
function reluGrad({ inputs: { dy, x }, backend }: { inputs: Given<ReluGradInputs>; backend: WebGPUBackend }): tf.TensorInfo {
  return backend.runWebGPUProgram(
    elementwiseProgram(x.shape, 'mnist20kReluGrad', ['dy', 'x'], '', 'dy[index] * select(0.0, 1.0, x[index] > 0.0)'),
    [dy, x], 'float32');
}

export const reluGradConfig: tf.KernelConfig = {
  kernelName: ReluGrad,
  backendName: 'webgpu',
  kernelFunc: reluGrad as unknown as tf.KernelFunc,
};
