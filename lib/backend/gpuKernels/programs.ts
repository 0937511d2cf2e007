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

/** Pixels per block of a per-channel sum: each invocation of a block program sums one block of one column. */
export const BLOCK = 256;

/** out[j] = factor · Σ over rows r, in order, of partials[r · width + offset + j], for j < count: the per-channel
 *  totals of block sums ([rows, width], `width` ≥ offset + count). */
export function columnTotals(rows: number, count: number): { program: WebGPUProgram; uniforms: (width: number, offset: number, factor: number) => { type: string; data: number[] }[] } {
  const program = flatProgram([count], 'mnist20kColumnTotals', ['partials'], 'rows : i32, width : i32, offset : i32, factor : f32,', `
    fn main(index : i32) {
      if (index >= uniforms.size) {
        return;
      }
      var sum = 0.0;
      for (var r = 0; r < uniforms.rows; r = r + 1) {
        sum = sum + partials[r * uniforms.width + uniforms.offset + index];
      }
      setOutputAtIndex(index, sum * uniforms.factor);
    }`);
  return {
    program,
    uniforms: (width, offset, factor) => [
      { type: 'int32', data: [rows] }, { type: 'int32', data: [width] }, { type: 'int32', data: [offset] }, { type: 'float32', data: [factor] },
    ],
  };
}

/** WGSL for the value a BatchNorm2d normalises at pixel p, channel c: x, or max(x, 0) with the ReLU before it. */
export function normalisedInput(relu: boolean): string {
  return `fn inputAt(p : i32, c : i32) -> f32 {
      let v = x[p * uniforms.channels + c];
      return ${relu ? 'max(v, 0.0)' : 'v'};
    }`;
}
