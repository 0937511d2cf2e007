import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Tile by rows: each output row (the last axis) is the matching input row repeated, copied with TypedArray.set.
 *  The stock wasm kernel computes an index per element, which made the BatchNorm gradient's broadcast of one value
 *  per channel the slowest kernel of a training step. */
export function tile(args: { inputs: { x: tf.TensorInfo }; backend: BackendWasm; attrs: { reps: number[] } }): tf.TensorInfo {
  const { inputs: { x }, backend, attrs: { reps } } = args;
  const inShape = x.shape.length ? x.shape : [1];
  const outShape = inShape.map((d, i) => d * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const rank = inShape.length;
  const inRow = inShape[rank - 1];
  const rowReps = reps[rank - 1];
  const inStrides = stridesOf(inShape);
  const outRows = dst.length / (inRow * rowReps);
  const index = new Array<number>(rank - 1).fill(0); // position of the current output row, last axis excluded

  for (let row = 0; row < outRows; row++) {
    let from = 0;
    for (let d = 0; d < rank - 1; d++) from += (index[d] % inShape[d]) * inStrides[d];
    const source = src.subarray(from, from + inRow);
    const to = row * inRow * rowReps;
    for (let r = 0; r < rowReps; r++) dst.set(source, to + r * inRow);
    for (let d = rank - 2; d >= 0 && ++index[d] === outShape[d]; d--) index[d] = 0;
  }
  return out;
}

function stridesOf(shape: number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}
