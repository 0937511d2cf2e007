import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mnistFromDrawing } from '../../lib/data/drawing';
import { digit, loadSplit } from '../../lib/data/mnist';

/** A width × height drawing, blank but for a filled rectangle. */
function rectangle(width: number, height: number, r: { x: number; y: number; w: number; h: number }): Uint8Array {
  const grey = new Uint8Array(width * height);
  for (let y = r.y; y < r.y + r.h; y++) grey.fill(255, y * width + r.x, y * width + r.x + r.w);
  return grey;
}

/** The rows and columns of a 28×28 image that hold ink. */
function inkRange(image: Float64Array): { rows: number[]; columns: number[] } {
  const rows = new Set<number>();
  const columns = new Set<number>();
  image.forEach((v, i) => v > 0 && (rows.add(Math.floor(i / 28)), columns.add(i % 28)));
  const span = (s: Set<number>) => [Math.min(...s), Math.max(...s)];
  return { rows: span(rows), columns: span(columns) };
}

test('a blank drawing is a blank image', () => {
  assert.ok(mnistFromDrawing(new Uint8Array(280 * 280), 280, 280).every((v) => v === 0));
});

test('a drawing\'s box is scaled to fit 20×20 keeping its aspect ratio, its centre of mass put at the centre', () => {
  // 100×50 anywhere on the pad: 20×10 of full ink, its centre of mass, pixel (9.5, 4.5), moved to (14, 14) give or
  // take the half pixel rounded up.
  const image = mnistFromDrawing(rectangle(280, 280, { x: 170, y: 7, w: 100, h: 50 }), 280, 280);
  assert.deepEqual(inkRange(image), { rows: [10, 19], columns: [5, 24] });
  assert.ok(image.every((v) => v === 0 || v === 255), 'whole pixels of the box are full ink');
  // A thin stroke is averaged, not lost: one pixel in ten across becomes a tenth of the ink.
  const line = mnistFromDrawing(rectangle(280, 280, { x: 100, y: 20, w: 1, h: 200 }), 280, 280);
  assert.deepEqual(inkRange(line), { rows: [5, 24], columns: [14, 14] });
  assert.ok(Math.abs(line[14 * 28 + 14] - 255) < 1e-9, 'narrower than a pixel after scaling: the column keeps its mean');
});

test('MNIST\'s own digits are made so: one drawn ten times larger comes back as itself', () => {
  const test = loadSplit(undefined, 'test', 200);
  for (let i = 0; i < test.count; i++) {
    const original = digit(test, i);
    let [mass, sx, sy] = [0, 0, 0];
    original.forEach((v, p) => ([mass, sx, sy] = [mass + v, sx + v * (p % 28), sy + v * Math.floor(p / 28)]));
    assert.ok(Math.abs(sx / mass - 14) <= 0.5 && Math.abs(sy / mass - 14) <= 0.5, `digit ${i}: centre of mass at pixel (14, 14)`);
    const large = new Uint8Array(280 * 280).map((_, p) => original[Math.floor(p / 2800) * 28 + Math.floor((p % 280) / 10)]);
    const image = mnistFromDrawing(large, 280, 280);
    image.forEach((v, p) => assert.ok(Math.abs(v - original[p]) < 1e-9, `digit ${i}, pixel ${p}: ${v}, not ${original[p]}`));
  }
});
