import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { Page } from 'playwright-core';
import { IMAGE_SHAPE } from '../../lib/data/pixels';

// Driving the "Try it" widget (lib/views/page/) from a test, wherever the page is: a file, the report, Jupyter.

/** The page's widget as a test calls it, typed loosely: the page is another program. */
export type PageWidget = {
  net: { decide(image: Float32Array): { probabilities: number[] } };
  pad: { grey(): Uint8Array };
  input?: Float32Array;
  decision?: { probabilities: number[] };
  show(pixels: number[]): void;
};
export type PageGlobal = { mnistTryIt: { widgets: Promise<PageWidget>[] } };

/** Draws through `points` (pad pixels, 280×280 however large the pad is shown) with the mouse, or with a finger
 *  (Chromium's own touch input, which the page sees as pointer events of type touch; the page needs a context with
 *  hasTouch), then waits for the widget's answer: it answers on the next animation frame, so two frames later it has. */
export async function drawOnPad(page: Page, points: [number, number][], by: 'mouse' | 'touch' = 'mouse'): Promise<void> {
  const box = (await page.locator('.try-it .pad').first().boundingBox())!;
  const at = ([x, y]: [number, number]) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280] as const;
  const path = points.slice(1).flatMap((p, i) => Array.from({ length: 15 }, (_, k): [number, number] => {
    const [from, t] = [points[i], (k + 1) / 15];
    return [from[0] + (p[0] - from[0]) * t, from[1] + (p[1] - from[1]) * t];
  }));
  if (by === 'mouse') {
    await page.mouse.move(...at(points[0]));
    await page.mouse.down();
    for (const p of path) await page.mouse.move(...at(p));
    await page.mouse.up();
  } else {
    const cdp = await page.context().newCDPSession(page);
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', p?: [number, number]) =>
      cdp.send('Input.dispatchTouchEvent', { type, touchPoints: p ? [{ x: at(p)[0], y: at(p)[1] }] : [] });
    await touch('touchStart', points[0]);
    for (const p of path) await touch('touchMove', p);
    await touch('touchEnd');
    await cdp.detach();
  }
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
}

/** What the page's first widget last gave the network and what it answered (undefined for a blank pad). */
export function widgetState(page: Page): Promise<{ grey: number[]; input?: number[]; probabilities?: number[] }> {
  return page.evaluate(async () => {
    const widget = await (globalThis as unknown as PageGlobal).mnistTryIt.widgets[0];
    return {
      grey: Array.from(widget.pad.grey()),
      input: widget.input && Array.from(widget.input),
      probabilities: widget.decision?.probabilities,
    };
  });
}

/** Node's model.predict, as probabilities, for normalised 28×28 images. */
export function nodeProbabilities(model: tf.LayersModel, images: ArrayLike<number>[]): number[][] {
  return tf.tidy(() => {
    const batch = tf.tensor4d(Float32Array.from(images.flatMap((x) => Array.from(x))), [images.length, ...IMAGE_SHAPE]);
    return tf.exp(model.predict(batch) as tf.Tensor).arraySync() as number[][];
  });
}

/** The largest differences between two sets of probabilities. */
export function largestDifference(a: number[][], b: number[][]): number {
  return Math.max(...a.flatMap((row, i) => row.map((p, d) => Math.abs(p - b[i][d]))));
}

/** The page's widget, once loaded, answers a vertical stroke with the probabilities `model.predict` gives in Node for
 *  the same input, to 1e-5: the page runs the model it was given, not a look-alike. */
export async function assertDecidesAsNode(page: Page, model: tf.LayersModel): Promise<void> {
  await page.locator('.try-it[data-ready]').waitFor({ timeout: 60000 });
  await page.locator('.try-it .pad').first().scrollIntoViewIfNeeded();
  await drawOnPad(page, [[140, 50], [140, 240]]);
  const { input, probabilities } = await widgetState(page);
  assert.ok(input && probabilities, 'the stroke reached the network');
  const difference = largestDifference([probabilities], nodeProbabilities(model, [input]));
  assert.ok(difference <= 1e-5, `the page's probabilities differ from Node's by up to ${difference}`);
}
