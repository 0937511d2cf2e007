import * as tf from '@tensorflow/tfjs';
import { avgPoolGrad } from './avgPoolGrad';
import { batchNorm2dInference, batchNorm2dTraining, batchNorm2dTrainingGrad } from './batchNorm2d';
import { batchNorm2dInferenceGrad } from './batchNorm2dInferenceGrad';
import { conv2DBackpropFilter } from './conv2dBackpropFilter';
import { makeConv2DBackpropInput } from './conv2dBackpropInput';
import { identity } from './identity';
import { maxPoolGrad } from './maxPoolGrad';
import { reluGrad, reluGradient } from './reluGrad';
import { scaleChannels, scaleChannelsGrad } from './scaleChannels';
import { makeSlice } from './slice';

/** The stock kernels we replace, kept for the cases our versions hand back (e.g. strides other than 1). */
const stock = new Map<string, tf.KernelConfig>();
const stockKernel = (name: string): tf.KernelFunc => (args) => stock.get(name)!.kernelFunc(args);

const OURS: Record<string, tf.KernelFunc> = {
  AvgPoolGrad: avgPoolGrad as unknown as tf.KernelFunc,
  BatchNorm2dInference: batchNorm2dInference as unknown as tf.KernelFunc,
  BatchNorm2dTraining: batchNorm2dTraining as unknown as tf.KernelFunc,
  BatchNorm2dTrainingGrad: batchNorm2dTrainingGrad as unknown as tf.KernelFunc,
  Conv2DBackpropFilter: conv2DBackpropFilter as unknown as tf.KernelFunc,
  Conv2DBackpropInput: makeConv2DBackpropInput(stockKernel('Conv2DBackpropInput')),
  Identity: identity as unknown as tf.KernelFunc,
  MaxPoolGrad: maxPoolGrad as unknown as tf.KernelFunc,
  ReluGrad: reluGrad as unknown as tf.KernelFunc,
  ScaleChannels: scaleChannels as unknown as tf.KernelFunc,
  Slice: makeSlice(stockKernel('Slice')),
};

/** tfjs's own Relu gradient, which ours falls back to off wasm. */
let stockReluGrad: tf.GradConfig | undefined;

/** Gives the wasm backend the kernels it needs to train a conv net, replacing stock ones where ours are faster.
 *  Safe to call again (a notebook cell rerun): registration is checked per kernel. */
export function registerWasmTrainingKernels(): void {
  for (const [kernelName, kernelFunc] of Object.entries(OURS)) {
    const current = tf.getKernel(kernelName, 'wasm');
    if (current?.kernelFunc === kernelFunc) continue;
    if (current) {
      if (!stock.has(kernelName)) stock.set(kernelName, current);
      tf.unregisterKernel(kernelName, 'wasm');
    }
    // The stock kernel's setup (binding its WebAssembly function) must still run when the backend starts.
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc, setupFunc: stock.get(kernelName)?.setupFunc });
  }
  tf.registerGradient(scaleChannelsGrad);
  tf.registerGradient(batchNorm2dInferenceGrad);
  stockReluGrad ??= tf.getGradient('Relu');
  tf.registerGradient(reluGradient(stockReluGrad!));
}
