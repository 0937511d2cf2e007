import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { writeValues } from './gpuKernels/shader';

/** tf.tensor(values, shape) for float32 values made on the host every step (Dropout2d's masks): on webgpu written
 *  into a pooled GPU buffer (gpuKernels/shader.ts's writeValues), where tf.tensor's upload makes a new staging buffer
 *  each time; elsewhere tf.tensor itself. */
export function floatTensor(values: Float32Array, shape: number[]): tf.Tensor {
  if (tf.getBackend() !== 'webgpu' || values.length === 0) return tf.tensor(values, shape, 'float32');
  const backend = tf.backend() as unknown as WebGPUBackend;
  const info = backend.makeTensorInfo(shape, 'float32');
  writeValues(backend, info, values);
  return tf.engine().makeTensorFromTensorInfo(info);
}
