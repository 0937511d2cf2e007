import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { flatProgram } from './programs';

/** Output rows of one image whose products one invocation sums: enough work per invocation to hide its start, and
 *  bands × images × filter values invocations in all, enough to fill a large GPU. */
const ROWS = 8;

/** The filter gradient in two programs instead of tfjs-backend-webgpu's one, whose every invocation walks the whole
 *  batch for one filter value (2,304 invocations of 73,728 products each on the network's 16→16 layer; 92 of 97 ms of
 *  a step's GPU time on an H200):
 *
 *    dW[r, s, c, k] = Σ over b, y, x of x[b, y·sh + r − top, x·sw + s − left, c] · dy[b, y, x, k]
 *
 *  1. partial sums: one invocation per filter value and band of ROWS output rows of one image, summing that band's
 *     products in order;
 *  2. their total: one invocation per filter value, adding the bands' sums in order (image by image, band by band).
 *  The order of every sum is fixed by the shapes alone, so the GPU's scheduling never changes a result. */
function conv2DBackpropFilter({ inputs: { x, dy }, backend, attrs }: { inputs: tf.Conv2DBackpropFilterInputs; backend: WebGPUBackend; attrs: tf.Conv2DBackpropFilterAttrs }): tf.TensorInfo {
  if (attrs.dataFormat === 'NCHW') throw new Error('webgpu Conv2DBackpropFilter (ours) supports NHWC only');
  const info = tf.backend_util.computeConv2DInfo(
    x!.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const filterSize = tf.util.sizeFromShape(info.filterShape);
  const bands = Math.ceil(info.outHeight / ROWS);
  const chunks = info.batchSize * bands;
  const int = (...data: number[]) => ({ type: 'int32', data });
  const partials = backend.runWebGPUProgram(partialsProgram([chunks, filterSize]), [x!, dy!], 'float32', [
    int(info.padInfo.top, info.padInfo.left), int(info.strideHeight, info.strideWidth), int(info.inHeight),
    int(info.inWidth), int(info.outHeight), int(info.outWidth), int(info.inChannels), int(info.outChannels),
    int(info.filterWidth), int(filterSize), int(bands),
  ]);
  const dw = backend.runWebGPUProgram(totalProgram(info.filterShape), [partials], 'float32', [int(chunks)]);
  backend.disposeData(partials.dataId);
  return dw;
}

/** [chunks, filter values]: chunk g is image ⌊g / bands⌋, rows ROWS·(g mod bands) onwards. */
function partialsProgram(outputShape: number[]): WebGPUProgram {
  return flatProgram(outputShape, 'mnist20kConv2DBackpropFilterPartials', ['x', 'dy'],
    'pads : vec2<i32>, strides : vec2<i32>, inHeight : i32, inWidth : i32, outHeight : i32, outWidth : i32, ' +
    'inChannels : i32, outChannels : i32, filterWidth : i32, filterSize : i32, bands : i32,', `
    fn main(index : i32) {
      if (index >= uniforms.size) {
        return;
      }
      let f = index % uniforms.filterSize;
      let g = index / uniforms.filterSize;
      let k = f % uniforms.outChannels;
      let c = (f / uniforms.outChannels) % uniforms.inChannels;
      let rs = f / (uniforms.outChannels * uniforms.inChannels);
      let s = rs % uniforms.filterWidth;
      let r = rs / uniforms.filterWidth;
      let b = g / uniforms.bands;
      let y0 = (g % uniforms.bands) * ${ROWS};
      let y1 = min(y0 + ${ROWS}, uniforms.outHeight);
      var sum = 0.0;
      for (var y = y0; y < y1; y = y + 1) {
        let row = y * uniforms.strides.x + r - uniforms.pads.x;
        if (row < 0 || row >= uniforms.inHeight) {
          continue;
        }
        for (var col = 0; col < uniforms.outWidth; col = col + 1) {
          let column = col * uniforms.strides.y + s - uniforms.pads.y;
          if (column < 0 || column >= uniforms.inWidth) {
            continue;
          }
          sum = sum + getX(b, row, column, c) * getDy(b, y, col, k);
        }
      }
      setOutputAtIndex(index, sum);
    }`);
}

/** The filter gradient: each value the sum of its chunks' partial sums, in chunk order. */
function totalProgram(filterShape: number[]): WebGPUProgram {
  return flatProgram(filterShape, 'mnist20kConv2DBackpropFilterTotal', ['partials'], 'chunks : i32,', `
    fn main(index : i32) {
      if (index >= uniforms.size) {
        return;
      }
      var sum = 0.0;
      for (var g = 0; g < uniforms.chunks; g = g + 1) {
        sum = sum + getPartials(g, index);
      }
      setOutputAtIndex(index, sum);
    }`);
}

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'webgpu',
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};
