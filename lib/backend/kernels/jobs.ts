/** How the main thread hands a kernel's work to the kernel threads (threads.ts, kernelThread.ts): both sides import
 *  this file, which keeps off tfjs so that a thread starts quickly.
 *
 *  A job is one exported function of one of our modules (wasm/modules.ts), called as fn(...args, unit, thread) for
 *  unit = 0 … units−1; every unit writes its own part of the output, so the result is the same whichever thread runs
 *  which unit, and however many threads there are. The control block, an Int32Array on a SharedArrayBuffer:
 *  - SEQ: the job's number, published last; a thread waits for it to change (spinning a while, then Atomics.wait).
 *  - FN, UNITS, ARGC, ARGS…: the job.
 *  - DONE: units finished; the main thread returns when it reaches UNITS.
 *  - FAILED: set when a unit threw (its message is not carried: the main thread reruns the job alone and throws).
 *  - STOP: threads leave their loop.
 *  - CLAIMS (BigInt64s after the Int32 slots, one per thread, a cache line apart): the units are cut into as many
 *    contiguous ranges as there are threads, and range r's word holds the job's number in its high half and the next
 *    unit of the range in its low half. Thread t takes the units of range t first, then helps with the others. Since
 *    every kernel numbers its units in the order of the images, a thread so works on the same images from one kernel
 *    to the next, whose data its own cache holds (taking units from one shared counter, two threads ran each unit
 *    1.4 times slower than one thread alone, fetching each other's freshly written lines). A thread takes a unit by
 *    compare-and-swap on the whole word, so a thread that read one job's arguments and was held up can never run a
 *    unit of the next job with them: its swap expects the old number and fails. */
import * as modules from './wasm/modules';

export const SEQ = 0;
export const DONE = 1;
export const FAILED = 2;
export const STOP = 3;
export const FN = 4;
export const UNITS = 5;
export const ARGC = 6;
export const ARGS = 7;
export const MAX_ARGS = 23;
const CLAIMS_BYTE = 128; // after ARGS + MAX_ARGS int32s, on a cache line of its own
const CLAIM_STRIDE = 8; // BigInt64s from one range's word to the next: 64 bytes, a cache line

/** The bytes of a control block for `threads` threads. */
export function controlBytes(threads: number): number {
  return CLAIMS_BYTE + threads * CLAIM_STRIDE * 8;
}

/** The few WebAssembly API members used here (see heap.ts). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

export type KernelFunction = (...args: number[]) => void;

/** Our modules compiled, by name: once per process, and handed to the kernel threads, which so share the compiled
 *  code, and V8's optimised tier of it as soon as any thread has made it hot (compiled apart, each thread would run
 *  its first hundred or so calls of each function on the baseline compiler's slower code). */
let compiled: Record<string, object> | undefined;
export function compiledModules(): Record<string, object> {
  compiled ??= Object.fromEntries(Object.entries(modules as Record<string, string>)
    .map(([name, bytes]) => [name, new WebAssembly.Module(Buffer.from(bytes, 'base64'))]));
  return compiled;
}

/** Every module of wasm/modules.ts (`modules`: compiled, by name) instantiated on `memory`, by its bytes, and a table
 *  of all their functions in one order that every thread computes alike (modules by name, functions in export
 *  order). */
export interface Instances {
  byBytes: Map<string, Record<string, unknown>>;
  functions: KernelFunction[];
  /** "module bytes, function name" → index in `functions`. */
  index(bytes: string, fn: string): number;
}

export function instantiateAll(memory: object, compiledModules: Record<string, object>): Instances {
  const byBytes = new Map<string, Record<string, unknown>>();
  const functions: KernelFunction[] = [];
  const indices = new Map<string, Map<string, number>>();
  for (const name of Object.keys(modules).sort()) {
    const bytes = (modules as Record<string, string>)[name];
    const exports = new WebAssembly.Instance(compiledModules[name], { env: { memory } }).exports;
    byBytes.set(bytes, exports);
    const own = new Map<string, number>();
    for (const [fn, f] of Object.entries(exports)) {
      if (typeof f !== 'function') continue;
      own.set(fn, functions.length);
      functions.push(f as KernelFunction);
    }
    indices.set(bytes, own);
  }
  return {
    byBytes,
    functions,
    index(bytes, fn) {
      const i = indices.get(bytes)?.get(fn);
      if (i === undefined) throw new Error(`no function ${fn} in that module`);
      return i;
    },
  };
}

/** A control block's views: the Int32 slots, and the claim words (range r's at claims[r · CLAIM_STRIDE]). */
export interface Control {
  control: Int32Array;
  claims: BigInt64Array;
  threads: number;
}

export function controlViews(buffer: SharedArrayBuffer): Control {
  const threads = (buffer.byteLength - CLAIMS_BYTE) / (CLAIM_STRIDE * 8);
  return { control: new Int32Array(buffer, 0, CLAIMS_BYTE / 4), claims: new BigInt64Array(buffer, CLAIMS_BYTE, threads * CLAIM_STRIDE), threads };
}

/** The first unit of range r of `units` cut into `ranges`. */
function rangeStart(r: number, units: number, ranges: number): number {
  return Math.floor((r * units) / ranges);
}

/** Sets the claim words for job `seq` of `units` units: each range at its first unit. */
export function startClaims({ claims, threads }: Control, seq: number, units: number): void {
  const tag = BigInt(seq) << 32n;
  for (let r = 0; r < threads; r++) Atomics.store(claims, r * CLAIM_STRIDE, tag + BigInt(rangeStart(r, units, threads)));
}

/** Takes and runs units of job `seq`, its own range first, until none is left (or the job is no longer `seq`). */
export function runUnits(functions: KernelFunction[], { control, claims, threads }: Control, seq: number, thread: number): void {
  const fn = functions[Atomics.load(control, FN)];
  const units = Atomics.load(control, UNITS);
  const args: number[] = [];
  for (let i = 0, n = Atomics.load(control, ARGC); i < n; i++) args.push(Atomics.load(control, ARGS + i));
  args.push(0, thread);
  const unitAt = args.length - 2;
  const tag = BigInt(seq) << 32n;
  for (let k = 0; k < threads; k++) {
    const r = (thread + k) % threads;
    const end = BigInt(rangeStart(r + 1, units, threads));
    for (;;) {
      const word = Atomics.load(claims, r * CLAIM_STRIDE);
      if (word - tag < 0n || word - tag >= 1n << 32n) return; // the job is no longer `seq`
      if (word - tag >= end) break;
      if (Atomics.compareExchange(claims, r * CLAIM_STRIDE, word, word + 1n) !== word) continue;
      try {
        args[unitAt] = Number(word - tag);
        fn(...args);
      } catch {
        Atomics.store(control, FAILED, 1);
      }
      if (Atomics.add(control, DONE, 1) + 1 === units) Atomics.notify(control, DONE);
    }
  }
}
