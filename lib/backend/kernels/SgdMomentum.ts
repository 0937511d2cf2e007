import * as tf from '@tensorflow/tfjs';
import { floats } from './heap';
import { SgdMomentum, SgdMomentumAttrs, SgdMomentumInputs, sgdMomentumVariables } from './kernelNames';
import { KernelArgs, wasmKernel } from './wasmKernel';

/** tfjs's momentum update of every variable in one kernel call where its optimizer runs four a variable (two
 *  multiplies, two adds), with the same float32 arithmetic: a' = m·a + g, then w' = (−lr)·a' + w, each product and sum
 *  rounded to float32 (Math.fround of the double result, which is exactly float32's rounding for one product or sum
 *  of floats). */
function sgdMomentum({ inputs, backend, attrs }: KernelArgs<SgdMomentumInputs, SgdMomentumAttrs>): tf.TensorInfo[] {
  const m = Math.fround(attrs.momentum);
  const c = Math.fround(-attrs.learningRate);
  return sgdMomentumVariables(inputs).flatMap(({ value, accumulation, gradient }) => {
    const newValue = backend.makeOutput(value.shape, 'float32');
    const newAccumulation = backend.makeOutput(value.shape, 'float32');
    const [w, a, g, w1, a1] = floats(backend, value, accumulation, gradient, newValue, newAccumulation);
    for (let i = 0; i < w.length; i++) {
      const next = Math.fround(Math.fround(m * a[i]) + g[i]);
      a1[i] = next;
      w1[i] = Math.fround(Math.fround(c * next) + w[i]);
    }
    return [newValue, newAccumulation];
  });
}

export const sgdMomentumConfig = wasmKernel(SgdMomentum, sgdMomentum);
