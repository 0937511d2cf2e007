import * as tf from '@tensorflow/tfjs';

/** The few WebAssembly API members used here (the project's TypeScript libraries, ES2022 and Node's, do not declare
 *  WebAssembly; Node has it). */
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => object;
  Module: abstract new (...args: never[]) => object;
  instantiate(bytes: unknown, imports?: object): Promise<unknown>;
};

/** The wasm backend's memory made shareable between threads, so that our kernels' worker threads (threads.ts) read
 *  and write the backend's tensors in place.
 *
 *  tfjs-backend-wasm runs its single-threaded SIMD build in Node (its threaded build needs browser workers, tfjs
 *  #3830), and that build defines its own, unshared memory. Before the module is instantiated, its bytes are
 *  rewritten so that it imports the memory instead (same limits, flagged shared), and a shared WebAssembly.Memory is
 *  handed in: the module's code is unchanged, and plain loads and stores run on shared memory as on any other. The
 *  rewrite takes out the memory section and adds one import; it refuses a binary whose memory is not the one
 *  expected (one memory with a maximum, none imported), which tfjs-backend-wasm 4.22.0's is. */
export function useSharedMemory(): void {
  if (tf.findBackendFactory('wasm') === sharedFactory) return;
  const original = tf.findBackendFactory('wasm');
  if (!original) throw new Error('the wasm backend is not registered: import @tensorflow/tfjs-backend-wasm first');
  const initialised = tf.engine().registry.wasm !== undefined;
  if (initialised) throw new Error('the wasm backend started before its memory could be made shared: call registerWasmTrainingKernels() before tf.setBackend(\'wasm\')');
  const priority = tf.engine().registryFactory.wasm.priority;
  sharedFactory = async () => {
    const instantiate = WebAssembly.instantiate;
    WebAssembly.instantiate = (bytes: unknown, imports?: object) => instantiate(...sharedImport(bytes, imports));
    try {
      return await original();
    } finally {
      WebAssembly.instantiate = instantiate;
    }
  };
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', sharedFactory, priority);
}

let sharedFactory: (() => Promise<tf.KernelBackend>) | undefined;

type Imports = { env?: Record<string, unknown> };

/** The arguments WebAssembly.instantiate gets instead: tfjs's module rewritten to import a shared memory, with that
 *  memory in its imports; anything else as it was. */
function sharedImport(bytes: unknown, imports?: object): [unknown, object?] {
  const env = (imports as Imports | undefined)?.env;
  if (bytes instanceof WebAssembly.Module || !env || 'memory' in env) return [bytes, imports];
  const binary = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : (bytes as Uint8Array);
  const { rewritten, initial, maximum } = importingMemory(binary);
  env.memory = new WebAssembly.Memory({ initial, maximum, shared: true });
  return [rewritten, imports];
}

/** A WebAssembly binary's sections: id, and where its contents start and end. */
interface Section {
  id: number;
  start: number;
  end: number;
}

const IMPORT = 2;
const MEMORY = 5;

/** `binary` with its one memory imported as env.memory, shared, instead of defined. */
export function importingMemory(binary: Uint8Array): { rewritten: Uint8Array; initial: number; maximum: number } {
  const sections = sectionsOf(binary);
  const memory = sections.filter((s) => s.id === MEMORY);
  const reader = new Reader(binary, memory[0]?.start ?? 0);
  const [count, flags] = memory.length === 1 ? [reader.u32(), reader.u32()] : [0, 0];
  if (count !== 1 || flags !== 1 || importsMemory(binary, sections)) {
    throw new Error('tfjs-backend-wasm\'s module does not define one memory with a maximum, which useSharedMemory() expects (a newer tfjs?)');
  }
  const [initial, maximum] = [reader.u32(), reader.u32()];
  const memoryImport = [...name('env'), ...name('memory'), 2, 3, ...leb(initial), ...leb(maximum)];
  const parts: Uint8Array[] = [binary.subarray(0, 8)];
  let imported = false;
  for (const s of sections) {
    if (s.id === MEMORY) continue;
    let contents = binary.subarray(s.start, s.end);
    if (s.id === IMPORT) {
      const r = new Reader(binary, s.start);
      contents = Buffer.concat([Uint8Array.from(leb(r.u32() + 1)), binary.subarray(r.at, s.end), Uint8Array.from(memoryImport)]);
      imported = true;
    }
    parts.push(Uint8Array.from([s.id, ...leb(contents.length)]), contents);
  }
  if (!imported) throw new Error('tfjs-backend-wasm\'s module has no import section');
  return { rewritten: Buffer.concat(parts), initial, maximum };
}

function sectionsOf(binary: Uint8Array): Section[] {
  const sections: Section[] = [];
  const r = new Reader(binary, 8);
  while (r.at < binary.length) {
    const id = binary[r.at++];
    const size = r.u32();
    sections.push({ id, start: r.at, end: r.at + size });
    r.at += size;
  }
  return sections;
}

/** Whether the import section holds a memory (kind 2). */
function importsMemory(binary: Uint8Array, sections: Section[]): boolean {
  const section = sections.find((s) => s.id === IMPORT);
  if (!section) return false;
  const r = new Reader(binary, section.start);
  for (let n = r.u32(); n > 0; n--) {
    r.skipName(); // module
    r.skipName(); // field
    const kind = binary[r.at++];
    if (kind === 2) return true;
    if (kind === 0) r.u32(); // function: type index
    else if (kind === 1) { r.at++; r.limits(); } // table: element type, limits
    else if (kind === 3) r.at += 2; // global: value type, mutability
    else throw new Error(`unknown import kind ${kind}`);
  }
  return false;
}

class Reader {
  constructor(private readonly bytes: Uint8Array, public at: number) {}

  /** An unsigned LEB128 number. */
  u32(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.bytes[this.at++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  }

  skipName(): void {
    const length = this.u32();
    this.at += length;
  }

  limits(): void {
    const flags = this.u32();
    this.u32();
    if (flags & 1) this.u32();
  }
}

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    const low = value % 128;
    value = Math.floor(value / 128);
    out.push(value > 0 ? low | 0x80 : low);
  } while (value > 0);
  return out;
}

function name(text: string): number[] {
  const bytes = [...Buffer.from(text, 'utf8')];
  return [...leb(bytes.length), ...bytes];
}
