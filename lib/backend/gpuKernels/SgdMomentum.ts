import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { SgdMomentumAttrs, SgdMomentumInputs } from '../kernels/kernelNames';
import { SgdMomentum, sgdMomentumVariables } from '../kernels/kernelNames';
import type { Given } from '../kernels/wasmKernel';
import { copyValues, runShader } from './shader';

/** Every variable's momentum update in one dispatch, where tfjs's optimizer runs four programs a variable (two
 *  multiplies, two adds): a' = m·a + g, then w' = (−lr)·a' + w, in float32 (a shader compiler may fuse a multiply and
 *  an add into one rounding: within a rounding of tfjs's four ops). A dispatch binds at most 8 buffers, and this
 *  network has 25 variables: so their values, accumulations and gradients are first copied into one buffer, updated
 *  there in place, and copied out to the new tensors (copies are commands of the stream, without the bind group and
 *  uniforms a dispatch needs). Outputs w', a' of each. */
function sgdMomentum({ inputs, backend, attrs }: { inputs: Given<SgdMomentumInputs>; backend: WebGPUBackend; attrs: SgdMomentumAttrs }): tf.TensorInfo[] {
  const variables = sgdMomentumVariables(inputs);
  const sizes = variables.map(({ value }) => tf.util.sizeFromShape(value.shape));
  const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const count = sizes.reduce((a, b) => a + b, 0);
  // [values | accumulations | gradients], each part in the variables' order
  const all = backend.makeTensorInfo([3 * count], 'float32');
  variables.forEach(({ value, accumulation, gradient }, i) => {
    copyValues(backend, value, 0, all, starts[i], sizes[i]);
    copyValues(backend, accumulation, 0, all, count + starts[i], sizes[i]);
    copyValues(backend, gradient, 0, all, 2 * count + starts[i], sizes[i]);
  });
  runShader(backend, {
    key: 'mnist20kSgdMomentum',
    inputs: {},
    outputs: { all },
    uniforms: { count: { type: 'i32', value: count }, momentum: { type: 'f32', value: attrs.momentum }, step: { type: 'f32', value: -attrs.learningRate } },
    workgroups: [Math.ceil(count / 64), 1, 1],
    code: `
    @compute @workgroup_size(64)
    fn main(@builtin(global_invocation_id) id : vec3<u32>) {
      let i = i32(id.x);
      if (i < uniforms.count) {
        let accumulation = uniforms.momentum * all[uniforms.count + i] + all[2 * uniforms.count + i];
        all[uniforms.count + i] = accumulation;
        all[i] = uniforms.step * accumulation + all[i];
      }
    }`,
  });
  const outputs = variables.flatMap(({ value }, i) => {
    const [newValue, newAccumulation] = [backend.makeTensorInfo(value.shape, 'float32'), backend.makeTensorInfo(value.shape, 'float32')];
    copyValues(backend, all, starts[i], newValue, 0, sizes[i]);
    copyValues(backend, all, count + starts[i], newAccumulation, 0, sizes[i]);
    return [newValue, newAccumulation];
  });
  backend.disposeData(all.dataId);
  return outputs;
}

export const sgdMomentumConfig: tf.KernelConfig = {
  kernelName: SgdMomentum,
  backendName: 'webgpu',
  kernelFunc: sgdMomentum as unknown as tf.KernelFunc,
};
