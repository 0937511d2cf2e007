import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

interface Inputs {
  x: tf.TensorInfo;
  dy: tf.TensorInfo;
}
interface Attrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** dW[r, c, i, o] = Σ over batch and output positions of x[b, y·s + r − pad, x·s + c − pad, i] · dy[b, y, x, o],
 *  which the stock wasm backend lacks. Loops run over the WebAssembly heap in place, innermost over the output
 *  channels so both reads and the accumulation are contiguous. */
export function conv2DBackpropFilter(args: { inputs: Inputs; backend: BackendWasm; attrs: Attrs }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  if (attrs.dataFormat === 'NCHW') throw new Error('wasm Conv2DBackpropFilter supports NHWC only');
  const info = tf.backend_util.computeConv2DInfo(
    inputs.x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode);
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
