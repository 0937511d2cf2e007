import * as tf from '@tensorflow/tfjs';

// Our own kernels' names, inputs and attributes, declared as tfjs-core's kernel_names.ts declares its kernels', so
// that model code, ops and gradients can name them without loading the kernels.

/** Training-mode batch normalisation of x [N, H, W, C]; outputs y, the batch mean and the biased batch variance. With
 *  `relu` it normalises max(x, 0), and with `scale` [N, 1, 1, C] (Dropout2d's mask) it multiplies y by it: the
 *  network's ReLU → BatchNorm2d → Dropout2d in one kernel. */
export const BatchNorm2dTraining = 'BatchNorm2dTraining';
export type BatchNorm2dTrainingInputs = Pick<tf.NamedTensorInfoMap, 'x' | 'gamma' | 'beta'> & { scale?: tf.TensorInfo };

/** Its gradient with respect to x (the ReLU's input, with `relu`), γ and β; outputs dx, dγ, dβ. */
export const BatchNorm2dTrainingGrad = 'BatchNorm2dTrainingGrad';
export type BatchNorm2dTrainingGradInputs = Pick<tf.NamedTensorInfoMap, 'dy' | 'x' | 'mean' | 'variance' | 'gamma'> & { scale?: tf.TensorInfo };

/** Inference-mode batch normalisation with the running statistics. */
export const BatchNorm2dInference = 'BatchNorm2dInference';
export type BatchNorm2dInferenceInputs = Pick<tf.NamedTensorInfoMap, 'x' | 'gamma' | 'beta' | 'mean' | 'variance'>;

/** The attribute of every batch normalisation kernel. */
export interface BatchNorm2dAttrs {
  epsilon: number;
}

/** The training kernels' attributes: whether a ReLU comes first. */
export interface BatchNorm2dTrainingAttrs extends BatchNorm2dAttrs {
  relu: boolean;
}

/** BatchNorm2d's running statistics moved towards one batch's, as PyTorch does: mean' = (1 − momentum) · mean +
 *  momentum · batchMean, variance' = (1 − momentum) · variance + momentum · count / (count − 1) · batchVariance (the
 *  batch's variance made unbiased; count is the values per channel). Outputs mean', variance'. */
export const RunningStatistics = 'RunningStatistics';
export type RunningStatisticsInputs = Pick<tf.NamedTensorInfoMap, 'mean' | 'variance'> & { batchMean: tf.TensorInfo; batchVariance: tf.TensorInfo };
export interface RunningStatisticsAttrs {
  momentum: number;
  count: number;
}

/** The update's three factors as float32, as tf.mul rounds a number: 1 − momentum, momentum, and momentum · count /
 *  (count − 1). */
export function runningFactors({ momentum, count }: RunningStatisticsAttrs): { keep: number; take: number; takeUnbiased: number } {
  return { keep: Math.fround(1 - momentum), take: Math.fround(momentum), takeUnbiased: Math.fround((momentum * count) / (count - 1)) };
}

/** dy · step(x), Relu's gradient. */
export const ReluGrad = 'ReluGrad';
export type ReluGradInputs = Pick<tf.NamedTensorInfoMap, 'dy' | 'x'>;

/** x [N, H, W, C] · scale [N, 1, 1, C], Dropout2d's mask. */
export const ScaleChannels = 'ScaleChannels';
export type ScaleChannelsInputs = Pick<tf.NamedTensorInfoMap, 'x' | 'scale'>;

/** One step of SGD with momentum for one variable: accumulation' = momentum · accumulation + gradient, value' = value −
 *  learningRate · accumulation'; outputs value' and accumulation'. */
export const SgdMomentum = 'SgdMomentum';
export type SgdMomentumInputs = Pick<tf.NamedTensorInfoMap, 'value' | 'accumulation' | 'gradient'>;
export interface SgdMomentumAttrs {
  momentum: number;
  learningRate: number;
}
