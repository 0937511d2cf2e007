/** Kernels of our own for tfjs's webgpu backend, where its stock ones leave a real GPU idle or cost the host a
 *  dispatch per small op; one file per kernel, named after it, as in kernels/ for wasm (SgdMomentum is one of our
 *  own kernels there too, kernels/kernelNames.ts), with the program builders they share in programs.ts and our own
 *  shaders' recording in shader.ts. Each is tested against the cpu backend on SwiftShader
 *  (test/e2e/gpuKernels.test.ts). */
import * as tf from '@tensorflow/tfjs';
import { batchNorm2dTrainingConfig } from './BatchNorm2dTraining';
import { batchNorm2dTrainingGradConfig } from './BatchNorm2dTrainingGrad';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter';
import { denseGradConfig } from './DenseGrad';
import { logSoftmaxNllConfig } from './LogSoftmaxNll';
import { reluGradConfig } from './ReluGrad';
import { reluScaleChannelsConfig } from './ReluScaleChannels';
import { reluScaleChannelsGradConfig } from './ReluScaleChannelsGrad';
import { registerReluGradient } from '../kernels/gradients';
import { sgdMomentumConfig } from './SgdMomentum';

const KERNELS: tf.KernelConfig[] = [batchNorm2dTrainingConfig, batchNorm2dTrainingGradConfig, conv2DBackpropFilterConfig, denseGradConfig,
  logSoftmaxNllConfig, reluGradConfig, reluScaleChannelsConfig, reluScaleChannelsGradConfig, sgdMomentumConfig];

/** Puts ours in place of the webgpu backend's kernels of the same names. Call after tfjs-backend-webgpu has loaded
 *  (it registers its own then); safe to call again. */
export function registerWebgpuTrainingKernels(): void {
  for (const config of KERNELS) {
    if (tf.getKernel(config.kernelName, 'webgpu')?.kernelFunc === config.kernelFunc) continue;
    if (tf.getKernel(config.kernelName, 'webgpu')) tf.unregisterKernel(config.kernelName, 'webgpu');
    tf.registerKernel(config);
  }
  registerReluGradient();
}
