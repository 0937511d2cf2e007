import { totalmem } from 'node:os';
import { buildNet } from '../model/net';

const GiB = 2 ** 30;
/** What one wasm instance can address: tfjs-backend-wasm 4.x's binaries are built with a 4 GiB memory maximum. */
const WASM_HEAP = 4 * GiB;
/** What a backend instance holds before any batch (module, weights, buffers): about 100 MiB measured on wasm. */
const BASE = 128 * 2 ** 20;
/** Bytes a training step holds per image, as a multiple of the float32 bytes of its activations (the activations and
 *  their gradients). Measured: on wasm the heap grows 1.06 MB per image (2.0×; a shard of 4,000 images fits in 4 GiB,
 *  4,200 end in "memory access out of bounds"); on cpu the process grows 1.8 MB per image (3.5×). Native TensorFlow
 *  is not measured; it is taken to be as lean as wasm. */
const FACTOR: Record<string, number> = { wasm: 2, cpu: 4, tensorflow: 2 };

/** Floats of every layer's output for one image of the network. */
let activations: number | undefined;
function activationFloats(): number {
  if (activations === undefined) {
    const model = buildNet();
    activations = model.layers.reduce((sum, layer) => sum + (layer.outputShape as number[]).slice(1).reduce((a, b) => a * b, 1), 0);
    model.dispose();
  }
  return activations;
}

export interface Machine {
  /** Images in the training set: a batch holds at most these. */
  images?: number;
  /** Bytes of memory the machine has. */
  memory?: number;
}

/** Throws, in one line naming the batch size's flag or variable (`name`) and the largest batch that fits, when a
 *  training step on `batchSize` images split into `shards` (computed one after another) would not fit: a shard in one
 *  wasm instance's 4 GiB, or in the machine's memory. Without this, wasm fails deep inside a step with "memory access
 *  out of bounds". */
export function checkBatchFits(
  batchSize: number, shards: number, backend: string, { images = Infinity, memory = totalmem() }: Machine = {}, name = '--batch-size',
): void {
  const perImage = (FACTOR[backend] ?? FACTOR.cpu) * 4 * activationFloats();
  const fitsOneInstance = backend === 'wasm' ? Math.floor((WASM_HEAP - BASE) / perImage) : Infinity;
  const fitsMachine = Math.floor((memory - BASE) / perImage);
  const perShard = Math.min(fitsOneInstance, fitsMachine);
  const batch = Math.min(batchSize, images);
  const needed = Math.ceil(batch / shards);
  if (needed <= perShard) return;
  const gib = (bytes: number, digits = 2): string => `${+(bytes / GiB).toFixed(digits)} GiB`;
  const beyond = fitsOneInstance <= fitsMachine ? `the ${gib(WASM_HEAP)} a wasm instance can address` : `this machine's ${gib(memory, 1)}`;
  const what = shards > 1 ? `a shard of ${needed} images` : `a batch of ${needed} images`;
  throw new Error(`${name} ${batchSize}: ${what} needs about ${gib(BASE + needed * perImage)} on ${backend}, beyond ${beyond}; ` +
    `the largest batch that fits is ${Math.max(0, perShard) * shards}`);
}
