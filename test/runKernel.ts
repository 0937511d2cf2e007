import * as tf from '@tensorflow/tfjs';
import { Rng } from '../lib/rng';

export type Inputs = Record<string, [Float32Array, number[]]>;

/** Uniform values in [−1, 1); with `levels`, only that many distinct ones, so that ties are common. */
export function randomValues(rng: Rng, shape: number[], levels = 0): Float32Array {
  const draw = () => (levels > 0 ? rng.int(levels) / levels : rng.next()) * 2 - 1;
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, draw);
}

/** Runs one kernel on a backend from plain arrays and returns its output values. */
export async function runOn(backend: string, kernel: string, inputs: Inputs, attrs: object): Promise<Float32Array> {
  await tf.setBackend(backend);
  const out = tf.tidy(() => {
    const tensors = Object.fromEntries(Object.entries(inputs).map(([k, [v, s]]) => [k, tf.tensor(v, s)]));
    return tf.engine().runKernel(kernel, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
  });
  const values = out.dataSync() as Float32Array;
  out.dispose();
  return values;
}
