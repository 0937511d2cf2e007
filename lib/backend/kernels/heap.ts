import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The few WebAssembly API members used here (the project's TypeScript libraries, ES2022 and Node's, do not declare
 *  WebAssembly; Node has it). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

const instances = new WeakMap<object, Map<string, unknown>>();

/** Instantiates one of our modules (base64 bytes from wasm/modules.ts) on the backend's memory, once per memory, so
 *  that its functions read and write the backend's tensors in place. `Exports` declares its functions. */
export function instantiate<Exports>(backend: BackendWasm, bytes: string): Exports {
  const memory = memoryOf(backend);
  const modules = instances.get(memory) ?? new Map<string, unknown>();
  instances.set(memory, modules);
  if (!modules.has(bytes)) {
    modules.set(bytes, new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(bytes, 'base64')), { env: { memory } }).exports);
  }
  return modules.get(bytes) as Exports;
}

/** The backend's WebAssembly.Memory: Emscripten's module keeps it among its exports, `asm`, which tfjs's types leave
 *  undeclared. */
function memoryOf(backend: BackendWasm): object {
  const asm: unknown = Reflect.get(backend.wasm, 'asm');
  const memory: unknown = typeof asm === 'object' && asm !== null && 'memory' in asm ? asm.memory : undefined;
  if (typeof memory !== 'object' || memory === null) throw new Error('the wasm backend does not expose its memory (asm.memory)');
  return memory;
}

/** Where a tensor's values start in the backend's memory, in bytes. */
export function address(backend: BackendWasm, tensor: tf.TensorInfo): number {
  return backend.dataIdMap.get(tensor.dataId)!.memoryOffset;
}

/** Float32 views on tensors' values in the backend's memory; take them after the kernel's last allocation, which can
 *  grow (and so move) the heap. */
export function floats(backend: BackendWasm, ...tensors: tf.TensorInfo[]): Float32Array[] {
  return tensors.map((t) => backend.typedArrayFromHeap(t) as Float32Array);
}
