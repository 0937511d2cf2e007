import * as tf from '@tensorflow/tfjs';
import { DenseGrad, ReluScaleChannels, ReluScaleChannelsGrad } from '../backend/kernels/kernelNames';
import { ourKernelActive, scaleChannelsOp } from '../backend/kernels/ops';
import { BatchNorm2d } from './batchnorm';
import { Conv2d, Dropout2d } from './layers';

/** One layer's training-mode pass (or ReLU → BatchNorm2d → Dropout2d's, fused), run without tfjs's gradient tape:
 *  its output, and the step back from the output's gradient to the input's (when asked) and its weights'. */
export interface Pass {
  y: tf.Tensor;
  backward(dy: tf.Tensor, needDx: boolean): { dx?: tf.Tensor; grads: WeightGradient[] };
}

/** A trainable weight's gradient, by the name of its variable. */
export type WeightGradient = [variable: string, gradient: tf.Tensor];

/** The network's trunk in training mode, as model.apply(x, { training: true }) computes it, layer by layer from the
 *  first until one it does not take (the log-softmax, which the loss takes by hand, or a layer of a kind not
 *  below): returns each layer's pass, the trunk's output, and the layers left, for the caller to differentiate.
 *
 *  Why by hand: under tf.variableGrads every kernel call is also a tape entry, and every tensor its gradient needs is
 *  copied by an Identity kernel call (77 a step of this network), which cost the JavaScript thread as much as the
 *  small kernels themselves. A Sequential's trunk is a chain, so its backward pass is the chain read backwards, each
 *  step the gradient tfjs registers for that kernel (tf.getGradient, ours where we have one) on the tensors the tape
 *  would have saved: the same kernel calls on the same values, so the same numbers to the bit
 *  (test/unit/trunk.test.ts). Each ReLU → BatchNorm2d (→ Dropout2d) runs as one pass where our kernels fuse them.
 *  Must run outside any tape (tf.grad, tf.variableGrads), inside a tf.tidy that outlives the backward pass. */
export function runTrunk(model: tf.LayersModel, x: tf.Tensor): { passes: Pass[]; y: tf.Tensor; rest: tf.layers.Layer[] } {
  const layers = model instanceof tf.Sequential ? model.layers : [];
  const passes: Pass[] = [];
  let y = x;
  let i = 0;
  for (let taken = passOf(layers, i, y); taken; taken = passOf(layers, i, y)) {
    passes.push(taken.pass);
    y = taken.pass.y;
    i += taken.layers;
  }
  return { passes, y, rest: layers.slice(i) };
}

/** Takes dy, the gradient of the trunk's output, back through `passes` (runTrunk's, in order): every trainable
 *  weight's gradient. The input's (the images') is never computed. */
export function backwardTrunk(passes: Pass[], dy: tf.Tensor): WeightGradient[] {
  const grads: WeightGradient[] = [];
  for (let k = passes.length - 1; k >= 0; k--) {
    const step = passes[k].backward(dy, k > 0);
    grads.push(...step.grads);
    dy = step.dx!;
  }
  return grads;
}

/** The pass of the layer at `i` (with the two after it, where they fuse), or undefined where the trunk ends. */
function passOf(layers: tf.layers.Layer[], i: number, x: tf.Tensor): { pass: Pass; layers: number } | undefined {
  const [layer, next, after] = [layers[i], layers[i + 1], layers[i + 2]];
  if (layer === undefined) return undefined;
  if (layer instanceof Conv2d) return { pass: convPass(layer, x as tf.Tensor4D), layers: 1 };
  if (isPlainRelu(layer) && next instanceof BatchNorm2d && next.fusesWith(x)) {
    const dropout = after instanceof Dropout2d ? after : undefined;
    const mask = dropout && dropout.rate > 0 ? dropout.drawMask(x.shape) : undefined;
    return { pass: batchNormPass(next, x as tf.Tensor4D, true, mask), layers: dropout ? 3 : 2 };
  }
  if (isPlainRelu(layer) && next instanceof Dropout2d && next.rate > 0 && x.rank === 4 && ourKernelActive(ReluScaleChannels)) {
    return { pass: reluDropoutPass(next, x as tf.Tensor4D), layers: 2 };
  }
  if (isPlainRelu(layer)) return { pass: kernelPass('Relu', { x }, {}), layers: 1 };
  if (layer instanceof BatchNorm2d) return { pass: batchNormPass(layer, x as tf.Tensor4D, false), layers: 1 };
  if (layer instanceof Dropout2d) return { pass: dropoutPass(layer, x as tf.Tensor4D), layers: 1 };
  if (layer.getClassName() === 'Flatten' && (layer.getConfig().dataFormat ?? 'channelsLast') === 'channelsLast') return { pass: flattenPass(x), layers: 1 };
  if (layer.getClassName() === 'Dense' && layer.getConfig().activation === 'linear' && x.rank === 2) return { pass: densePass(layer, x as tf.Tensor2D), layers: 1 };
  const pool = { MaxPooling2D: 'MaxPool', AveragePooling2D: 'AvgPool' }[layer.getClassName()];
  if (pool) {
    // tfjs-layers' pool2d: tf.maxPool / tf.avgPool on channels-last input (avgPool's cast to float32 changes nothing)
    const { poolSize, strides, padding, dataFormat } = layer.getConfig() as { poolSize: number[]; strides: number[]; padding: string; dataFormat: string };
    if (dataFormat !== 'channelsLast') return undefined;
    const attrs = { filterSize: poolSize, strides, pad: padding === 'same' ? 'same' : 'valid', dimRoundingMode: undefined };
    return { pass: kernelPass(pool, { x }, attrs as unknown as tf.NamedAttrMap), layers: 1 };
  }
  return undefined;
}

