import * as tf from '@tensorflow/tfjs';

/** The gradient of BatchNorm2dInference (the running statistics are constants), for anyone who differentiates
 *  through a model in inference mode; training never does. */
export const batchNorm2dInferenceGrad: tf.GradConfig = {
  kernelName: 'BatchNorm2dInference',
  inputsToSave: ['x', 'gamma', 'mean', 'variance'],
  gradFunc: (dy, [x, gamma, mean, variance], attrs) => {
    const grad = dy as tf.Tensor4D;
    const invStd = () => tf.rsqrt(tf.add(variance, (attrs as unknown as { epsilon: number }).epsilon));
    return {
      x: () => tf.mul(grad, tf.mul(gamma, invStd())),
      gamma: () => tf.sum(tf.mul(grad, tf.mul(tf.sub(x, mean), invStd())), [0, 1, 2]),
      beta: () => tf.sum(grad, [0, 1, 2]),
      mean: () => tf.zerosLike(mean),
      variance: () => tf.zerosLike(variance),
    };
  },
};
