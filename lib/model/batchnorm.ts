import * as tf from '@tensorflow/tfjs';
import { BatchNorm2dInference, BatchNorm2dTraining, BatchNorm2dTrainingGrad } from '../backend/kernels/kernelNames';
import { channelKernelApplies } from '../backend/kernels/ops';

interface BatchNorm2dConfig {
  /** PyTorch's momentum: the weight of the new batch in the running statistics (0.1). */
  momentum?: number;
  epsilon?: number;
  name?: string;
}

/** PyTorch's BatchNorm2d for channels-last input. Training normalises with the batch's statistics and updates the
 *  running ones as PyTorch does (unbiased variance); inference uses the running statistics. Its gradient is the
 *  closed form, computed in a handful of passes, where tfjs-layers' BatchNormalization differentiates through
 *  moments() and a generic batchNorm op (some twenty full-size element-wise kernels per layer, a Tile among them). */
export class BatchNorm2d extends tf.layers.Layer {
  static className = 'BatchNorm2d';
  readonly momentum: number;
  readonly epsilon: number;
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;
  private runningMean!: tf.LayerVariable;
  private runningVar!: tf.LayerVariable;

  constructor(config: BatchNorm2dConfig = {}) {
    super(config);
    this.momentum = config.momentum ?? 0.1;
    this.epsilon = config.epsilon ?? 1e-5;
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = (inputShape as number[]).at(-1)!;
    this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros());
    this.runningMean = this.addWeight('moving_mean', [channels], 'float32', tf.initializers.zeros(), undefined, false);
    this.runningVar = this.addWeight('moving_variance', [channels], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    if (!kwargs.training) {
      const gamma = this.gamma.read() as tf.Tensor1D;
      const beta = this.beta.read() as tf.Tensor1D;
      const [mean, variance] = [this.runningMean.read(), this.runningVar.read()];
      if (channelKernelApplies(BatchNorm2dInference, x)) {
        return tf.engine().runKernel(BatchNorm2dInference, { x, gamma, beta, mean, variance }, { epsilon: this.epsilon }) as tf.Tensor;
      }
      return tf.tidy(() => {
        const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, this.epsilon)));
        return tf.add(tf.mul(x, perChannel(scale)), perChannel(tf.sub(beta, tf.mul(mean, scale))));
      });
    }
    return this.normaliseBatch(x);
  }

  /** Whether trainingPass() can fuse the ReLU before and Dropout2d's mask after for x: our training kernels run
   *  (wasm, webgpu) and take its shape. */
  fusesWith(x: tf.Tensor): boolean {
    return channelKernelApplies(BatchNorm2dTraining, x);
  }

  /** One training-mode pass as a training step runs it, without tfjs's tape (lib/model/trunk.ts): normalises x with
   *  the batch's statistics, moves the running ones as PyTorch does, and returns the output with the step back from
   *  dy to [dx, dγ, dβ]. With `relu` it normalises max(x, 0), and with `mask` (Dropout2d's) it multiplies the output
   *  by it: the network's ReLU → BatchNorm2d → Dropout2d in one kernel call each way, where the three layers ran four
   *  kernels each way; the same numbers as the layers one by one, to the bit (test/kernels/channel.test.ts). Fused
   *  only where fusesWith(x). */
  trainingPass(x: tf.Tensor4D, fused: Fused = {}): { y: tf.Tensor4D; backward(dy: tf.Tensor4D): tf.Tensor[] } {
    const pass = normaliseBatch(x, this.gamma.read() as tf.Tensor1D, this.beta.read() as tf.Tensor1D, this.epsilon, fused, this.running());
    this.moveRunningStatistics(pass);
    return { y: pass.y, backward: (dy) => pass.grad(dy, pass.saved) };
  }

  /** The training-mode output under tfjs's tape (model.apply(x, { training: true }) inside tf.grad or
   *  tf.variableGrads): trainingPass() as one op, whose running statistics move inside the op's forward function,
   *  where tfjs records nothing for the gradient (no tape entries or saved copies of their operands). */
  private normaliseBatch(x: tf.Tensor4D): tf.Tensor4D {
    const forward = tf.customGrad((xIn, gammaIn, betaIn, save) => {
      const pass = normaliseBatch(xIn as tf.Tensor4D, gammaIn as tf.Tensor1D, betaIn as tf.Tensor1D, this.epsilon, {}, this.running());
      this.moveRunningStatistics(pass);
      (save as tf.GradSaveFunc)(pass.saved);
      return { value: pass.y, gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => pass.grad(dy as tf.Tensor4D, saved) };
    });
    return forward(x, this.gamma.read(), this.beta.read()) as tf.Tensor4D;
  }

  /** The running statistics, for our kernels to move as they normalise. */
  private running(): Running {
    return { mean: this.runningMean.read() as tf.Tensor1D, variance: this.runningVar.read() as tf.Tensor1D, momentum: this.momentum };
  }

  /** running' = (1 − momentum) · running + momentum · batch's, the variance made unbiased over the values a channel:
   *  moved by our kernels already (pass.moved), or here by tf ops with the same float32 arithmetic. */
  private moveRunningStatistics(pass: Pass): void {
    let moved = pass.moved;
    if (!moved) {
      const [mean, variance] = [this.runningMean.read(), this.runningVar.read()];
      const [m, n] = [this.momentum, pass.count];
      moved = [tf.add(tf.mul(mean, 1 - m), tf.mul(pass.mean, m)), tf.add(tf.mul(variance, 1 - m), tf.mul(pass.variance, (m * n) / (n - 1)))];
    }
    this.runningMean.write(moved[0]);
    this.runningVar.write(moved[1]);
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon };
  }
}

