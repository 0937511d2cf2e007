import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { instancesOf, memoryOf } from './heap';
import { ARGC, ARGS, compiledModules, Control, controlBytes, controlViews, DONE, FAILED, FN, Instances, MAX_ARGS, runUnits, SEQ, startClaims, STOP, UNITS } from './jobs';

/** Threads for our kernels on the wasm backend. A kernel splits its work into units that do not depend on the thread
 *  count (tiles, blocks of pixels, fixed groups of images: see each kernel), and parallel() runs them on this thread
 *  and the kernel threads, which share the backend's memory (sharedMemory.ts). So the numbers are the same for any
 *  number of threads, one included: threads change the speed, never a result.
 *
 *  The threads wait for work by spinning (a few milliseconds, as OpenMP's threads do, so that the next kernel of a
 *  training step starts at once), then sleeping; with more threads than cores they sleep at once. */

let wanted = 1;
let pool: Pool | undefined;

/** The most threads a pool starts. */
export const MAX_KERNEL_THREADS = 256;

/** How many threads our kernels use from now on (this one included). */
export function setKernelThreads(threads: number): void {
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= MAX_KERNEL_THREADS)) {
    throw new Error(`kernel threads must be an integer from 1 to ${MAX_KERNEL_THREADS}, got ${threads}`);
  }
  wanted = threads;
  if (pool && pool.threads !== threads) stopPool();
}

/** The threads our kernels use: a kernel that keeps per-thread scratch sizes it by this. */
export function kernelThreads(): number {
  return wanted;
}

/** Ends the kernel threads (they start again with the next parallel kernel). */
export function stopPool(): void {
  pool?.stop();
  pool = undefined;
}

/** Runs `fn` of our module `bytes` (from wasm/modules.ts) as fn(...args, unit, thread) for every unit from 0 to
 *  units − 1, spread over the kernel threads, this one taking part; returns when all have run. `thread` is 0 here and
 *  1 … kernelThreads() − 1 in the others, for per-thread scratch. Arguments are int32 (pointers, sizes). */
export function parallel(backend: BackendWasm, bytes: string, fn: string, units: number, args: number[]): void {
  if (args.length > MAX_ARGS) throw new Error(`parallel: at most ${MAX_ARGS} arguments, got ${args.length}`);
  const memory = memoryOf(backend);
  if (wanted === 1 || units === 1) {
    const f = instancesOf(memory).byBytes.get(bytes)![fn] as (...a: number[]) => void;
    for (let unit = 0; unit < units; unit++) f(...args, unit, 0);
    return;
  }
  if (pool?.memory !== memory) {
    stopPool();
    pool = new Pool(memory, wanted, instancesOf(memory));
  }
  pool.run(bytes, fn, units, args);
}

class Pool {
  private readonly views: Control;
  private readonly workers: Worker[];
  private seq = 0;

  constructor(readonly memory: object, readonly threads: number, private readonly instances: Instances) {
    const buffer = new SharedArrayBuffer(controlBytes(threads));
    this.views = controlViews(buffer);
    const spin = threads <= availableParallelism() ? SPIN_MS : 0;
    // The threads start in the background: a job that comes before one is ready runs without it.
    this.workers = Array.from({ length: threads - 1 }, (_, i) => {
      const workerData = { memory, modules: compiledModules(), control: buffer, thread: i + 1, spin };
      const worker = new Worker(join(__dirname, 'kernelThread.js'), { workerData });
      worker.unref(); // a pool never keeps the process alive
      worker.on('error', () => undefined); // its units are run by the others; an error shows as a FAILED job
      return worker;
    });
  }

  run(bytes: string, fn: string, units: number, args: number[]): void {
    const { control } = this.views;
    const seq = ++this.seq;
    startClaims(this.views, seq, units); // first, so that no unit of an earlier job can be taken any more
    Atomics.store(control, FN, this.instances.index(bytes, fn));
    Atomics.store(control, UNITS, units);
    Atomics.store(control, ARGC, args.length);
    args.forEach((a, i) => Atomics.store(control, ARGS + i, a));
    Atomics.store(control, DONE, 0);
    Atomics.store(control, FAILED, 0);
    Atomics.store(control, SEQ, seq);
    Atomics.notify(control, SEQ);
    runUnits(this.instances.functions, this.views, seq, 0);
    for (let spins = 0, done = Atomics.load(control, DONE); done < units; done = Atomics.load(control, DONE)) {
      if (++spins > WAIT_SPINS) Atomics.wait(control, DONE, done, 1);
    }
    if (Atomics.load(control, FAILED)) {
      const f = this.instances.byBytes.get(bytes)![fn] as (...a: number[]) => void;
      for (let unit = 0; unit < units; unit++) f(...args, unit, 0); // throws the unit's own error here
      throw new Error(`${fn}: a kernel thread failed`);
    }
  }

  stop(): void {
    const { control } = this.views;
    Atomics.store(control, STOP, 1);
    Atomics.store(control, SEQ, ++this.seq);
    Atomics.notify(control, SEQ);
    for (const w of this.workers) void w.terminate();
  }
}

/** How long an idle kernel thread spins before it sleeps. */
const SPIN_MS = 5;
/** How many times this thread looks for the last units to finish before it sleeps until they do (~100 µs). */
const WAIT_SPINS = 20000;
