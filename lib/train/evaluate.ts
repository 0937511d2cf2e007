import * as tf from '@tensorflow/tfjs';
import { batches, IMAGE_SHAPE, MnistSplit } from '../data/mnist';
import { countCorrect, nllLoss } from './shard';

/** Mean loss and accuracy (percent) on a split, in inference mode. */
export function evaluate(model: tf.LayersModel, split: MnistSplit, batchSize = 1000): { loss: number; acc: number } {
  let lossSum = 0;
  let correct = 0;
  for (const b of batches(split, batchSize)) {
    tf.tidy(() => {
      const logProbs = model.predict(tf.tensor4d(b.images, [b.size, ...IMAGE_SHAPE]), { batchSize: b.size }) as tf.Tensor2D;
      const y = tf.tensor1d(b.labels, 'int32');
      lossSum += nllLoss(logProbs, y).dataSync()[0] * b.size;
      correct += countCorrect(logProbs, y).dataSync()[0];
    });
  }
  return { loss: lossSum / split.count, acc: (100 * correct) / split.count };
}

/** The predicted digit for every image of a split, in inference mode. */
export function predictLabels(model: tf.LayersModel, split: MnistSplit, batchSize = 1000): Uint8Array {
  const predicted = new Uint8Array(split.count);
  let offset = 0;
  for (const b of batches(split, batchSize)) {
    // tidy returns the tensor, not its values: tidy walks whatever it returns, element by element.
    const labels = tf.tidy(() => tf.argMax(model.predict(tf.tensor4d(b.images, [b.size, ...IMAGE_SHAPE]), { batchSize: b.size }) as tf.Tensor, 1));
    predicted.set(labels.dataSync(), offset);
    labels.dispose();
    offset += b.size;
  }
  return predicted;
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
