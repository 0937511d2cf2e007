import * as tf from '@tensorflow/tfjs';
import { winogradConv, winogradFits } from './winograd';
import { explicitPad, free, KernelArgs, run, StockKernel, wasmKernel } from './wasmKernel';

type Args = KernelArgs<tf.Conv2DBackpropInputInputs, tf.Conv2DBackpropInputAttrs>;

/** For stride 1, the input gradient is a forward convolution of dy, padded to 'full', with the filter turned half
 *  round and its channels swapped: for 3×3 filters by Winograd (winograd.ts), which flips the filter as it
 *  transforms it; otherwise on XNNPACK like the forward pass, instead of the stock wasm kernel's plain loops. Other
 *  strides go to `stock` (the stock kernel). */
function conv2DBackpropInput({ inputs, backend, attrs }: Args, stock: StockKernel): tf.TensorInfo | tf.TensorInfo[] {
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape, inputs.filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode);
  const { filterHeight: fh, filterWidth: fw, padInfo } = info;
  const fullPad = [fh - 1 - padInfo.top, fh - 1 - padInfo.bottom, fw - 1 - padInfo.left, fw - 1 - padInfo.right];
  if (info.strideHeight !== 1 || info.strideWidth !== 1 || attrs.dataFormat === 'NCHW' || fullPad.some((p) => p < 0)) {
    return stock();
  }
  const [top, bottom, left, right] = fullPad;
  if (winogradFits(info, info.outChannels, info.inChannels)) {
    return winogradConv(backend, inputs.dy, inputs.filter, {
      batch: info.batchSize, inHeight: info.outHeight, inWidth: info.outWidth, inChannels: info.outChannels,
      outHeight: info.inHeight, outWidth: info.inWidth, outChannels: info.inChannels, top, left,
    }, true);
  }
  const flipped = run(backend, 'Reverse', { x: inputs.filter }, { dims: [0, 1] });
  const swapped = run(backend, 'Transpose', { x: flipped }, { perm: [0, 1, 3, 2] });
  const dx = run(backend, 'Conv2D', { x: inputs.dy, filter: swapped }, {
    strides: 1, dilations: 1, dataFormat: 'NHWC', pad: explicitPad(top, bottom, left, right),
  });
  free(backend, flipped, swapped);
  return dx;
}

export const conv2DBackpropInputConfig = wasmKernel(tf.Conv2DBackpropInput, conv2DBackpropInput);
