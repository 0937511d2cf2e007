import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';

export type NamedTensor = { name: string; tensor: tf.Tensor };

/** A tensor as a checkpoint stores it in JSON: its values' bytes (little-endian, as on every platform tfjs runs on) in
 *  base64, and their SHA-256, so that bytes changed after writing (a flipped bit, an edit) are found, not trained on. */
export interface SavedTensor {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: string;
  /** Absent in checkpoints written before checksums (format 2). */
  sha256?: string;
}

/** Encodes tensors for a checkpoint; a NaN or infinite value is an error naming the tensor (`what` says whose). The
 *  values are read asynchronously, all at once, as webgpu requires. */
export async function encodeTensors(named: NamedTensor[], what: string): Promise<SavedTensor[]> {
  for (const { name, tensor } of named) {
    if (tensor.dtype !== 'float32' && tensor.dtype !== 'int32') throw new Error(`${what} ${name}: cannot save dtype ${tensor.dtype}`);
  }
  const read = await Promise.all(named.map(({ tensor }) => tensor.data() as Promise<Float32Array | Int32Array>));
  return named.map(({ name, tensor }, i) => {
    const values = read[i];
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`${what} ${name} holds ${values[bad]} at index ${bad}: not saving a diverged model`);
    const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    return { name, shape: tensor.shape, dtype: tensor.dtype as SavedTensor['dtype'], data: bytes.toString('base64'), sha256: sha256(bytes) };
  });
}

/** What is wrong with one saved tensor, or undefined: a shape of whole numbers, the `dtype` it must have, exactly the
 *  bytes that shape needs, their SHA-256 (required when `checksummed`, checked whenever present), and finite
 *  values. */
export function savedTensorProblem(s: SavedTensor, dtype: SavedTensor['dtype'], checksummed: boolean): string | undefined {
  if (typeof s !== 'object' || s === null) return 'not a tensor';
  if (typeof s.name !== 'string') return 'no name';
  if (!Array.isArray(s.shape) || !s.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return `shape ${JSON.stringify(s.shape)}`;
  if (s.dtype !== dtype) return `dtype ${s.dtype}, expected ${dtype}`;
  if (typeof s.data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s.data)) return 'data is not base64';
  const size = s.shape.reduce((a, b) => a * b, 1);
  const bytes = Buffer.from(s.data, 'base64');
  if (bytes.length !== 4 * size) return `${bytes.length} bytes of data, shape ${s.shape.join('x') || '[] (a scalar)'} needs ${4 * size}`;
  if (s.sha256 === undefined ? checksummed : s.sha256 !== sha256(bytes)) {
    return s.sha256 === undefined ? 'no sha256 of its data' : 'its data do not match their SHA-256 (changed after the checkpoint was written)';
  }
  const values = decodeValues(s);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  return bad >= 0 ? `holds ${values[bad]} at index ${bad}` : undefined;
}

/** The tensors of a checkpoint; each is checked as savedTensorProblem does, with the dtype it was saved with, and an
 *  error names `file` and the tensor (`field[i]`). The caller disposes them. */
export function decodeTensors(saved: SavedTensor[], file: string, field = 'tensor'): NamedTensor[] {
  return saved.map((s, i) => {
    const problem = savedTensorProblem(s, s?.dtype === 'int32' ? 'int32' : 'float32', false);
    if (problem) throw new Error(`${file}: corrupt checkpoint: ${field}[${i}] (${s?.name}): ${problem}`);
    return { name: s.name, tensor: tf.tensor(decodeValues(s), s.shape, s.dtype) };
  });
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function decodeValues(s: SavedTensor): Float32Array | Int32Array {
  const copy = new Uint8Array(Buffer.from(s.data, 'base64')); // aligned for the typed array
  return s.dtype === 'int32' ? new Int32Array(copy.buffer) : new Float32Array(copy.buffer);
}
