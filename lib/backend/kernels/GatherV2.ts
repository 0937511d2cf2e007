import * as tf from '@tensorflow/tfjs';
import { KernelArgs, StockKernel, wasmKernel } from './wasmKernel';

/** Rows picked along the first axis (a training batch from the split uploaded once, data/device.ts), each copied
 *  whole from the heap: the stock kernel computes every element's address apart, ~1.8 ms for a batch of 128
 *  images, a serial part of every step. Other gathers go to `stock` (the stock kernel). */
function gatherV2({ inputs: { x, indices }, backend, attrs }: KernelArgs<tf.GatherV2Inputs, tf.GatherV2Attrs>, stock: StockKernel): tf.TensorInfo | tf.TensorInfo[] {
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
  if (axis !== 0 || (attrs.batchDims ?? 0) !== 0 || x.dtype === 'string' || x.dtype === 'complex64') return stock();
  const picked = backend.typedArrayFromHeap(indices);
  for (const index of picked) {
    // the stock kernel's check, and its words
    if (!(index >= 0 && index <= x.shape[0] - 1)) throw new Error(`GatherV2: the index value ${index} is not in [0, ${x.shape[0] - 1}]`);
  }
  const row = tf.util.sizeFromShape(x.shape.slice(1));
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
  // views taken after makeOutput, which can grow (and so move) the heap
  const source = backend.typedArrayFromHeap(x);
  const target = backend.typedArrayFromHeap(out);
  const rows = backend.typedArrayFromHeap(indices);
  for (let i = 0; i < rows.length; i++) target.set(source.subarray(rows[i] * row, (rows[i] + 1) * row), i * row);
  return out;
}

export const gatherV2Config = wasmKernel(tf.GatherV2, gatherV2);
