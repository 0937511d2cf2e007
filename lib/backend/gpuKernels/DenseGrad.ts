import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { DenseGradInputs } from '../kernels/kernelNames';
import { DenseGrad } from '../kernels/kernelNames';
import type { Given } from '../kernels/wasmKernel';
import { runShader } from './shader';

/** A linear layer's three gradients in one dispatch, where two BatchMatMuls and a Sum ran four programs: one
 *  invocation per value of dx [N, F], then of dKernel [F, U], then of dBias [U], each a dot product summed in order. */
function denseGrad({ inputs: { dy, x, kernel }, backend }: { inputs: Given<DenseGradInputs>; backend: WebGPUBackend }): tf.TensorInfo[] {
  const [rows, features] = x.shape;
  const units = dy.shape[1];
  const [dx, dKernel, dBias] = [backend.makeTensorInfo([rows, features], 'float32'), backend.makeTensorInfo([features, units], 'float32'),
    backend.makeTensorInfo([units], 'float32')];
  const total = rows * features + features * units + units;
  runShader(backend, {
    key: 'mnist20kDenseGrad',
    inputs: { dy, x, kernel },
    outputs: { dx, dKernel, dBias },
    uniforms: { rows: { type: 'i32', value: rows }, features: { type: 'i32', value: features }, units: { type: 'i32', value: units } },
    workgroups: [Math.ceil(total / 64), 1, 1],
    code: `
    @compute @workgroup_size(64)
    fn main(@builtin(global_invocation_id) id : vec3<u32>) {
      let n = uniforms.rows;
      let f = uniforms.features;
      let u = uniforms.units;
      var i = i32(id.x);
      if (i < n * f) {
        // dx[r, j] = Σ over k of dy[r, k] · kernel[j, k]
        let r = i / f;
        let j = i % f;
        var sum = 0.0;
        for (var k = 0; k < u; k = k + 1) {
          sum = sum + dy[r * u + k] * kernel[j * u + k];
        }
        dx[i] = sum;
        return;
      }
      i = i - n * f;
      if (i < f * u) {
        // dKernel[j, k] = Σ over r of x[r, j] · dy[r, k]
        let j = i / u;
        let k = i % u;
        var sum = 0.0;
        for (var r = 0; r < n; r = r + 1) {
          sum = sum + x[r * f + j] * dy[r * u + k];
        }
        dKernel[i] = sum;
        return;
      }
      i = i - f * u;
      if (i < u) {
        var sum = 0.0;
        for (var r = 0; r < n; r = r + 1) {
          sum = sum + dy[r * u + i];
        }
        dBias[i] = sum;
      }
    }`,
  });
  return [dx, dKernel, dBias];
}

export const denseGradConfig: tf.KernelConfig = {
  kernelName: DenseGrad,
  backendName: 'webgpu',
  kernelFunc: denseGrad as unknown as tf.KernelFunc,
};
