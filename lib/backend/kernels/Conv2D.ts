import * as tf from '@tensorflow/tfjs';
import { forwardConvolution } from './convolution';
import { KernelArgs, StockKernel, wasmKernel } from './wasmKernel';

/** The convolution by our kernels (convolution.ts: Winograd for 3×3 stride 1, the direct sum for output channels in
 *  eights), in parallel over the kernel threads; others go to `stock` (the stock kernel, XNNPACK). */
function conv2D({ inputs, backend, attrs }: KernelArgs<tf.Conv2DInputs, tf.Conv2DAttrs>, stock: StockKernel): tf.TensorInfo | tf.TensorInfo[] {
  return forwardConvolution(backend, inputs.x, inputs.filter, attrs) ?? stock();
}

export const conv2DConfig = wasmKernel(tf.Conv2D, conv2D);
