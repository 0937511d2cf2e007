import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { instantiate } from './simd';

/** wasm/channelOps.wat, compiled: `wat2wasm channelOps.wat --output=/dev/stdout | base64 -w 100`. */
const CHANNEL_OPS_WASM =
  'AGFzbQEAAAABJgVgB39/f39/f38AYAZ/f39/f38AYAR/f39/AGACf38Bf2ACf3sAAg8BA2VudgZtZW1vcnkCAAEDBgUAAQIDBAcd' +
  'AwRzdW1zAAAHY29tYmluZQABCHJlbHVHcmFkAAIK5gQF6QECB38FeyAGQQJ0IQcgBEEAIAZBBHT8CwADQEEAIQkDQCACIAlq/QAE' +
  'ACEOIAMgCWr9AAQAIQ9DAAAAAP0TIRFDAAAAAP0TIRIgACAIIAdsIAlqaiELIAEgCCAHbCAJamohDCAIIAUQAyEKA0AgC/0ABAAg' +
  'Dv3lASEQIBEgEP3kASERIBIgECAM/QAEACAP/eUB/eYB/eQBIRIgCyAHaiELIAwgB2ohDCAKQQFrIgoNAAsgBCAJQQF0aiENIA0g' +
  'ERAEIA0gB0EBdGogEhAEIAlBEGoiCSAHSQ0ACyAIQcAAaiIIIAVJDQALC80BAgZ/BXsgBUECdCEGA0BBACEIA0AgAyAIaiELIAv9' +
  'AAQAIQwgCyAGaiIL/QAEACENIAsgBmoiC/0ABAAhDiALIAZqIgv9AAQAIQ8gCyAGav0ABAAhECAHIAZsIAhqIQogByAEEAMhCQNA' +
  'IAIgCmogACAKav0ABAAgDP3lASAN/eYBIAEgCmr9AAQAIA795QEgD/3mAf3kASAQ/eQB/QsEACAKIAZqIQogCUEBayIJDQALIAhB' +
  'EGoiCCAGSQ0ACyAHQcAAaiIHIARJDQALC1gCAX8BeyAAIANBAnRqIQQDQCAA/QAEACEFIAIgBSAB/QAEACAFQwAAAAD9E/1E/U4g' +
  'BSAF/UL9Uv0LBAAgAUEQaiEBIAJBEGohAiAAQRBqIgAgBEkNAAsLFABBwAAgASAAayAAQcAAaiABTRsLPAAgACAA/QAEACAB/V/9' +
  '8AH9CwQAIAAgAP0ABBAgASAB/Q0ICQoLDA0ODwABAgMEBQYH/V/98AH9CwQQCw==';

/** The functions of wasm/channelOps.wat; pointers are byte offsets into the backend's memory. */
export interface ChannelOps {
  sums(u: number, v: number, mu: number, mv: number, out: number, pixels: number, channels: number): void;
  combine(u: number, v: number, out: number, params: number, pixels: number, channels: number): void;
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
