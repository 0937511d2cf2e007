import * as tf from '@tensorflow/tfjs';

/** Time spent in one kernel (or one kernel on one set of input shapes), averaged over the profiled steps. */
export interface KernelTime {
  kernel: string;
  /** Input shapes, when profiled with `byShape`. */
  shapes?: string;
  msPerStep: number;
  callsPerStep: number;
}

export interface ProfileOptions {
  /** Steps to run and average over (default 1). */
  steps?: number;
  /** Report each kernel once per distinct set of input shapes instead of once in all. */
  byShape?: boolean;
}

/** Runs `step(i)` for i = 0 … steps−1 under tf.profile and returns the time of each kernel of the active backend,
 *  largest first. Op scopes (customGrad, fused ops) are left out: the kernels they run are listed themselves. */
export async function profileKernels(step: (i: number) => unknown, { steps = 1, byShape = false }: ProfileOptions = {}): Promise<KernelTime[]> {
  if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`profileKernels: steps must be a positive integer, got ${steps}`);
  const info = await tf.profile(async () => {
    for (let i = 0; i < steps; i++) await step(i);
  });
  const backend = tf.getBackend();
  const totals = new Map<string, KernelTime>();
  for (const k of info.kernels) {
    if (!tf.getKernel(k.name, backend)) continue;
    const shapes = byShape ? JSON.stringify(k.inputShapes) : undefined;
    const key = `${k.name} ${shapes ?? ''}`;
    const entry = totals.get(key) ?? { kernel: k.name, shapes, msPerStep: 0, callsPerStep: 0 };
    entry.msPerStep += (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0) / steps;
    entry.callsPerStep += 1 / steps;
    totals.set(key, entry);
  }
  return [...totals.values()].sort((a, b) => b.msPerStep - a.msPerStep);
}

/** One line per kernel: name, ms per step, share of the kernels' total, calls per step (and shapes, if profiled so). */
export function formatProfile(times: KernelTime[]): string {
  const total = times.reduce((sum, t) => sum + t.msPerStep, 0);
  const lines = times.map((t) => [
    t.kernel.padEnd(22),
    `${t.msPerStep.toFixed(2).padStart(8)} ms`,
    `${((100 * t.msPerStep) / total).toFixed(1).padStart(5)}%`,
    `${String(Math.round(t.callsPerStep)).padStart(4)} calls`,
    t.shapes ?? '',
  ].join(' ').trimEnd());
  return [`${total.toFixed(1)} ms per step in kernels`, ...lines].join('\n');
}
