import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { directConv, directFits } from './direct';
import { winogradConv, winogradFits, winogradShape } from './winograd';

/** A forward convolution (Conv2D's or FusedConv2D's inputs and attributes) by our kernels: Winograd for 3×3 stride 1
 *  (winograd.ts), the direct sum for what else has output channels in eights (direct.ts) — the network's first and
 *  1×1 layers — each run in parallel over the kernel threads. Undefined where neither fits, and the stock kernel
 *  runs. */
export function forwardConvolution(backend: BackendWasm, x: tf.TensorInfo, filter: tf.TensorInfo, attrs: tf.Conv2DAttrs): tf.TensorInfo | undefined {
  if (attrs.dataFormat === 'NCHW') return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number], attrs.strides,
    attrs.dilations, attrs.pad, attrs.dimRoundingMode);
  if (winogradFits(info, info.inChannels, info.outChannels)) return winogradConv(backend, x, filter, winogradShape(info), false);
  return directFits(info) ? directConv(backend, x, filter, info) : undefined;
}
