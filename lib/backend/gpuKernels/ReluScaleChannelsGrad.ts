import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { ReluScaleChannelsGradInputs } from '../kernels/kernelNames';
import { ReluScaleChannelsGrad } from '../kernels/kernelNames';
import type { Given } from '../kernels/wasmKernel';
import { channelScaleAt, flatProgram } from './programs';

/** ReluScaleChannels's gradient, dy · scale[n, c] where x > 0 and 0 elsewhere, in one program where a Multiply and
 *  ReluGrad ran two: the same product. */
function reluScaleChannelsGrad({ inputs: { dy, x, scale }, backend }: { inputs: Given<ReluScaleChannelsGradInputs>; backend: WebGPUBackend }): tf.TensorInfo {
  const program = flatProgram(x.shape, 'mnist20kReluScaleChannelsGrad', ['dy', 'x', 'scale'], 'channels : i32, pixelsEach : i32,', `
    ${channelScaleAt}
    fn main(index : i32) {
      if (index < uniforms.size) {
        setOutputAtIndex(index, select(0.0, dy[index] * scaleAt(index), x[index] > 0.0));
      }
    }`);
  return backend.runWebGPUProgram(program, [dy, x, scale], 'float32',
    [{ type: 'int32', data: [x.shape[3]] }, { type: 'int32', data: [x.shape[1] * x.shape[2]] }]);
}

export const reluScaleChannelsGradConfig: tf.KernelConfig = {
  kernelName: ReluScaleChannelsGrad,
  backendName: 'webgpu',
  kernelFunc: reluScaleChannelsGrad as unknown as tf.KernelFunc,
};
