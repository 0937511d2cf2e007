import { totalmem } from 'node:os';
import { specActivations } from '../model/footprint';
import { defaultSpec, NetSpec } from '../model/spec';
import { flagOf } from '../util/flagName';

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

export interface Machine {
  /** Images in the training set: a batch holds at most these. */
  images?: number;
  /** Bytes of memory the machine has. */
  memory?: number;
}

/** What a step is made of, and the flag or variable that set each (for messages). */
export interface StepShape {
  batchSize: number;
  shards: number;
  modelSpec?: NetSpec;
  name?: (key: 'batchSize' | 'shards' | 'modelSpec') => string;
}

/** Throws, in one line naming the flag or variable at fault and the limit, when a training step on `batchSize`
 *  images split into `shards` (computed one after another) cannot run: a shard would be empty, or would not fit in one
 *  wasm instance's 4 GiB or in the machine's memory. Without this, wasm fails deep inside a step with "memory access
 *  out of bounds", and an empty shard trains on nothing. `train` and `bench` both check before they start. */
export function checkBatchFits(
  { batchSize, shards, modelSpec = defaultSpec(), name = flagOf }: StepShape, backend: string,
  { images = Infinity, memory = totalmem() }: Machine = {},
): void {
  const batch = Math.min(batchSize, images);
  if (shards > batch) {
    throw new Error(`${name('shards')} ${shards}: more shards than the ${batch} images of a batch ` +
      `(${batch < batchSize ? `the data hold ${images}` : `${name('batchSize')} ${batchSize}`}); at most ${batch}`);
  }
  const perImage = (FACTOR[backend] ?? FACTOR.cpu) * 4 * specActivations(modelSpec);
  const fitsOneInstance = backend === 'wasm' ? Math.floor((WASM_HEAP - BASE) / perImage) : Infinity;
  const fitsMachine = Math.floor((memory - BASE) / perImage);
  const perShard = Math.min(fitsOneInstance, fitsMachine);
  const needed = Math.ceil(batch / shards);
  if (needed <= perShard) return;
  const gib = (bytes: number, digits = 2): string => `${+(bytes / GiB).toFixed(digits)} GiB`;
  const beyond = fitsOneInstance <= fitsMachine ? `the ${gib(WASM_HEAP)} a wasm instance can address` : `this machine's ${gib(memory, 1)}`;
  if (perShard < 1) {
    throw new Error(`${name('modelSpec')}: one image through this network needs about ${gib(BASE + perImage)} on ${backend}, beyond ${beyond}`);
  }
  const what = shards > 1 ? `a shard of ${needed} images` : `a batch of ${needed} images`;
  throw new Error(`${name('batchSize')} ${batchSize}: ${what} needs about ${gib(BASE + needed * perImage)} on ${backend}, beyond ${beyond}; ` +
    `the largest batch that fits is ${perShard * shards}`);
}
