import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_ROTATION, rotateBatch, rotateImage } from '../../lib/data/augment';
import { Batch, MNIST_MEAN, MNIST_STD, PIXELS } from '../../lib/data/mnist';
import { Rng } from '../../lib/util/rng';

const BLACK = -MNIST_MEAN / MNIST_STD;

/** A 28×28 image, normalised black, with a white bar at column `x` from row 4 to row 23. */
function bar(x: number): Float32Array {
  const image = new Float32Array(PIXELS).fill(BLACK);
  for (let y = 4; y < 24; y++) image[y * 28 + x] = (1 - MNIST_MEAN) / MNIST_STD;
  return image;
}

const rotated = (src: Float32Array, degrees: number): Float32Array => {
  const dst = new Float32Array(PIXELS);
  rotateImage(src, dst, degrees);
  return dst;
};

test('a rotation by 0° is the image itself, exactly', () => {
  const image = bar(10).map((v, i) => v + (i % 7) * 0.01);
  assert.deepEqual(rotated(image, 0), image);
});

test('a rotation by 90° moves each pixel where a quarter turn about the centre puts it, and lets in only black', () => {
  const image = bar(10);
  const turned = rotated(image, 90);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      // The output pixel (x, y) comes from the input pixel (y, 27 − x).
      assert.ok(Math.abs(turned[y * 28 + x] - image[(27 - x) * 28 + y]) < 1e-4, `(${x}, ${y})`);
    }
  }
  assert.ok(rotated(new Float32Array(PIXELS).fill(BLACK), 7).every((v) => Math.abs(v - BLACK) < 1e-6), 'black stays black');
});

test('a small rotation tilts a vertical bar: its ends move sideways in opposite directions, its brightness stays', () => {
  const image = bar(14);
  const tilted = rotated(image, MAX_ROTATION);
  const column = (y: number) => { // the brightness-weighted column of row y
    let [sum, weight] = [0, 0];
    for (let x = 0; x < 28; x++) {
      const w = tilted[y * 28 + x] - BLACK;
      sum += w * x;
      weight += w;
    }
    return sum / weight;
  };
  const [top, bottom] = [column(5), column(22)];
  assert.ok(Math.abs(top - bottom) > 1.5 && Math.sign(top - 14) === -Math.sign(bottom - 14), `top at ${top}, bottom at ${bottom}`);
  const mass = (a: Float32Array) => a.reduce((s, v) => s + v - BLACK, 0);
  assert.ok(Math.abs(mass(tilted) / mass(image) - 1) < 0.02, `brightness ratio ${mass(tilted) / mass(image)}`);
});

test('a batch: each image its own angle from the generator, the same again from the same state, labels and source kept', () => {
  const images = new Float32Array(4 * PIXELS);
  for (let i = 0; i < 4; i++) images.set(bar(14), i * PIXELS);
  const batch: Batch = { images, labels: Int32Array.of(1, 1, 1, 1), size: 4 };
  const copy = images.slice();
  const rng = new Rng(9);
  const a = rotateBatch(batch, rng);
  const afterDraws = rng.getState();
  const b = rotateBatch(batch, new Rng(9));
  assert.deepEqual(a.images, b.images);
  assert.deepEqual(a.labels, batch.labels);
  assert.deepEqual(images, copy, 'the source batch is not changed');
  assert.notEqual(afterDraws, new Rng(9).getState(), 'the angles come from the generator handed in');
  const slices = [0, 1, 2, 3].map((i) => a.images.subarray(i * PIXELS, (i + 1) * PIXELS));
  assert.notDeepEqual(slices[0], slices[1]);
  assert.notDeepEqual(slices[0], bar(14));
});