/** tfjs-layers' ReLU without a cap (max(x, 0), which our kernels apply). */
function isPlainRelu(layer: tf.layers.Layer): boolean {
  return layer.getClassName() === 'ReLU' && layer.getConfig().maxValue == null;
}

/** Conv2d's tf.conv2d(x, kernel, 1, padding): the Conv2D kernel with the attributes that op gives it. */
function convPass(layer: Conv2d, x: tf.Tensor4D): Pass {
  const kernel = layer.trainableWeights[0].read() as tf.Variable;
  const attrs = { strides: 1, pad: layer.padding, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
  return kernelPass('Conv2D', { x, filter: kernel }, attrs as unknown as tf.NamedAttrMap, { filter: kernel.name });
}

/** A kernel's call, and the gradient tfjs has registered for it, given what the tape would have saved (the inputs
 *  its GradConfig names, then the outputs it marks): `weights` maps inputs that are trainable variables to their
 *  names. */
function kernelPass(kernelName: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap, weights: Record<string, string> = {}): Pass {
  const out = tf.engine().runKernel(kernelName, inputs, attrs);
  const outputs = Array.isArray(out) ? out : [out];
  const { gradFunc, inputsToSave = [], outputsToSave = [] } = tf.getGradient(kernelName);
  const saved = [...inputsToSave.map((name) => inputs[name]), ...outputs.filter((_, k) => outputsToSave[k])];
  return {
    y: outputs[0],
    backward(dy, needDx) {
      const gradient = gradFunc(dy, saved, attrs);
      return { dx: needDx ? gradient.x() : undefined, grads: Object.entries(weights).map(([input, name]) => [name, gradient[input]()]) };
    },
  };
}

function batchNormPass(layer: BatchNorm2d, x: tf.Tensor4D, relu: boolean, mask?: tf.Tensor4D): Pass {
  const [gamma, beta] = layer.trainableWeights.map((w) => (w.read() as tf.Variable).name);
  const pass = layer.trainingPass(x, { relu, mask });
  return {
    y: pass.y,
    backward(dy) {
      const [dx, dGamma, dBeta] = pass.backward(dy as tf.Tensor4D);
      return { dx, grads: [[gamma, dGamma], [beta, dBeta]] };
    },
  };
}

/** Dropout2d's forward and gradient as its call() defines them: both scaled by the same mask. */
function dropoutPass(layer: Dropout2d, x: tf.Tensor4D): Pass {
  if (layer.rate === 0) return { y: x, backward: (dy) => ({ dx: dy, grads: [] }) };
  const mask = layer.drawMask(x.shape);
  return { y: scaleChannelsOp(x, mask), backward: (dy) => ({ dx: scaleChannelsOp(dy as tf.Tensor4D, mask), grads: [] }) };
}

/** ReLU then Dropout2d as one kernel each way (webgpu): the same products as the two passes. */
function reluDropoutPass(layer: Dropout2d, x: tf.Tensor4D): Pass {
  const mask = layer.drawMask(x.shape);
  return {
    y: tf.engine().runKernel(ReluScaleChannels, { x, scale: mask }) as tf.Tensor4D,
    backward: (dy) => ({ dx: tf.engine().runKernel(ReluScaleChannelsGrad, { dy, x, scale: mask }) as tf.Tensor, grads: [] }),
  };
}

/** tfjs-layers' Flatten (K.batchFlatten): a reshape each way. */
function flattenPass(x: tf.Tensor): Pass {
  const [n, ...rest] = x.shape;
  return { y: tf.reshape(x, [n, rest.reduce((a, b) => a * b, 1)]), backward: (dy) => ({ dx: tf.reshape(dy, x.shape), grads: [] }) };
}

/** tfjs-layers' Dense without activation on [N, F]: K.dot's tf.fused.matMul with the bias, the _FusedMatMul kernel on
 *  its operands made 3-D; back, what that op's customGrad computes: dy·Wᵀ, xᵀ·dy and dy summed over the batch (on
 *  webgpu all three in one kernel, DenseGrad). */
function densePass(layer: tf.layers.Layer, x: tf.Tensor2D): Pass {
  const [kernel, bias] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const [n, features] = x.shape;
  const units = kernel.shape[1]!;
  const a = tf.reshape(x, [1, n, features]);
  const b = tf.reshape(kernel, [1, features, units]);
  const attrs = { transposeA: false, transposeB: false, activation: 'linear', leakyreluAlpha: 0.2 };
  const y = tf.engine().runKernel('_FusedMatMul', { a, b, ...(bias ? { bias } : {}) }, attrs) as tf.Tensor3D;
  return {
    y: tf.reshape(y, [n, units]),
    backward(dy, needDx) {
      if (bias && ourKernelActive(DenseGrad)) {
        const [dx, dKernel, dBias] = tf.engine().runKernel(DenseGrad, { dy, x, kernel }) as tf.Tensor[];
        return { dx: needDx ? dx : undefined, grads: [[kernel.name, dKernel], [bias.name, dBias]] };
      }
      const d = tf.reshape(dy, y.shape);
      const grads: WeightGradient[] = [[kernel.name, tf.reshape(tf.matMul(a, d, true, false), kernel.shape)]];
      if (bias) grads.push([bias.name, tf.reshape(tf.sum(d, [0, 1]), bias.shape)]);
      return { dx: needDx ? tf.reshape(tf.matMul(d, b, false, true), x.shape) : undefined, grads };
    },
  };
}
