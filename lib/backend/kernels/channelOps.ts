import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { instantiate } from './simd';

/** wasm/channelOps.wat, compiled: `wat2wasm channelOps.wat --output=/dev/stdout | base64 -w 100`. */
const CHANNEL_OPS_WASM =
  'AGFzbQEAAAABLgZgB39/f39/f38AYAZ/f39/f38AYAV/f39/fwBgBH9/f38AYAJ/fwF/YAJ/ewACDwEDZW52Bm1lbW9yeQIAAQMH' +
  'BgABAgMEBQcmBARzdW1zAAAHY29tYmluZQABBmFmZmluZQACCHJlbHVHcmFkAAMK8gUG6QECB38FeyAGQQJ0IQcgBEEAIAZBBHT8' +
  'CwADQEEAIQkDQCACIAlq/QAEACEOIAMgCWr9AAQAIQ9DAAAAAP0TIRFDAAAAAP0TIRIgACAIIAdsIAlqaiELIAEgCCAHbCAJamoh' +
  'DCAIIAUQBCEKA0AgC/0ABAAgDv3lASEQIBEgEP3kASERIBIgECAM/QAEACAP/eUB/eYB/eQBIRIgCyAHaiELIAwgB2ohDCAKQQFr' +
  'IgoNAAsgBCAJQQF0aiENIA0gERAFIA0gB0EBdGogEhAFIAlBEGoiCSAHSQ0ACyAIQcAAaiIIIAVJDQALC80BAgZ/BXsgBUECdCEG' +
  'A0BBACEIA0AgAyAIaiELIAv9AAQAIQwgCyAGaiIL/QAEACENIAsgBmoiC/0ABAAhDiALIAZqIgv9AAQAIQ8gCyAGav0ABAAhECAH' +
  'IAZsIAhqIQogByAEEAQhCQNAIAIgCmogACAKav0ABAAgDP3lASAN/eYBIAEgCmr9AAQAIA795QEgD/3mAf3kASAQ/eQB/QsEACAK' +
  'IAZqIQogCUEBayIJDQALIAhBEGoiCCAGSQ0ACyAHQcAAaiIHIARJDQALC4oBAgV/AnsgBEECdCEFA0BBACEHA0AgAiAHav0ABAAh' +
  'CiACIAVqIAdq/QAEACELIAYgBWwgB2ohCSAGIAMQBCEIA0AgASAJaiAAIAlq/QAEACAK/eYBIAv95AH9CwQAIAkgBWohCSAIQQFr' +
  'IggNAAsgB0EQaiIHIAVJDQALIAZBwABqIgYgA0kNAAsLWAIBfwF7IAAgA0ECdGohBANAIAD9AAQAIQUgAiAFIAH9AAQAIAVDAAAA' +
  'AP0T/UT9TiAFIAX9Qv1S/QsEACABQRBqIQEgAkEQaiECIABBEGoiACAESQ0ACwsUAEHAACABIABrIABBwABqIAFNGws8ACAAIAD9' +
  'AAQAIAH9X/3wAf0LBAAgACAA/QAEECABIAH9DQgJCgsMDQ4PAAECAwQFBgf9X/3wAf0LBBAL';

/** The functions of wasm/channelOps.wat; pointers are byte offsets into the backend's memory. */
export interface ChannelOps {
  sums(u: number, v: number, mu: number, mv: number, out: number, pixels: number, channels: number): void;
  combine(u: number, v: number, out: number, params: number, pixels: number, channels: number): void;
  affine(x: number, out: number, params: number, pixels: number, channels: number): void;
  reluGrad(x: number, dy: number, out: number, n: number): void;
}

export function channelOps(backend: BackendWasm): ChannelOps {
  return instantiate<ChannelOps>(backend, CHANNEL_OPS_WASM);
}

/** Whether a float32 tensor of this shape can take our kernel `name` now: the wasm backend is active with the kernel
 *  registered, and the channels (the last axis) come in fours, as the SIMD code needs. */
export function channelKernelApplies(name: string, x: tf.Tensor): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(name, 'wasm') !== undefined && x.dtype === 'float32' &&
    x.size > 0 && x.shape.length > 0 && x.shape[x.shape.length - 1] % 4 === 0;
}

/** [pixels, channels] of a channels-last tensor, refusing what the SIMD code cannot take. */
export function pixelsAndChannels(x: tf.TensorInfo): [number, number] {
  const channels = x.shape[x.shape.length - 1];
  const size = tf.util.sizeFromShape(x.shape);
  if (!(channels % 4 === 0 && size > 0)) throw new Error(`wasm channel kernels need channels in fours, got shape ${x.shape}`);
  return [size / channels, channels];
}
