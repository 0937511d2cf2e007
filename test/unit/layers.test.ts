import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Dropout2d } from '../../lib/model/layers';
import { Rng } from '../../lib/util/rng';

/** The mask as tfjs's ops drew it when the committed runs were made: step(u − rate) / (1 − rate), u uniform. */
function maskByOps(shape: number[], rate: number, seed: number): Float32Array {
  return tf.tidy(() => {
    const keep = tf.step(tf.sub(tf.randomUniform(shape, 0, 1, 'float32', seed), rate));
    return tf.mul(keep, 1 / (1 - rate)).dataSync() as Float32Array;
  });
}

test('Dropout2d draws, with no kernel call, the masks tfjs ops drew from the same seeds', async () => {
  const rng = new Rng(99);
  for (const rate of [0.01, 0.1, 0.25, 0.5, 0.9, 1 / 3]) {
    const layerSeed = rng.seed();
    const shape = [1 + rng.int(40), 1, 1, 1 + rng.int(40)];
    const layer = new Dropout2d({ rate, seed: layerSeed });
    const twin = new Rng(layerSeed); // the layer's generator, to know the seed of each draw
    for (let draw = 0; draw < 3; draw++) {
      let mask!: tf.Tensor;
      const { kernels, newTensors } = await tf.profile(() => { mask = layer.drawMask(shape); });
      assert.equal(kernels.length, 0);
      assert.equal(newTensors, 1);
      assert.deepEqual(mask.shape, shape);
      assert.deepEqual(mask.dataSync(), maskByOps(shape, rate, twin.seed()), `rate ${rate}, draw ${draw}`);
      mask.dispose();
    }
  }
});
