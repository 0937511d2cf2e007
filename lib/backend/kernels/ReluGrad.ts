import * as tf from '@tensorflow/tfjs';
import { channelOps } from './channelOps';
import { address } from './heap';
import { ReluGrad, ReluGradInputs } from './kernelNames';
import { KernelArgs, wasmKernel } from './wasmKernel';

/** dy · step(x) in one pass, where tfjs's Relu gradient runs Step, Cast and Multiply over the whole tensor. */
function reluGrad({ inputs: { dy, x }, backend }: KernelArgs<ReluGradInputs, undefined>): tf.TensorInfo {
  const size = tf.util.sizeFromShape(x.shape);
  if (size % 4 !== 0) throw new Error(`wasm ReluGrad needs a size in fours, got shape ${x.shape}`);
  const out = backend.makeOutput(x.shape, 'float32');
  if (size > 0) channelOps(backend).reluGrad(address(backend, x), address(backend, dy), address(backend, out), size);
  return out;
}

export const reluGradConfig = wasmKernel(ReluGrad, reluGrad);
