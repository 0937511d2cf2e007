import * as tf from '@tensorflow/tfjs';
import { BatchNorm2dInference, ReluGrad, ScaleChannels } from './kernelNames';
import { ourKernelActive } from './ops';

// The gradients that go with our kernels, registered with them by registerWasmTrainingKernels().

/** ScaleChannels' gradient: dx by the kernel itself (dy scaled by the same mask), dscale by tf ops. */
export const scaleChannelsGradientConfig: tf.GradConfig = {
  kernelName: ScaleChannels,
  inputsToSave: ['x', 'scale'],
  gradFunc: (dy, [x, scale]) => ({
    x: () => tf.engine().runKernel(ScaleChannels, { x: dy as tf.Tensor, scale }) as tf.Tensor,
    scale: () => tf.sum(tf.mul(dy as tf.Tensor, x), [1, 2], true),
  }),
};

/** The gradient of BatchNorm2dInference (the running statistics are constants), for anyone who differentiates
 *  through a model in inference mode; training never does. */
export const batchNorm2dInferenceGradientConfig: tf.GradConfig = {
  kernelName: BatchNorm2dInference,
  inputsToSave: ['x', 'gamma', 'mean', 'variance'],
  gradFunc: (dy, [x, gamma, mean, variance], attrs) => {
    const grad = dy as tf.Tensor4D;
    const invStd = () => tf.rsqrt(tf.add(variance, attrs.epsilon as number));
    return {
      x: () => tf.mul(grad, tf.mul(gamma, invStd())),
      gamma: () => tf.sum(tf.mul(grad, tf.mul(tf.sub(x, mean), invStd())), [0, 1, 2]),
      beta: () => tf.sum(grad, [0, 1, 2]),
      mean: () => tf.zerosLike(mean),
      variance: () => tf.zerosLike(variance),
    };
  },
};

/** tfjs's own Relu gradient, which ours falls back to. */
let stockReluGradient: tf.GradConfig | undefined;

/** Registers Relu's gradient through our ReluGrad kernel where the active backend has it (wasm, webgpu; float32, size
 *  in fours), through tfjs's own otherwise. Safe to call again. */
export function registerReluGradient(): void {
  stockReluGradient ??= tf.getGradient('Relu');
  tf.registerGradient(reluGradientConfig(stockReluGradient!));
}

function reluGradientConfig(stock: tf.GradConfig): tf.GradConfig {
  return {
    ...stock,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const ours = ourKernelActive(ReluGrad) && x.dtype === 'float32' && x.size % 4 === 0;
      if (!ours) return stock.gradFunc(dy, saved, attrs);
      return { x: () => tf.engine().runKernel(ReluGrad, { dy: dy as tf.Tensor, x }) as tf.Tensor };
    },
  };
}
