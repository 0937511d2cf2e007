/** Kernels for tfjs's WebAssembly backend, which lacks some that training a conv net needs (Conv2DBackpropFilter) and
 *  runs others slowly: the convolutions and their gradients, the max pool, Identity, Slice and GatherV2, each replaced by one of
 *  ours; plus
 *  our own kernels for BatchNorm2d (fused with the ReLU before it and the Dropout2d after it, where the model asks),
 *  Dropout2d, the ReLU gradient and the momentum update, which the model and training code run through ops.ts and
 *  gradients.ts when they are registered.
 *
 *  One file per kernel, named after it as in tfjs-backend-wasm's src/kernels/, exporting its KernelConfig, made
 *  by wasmKernel() (wasmKernel.ts) from a function typed with tfjs-core's input and attribute types or with ours
 *  (kernelNames.ts). registerWasmTrainingKernels() below registers them all, keeping each stock kernel it replaces
 *  for the cases ours hand back, and the gradients of gradients.ts.
 *
 *  Some kernels run our own WebAssembly SIMD code on the backend's memory (heap.ts): its sources are the .wat and .c
 *  files in wasm/, compiled into wasm/modules.ts by `npm run build:wasm` (wasm/compile.ts: the npm package wabt for
 *  .wat, clang for .c); rebuild after editing one, or test/kernels/wasm.test.ts fails. Each kernel is tested against
 *  the cpu backend in test/kernels/. The heavy ones split their work over the kernel threads (threads.ts) in units
 *  that make their numbers the same on any number of threads. */
import * as tf from '@tensorflow/tfjs';
import { avgPoolGradConfig } from './AvgPoolGrad';
import { batchNorm2dInferenceConfig } from './BatchNorm2dInference';
import { batchNorm2dTrainingConfig } from './BatchNorm2dTraining';
import { batchNorm2dTrainingGradConfig } from './BatchNorm2dTrainingGrad';
import { conv2DConfig } from './Conv2D';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput';
import { batchNorm2dInferenceGradientConfig, registerReluGradient, scaleChannelsGradientConfig } from './gradients';
import { fusedConv2DConfig } from './FusedConv2D';
import { gatherV2Config } from './GatherV2';
import { identityConfig } from './Identity';
import { maxPoolConfig } from './MaxPool';
import { maxPoolGradConfig } from './MaxPoolGrad';
import { reluGradConfig } from './ReluGrad';
import { scaleChannelsConfig } from './ScaleChannels';
import { sgdMomentumConfig } from './SgdMomentum';
import { useSharedMemory } from './sharedMemory';
import { sliceConfig } from './Slice';
import { registerReplacing } from './wasmKernel';

export { kernelThreads, MAX_KERNEL_THREADS, setKernelThreads } from './threads';

const KERNELS: tf.KernelConfig[] = [
  avgPoolGradConfig,
  batchNorm2dInferenceConfig,
  batchNorm2dTrainingConfig,
  batchNorm2dTrainingGradConfig,
  conv2DConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  fusedConv2DConfig,
  gatherV2Config,
  identityConfig,
  maxPoolConfig,
  maxPoolGradConfig,
  reluGradConfig,
  scaleChannelsConfig,
  sgdMomentumConfig,
  sliceConfig,
];

/** Gives the wasm backend the kernels it needs to train a conv net, replacing stock ones where ours are faster.
 *  Safe to call again (a notebook cell rerun): registration is checked per kernel. */
export function registerWasmTrainingKernels(): void {
  useSharedMemory();
  for (const config of KERNELS) registerReplacing(config);
  tf.registerGradient(scaleChannelsGradientConfig);
  tf.registerGradient(batchNorm2dInferenceGradientConfig);
  registerReluGradient();
}
