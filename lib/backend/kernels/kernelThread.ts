/** A kernel thread (threads.ts): our modules on the backend's shared memory, running the units of each job it is
 *  handed through the control block (jobs.ts) until told to stop. */
import { workerData } from 'node:worker_threads';
import { controlViews, instantiateAll, runUnits, SEQ, STOP } from './jobs';

interface ThreadData {
  memory: object;
  /** Our modules, compiled by the main thread (jobs.ts: compiledModules). */
  modules: Record<string, object>;
  control: SharedArrayBuffer;
  thread: number;
  /** Milliseconds to spin for the next job before sleeping. */
  spin: number;
}

const { memory, modules, control: buffer, thread, spin } = workerData as ThreadData;
const { functions } = instantiateAll(memory, modules);
const views = controlViews(buffer);
const { control } = views;

for (let seen = Atomics.load(control, SEQ); ;) {
  let seq = Atomics.load(control, SEQ);
  for (const until = performance.now() + spin; seq === seen && performance.now() < until;) seq = Atomics.load(control, SEQ);
  while (seq === seen) {
    Atomics.wait(control, SEQ, seen);
    seq = Atomics.load(control, SEQ);
  }
  if (Atomics.load(control, STOP)) break;
  runUnits(functions, views, seq, thread);
  seen = seq;
}
