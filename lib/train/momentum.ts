import * as tf from '@tensorflow/tfjs';
import { SgdMomentum } from '../backend/kernels/kernelNames';
import { ourKernelActive } from '../backend/kernels/ops';

/** What MomentumOptimizer keeps per variable (tfjs declares it private). */
interface Accumulation {
  originalName: string;
  variable: tf.Variable;
}

/** tfjs's momentum optimizer — v = m·v + g; w −= lr·v, as PyTorch's SGD — whose update of each variable is one kernel
 *  (SgdMomentum) instead of four small ones: on wasm the same float32 arithmetic, where the four were some hundred
 *  kernel calls per step on the main thread; on webgpu two GPU programs instead of four. Elsewhere, tfjs's own. Its
 *  weights (getWeights, setWeights: checkpoints) are tfjs's. */
export class Momentum extends tf.MomentumOptimizer {
  /** Called before every step (lib/train/loop.ts); tfjs's makes a new tensor each time, so only when the rate changes. */
  setLearningRate(rate: number): void {
    if (rate !== this.learningRate || this.c == null) super.setLearningRate(rate);
  }

  applyGradients(variableGradients: Parameters<tf.MomentumOptimizer['applyGradients']>[0]): void {
    const { momentum, useNesterov } = this.getConfig() as { momentum: number; useNesterov: boolean };
    if (!ourKernelActive(SgdMomentum) || useNesterov || !Array.isArray(variableGradients)) {
      super.applyGradients(variableGradients);
      return;
    }
    const accumulations = (this as unknown as { accumulations: Accumulation[] }).accumulations;
    variableGradients.forEach(({ name, tensor: gradient }, i) => {
      const value = tf.engine().registeredVariables[name];
      accumulations[i] ??= { originalName: `${name}/momentum`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      const accumulation = accumulations[i].variable;
      tf.tidy(() => {
        const [newValue, newAccumulation] = tf.engine().runKernel(SgdMomentum, { value, accumulation, gradient },
          { momentum, learningRate: this.learningRate }) as tf.Tensor[];
        accumulation.assign(newAccumulation);
        value.assign(newValue);
      });
    });
    this.incrementIterations();
  }
}
