import * as tf from '@tensorflow/tfjs';
import { forwardByWinograd } from './winograd';
import { KernelArgs, StockKernel, wasmKernel } from './wasmKernel';

/** 3×3 stride-1 convolutions by Winograd F(2×2, 3×3) (winograd.ts), about twice XNNPACK's speed on the network's
 *  shapes; others go to `stock` (the stock kernel). */
function conv2D({ inputs, backend, attrs }: KernelArgs<tf.Conv2DInputs, tf.Conv2DAttrs>, stock: StockKernel): tf.TensorInfo | tf.TensorInfo[] {
  return forwardByWinograd(backend, inputs.x, inputs.filter, attrs) ?? stock();
}

export const conv2DConfig = wasmKernel(tf.Conv2D, conv2D);
