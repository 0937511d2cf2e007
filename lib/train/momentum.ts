import * as tf from '@tensorflow/tfjs';
import { SgdMomentum, sgdMomentumInputs } from '../backend/kernels/kernelNames';
import { ourKernelActive } from '../backend/kernels/ops';

/** What MomentumOptimizer keeps per variable (tfjs declares it private). */
interface Accumulation {
  originalName: string;
  variable: tf.Variable;
}

/** tfjs's momentum optimizer — v = m·v + g; w −= lr·v, as PyTorch's SGD — whose update of all variables is one kernel
 *  call (SgdMomentum) instead of four small ones a variable: on wasm the same float32 arithmetic, where the four were
 *  some hundred kernel calls per step on the main thread; on webgpu two GPU programs a variable instead of four.
 *  Elsewhere, tfjs's own. Its weights (getWeights, setWeights: checkpoints) are tfjs's. */
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
    const values = variableGradients.map(({ name }) => tf.engine().registeredVariables[name]);
    values.forEach((value, i) => {
      accumulations[i] ??= { originalName: `${value.name}/momentum`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
    });
    tf.tidy(() => {
      const inputs = sgdMomentumInputs(values, values.map((_, i) => accumulations[i].variable), variableGradients.map((g) => g.tensor));
      const updated = tf.engine().runKernel(SgdMomentum, inputs, { momentum, learningRate: this.learningRate }) as tf.Tensor[];
      values.forEach((value, i) => {
        accumulations[i].variable.assign(updated[2 * i + 1]);
        value.assign(updated[2 * i]);
      });
    });
    this.incrementIterations();
  }
}
