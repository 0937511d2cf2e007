import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { directFilterGrad, directFits } from './direct';
import { winogradFilterGrad, winogradFits, winogradShape } from './winograd';
import { explicitPad, free, KernelArgs, run, wasmKernel } from './wasmKernel';

type Args = KernelArgs<tf.Conv2DBackpropFilterInputs, tf.Conv2DBackpropFilterAttrs>;
type Inputs = Args['inputs'];
type ConvInfo = tf.backend_util.Conv2DInfo;

/** The filter gradient, which the stock wasm backend lacks:
 *  dW[r, c, i, o] = Σ over batch and output positions of x[b, y·s + r − pad, x·s + c − pad, i] · dy[b, y, x, o]. */
function conv2DBackpropFilter({ inputs, backend, attrs }: Args): tf.TensorInfo {
  if (attrs.dataFormat === 'NCHW') throw new Error('wasm Conv2DBackpropFilter supports NHWC only');
  const info = tf.backend_util.computeConv2DInfo(
    inputs.x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode);
  // 3×3, stride 1: Winograd F(3×3, 2×2) (winograd.ts), 2.25 times fewer multiplications than the direct sum
  if (winogradFits(info, info.inChannels, info.outChannels)) {
    return winogradFilterGrad(backend, inputs.x, inputs.dy, winogradShape(info));
  }
  // output channels in eights (the network's first and 1×1 layers): the direct sum (direct.ts), in parallel
  if (directFits(info)) return directFilterGrad(backend, inputs.x, inputs.dy, info);
  const unitStride = info.strideHeight === 1 && info.strideWidth === 1;
  return unitStride ? byConvolution(inputs, backend, info) : byLoops(inputs, backend, info);
}

/** For stride 1 (and channel counts the direct kernel does not take) the sum above is itself a convolution, with the
 *  batch as channels: x as [i, h, w, b] convolved with dy as a filter [y, x, b, o] gives [i, r, c, o]. That runs on
 *  XNNPACK like the forward pass. */
function byConvolution(inputs: Inputs, backend: BackendWasm, info: ConvInfo): tf.TensorInfo {
  const { top, bottom, left, right } = info.padInfo;
  const xT = run(backend, 'Transpose', { x: inputs.x }, { perm: [3, 1, 2, 0] });
  const dyT = run(backend, 'Transpose', { x: inputs.dy }, { perm: [1, 2, 0, 3] });
  const dwT = run(backend, 'Conv2D', { x: xT, filter: dyT }, {
    strides: 1, dilations: 1, dataFormat: 'NHWC', pad: explicitPad(top, bottom, left, right),
  });
  const dw = run(backend, 'Transpose', { x: dwT }, { perm: [1, 2, 0, 3] });
  free(backend, xT, dyT, dwT);
  return dw;
}

/** Any stride: loops over the WebAssembly heap in place, innermost over the output channels so both reads and the
 *  accumulation are contiguous. */
function byLoops(inputs: Inputs, backend: BackendWasm, info: ConvInfo): tf.TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const x = backend.typedArrayFromHeap(inputs.x) as Float32Array;
  const dy = backend.typedArrayFromHeap(inputs.dy) as Float32Array;
  const dw = new Float32Array(fh * fw * inChannels * outChannels);

  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const dyOff = ((b * outHeight + oy) * outWidth + ox) * outChannels;
        for (let r = 0; r < fh; r++) {
          const iy = oy * sh + r - top;
          if (iy < 0 || iy >= inHeight) continue;
          for (let c = 0; c < fw; c++) {
            const ix = ox * sw + c - left;
            if (ix < 0 || ix >= inWidth) continue;
            const xOff = ((b * inHeight + iy) * inWidth + ix) * inChannels;
            const dwBase = (r * fw + c) * inChannels * outChannels;
            for (let i = 0; i < inChannels; i++) {
              const xv = x[xOff + i];
              if (xv === 0) continue;
              const dwOff = dwBase + i * outChannels;
              for (let o = 0; o < outChannels; o++) dw[dwOff + o] += xv * dy[dyOff + o];
            }
          }
        }
      }
    }
  }
  const out = backend.makeOutput(info.filterShape, 'float32');
  (backend.typedArrayFromHeap(out) as Float32Array).set(dw);
  return out;
}

export const conv2DBackpropFilterConfig = wasmKernel(tf.Conv2DBackpropFilter, conv2DBackpropFilter);
