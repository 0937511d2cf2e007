import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { compiledModules, instantiateAll, Instances } from './jobs';

const instances = new WeakMap<object, Instances>();

/** Our modules (wasm/modules.ts) instantiated on `memory`, once, so that their functions read and write the backend's
 *  tensors in place. */
export function instancesOf(memory: object): Instances {
  let found = instances.get(memory);
  if (!found) instances.set(memory, (found = instantiateAll(memory, compiledModules())));
  return found;
}

/** One of our modules (its base64 bytes from wasm/modules.ts) on the backend's memory; `Exports` declares its
 *  functions. */
export function instantiate<Exports>(backend: BackendWasm, bytes: string): Exports {
  return instancesOf(memoryOf(backend)).byBytes.get(bytes) as Exports;
}

/** The backend's WebAssembly.Memory: Emscripten's module keeps it among its exports, `asm`, which tfjs's types leave
 *  undeclared. */
export function memoryOf(backend: BackendWasm): object {
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
