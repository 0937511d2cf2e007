import * as tf from '@tensorflow/tfjs';

/** How often training reads its losses back: often enough for a moving progress line and to catch a diverging loss
 *  within a fraction of a second, seldom enough that a GPU is not stopped every step to hand back two numbers. */
export const READ_EVERY_MS = 250;

/** A training step's mean loss and correct predictions as the step leaves them: numbers when the step had to read its
 *  shards back anyway, scalars on the backend (a GPU's, on webgpu) when it did not. */
export interface StepOutcome {
  loss: number | tf.Scalar;
  correct: number | tf.Scalar;
  size: number;
}

export interface StepMetrics {
  loss: number;
  correct: number;
  size: number;
}

/** The outcomes' numbers in order, their tensors read in one asynchronous transfer and disposed. */
export async function readOutcomes(outcomes: StepOutcome[]): Promise<StepMetrics[]> {
  const tensors = outcomes.flatMap((o) => [o.loss, o.correct]).filter((v): v is tf.Scalar => typeof v !== 'number');
  const values = tensors.length ? await readScalars(tensors) : [];
  let next = 0;
  const value = (v: number | tf.Scalar): number => (typeof v === 'number' ? v : values[next++]);
  return outcomes.map((o) => ({ loss: value(o.loss), correct: value(o.correct), size: o.size }));
}

/** The values of scalar tensors, stacked as float32 (exact for float32 losses and for counts below 2^24) and read in
 *  one asynchronous transfer, never a synchronous one (which webgpu in Node cannot do); the scalars are disposed. */
export async function readScalars(scalars: tf.Tensor[]): Promise<number[]> {
  try {
    const stacked = tf.tidy(() => tf.stack(scalars.map((s) => tf.cast(s, 'float32'))));
    const values = await stacked.data();
    stacked.dispose();
    return Array.from(values);
  } finally {
    tf.dispose(scalars);
  }
}

/** Steps whose outcomes have not been read yet; read() hands them over, in order, every READ_EVERY_MS. */
export class PendingSteps {
  private outcomes: StepOutcome[] = [];
  private lastRead = -Infinity;

  add(outcome: StepOutcome): void {
    this.outcomes.push(outcome);
  }

  /** The steps added since the last read, when READ_EVERY_MS have passed since it or `now` is set; else none. */
  async read(now = false): Promise<StepMetrics[]> {
    if (!now && performance.now() - this.lastRead < READ_EVERY_MS) return [];
    const taken = this.outcomes;
    this.outcomes = [];
    const metrics = await readOutcomes(taken);
    this.lastRead = performance.now();
    return metrics;
  }

  /** Drops what was not read (a run that stopped). */
  dispose(): void {
    tf.dispose(this.outcomes.flatMap((o) => [o.loss, o.correct]).filter((v): v is tf.Scalar => typeof v !== 'number'));
    this.outcomes = [];
  }
}
