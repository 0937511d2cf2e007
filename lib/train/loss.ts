import * as tf from '@tensorflow/tfjs';
import { LogSoftmaxNll } from '../backend/kernels/kernelNames';
import { ourKernelActive } from '../backend/kernels/ops';

/** Mean negative log-likelihood of log-probabilities, as PyTorch's F.nll_loss. */
export function nllLoss(logProbs: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return nllOf(logProbs, oneHot(labels, logProbs.shape[1]));
}

export function countCorrect(logProbs: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(logProbs, 1), labels), 'int32'));
}

/** F.log_softmax then F.nll_loss in training, without tfjs's tape: the mean loss, the correct predictions, and the
 *  loss's gradient for the logits. The ops are those tf.logSoftmax and nllLoss run forward, and those the tape runs
 *  back (log-softmax's own gradient, dy − Σdy·exp(logProbs), on dy = −onehot/N), so the numbers are the tape's to
 *  the bit (test/unit/trunk.test.ts), without the copies it keeps of what it saves. On webgpu, the same arithmetic as
 *  one kernel of ours (a single dispatch where the ops ran some twenty; within float rounding of them). */
export function logSoftmaxNll(logits: tf.Tensor2D, labels: tf.Tensor1D): { loss: tf.Scalar; correct: tf.Scalar; dLogits: tf.Tensor2D } {
  if (ourKernelActive(LogSoftmaxNll) && labels.dtype === 'int32') {
    const [loss, correct, dLogits] = tf.engine().runKernel(LogSoftmaxNll, { logits, labels }) as [tf.Scalar, tf.Scalar, tf.Tensor2D];
    return { loss, correct, dLogits };
  }
  const [n, classes] = logits.shape;
  // tf.logSoftmax's forward, less its cast of float32 to float32
  const shifted = tf.sub(logits, tf.max(logits, 1, true));
  const logProbs = tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), 1, true))) as tf.Tensor2D;
  const targets = oneHot(labels, classes);
  const dLogProbs = tf.div(tf.neg(targets), n) as tf.Tensor2D; // what neg, mean, sum and mul send back: −1/N or −0
  return {
    loss: nllOf(logProbs, targets),
    correct: countCorrect(logProbs, labels),
    dLogits: tf.sub(dLogProbs, tf.mul(tf.sum(dLogProbs, 1, true), tf.exp(logProbs))) as tf.Tensor2D,
  };
}

function nllOf(logProbs: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(logProbs, targets), 1))) as tf.Scalar;
}

/** 1 at each label, 0 elsewhere, in float32. Cast once here, where each op that met tf.oneHot's int32 would cast it
 *  again; tf.oneHot(…, 'float32') itself cannot be used: tfjs-backend-wasm's kernel writes int32 bits under a float32
 *  label (4.22: the loss comes out ~1e-45). */
function oneHot(labels: tf.Tensor1D, classes: number): tf.Tensor2D {
  return tf.cast(tf.oneHot(labels, classes), 'float32') as tf.Tensor2D;
}
