import { IMAGE_SIZE, PIXELS } from './pixels';

// A drawing made into a digit the way MNIST's were made (LeCun et al.): the ink's bounding box scaled to fit a
// 20×20 box keeping its aspect ratio, anti-aliased, then placed in the 28×28 field with its centre of mass at pixel
// (14, 14). The page's widget (lib/views/page/) runs this file, and Node's tests run the same file.

/** The box each digit was scaled to fit before centring. */
export const DIGIT_BOX = 20;

/** A drawing of `width` × `height` grey levels (0–255, ink bright, row by row) as an MNIST digit: 28×28 values
 *  0–255, fractional where the scaling averaged pixels; all zero when nothing is drawn. */
export function mnistFromDrawing(grey: ArrayLike<number>, width: number, height: number): Float64Array {
  const out = new Float64Array(PIXELS);
  const box = inkBox(grey, width, height);
  if (!box) return out;
  const scale = DIGIT_BOX / Math.max(box.width, box.height);
  const w = Math.max(1, Math.round(box.width * scale));
  const h = Math.max(1, Math.round(box.height * scale));
  const digit = resample(grey, width, box, w, h);
  const [cx, cy] = centreOfMass(digit, w, h);
  const dx = Math.round(IMAGE_SIZE / 2 - cx);
  const dy = Math.round(IMAGE_SIZE / 2 - cy);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const tx = x + dx;
      const ty = y + dy;
      // A lopsided digit's centre of mass can push a corner of its box off the field, as in MNIST.
      if (tx >= 0 && tx < IMAGE_SIZE && ty >= 0 && ty < IMAGE_SIZE) out[ty * IMAGE_SIZE + tx] = digit[y * w + x];
    }
  }
  return out;
}

interface Box { x: number; y: number; width: number; height: number }

/** The smallest box holding every pixel with any ink; undefined for a blank drawing. */
function inkBox(grey: ArrayLike<number>, width: number, height: number): Box | undefined {
  let [left, top, right, bottom] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (grey[y * width + x] <= 0) continue;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  }
  return right < 0 ? undefined : { x: left, y: top, width: right - left + 1, height: bottom - top + 1 };
}

/** The box's pixels scaled to w × h by area averaging: each output pixel is the mean of the source area it covers,
 *  so thin strokes fade to grey as in MNIST instead of vanishing between samples. */
function resample(grey: ArrayLike<number>, width: number, box: Box, w: number, h: number): Float64Array {
  const across = coverage(box.width, w);
  const down = coverage(box.height, h);
  const rows = new Float64Array(box.height * w);
  for (let y = 0; y < box.height; y++) {
    const row = (box.y + y) * width + box.x;
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (const { index, weight } of across[x]) sum += grey[row + index] * weight;
      rows[y * w + x] = sum;
    }
  }
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (const { index, weight } of down[y]) sum += rows[index * w + x] * weight;
      out[y * w + x] = sum;
    }
  }
  return out;
}

/** For each of `to` output pixels along an axis of `from` source pixels, the source pixels it covers and the share
 *  of the output pixel each one is (the shares add up to 1). */
function coverage(from: number, to: number): { index: number; weight: number }[][] {
  const step = from / to;
  return Array.from({ length: to }, (_, j) => {
    const [start, end] = [j * step, (j + 1) * step];
    const cells = [];
    for (let i = Math.floor(start); i < Math.min(from, Math.ceil(end)); i++) {
      cells.push({ index: i, weight: (Math.min(end, i + 1) - Math.max(start, i)) / step });
    }
    return cells;
  });
}

/** The ink's centre of mass in pixel indices (pixel (0, 0) at 0). MNIST put this point at pixel (14, 14): its digits'
 *  centres of mass, measured so, lie within half a pixel of it (test/unit/drawing.test.ts). */
function centreOfMass(image: Float64Array, w: number, h: number): [number, number] {
  let [mass, sx, sy] = [0, 0, 0];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = image[y * w + x];
      mass += v;
      sx += v * x;
      sy += v * y;
    }
  }
  return [sx / mass, sy / mass];
}
