import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../lib/util/rng';
import { assertClose } from './assertClose';

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

/** Runs `f` on a backend with the kernels registered and returns what it gives, read back as plain arrays. */
export async function on(backend: string, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const outs = tf.tidy(f);
  const result = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  assert.equal(tf.memory().numTensors, before, `tensors leaked on ${backend}`);
  return result;
}

export async function sameOnWasmAndCpu(f: () => tf.Tensor[], names: string[], what: string): Promise<void> {
  const [wasm, cpu] = [await on('wasm', f), await on('cpu', f)];
  names.forEach((name, i) => assertClose(wasm[i], cpu[i], `${name} ${what}`));
}
