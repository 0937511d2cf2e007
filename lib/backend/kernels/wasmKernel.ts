import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** A kernel's input tensors as given. tfjs-core's input types (e.g. tf.Conv2DBackpropFilterInputs) pick from a map
 *  whose entries may be undefined, for optional inputs; for ours, an input is optional only where its key is. */
export type Given<Inputs> = { [K in keyof Inputs]: Exclude<Inputs[K], undefined> };

/** What one of our kernels is called with: tfjs's kernel arguments, typed. */
export interface KernelArgs<Inputs, Attrs> {
  inputs: Given<Inputs>;
  backend: BackendWasm;
  attrs: Attrs;
}

/** Runs the stock wasm kernel that ours replaced on the same arguments, for the cases ours hands back. */
export type StockKernel = () => tf.TensorInfo | tf.TensorInfo[];

/** Our kernel's code. */
export type WasmKernelFunc<Inputs, Attrs> = (args: KernelArgs<Inputs, Attrs>, stock: StockKernel) => tf.TensorInfo | tf.TensorInfo[];

/** The stock kernels we replaced, by name. */
const stockKernels = new Map<string, tf.KernelConfig>();

/** The wasm-backend KernelConfig of a typed kernel function. Kernels without attributes leave `Attrs` undefined. */
export function wasmKernel<Inputs, Attrs = undefined>(kernelName: string, kernelFunc: WasmKernelFunc<Inputs, Attrs>): tf.KernelConfig {
  return {
    kernelName,
    backendName: 'wasm',
    // The one narrowing in the kernels: tfjs types every kernel's arguments as {inputs: NamedTensorInfoMap,
    // backend: {}, attrs?: NamedAttrMap}; on the wasm backend they are the backend itself and what the op passes.
    kernelFunc: (args) => kernelFunc(args as KernelArgs<Inputs, Attrs>, () => stockKernel(kernelName).kernelFunc(args)),
  };
}

function stockKernel(kernelName: string): tf.KernelConfig {
  const stock = stockKernels.get(kernelName);
  if (!stock) throw new Error(`the wasm backend has no stock ${kernelName} kernel to fall back to`);
  return stock;
}

/** Registers `config` in place of the wasm backend's kernel of that name, keeping the stock one for `stock()`. Does
 *  nothing when `config` is registered already (a notebook cell run twice). */
export function registerReplacing(config: tf.KernelConfig): void {
  const { kernelName, kernelFunc } = config;
  const current = tf.getKernel(kernelName, 'wasm');
  if (current?.kernelFunc === kernelFunc) return;
  if (current) {
    if (!stockKernels.has(kernelName)) stockKernels.set(kernelName, current);
    tf.unregisterKernel(kernelName, 'wasm');
  }
  // The stock kernel's setup (binding its WebAssembly function) must still run when the backend starts.
  tf.registerKernel({ ...config, setupFunc: stockKernels.get(kernelName)?.setupFunc });
}

/** Calls one of the wasm backend's own kernels from inside another kernel, where tf ops cannot be used. */
export function run(backend: BackendWasm, kernel: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
  const config = tf.getKernel(kernel, 'wasm');
  if (!config) throw new Error(`wasm backend has no ${kernel} kernel`);
  return config.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
}

/** Frees intermediate results made with `run`. */
export function free(backend: BackendWasm, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Explicit padding [[0,0],[top,bottom],[left,right],[0,0]], the form Conv2D takes for uneven pads. */
export function explicitPad(top: number, bottom: number, left: number, right: number): tf.backend_util.ExplicitPadding {
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}
