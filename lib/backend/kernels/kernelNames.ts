import * as tf from '@tensorflow/tfjs';

// Our own kernels' names, inputs and attributes, declared as tfjs-core's kernel_names.ts declares its kernels', so
// that model code, ops and gradients can name them without loading the kernels.

/** Training-mode batch normalisation of x [N, H, W, C]; outputs y, the batch mean and the biased batch variance. With
 *  `relu` it normalises max(x, 0), and with `scale` [N, 1, 1, C] (Dropout2d's mask) it multiplies y by it: the
 *  network's ReLU → BatchNorm2d → Dropout2d in one kernel. It also moves `runningMean` and `runningVariance` towards
 *  the batch's as PyTorch does (runningFactors, with the attribute `momentum`) and outputs them after. */
export const BatchNorm2dTraining = 'BatchNorm2dTraining';
export type BatchNorm2dTrainingInputs = Pick<tf.NamedTensorInfoMap, 'x' | 'gamma' | 'beta'> &
  { runningMean: tf.TensorInfo; runningVariance: tf.TensorInfo; scale?: tf.TensorInfo };

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

/** The forward kernel's: also the running statistics' momentum. */
export interface BatchNorm2dTrainingForwardAttrs extends BatchNorm2dTrainingAttrs {
  momentum: number;
}

/** BatchNorm2d's running statistics moved towards one batch's, as PyTorch does: mean' = keep · mean + take ·
 *  batchMean, variance' = keep · variance + takeUnbiased · batchVariance, with keep = 1 − momentum, take = momentum and
 *  takeUnbiased = momentum · count / (count − 1), which makes the batch's variance unbiased (count: the values a
 *  channel). The factors as float32, as tf.mul rounds a number: what the six ops this replaced computed. */
export function runningFactors(momentum: number, count: number): { keep: number; take: number; takeUnbiased: number } {
  return { keep: Math.fround(1 - momentum), take: Math.fround(momentum), takeUnbiased: Math.fround((momentum * count) / (count - 1)) };
}

/** dy · step(x), Relu's gradient. */
export const ReluGrad = 'ReluGrad';
export type ReluGradInputs = Pick<tf.NamedTensorInfoMap, 'dy' | 'x'>;

/** F.log_softmax then F.nll_loss of logits [N, K] and int32 labels [N], and back: outputs the mean loss, the count of
 *  rows whose largest log-probability is at the label (int32), and the loss's gradient for the logits. */
export const LogSoftmaxNll = 'LogSoftmaxNll';
export type LogSoftmaxNllInputs = Pick<tf.NamedTensorInfoMap, 'logits' | 'labels'>;

/** max(x, 0) · scale: a ReLU then Dropout2d's mask (the 1×1 layers, which have no BatchNorm between), and its gradient
 *  dy · scale where x > 0, else 0. webgpu only: one program each way where Relu and a Multiply ran two. */
export const ReluScaleChannels = 'ReluScaleChannels';
export type ReluScaleChannelsInputs = Pick<tf.NamedTensorInfoMap, 'x' | 'scale'>;
export const ReluScaleChannelsGrad = 'ReluScaleChannelsGrad';
export type ReluScaleChannelsGradInputs = Pick<tf.NamedTensorInfoMap, 'dy' | 'x' | 'scale'>;

/** A linear layer's step back from dy [N, U] with its input x [N, F] and kernel [F, U]: outputs dx = dy·kernelᵀ,
 *  dKernel = xᵀ·dy and dBias = dy summed over the batch. webgpu only: one dispatch where two matrix products and a
 *  sum ran four. */
export const DenseGrad = 'DenseGrad';
export type DenseGradInputs = Pick<tf.NamedTensorInfoMap, 'dy' | 'x' | 'kernel'>;

/** x [N, H, W, C] · scale [N, 1, 1, C], Dropout2d's mask. */
export const ScaleChannels = 'ScaleChannels';
export type ScaleChannelsInputs = Pick<tf.NamedTensorInfoMap, 'x' | 'scale'>;

/** One step of SGD with momentum for a list of variables: for each i, accumulation' = momentum · accumulation +
 *  gradient, value' = value − learningRate · accumulation', from the inputs `value${i}`, `accumulation${i}`,
 *  `gradient${i}`; outputs value0', accumulation0', value1', accumulation1', … (one kernel call for the step). */
export const SgdMomentum = 'SgdMomentum';
export type SgdMomentumInputs = Record<string, tf.TensorInfo>;

/** SgdMomentum's inputs for these variables, accumulations and gradients, in order. */
export function sgdMomentumInputs<T>(values: T[], accumulations: T[], gradients: T[]): Record<string, T> {
  return Object.fromEntries(values.flatMap((value, i) => [[`value${i}`, value], [`accumulation${i}`, accumulations[i]], [`gradient${i}`, gradients[i]]]));
}

/** The variables of SgdMomentum's inputs, in order. */
export function sgdMomentumVariables<T>(inputs: Record<string, T>): { value: T; accumulation: T; gradient: T }[] {
  return Array.from({ length: Object.keys(inputs).length / 3 }, (_, i) =>
    ({ value: inputs[`value${i}`], accumulation: inputs[`accumulation${i}`], gradient: inputs[`gradient${i}`] }));
}
export interface SgdMomentumAttrs {
  momentum: number;
  learningRate: number;
}
