import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { channelOps, pixelsAndChannels } from './channelOps';
import { address } from './simd';
import { free } from './wasmOps';

interface Attrs {
  epsilon: number;
}
interface Args<I> {
  inputs: I;
  backend: BackendWasm;
  attrs: Attrs;
}

/** Per-channel working memory in the backend's heap, C·10 floats: a shift (C), the float64 sums (2C, as 4C floats),
 *  then the five parameter rows of `combine` (5C). */
function scratch(backend: BackendWasm, channels: number) {
  const info = backend.makeOutput([10 * channels], 'float32');
  const at = address(backend, info);
  return {
    info,
    shift: at,
    sums: at + 4 * channels,
    params: at + 20 * channels,
    /** Views on it; take them only after the last allocation of the kernel (the heap can move). */
    views() {
      const f = backend.typedArrayFromHeap(info) as Float32Array;
      return {
        shift: f.subarray(0, channels),
        sums: new Float64Array(f.buffer, f.byteOffset + 4 * channels, 2 * channels),
        params: f.subarray(5 * channels),
      };
    },
  };
}

const heap = (backend: BackendWasm, ...infos: tf.TensorInfo[]) => infos.map((t) => backend.typedArrayFromHeap(t) as Float32Array);

/** Training-mode batch normalisation of x [N, H, W, C] in two passes: per-channel sums of deviations from the first
 *  pixel (so large means cost no precision), then y = (x − mean) · γ/σ + β. Outputs y, the batch mean and the
 *  biased batch variance. */
export function batchNorm2dTraining({ inputs: { x, gamma, beta }, backend, attrs }: Args<Record<'x' | 'gamma' | 'beta', tf.TensorInfo>>): tf.TensorInfo[] {
  const [pixels, channels] = pixelsAndChannels(x);
  const work = scratch(backend, channels);
  const outputs = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput([channels], 'float32'), backend.makeOutput([channels], 'float32')];
  const [y, mean, variance] = outputs;
  const ops = channelOps(backend);
  const { shift, sums, params } = work.views();
  const [xs, g, b, m, v] = heap(backend, x, gamma, beta, mean, variance);
  shift.set(xs.subarray(0, channels));
  ops.sums(address(backend, x), address(backend, x), work.shift, work.shift, work.sums, pixels, channels);
  params.fill(0);
  for (let c = 0; c < channels; c++) {
    const d = sums[c] / pixels;
    m[c] = shift[c] + d;
    v[c] = Math.max(0, sums[channels + c] / pixels - d * d);
    params[c] = m[c];
    params[channels + c] = g[c] / Math.sqrt(v[c] + attrs.epsilon);
    params[4 * channels + c] = b[c];
  }
  ops.combine(address(backend, x), address(backend, x), address(backend, y), work.params, pixels, channels);
  free(backend, work.info);
  return outputs;
}

/** Its gradient, closed form, in two passes: per-channel Σdy and Σdy·(x − mean), then
 *  dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂)). Outputs dx, dγ, dβ. */
export function batchNorm2dTrainingGrad({ inputs, backend, attrs }: Args<Record<'dy' | 'x' | 'mean' | 'variance' | 'gamma', tf.TensorInfo>>): tf.TensorInfo[] {
  const { dy, x, mean } = inputs;
  const [pixels, channels] = pixelsAndChannels(x);
  const work = scratch(backend, channels);
  const outputs = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput([channels], 'float32'), backend.makeOutput([channels], 'float32')];
  const [dx, dGamma, dBeta] = outputs;
  const ops = channelOps(backend);
  const { shift, sums, params } = work.views();
  const [g, m, v, dg, db] = heap(backend, inputs.gamma, mean, inputs.variance, dGamma, dBeta);
  shift.fill(0);
  ops.sums(address(backend, dy), address(backend, x), work.shift, address(backend, mean), work.sums, pixels, channels);
  for (let c = 0; c < channels; c++) {
    const invStd = 1 / Math.sqrt(v[c] + attrs.epsilon);
    db[c] = sums[c];
    dg[c] = sums[channels + c] * invStd;
    params[c] = sums[c] / pixels;
    params[channels + c] = g[c] * invStd;
    params[2 * channels + c] = m[c];
    params[3 * channels + c] = (-g[c] * invStd * invStd * dg[c]) / pixels;
    params[4 * channels + c] = 0;
  }
  ops.combine(address(backend, dy), address(backend, x), address(backend, dx), work.params, pixels, channels);
  free(backend, work.info);
  return outputs;
}

/** Inference: y = x·scale + shift with scale = γ·rsqrt(var + ε), shift = β − mean·scale, each step rounded to float32
 *  as tf ops round it, in one pass instead of two broadcasting kernels and eight tiny ones per layer. */
export function batchNorm2dInference({ inputs, backend, attrs }: Args<Record<'x' | 'gamma' | 'beta' | 'mean' | 'variance', tf.TensorInfo>>): tf.TensorInfo {
  const [pixels, channels] = pixelsAndChannels(inputs.x);
  const work = scratch(backend, channels);
  const y = backend.makeOutput(inputs.x.shape, 'float32');
  const { params } = work.views();
  const [g, b, m, v] = heap(backend, inputs.gamma, inputs.beta, inputs.mean, inputs.variance);
  const f = Math.fround;
  for (let c = 0; c < channels; c++) {
    const scale = f(g[c] * f(1 / Math.sqrt(f(v[c] + attrs.epsilon))));
    params[c] = scale;
    params[channels + c] = f(b[c] - f(m[c] * scale));
  }
  channelOps(backend).affine(address(backend, inputs.x), address(backend, y), work.params, pixels, channels);
  free(backend, work.info);
  return y;
}
