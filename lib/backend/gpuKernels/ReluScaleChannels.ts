import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { ReluScaleChannelsInputs } from '../kernels/kernelNames';
import { ReluScaleChannels } from '../kernels/kernelNames';
import type { Given } from '../kernels/wasmKernel';
import { channelScaleAt, flatProgram } from './programs';

/** max(x, 0) · scale[n, c] in one program, where Relu and a Multiply ran two: the same product. */
function reluScaleChannels({ inputs: { x, scale }, backend }: { inputs: Given<ReluScaleChannelsInputs>; backend: WebGPUBackend }): tf.TensorInfo {
  const channels = x.shape[3];
  const program = flatProgram(x.shape, 'mnist20kReluScaleChannels', ['x', 'scale'], 'channels : i32, pixelsEach : i32,', `
    ${channelScaleAt}
    fn main(index : i32) {
      if (index < uniforms.size) {
        setOutputAtIndex(index, max(x[index], 0.0) * scaleAt(index));
      }
    }`);
  return backend.runWebGPUProgram(program, [x, scale], 'float32',
    [{ type: 'int32', data: [channels] }, { type: 'int32', data: [x.shape[1] * x.shape[2]] }]);
}

export const reluScaleChannelsConfig: tf.KernelConfig = {
  kernelName: ReluScaleChannels,
  backendName: 'webgpu',
  kernelFunc: reluScaleChannels as unknown as tf.KernelFunc,
};
