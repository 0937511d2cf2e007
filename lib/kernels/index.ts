import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilter } from './conv2dBackpropFilter';

const KERNELS: tf.KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc },
];

/** Gives the wasm backend the kernels it needs to train a conv net, replacing stock ones where ours are faster.
 *  Safe to call again (a notebook cell rerun): registration is checked per kernel. */
export function registerWasmTrainingKernels(): void {
  for (const config of KERNELS) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
}
