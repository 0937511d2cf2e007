import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { SgdMomentumAttrs, SgdMomentumInputs } from '../kernels/kernelNames';
import { SgdMomentum, sgdMomentumVariables } from '../kernels/kernelNames';
import type { Given } from '../kernels/wasmKernel';
import { elementwiseProgram } from './programs';

/** Every variable's momentum update in one kernel call of two programs a variable, where tfjs's optimizer runs four
 *  ops a variable (two multiplies, two adds): a' = m·a + g, then w' = (−lr)·a' + w, in float32 (a shader compiler may
 *  fuse a multiply and an add into one rounding: within a rounding of tfjs's four ops). Outputs w', a' of each. */
function sgdMomentum({ inputs, backend, attrs }: { inputs: Given<SgdMomentumInputs>; backend: WebGPUBackend; attrs: SgdMomentumAttrs }): tf.TensorInfo[] {
  const f32 = (x: number) => ({ type: 'float32', data: [x] });
  return sgdMomentumVariables(inputs).flatMap(({ value, accumulation, gradient }) => {
    const newAccumulation = backend.runWebGPUProgram(
      elementwiseProgram(value.shape, 'mnist20kMomentumAccumulate', ['accumulation', 'gradient'], 'factor : f32,', 'uniforms.factor * accumulation[index] + gradient[index]'),
      [accumulation, gradient], 'float32', [f32(attrs.momentum)]);
    const newValue = backend.runWebGPUProgram(
      elementwiseProgram(value.shape, 'mnist20kMomentumStep', ['accumulation', 'value'], 'factor : f32,', 'uniforms.factor * accumulation[index] + value[index]'),
      [newAccumulation, value], 'float32', [f32(-attrs.learningRate)]);
    return [newValue, newAccumulation];
  });
}

export const sgdMomentumConfig: tf.KernelConfig = {
  kernelName: SgdMomentum,
  backendName: 'webgpu',
  kernelFunc: sgdMomentum as unknown as tf.KernelFunc,
};
