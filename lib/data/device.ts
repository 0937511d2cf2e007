import * as tf from '@tensorflow/tfjs';
import { Batch, IMAGE_SHAPE, MnistSplit } from './mnist';

/** A batch as tensors on the backend (on a GPU's memory, for webgpu). */
export interface DeviceBatch {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
  size: number;
}

export function isDeviceBatch(batch: Batch | DeviceBatch): batch is DeviceBatch {
  return 'x' in batch;
}

/** A batch in memory, uploaded; the caller disposes the tensors. */
export function toDevice(batch: Batch): DeviceBatch {
  return { x: tf.tensor4d(batch.images, [batch.size, ...IMAGE_SHAPE]), y: tf.tensor1d(batch.labels, 'int32'), size: batch.size };
}

/** A split uploaded to the backend once; each batch is gathered there by index, so a GPU receives an epoch's order
 *  (a few hundred kilobytes) instead of every batch's pixels. */
export class DeviceSplit {
  private constructor(private readonly images: tf.Tensor4D, private readonly labels: tf.Tensor1D, readonly count: number) {}

  static upload(split: MnistSplit): DeviceSplit {
    return new DeviceSplit(
      tf.tensor4d(split.images, [split.count, ...IMAGE_SHAPE]),
      tf.tensor1d(Int32Array.from(split.labels), 'int32'),
      split.count,
    );
  }

  /** The batches of one epoch in `order`, as data/mnist.ts's batches() makes them (the last may be smaller), but on
   *  the backend. The caller disposes each batch's tensors. */
  *batches(batchSize: number, order: Uint32Array): Generator<DeviceBatch> {
    const indices = tf.tensor1d(Int32Array.from(order), 'int32');
    try {
      for (let start = 0; start < this.count; start += batchSize) {
        const size = Math.min(batchSize, this.count - start);
        yield tf.tidy(() => {
          const picked = tf.slice(indices, start, size);
          return { x: tf.gather(this.images, picked) as tf.Tensor4D, y: tf.gather(this.labels, picked) as tf.Tensor1D, size };
        });
      }
    } finally {
      indices.dispose();
    }
  }

  dispose(): void {
    tf.dispose([this.images, this.labels]);
  }
}

export function disposeBatch(batch: DeviceBatch): void {
  tf.dispose([batch.x, batch.y]);
}
