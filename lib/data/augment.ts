import { Rng } from '../util/rng';
import { Batch, IMAGE_SIZE, MNIST_MEAN, MNIST_STD, PIXELS } from './mnist';

/** The largest rotation, in degrees, as the usual recipe for this network has it (torchvision's RandomRotation(7)). */
export const MAX_ROTATION = 7;
/** A black pixel once normalised: what rotates in from beyond the image's edge. */
const BACKGROUND = -MNIST_MEAN / MNIST_STD;

/** A copy of the batch with each image rotated about its centre by its own angle, uniform in ±MAX_ROTATION degrees.
 *  The angles come from `rng`, the training loop's generator, so a resumed run rotates as an uninterrupted one. The
 *  images are already normalised; rotating them is the same as rotating the raw pixels and normalising after, since
 *  bilinear weights sum to one and the edge is filled with the normalised black. */
export function rotateBatch(batch: Batch, rng: Rng, maxDegrees = MAX_ROTATION): Batch {
  const images = new Float32Array(batch.images.length);
  for (let i = 0; i < batch.size; i++) {
    const degrees = (2 * rng.next() - 1) * maxDegrees;
    rotateImage(batch.images.subarray(i * PIXELS, (i + 1) * PIXELS), images.subarray(i * PIXELS, (i + 1) * PIXELS), degrees);
  }
  return { ...batch, images };
}

/** `dst` = `src` (size×size, row-major) rotated by `degrees` about its centre, sampled bilinearly: each output pixel
 *  takes the four input pixels around the point it comes from; points beyond the edge read `fill`. Written as one
 *  tight loop (no closures or temporary arrays), since it runs on every training image. */
export function rotateImage(src: Float32Array, dst: Float32Array, degrees: number, size = IMAGE_SIZE, fill = BACKGROUND): void {
  const angle = (degrees * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const centre = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    // Where the row's output pixels come from: the inverse rotation of their positions, a step of (cos, −sin) apart.
    let sx = -cos * centre + sin * (y - centre) + centre - cos;
    let sy = cos * (y - centre) + sin * centre + centre + sin;
    for (let x = 0; x < size; x++) {
      sx += cos;
      sy -= sin;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      let a: number, b: number, c: number, d: number; // the taps: top left, top right, bottom left, bottom right
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < size && y0 + 1 < size) {
        const i = y0 * size + x0;
        a = src[i];
        b = src[i + 1];
        c = src[i + size];
        d = src[i + size + 1];
      } else {
        a = tap(src, size, x0, y0, fill);
        b = tap(src, size, x0 + 1, y0, fill);
        c = tap(src, size, x0, y0 + 1, fill);
        d = tap(src, size, x0 + 1, y0 + 1, fill);
      }
      dst[y * size + x] = (1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * c + fx * d);
    }
  }
}

function tap(src: Float32Array, size: number, x: number, y: number, fill: number): number {
  return x >= 0 && x < size && y >= 0 && y < size ? src[y * size + x] : fill;
}
