import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend/choose';
import { countCorrect, logSoftmaxNll, nllLoss } from '../../lib/train/loss';

/** Random logits of a random shape, their labels, and the loss, its gradient and the correct count in float64. */
function randomCase(seed: number) {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const [n, classes] = [1 + Math.floor(next() * 9), 2 + Math.floor(next() * 11)];
  const logits = Array.from({ length: n }, () => Array.from({ length: classes }, () => Math.fround(8 * next() - 4)));
  const labels = Array.from({ length: n }, () => Math.floor(next() * classes));
  let loss = 0;
  let correct = 0;
  const dLogits = logits.map((row, i) => {
    const max = Math.max(...row);
    const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
    loss -= (row[labels[i]] - max - Math.log(sum)) / n;
    if (row.indexOf(max) === labels[i]) correct++;
    return row.map((v, k) => (Math.exp(v - max) / sum - (k === labels[i] ? 1 : 0)) / n);
  });
  return { logits, labels, loss, correct, dLogits };
}

for (const backend of ['wasm', 'cpu'] as const) {
  test(`log-softmax and nll loss on ${backend}: loss, correct count and the logits' gradient against float64, random shapes`, async () => {
    await initBackend(backend);
    for (let seed = 1; seed <= 12; seed++) {
      const c = randomCase(seed);
      tf.tidy(() => {
        const logits = tf.tensor2d(c.logits);
        const labels = tf.tensor1d(c.labels, 'int32');
        const ours = logSoftmaxNll(logits, labels);
        assert.ok(Math.abs(ours.loss.dataSync()[0] - c.loss) < 1e-5, `seed ${seed}: loss ${ours.loss.dataSync()[0]} against ${c.loss}`);
        assert.equal(ours.correct.dataSync()[0], c.correct);
        const d = ours.dLogits.arraySync();
        c.dLogits.forEach((row, i) => row.forEach((v, k) => assert.ok(Math.abs(d[i][k] - v) < 1e-6, `seed ${seed}: dLogits[${i}][${k}]`)));
        // nllLoss and countCorrect (evaluation's) on the log-probabilities agree with the training pass
        const logProbs = tf.logSoftmax(logits) as tf.Tensor2D;
        assert.equal(nllLoss(logProbs, labels).dataSync()[0], ours.loss.dataSync()[0]);
        assert.equal(countCorrect(logProbs, labels).dataSync()[0], c.correct);
      });
    }
  });
}
