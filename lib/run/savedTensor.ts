import * as tf from '@tensorflow/tfjs';

export type NamedTensor = { name: string; tensor: tf.Tensor };

/** A tensor as a checkpoint stores it in JSON: its values' bytes (little-endian, as on every platform tfjs runs on) in
 *  base64. */
export interface SavedTensor {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: string;
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
    const data = Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
    return { name, shape: tensor.shape, dtype: tensor.dtype as SavedTensor['dtype'], data };
  });
}

/** The tensors of a checkpoint, checked against their shapes; the caller disposes them. */
export function decodeTensors(saved: SavedTensor[], file: string): NamedTensor[] {
  return saved.map((s, i) => {
    const bytes = typeof s?.data === 'string' ? Buffer.from(s.data, 'base64') : Buffer.alloc(0);
    const size = Array.isArray(s?.shape) ? s.shape.reduce((a, b) => a * b, 1) : NaN;
    if ((s?.dtype !== 'float32' && s?.dtype !== 'int32') || bytes.length !== 4 * size) {
      throw new Error(`${file}: corrupt checkpoint: tensor ${i} (${s?.name}) does not match its shape and type`);
    }
    const copy = new Uint8Array(bytes); // aligned for the typed array
    const values = s.dtype === 'float32' ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer);
    return { name: s.name, tensor: tf.tensor(values, s.shape, s.dtype) };
  });
}
