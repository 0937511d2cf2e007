import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** A contiguous slice (e.g. model.predict's batches) copied straight from the heap: the stock kernel first copies
 *  the whole input out of it (readSync), some 4 ms per 32-image slice of a 1000-image batch. Other slices go to
 *  `fallback` (the stock kernel). */
export function makeSlice(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs: { x }, backend, attrs } = args as unknown as {
      inputs: { x: tf.TensorInfo }; backend: BackendWasm; attrs: { begin: number | number[]; size: number | number[] };
    };
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
    if (x.dtype === 'string' || !tf.slice_util.isSliceContinous(x.shape, begin, size)) return fallback(args);
    const out = backend.makeOutput(size, x.dtype);
    const start = tf.slice_util.computeFlatOffset(begin, tf.util.computeStrides(x.shape));
    // views taken after makeOutput, which can grow (and so move) the heap
    const source = backend.typedArrayFromHeap(x);
    (backend.typedArrayFromHeap(out) as Float32Array).set(source.subarray(start, start + tf.util.sizeFromShape(size)));
    return out;
  };
}
