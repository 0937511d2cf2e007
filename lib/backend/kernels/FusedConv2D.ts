import * as tf from '@tensorflow/tfjs';
import { forwardConvolution } from './convolution';
import { KernelArgs, StockKernel, wasmKernel } from './wasmKernel';

type Args = KernelArgs<Pick<tf.FusedConv2DInputs, 'x' | 'filter'>, tf.FusedConv2DAttrs> & { inputs: Partial<tf.FusedConv2DInputs> };

/** The convolution tfjs-layers' Conv2D runs (tf.fused.conv2d): as Conv2D.ts when nothing is fused into it (no bias,
 *  no activation), the stock kernel otherwise. */
function fusedConv2D({ inputs, backend, attrs }: Args, stock: StockKernel): tf.TensorInfo | tf.TensorInfo[] {
  const plain = !inputs.bias && !inputs.preluActivationWeights && (attrs.activation ?? 'linear') === 'linear';
  return (plain ? forwardConvolution(backend, inputs.x, inputs.filter, attrs) : undefined) ?? stock();
}

export const fusedConv2DConfig = wasmKernel(tf.FusedConv2D, fusedConv2D);