/** What one op computes besides the normalisation: the ReLU before it, the dropout after it. Only our kernels fuse. */
interface Fused {
  relu?: boolean;
  mask?: tf.Tensor4D;
}

/** The running statistics and their momentum. */
interface Running {
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  momentum: number;
}

/** One training-mode forward pass: the output, the batch statistics (over `count` values a channel) and, where our
 *  kernels moved them, the running statistics; what the gradient needs, and the gradient. */
interface Pass {
  y: tf.Tensor4D;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  count: number;
  moved?: [tf.Tensor1D, tf.Tensor1D];
  saved: tf.Tensor[];
  grad(dy: tf.Tensor4D, saved: tf.Tensor[]): tf.Tensor[];
}

/** Batch normalisation with the batch's own statistics, differentiable in x, gamma and beta, and the batch's (biased)
 *  mean and variance. On wasm and webgpu it runs our two kernels (lib/backend/kernels/BatchNorm2dTraining*.ts,
 *  lib/backend/gpuKernels/ likewise), which can also take the ReLU before and the dropout after; elsewhere the same
 *  arithmetic as tf ops. */
function normaliseBatch(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number, fused: Fused, running: Running): Pass {
  const kernels = channelKernelApplies(BatchNorm2dTraining, x);
  if (!kernels && (fused.relu || fused.mask)) throw new Error('BatchNorm2d: only our wasm and webgpu kernels fuse ReLU and Dropout2d');
  return kernels ? byKernels(x, gamma, beta, epsilon, fused.relu ?? false, fused.mask, running) : byOps(x, gamma, beta, epsilon);
}

/** Our two kernels; the forward one also moves the running statistics (one kernel call where that took another). */
function byKernels(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number, relu: boolean, mask: tf.Tensor4D | undefined, running: Running): Pass {
  const attrs = { epsilon, relu };
  const scale = (m?: tf.Tensor): tf.NamedTensorMap => (m ? { scale: m } : {});
  const inputs = { x, gamma, beta, ...scale(mask), runningMean: running.mean, runningVariance: running.variance };
  const [y, mean, variance, movedMean, movedVariance] = tf.engine().runKernel(BatchNorm2dTraining, inputs, { ...attrs, momentum: running.momentum }) as tf.Tensor[];
  return {
    y: y as tf.Tensor4D,
    mean: mean as tf.Tensor1D,
    variance: variance as tf.Tensor1D,
    count: x.size / x.shape[3],
    moved: [movedMean as tf.Tensor1D, movedVariance as tf.Tensor1D],
    saved: [x, mean, variance, gamma, ...(mask ? [mask] : [])],
    grad: (dy, [xs, mu, v, g, m]) =>
      tf.engine().runKernel(BatchNorm2dTrainingGrad, { dy, x: xs, mean: mu, variance: v, gamma: g, ...scale(m) }, attrs) as tf.Tensor[],
  };
}

/** The per-channel vectors are kept as [1, 1, 1, C]: the same arithmetic as [C], but on webgpu a [C] operand sends
 *  an element-wise op to a shared-memory shader that a software adapter runs some forty times slower. */
function byOps(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): Pass {
  const channels = x.shape[3];
  const mean = tf.mean(x, [0, 1, 2], true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), [0, 1, 2], true);
  const invStd = tf.rsqrt(tf.add(variance, epsilon));
  const normalised = tf.mul(centred, invStd);
  return {
    y: tf.add(tf.mul(normalised, perChannel(gamma)), perChannel(beta)),
    mean: tf.reshape(mean, [channels]),
    variance: tf.reshape(variance, [channels]),
    count: x.size / channels,
    saved: [normalised, invStd, gamma],
    grad: (grad, [xHat, inv, gam]) => {
      const count = grad.size / grad.shape[3];
      const dBeta = tf.sum(grad, [0, 1, 2], true);
      const dGamma = tf.sum(tf.mul(grad, xHat), [0, 1, 2], true);
      // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂))
      const dx = tf.mul(
        tf.sub(tf.sub(grad, tf.div(dBeta, count)), tf.mul(xHat, tf.div(dGamma, count))),
        tf.mul(perChannel(gam), inv),
      );
      return [dx, tf.reshape(dGamma, [channels]), tf.reshape(dBeta, [channels])];
    },
  };
}

/** A [C] vector as [1, 1, 1, C], to broadcast over channels-last images (see byOps). */
export function perChannel(v: tf.Tensor): tf.Tensor4D {
  return tf.reshape(v, [1, 1, 1, v.size]);
}
