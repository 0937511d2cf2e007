import * as tf from '@tensorflow/tfjs';
import { batches, IMAGE_SHAPE, MnistSplit } from '../data/mnist';
import { readScalars } from './metrics';
import { countCorrect, nllLoss } from './loss';

/** Mean loss and accuracy (percent) on a split, in inference mode. Each batch's loss and count stay on the backend
 *  until all are read in one asynchronous transfer; the losses are summed here, in float64, in batch order. */
export async function evaluate(model: tf.LayersModel, split: MnistSplit, batchSize = 1000): Promise<{ loss: number; acc: number }> {
  const sizes: number[] = [];
  const scalars: tf.Tensor[] = [];
  for (const b of batches(split, batchSize)) {
    tf.tidy(() => {
      const logProbs = predict(model, b.images, b.size);
      const y = tf.tensor1d(b.labels, 'int32');
      scalars.push(tf.keep(nllLoss(logProbs, y)), tf.keep(countCorrect(logProbs, y)));
    });
    sizes.push(b.size);
  }
  const values = await readScalars(scalars);
  let lossSum = 0;
  let correct = 0;
  sizes.forEach((size, i) => {
    lossSum += values[2 * i] * size;
    correct += values[2 * i + 1];
  });
  return { loss: lossSum / split.count, acc: (100 * correct) / split.count };
}

/** The predicted digit for every image of a split, in inference mode. */
export async function predictLabels(model: tf.LayersModel, split: MnistSplit, batchSize = 1000): Promise<Uint8Array> {
  const parts: tf.Tensor[] = [];
  for (const b of batches(split, batchSize)) parts.push(tf.tidy(() => tf.argMax(predict(model, b.images, b.size), 1)));
  const labels = tf.concat(parts);
  tf.dispose(parts);
  const predicted = Uint8Array.from(await labels.data());
  labels.dispose();
  return predicted;
}

function predict(model: tf.LayersModel, images: Float32Array, size: number): tf.Tensor2D {
  return model.predict(tf.tensor4d(images, [size, ...IMAGE_SHAPE]), { batchSize: size }) as tf.Tensor2D;
}

/** counts[true][predicted] over a split. */
export function confusionMatrix(truth: Uint8Array, predicted: Uint8Array): number[][] {
  const counts = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  truth.forEach((t, i) => counts[t][predicted[i]]++);
  return counts;
}

/** Indices of the images whose prediction is wrong, in test-set order. */
export function misclassified(truth: Uint8Array, predicted: Uint8Array, limit = Infinity): number[] {
  const wrong: number[] = [];
  for (let i = 0; i < truth.length && wrong.length < limit; i++) if (truth[i] !== predicted[i]) wrong.push(i);
  return wrong;
}
