import { echoed } from './iopubEcho';

/** The parts of Deno's runtime used here: `Deno.jupyter` exists only inside `deno jupyter`; `Deno[Deno.internal]`
 *  holds the hook the kernel calls when a cell has returned. */
interface DenoRuntime {
  jupyter: { broadcast(type: string, content: object): unknown };
  internal: symbol;
  [internal: symbol]: { jupyter?: { broadcastResult?: (count: number, result: unknown) => Promise<void> } };
}

const HOOKED = Symbol.for('mnist20k.outputsDeliveredHook');

/** Deno's runtime when this code runs inside Deno's Jupyter kernel, else undefined (Node, tslab, `deno run`). */
export function denoKernel(): DenoRuntime | undefined {
  const deno = (globalThis as { Deno?: DenoRuntime }).Deno;
  try {
    return deno?.jupyter ? deno : undefined; // the getter throws outside `deno jupyter`
  } catch {
    return undefined;
  }
}

/** `message`: display_data's content (lib/views/kernelOutput.ts: DisplayMessage). */
export function denoWriteDisplayData(message: object, update: boolean): void {
  const deno = denoKernel()!;
  holdCellEnds(deno);
  deno.jupyter.broadcast(update ? 'update_display_data' : 'display_data', message);
}

/** Deno's kernel (2.9) queues what a cell prints or displays and publishes it from another thread; it says a cell is
 *  done without waiting for that queue, and nbconvert drops what comes after (now and then the report lost its last
 *  chart). We send an output front ends ignore (an update of a display id no output has) and wait to see it come back
 *  on the kernel's iopub socket: the queue is first in, first out, so everything sent before it has gone out. */
export function outputsDelivered(): Promise<void> {
  const deno = denoKernel()!;
  return echoed((marker) => deno.jupyter.broadcast('update_display_data', { data: {}, metadata: {}, transient: { display_id: marker } }));
}

/** Makes every cell wait for its outputs before the kernel replies, through the hook Deno's kernel calls with the
 *  cell's value once the cell has returned (internal: `broadcastResult`, awaited before the reply). Installed once
 *  per kernel, by the first output. */
function holdCellEnds(deno: DenoRuntime): void {
  const internals = deno[deno.internal]?.jupyter;
  const original = internals?.broadcastResult;
  if (!internals || !original || (original as { [HOOKED]?: true })[HOOKED]) return;
  const hooked = async (count: number, result: unknown): Promise<void> => {
    await outputsDelivered();
    await original(count, result);
  };
  internals.broadcastResult = Object.assign(hooked, { [HOOKED]: true as const });
}
