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
