// What an MNIST image is, for every place that makes one: Node's loader and the page's drawing widget
// (lib/views/page/), so this file imports nothing.

export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;
export const IMAGE_SIZE = 28;
/** One image as the network takes it, channels last. */
export const IMAGE_SHAPE: [number, number, number] = [IMAGE_SIZE, IMAGE_SIZE, 1];
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;

/** Pixels 0–255 as the network takes them, normalised as the original: (x/255 − mean) / std. */
export function normalise(pixels: ArrayLike<number>): Float32Array {
  const out = new Float32Array(pixels.length);
  const scale = 1 / (255 * MNIST_STD);
  const shift = MNIST_MEAN / MNIST_STD;
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] * scale - shift;
  return out;
}
