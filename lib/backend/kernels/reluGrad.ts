import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { channelOps } from './channelOps';
import { address } from './simd';

const NAME = 'ReluGrad';

/** dy · step(x) in one pass, where tfjs's Relu gradient runs Step, Cast and Multiply over the whole tensor. */
export function reluGrad({ inputs: { dy, x }, backend }: { inputs: Record<'dy' | 'x', tf.TensorInfo>; backend: BackendWasm }): tf.TensorInfo {
  const size = tf.util.sizeFromShape(x.shape);
  if (size % 4 !== 0) throw new Error(`wasm ReluGrad needs a size in fours, got shape ${x.shape}`);
  const out = backend.makeOutput(x.shape, 'float32');
  if (size > 0) channelOps(backend).reluGrad(address(backend, x), address(backend, dy), address(backend, out), size);
  return out;
}

/** Relu's gradient through our kernel on wasm (float32, size in fours), through `stock` (tfjs's own) otherwise. */
export function reluGradient(stock: tf.GradConfig): tf.GradConfig {
  return {
    ...stock,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const ours = tf.getBackend() === 'wasm' && tf.getKernel(NAME, 'wasm') && x.dtype === 'float32' && x.size % 4 === 0;
      if (!ours) return stock.gradFunc(dy, saved, attrs);
      return { x: () => tf.engine().runKernel(NAME, { dy: dy as tf.Tensor, x }) as tf.Tensor };
    },
  };
}
