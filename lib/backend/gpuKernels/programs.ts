import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

const WORKGROUP: [number, number, number] = [64, 1, 1];

/** A program of one invocation per output value, in workgroups of 64: `code` defines `fn main(index : i32)`, with
 *  `uniforms.size` (the output's size), each input as an array named after it, the getters tfjs generates for them
 *  (getX(…) for an input `x`) and setOutputAtIndex. `uniforms` declares the program's own uniforms, in the order the
 *  kernel passes them. */
export function flatProgram(outputShape: number[], shaderKey: string, variableNames: string[], uniforms: string, code: string): WebGPUProgram {
  const { webgpu_util } = require('@tensorflow/tfjs-backend-webgpu') as typeof import('@tensorflow/tfjs-backend-webgpu');
  const dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
  return {
    outputShape, shaderKey, variableNames, uniforms, size: true, workgroupSize: WORKGROUP, dispatchLayout,
    dispatch: webgpu_util.computeDispatch(dispatchLayout, outputShape, WORKGROUP),
    getUserCode: () => code,
  };
}

/** out[i] = `expression` of the inputs' values at i (inputs of the output's shape, named in `variableNames`). */
export function elementwiseProgram(outputShape: number[], shaderKey: string, variableNames: string[], uniforms: string, expression: string): WebGPUProgram {
  return flatProgram(outputShape, shaderKey, variableNames, uniforms, `
    fn main(index : i32) {
      if (index < uniforms.size) {
        setOutputAtIndex(index, ${expression});
      }
    }`);
}

/** Invocations of a workgroup that sums (shader.ts): e.g. one workgroup a channel, each invocation summing every
 *  GROUP_SIZE-th pixel, then the workgroup adds the invocations' sums as a tree (groupSum). The order is fixed, so
 *  the sums never depend on the GPU's scheduling; one workgroup does a channel's whole sum, so statistics that took a
 *  program per step (block sums, their totals, then the same for the deviations) take one dispatch. */
export const GROUP_SIZE = 256;

/** WGSL: `groupSum(t, v)`, the sum of v over the workgroup's GROUP_SIZE invocations (t the invocation's index),
 *  in every invocation. Call it in uniform control flow. */
export const groupSum = `
    var<workgroup> sums : array<f32, ${GROUP_SIZE}>;
    fn groupSum(t : u32, v : f32) -> f32 {
      sums[t] = v;
      workgroupBarrier();
      for (var half = ${GROUP_SIZE / 2}u; half > 0u; half = half >> 1u) {
        if (t < half) {
          sums[t] = sums[t] + sums[t + half];
        }
        workgroupBarrier();
      }
      let total = sums[0];
      workgroupBarrier();
      return total;
    }`;

/** WGSL: `scaleAt(index)`, Dropout2d's mask scale [N, 1, 1, C] at an element of x [N, H, W, C] (uniforms channels
 *  and pixelsEach, the H·W pixels of an image). */
export const channelScaleAt = `fn scaleAt(index : i32) -> f32 {
      let c = index % uniforms.channels;
      return scale[(index / (uniforms.channels * uniforms.pixelsEach)) * uniforms.channels + c];
    }`;

/** WGSL for the value a BatchNorm2d normalises at pixel p, channel c: x, or max(x, 0) with the ReLU before it. */
export function normalisedInput(relu: boolean): string {
  return `fn inputAt(p : i32, c : i32) -> f32 {
      let v = x[p * uniforms.channels + c];
      return ${relu ? 'max(v, 0.0)' : 'v'};
    }`;
}
