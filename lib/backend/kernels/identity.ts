import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Shares the input's memory instead of copying it, as the cpu backend and the wasm backend's own Reshape do (tensors
 *  are immutable). The engine clones every tensor it saves for the backward pass through Identity: some two hundred
 *  full copies per training step of this network. */
export function identity({ inputs: { x }, backend }: { inputs: { x: tf.TensorInfo }; backend: BackendWasm }): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
