import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** wasm/filterGrad.wat, compiled: `wat2wasm filterGrad.wat --output=/dev/stdout | base64 -w 100`. */
const FILTER_GRAD_WASM =
  'AGFzbQEAAAABJwNgEH9/f39/f39/f39/f39/f38AYAd/f39/f39/AGAGf39/f39/AAIPAQNlbnYGbWVtb3J5AgABAwQDAAECBw4B' +
  'CmZpbHRlckdyYWQAAAqIBwOeAwETfyANIAZsQQJ0ISAgCUECdCEhIAlBAnQhIgNAQQAhEQNAIAEgECAHbCARaiAIbCAJbEECdGoh' +
  'G0EAIRIDQCARIAxsIBJqIA5rIRYgFkEATiAWIARIcQRAIAAgECAEbCAWaiAFbCAGbEECdGohHEEAIRMDQCAPIBNrIRcgFyANakEB' +
  'ayANbUEAIBdBAEobIRggBSAXakEBayEXIBcgDW1BAWpBACAXQQBOGyEZIBkgCEoEQCAIIRkLIBggGUgEQEEAIRQDQEEAIRUDQCAC' +
  'IBIgC2wgE2ogBmwgFGogCWwgFWpBAnRqIR0gHCAYIA1sIBNqIA9rIAZsIBRqQQJ0aiEeIBsgGCAJbCAVakECdGohHyAZIBhrIRog' +
  'BiAUa0EETgRAIB0gHiAfIBogICAhICIQAQUgHSAeIB8gGiAgICEQAgsgFUEIaiIVIAlIDQALIBRBBEEBIAYgFGtBBE4baiIUIAZI' +
  'DQALCyATQQFqIhMgC0gNAAsLIBJBAWoiEiAKSA0ACyARQQFqIhEgB0gNAAsgEEEBaiIQIANIDQALC/oCAQt7IAD9AAQAIQcgAP0A' +
  'BBAhCCAAIAZq/QAEACEJIAAgBmr9AAQQIQogACAGQQF0av0ABAAhCyAAIAZBAXRq/QAEECEMIAAgBkEDbGr9AAQAIQ0gACAGQQNs' +
  'av0ABBAhDgNAIAL9AAQAIQ8gAv0ABBAhECAB/QkCACERIAcgESAP/eYB/eQBIQcgCCARIBD95gH95AEhCCAB/QkCBCERIAkgESAP' +
  '/eYB/eQBIQkgCiARIBD95gH95AEhCiAB/QkCCCERIAsgESAP/eYB/eQBIQsgDCARIBD95gH95AEhDCAB/QkCDCERIA0gESAP/eYB' +
  '/eQBIQ0gDiARIBD95gH95AEhDiABIARqIQEgAiAFaiECIANBAWsiAw0ACyAAIAf9CwQAIAAgCP0LBBAgACAGaiAJ/QsEACAAIAZq' +
  'IAr9CwQQIAAgBkEBdGogC/0LBAAgACAGQQF0aiAM/QsEECAAIAZBA2xqIA39CwQAIAAgBkEDbGogDv0LBBALagEDeyAA/QAEACEG' +
  'IAD9AAQQIQcDQCAB/QkCACEIIAYgCCAC/QAEAP3mAf3kASEGIAcgCCAC/QAEEP3mAf3kASEHIAEgBGohASACIAVqIQIgA0EBayID' +
  'DQALIAAgBv0LBAAgACAH/QsEEAs=';

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
