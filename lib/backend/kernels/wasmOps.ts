import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The attributes every convolution gradient kernel takes (tfjs-core's Conv2DBackprop*Attrs, less what we pass on). */
export interface ConvGradAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Calls one of the wasm backend's own kernels from inside another kernel, where tf ops cannot be used. */
export function run(backend: BackendWasm, kernel: string, inputs: Record<string, tf.TensorInfo>, attrs: object = {}): tf.TensorInfo {
  const config = tf.getKernel(kernel, 'wasm');
  if (!config) throw new Error(`wasm backend has no ${kernel} kernel`);
  return config.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
}

/** Frees intermediate results made with `run`. */
export function free(backend: BackendWasm, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Explicit padding [[0,0],[top,bottom],[left,right],[0,0]], the form Conv2D takes for uneven pads. */
export function explicitPad(top: number, bottom: number, left: number, right: number): tf.backend_util.ExplicitPadding {
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}
