import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { address, instantiate } from './heap';
import { parallel } from './threads';
import { batchNormWasm, channelOpsWasm } from './wasm/modules';

/** The functions of wasm/channelOps.wat, for BatchNorm2d at inference and ReluGrad; pointers are byte offsets into
 *  the backend's memory. */
export interface ChannelOps {
  affine(x: number, out: number, params: number, pixels: number, channels: number): void;
  reluGrad(x: number, dy: number, out: number, n: number): void;
}

export function channelOps(backend: BackendWasm): ChannelOps {
  return instantiate<ChannelOps>(backend, channelOpsWasm);
}

/** wasm/batchNorm.c, BatchNorm2d in training (its kernels' files say what each pass computes), its passes run as
 *  parallel units of UNIT_BLOCKS blocks of BLOCK pixels (threads.ts). Pointers are byte offsets into the backend's
 *  memory, 0 for no mask; `relu` is 0 or 1. */
export function batchNorm(backend: BackendWasm, pixels: number, channels: number) {
  const units = Math.ceil(pixels / (BLOCK * UNIT_BLOCKS));
  const blocks = Math.ceil(pixels / BLOCK);
  const partials = backend.makeOutput([blocks * 2 * channels], 'float32');
  const sumBlocks = (sums: number) => {
    parallel(backend, batchNormWasm, 'blockTotals', channels / 2, [address(backend, partials), sums, blocks, channels]);
    backend.disposeData(partials.dataId);
  };
  const run = (fn: string, args: number[]) => parallel(backend, batchNormWasm, fn, units, args);
  return {
    /** Forward pass 1: the sums, float64 [2C], of deviations from the first pixel, which goes to `shift`. */
    forwardSums(x: number, shift: number, sums: number, relu: number): void {
      instantiate<{ forwardShift(...args: number[]): void }>(backend, batchNormWasm).forwardShift(x, shift, channels, relu);
      run('forwardSums', [x, shift, address(backend, partials), pixels, channels, relu]);
      sumBlocks(sums);
    },
    forwardApply(x: number, mask: number, y: number, params: number, pixelsEach: number, relu: number): void {
      run('forwardApply', [x, mask, y, params, pixels, pixelsEach, channels, relu]);
    },
    backwardSums(dz: number, mask: number, x: number, mean: number, sums: number, pixelsEach: number, relu: number): void {
      run('backwardSums', [dz, mask, x, mean, address(backend, partials), pixels, pixelsEach, channels, relu]);
      sumBlocks(sums);
    },
    backwardApply(dz: number, mask: number, x: number, params: number, dx: number, pixelsEach: number, relu: number): void {
      run('backwardApply', [dz, mask, x, params, dx, pixels, pixelsEach, channels, relu]);
    },
  };
}

/** wasm/batchNorm.c's pixels per block of its sums, and blocks per unit of work. */
const BLOCK = 64;
const UNIT_BLOCKS = 16;

/** [pixels, channels] of a channels-last tensor, refusing what the SIMD code cannot take. */
export function pixelsAndChannels(x: tf.TensorInfo): [number, number] {
  const channels = x.shape[x.shape.length - 1];
  const size = tf.util.sizeFromShape(x.shape);
  if (!(channels % 4 === 0 && size > 0)) throw new Error(`wasm channel kernels need channels in fours, got shape ${x.shape}`);
  return [size / channels, channels];
}

/** Per-channel working memory in the backend's heap, C·10 floats: a shift (C), the float64 sums (2C, as 4C floats),
 *  then up to five rows of parameters (5C). Free `info` when done. */
export function scratch(backend: BackendWasm, channels: number) {
  const info = backend.makeOutput([10 * channels], 'float32');
  const at = address(backend, info);
  return {
    info,
    shift: at,
    sums: at + 4 * channels,
    params: at + 20 * channels,
    /** Views on it; take them only after the last allocation of the kernel (the heap can move). */
    views() {
      const f = backend.typedArrayFromHeap(info) as Float32Array;
      return {
        shift: f.subarray(0, channels),
        sums: new Float64Array(f.buffer, f.byteOffset + 4 * channels, 2 * channels),
        params: f.subarray(5 * channels),
      };
    },
  };
}
