import * as tf from '@tensorflow/tfjs';

/** Time spent in one kernel (or one kernel on one set of input shapes), averaged over the profiled steps. */
export interface KernelTime {
  kernel: string;
  /** Input shapes, when profiled with `byShape`. */
  shapes?: string;
  msPerStep: number;
  callsPerStep: number;
  /** GPU programs dispatched per step (webgpu only: a kernel may run several, or none when tfjs runs it on the CPU). */
  dispatchesPerStep?: number;
}

export interface ProfileOptions {
  /** Steps to run and average over (default 1). */
  steps?: number;
  /** Report each kernel once per distinct set of input shapes instead of once in all. */
  byShape?: boolean;
}

/** Runs `step(i)` for i = 0 … steps−1 under tf.profile and returns the time of each kernel of the active backend,
 *  largest first. Op scopes (customGrad, fused ops) are left out: the kernels they run are listed themselves. On webgpu
 *  the times come from GPU timestamp queries (zero where the adapter lacks the timestamp-query feature), and tfjs
 *  names each program a kernel dispatched ("Conv2DMMProgram: 1.2, …"), which gives the dispatch counts. */
export async function profileKernels(step: (i: number) => unknown, { steps = 1, byShape = false }: ProfileOptions = {}): Promise<KernelTime[]> {
  if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`profileKernels: steps must be a positive integer, got ${steps}`);
  const info = await tf.profile(async () => {
    for (let i = 0; i < steps; i++) await step(i);
  });
  const backend = tf.getBackend();
  const onGpu = backend === 'webgpu';
  const totals = new Map<string, KernelTime>();
  for (const k of info.kernels) {
    if (!tf.getKernel(k.name, backend)) continue;
    const shapes = byShape ? describeShapes(k.inputShapes) : undefined;
    const key = `${k.name} ${shapes ?? ''}`;
    const entry = totals.get(key) ?? { kernel: k.name, shapes, msPerStep: 0, callsPerStep: 0, ...(onGpu ? { dispatchesPerStep: 0 } : {}) };
    entry.msPerStep += (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0) / steps;
    entry.callsPerStep += 1 / steps;
    if (onGpu) entry.dispatchesPerStep! += programsIn(k.extraInfo) / steps;
    totals.set(key, entry);
  }
  return [...totals.values()].sort((a, b) => b.msPerStep - a.msPerStep);
}

/** The input shapes of a kernel call, as JSON; a kernel of many inputs (the momentum update takes every variable) by
 *  their count, which keeps its line short and still tells it apart. */
function describeShapes(shapes: number[][]): string {
  return shapes.length > MAX_SHAPES_SHOWN ? `${shapes.length} inputs` : JSON.stringify(shapes);
}

const MAX_SHAPES_SHOWN = 8;

/** webgpu's extra profile information lists the programs a kernel ran: "Name: ms, Name: ms". */
function programsIn(extraInfo: unknown): number {
  return typeof extraInfo === 'string' && extraInfo ? extraInfo.split(', ').length : 0;
}

/** One line per kernel: name, ms per step, share of the kernels' total, calls per step, GPU dispatches per step on
 *  webgpu (and shapes, if profiled so). */
export function formatProfile(times: KernelTime[]): string {
  const total = times.reduce((sum, t) => sum + t.msPerStep, 0);
  const sum = (f: (t: KernelTime) => number) => Math.round(times.reduce((s, t) => s + f(t), 0));
  const dispatches = times.some((t) => t.dispatchesPerStep !== undefined);
  const lines = times.map((t) => [
    t.kernel.padEnd(22),
    `${t.msPerStep.toFixed(2).padStart(8)} ms`,
    `${((100 * t.msPerStep) / (total || 1)).toFixed(1).padStart(5)}%`,
    `${String(Math.round(t.callsPerStep)).padStart(4)} calls`,
    ...(dispatches ? [`${String(Math.round(t.dispatchesPerStep ?? 0)).padStart(4)} dispatches`] : []),
    t.shapes ?? '',
  ].join(' ').trimEnd());
  const counts = `${sum((t) => t.callsPerStep)} kernel calls${dispatches ? `, ${sum((t) => t.dispatchesPerStep ?? 0)} GPU dispatches` : ''}`;
  return [`${total.toFixed(1)} ms per step in kernels; ${counts} per step`, ...lines].join('\n');
}
