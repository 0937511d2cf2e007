import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** wasm/filterGrad.wat, compiled: `wat2wasm filterGrad.wat -o - | base64 -w 100`. */
const FILTER_GRAD_WASM =
  'AGFzbQEAAAABFAFgEH9/f39/f39/f39/f39/f38AAg8BA2VudgZtZW1vcnkCAAEDAgEABw4BCmZpbHRlckdyYWQAAArkBQHhBQIT' +
  'fwt7IA0gBmxBAnQhICAJQQJ0ISEgCUECdCEiA0BBACERA0AgASAQIAdsIBFqIAhsIAlsQQJ0aiEbQQAhEgNAIBEgDGwgEmogDmsh' +
  'FiAWQQBOIBYgBEhxBEAgACAQIARsIBZqIAVsIAZsQQJ0aiEcQQAhEwNAIA8gE2shFyAXIA1qQQFrIA1tQQAgF0EAShshGCAFIBdq' +
  'QQFrIRcgFyANbUEBakEAIBdBAE4bIRkgGSAISgRAIAghGQsgGCAZSARAQQAhFANAQQAhFQNAIAIgEiALbCATaiAGbCAUaiAJbCAV' +
  'akECdGohHSAd/QAEACEjIB39AAQQISQgHSAiav0ABAAhJSAdICJq/QAEECEmIB0gIkEBdGr9AAQAIScgHSAiQQF0av0ABBAhKCAd' +
  'ICJBA2xq/QAEACEpIB0gIkEDbGr9AAQQISogHCAYIA1sIBNqIA9rIAZsIBRqQQJ0aiEeIBsgGCAJbCAVakECdGohHyAZIBhrIRoD' +
  'QCAf/QAEACErIB/9AAQQISwgHv0JAgAhLSAjIC0gK/3mAf3kASEjICQgLSAs/eYB/eQBISQgHv0JAgQhLSAlIC0gK/3mAf3kASEl' +
  'ICYgLSAs/eYB/eQBISYgHv0JAgghLSAnIC0gK/3mAf3kASEnICggLSAs/eYB/eQBISggHv0JAgwhLSApIC0gK/3mAf3kASEpICog' +
  'LSAs/eYB/eQBISogHiAgaiEeIB8gIWohHyAaQQFrIhoNAAsgHSAj/QsEACAdICT9CwQQIB0gImogJf0LBAAgHSAiaiAm/QsEECAd' +
  'ICJBAXRqICf9CwQAIB0gIkEBdGogKP0LBBAgHSAiQQNsaiAp/QsEACAdICJBA2xqICr9CwQQIBVBCGoiFSAJSA0ACyAUQQRqIhQg' +
  'BkgNAAsLIBNBAWoiEyALSA0ACwsgEkEBaiISIApIDQALIBFBAWoiESAHSA0ACyAQQQFqIhAgA0gNAAsL';

/** Our own WebAssembly SIMD filter gradient, running on the wasm backend's memory so it reads and writes its tensors in place. */
export interface SimdKernels {
  filterGrad(x: number, dy: number, dw: number, ...dims: number[]): void;
}

/** The few WebAssembly API members used here (the project's TypeScript libraries do not declare WebAssembly). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

const instances = new WeakMap<object, Map<string, unknown>>();

/** Instantiates a module (base64 bytes) on the backend's memory, once per memory. */
export function instantiate<T>(backend: BackendWasm, bytes: string): T {
  const memory = (backend.wasm as unknown as { asm: { memory: object } }).asm.memory;
  const modules = instances.get(memory) ?? new Map<string, unknown>();
  instances.set(memory, modules);
  if (!modules.has(bytes)) {
    modules.set(bytes, new Instance(new Module(Buffer.from(bytes, 'base64')), { env: { memory } }).exports);
  }
  return modules.get(bytes) as T;
}

export function simdKernels(backend: BackendWasm): SimdKernels {
  return instantiate<SimdKernels>(backend, FILTER_GRAD_WASM);
}

/** Where a tensor's values start in the backend's memory, in bytes. */
export function address(backend: BackendWasm, tensor: tf.TensorInfo): number {
  return backend.dataIdMap.get(tensor.dataId)!.memoryOffset;
}
