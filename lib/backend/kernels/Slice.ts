import * as tf from '@tensorflow/tfjs';
import { KernelArgs, StockKernel, wasmKernel } from './wasmKernel';

/** A contiguous slice (e.g. model.predict's batches) copied straight from the heap: the stock kernel first copies
 *  the whole input out of it (readSync), some 4 ms per 32-image slice of a 1000-image batch. Other slices go to
 *  `stock` (the stock kernel). */
function slice({ inputs: { x }, backend, attrs }: KernelArgs<tf.SliceInputs, tf.SliceAttrs>, stock: StockKernel): tf.TensorInfo | tf.TensorInfo[] {
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
  if (x.dtype === 'string' || !tf.slice_util.isSliceContinous(x.shape, begin, size)) return stock();
  const out = backend.makeOutput(size, x.dtype);
  const start = tf.slice_util.computeFlatOffset(begin, tf.util.computeStrides(x.shape));
  // views taken after makeOutput, which can grow (and so move) the heap
  const source = backend.typedArrayFromHeap(x);
  (backend.typedArrayFromHeap(out) as Float32Array).set(source.subarray(start, start + tf.util.sizeFromShape(size)));
  return out;
}

export const sliceConfig = wasmKernel(tf.Slice, slice);
