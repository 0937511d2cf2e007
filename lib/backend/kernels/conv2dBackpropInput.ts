import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { ConvGradAttrs, explicitPad, free, run } from './wasmOps';

interface Inputs {
  dy: tf.TensorInfo;
  filter: tf.TensorInfo;
}
interface Attrs extends ConvGradAttrs {
  inputShape: [number, number, number, number];
}

/** For stride 1, the input gradient is a forward convolution of dy, padded to 'full', with the filter flipped in space
 *  and its channels swapped — so it runs on XNNPACK like the forward pass instead of the stock wasm kernel's plain
 *  loops. Other strides go to `fallback` (the stock kernel). */
export function makeConv2DBackpropInput(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as { inputs: Inputs; backend: BackendWasm; attrs: Attrs };
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape, inputs.filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad,
      attrs.dimRoundingMode);
    const { filterHeight: fh, filterWidth: fw, padInfo } = info;
    const fullPad = [fh - 1 - padInfo.top, fh - 1 - padInfo.bottom, fw - 1 - padInfo.left, fw - 1 - padInfo.right];
    if (info.strideHeight !== 1 || info.strideWidth !== 1 || attrs.dataFormat === 'NCHW' || fullPad.some((p) => p < 0)) {
      return fallback(args);
    }
    const flipped = run(backend, 'Reverse', { x: inputs.filter }, { dims: [0, 1] });
    const swapped = run(backend, 'Transpose', { x: flipped }, { perm: [0, 1, 3, 2] });
    const [top, bottom, left, right] = fullPad;
    const dx = run(backend, 'Conv2D', { x: inputs.dy, filter: swapped }, {
      strides: 1, dilations: 1, dataFormat: 'NHWC', pad: explicitPad(top, bottom, left, right),
    });
    free(backend, flipped, swapped);
    return dx;
  };
}
