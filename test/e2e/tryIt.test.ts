import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { mnistFromDrawing } from '../../lib/data/drawing';
import { digit, loadSplit, MnistSplit, PIXELS } from '../../lib/data/mnist';
import { normalise } from '../../lib/data/pixels';
import { loadModel } from '../../lib/model/saved';
import { predictLabels } from '../../lib/train/evaluate';
import { tryItData, tryItLibraries, tryItWidget } from '../../lib/views/tryIt';
import { ROOT } from '../../lib/util/paths';
import { launch, screenshot, watchErrors } from './browser';

// The "Try it" widget with the committed 99.4 % model, in a page opened from disk with the network cut off, as a
// reader opens the report.

let model: tf.LayersModel;
let testSplit: MnistSplit;
let browser: Browser;
let page: Page;
let errors: string[];

/** Calls into the page's widget (lib/views/page/widget.ts), typed loosely: the page is another program. */
type PageWidget = {
  net: { decide(image: Float32Array): { probabilities: number[] } };
  pad: { grey(): Uint8Array };
  input?: Float32Array;
  decision?: { probabilities: number[] };
  show(pixels: number[]): void;
};
type PageGlobal = { mnistTryIt: { widgets: Promise<PageWidget>[] } };

before(async () => {
  model = await loadModel(join(ROOT, 'models', 's6_net1'));
  testSplit = loadSplit(undefined, 'test', 200);
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
${tryItLibraries()}
${tryItWidget(await tryItData(model, testSplit))}
</body></html>`;
  const file = join(mkdtempSync(join(tmpdir(), 'mnist20k-tryit-')), 'tryit.html');
  writeFileSync(file, html);
  browser = await launch();
  const context = await browser.newContext({ offline: true, viewport: { width: 1100, height: 1200 } });
  await context.route(/^(?!file:)/, (route) => route.abort());
  page = await context.newPage();
  errors = watchErrors(page);
  await page.goto(`file://${file}`);
  await page.locator('.try-it[data-ready]').waitFor({ timeout: 60000 });
});

after(async () => {
  await browser?.close();
});

const argMax = (p: ArrayLike<number>) => Array.from(p).indexOf(Math.max(...Array.from(p)));

test('the page gives the probabilities Node\'s model.predict gives, to 1e-5, for test digits and noise', async () => {
  const noise = Float32Array.from({ length: PIXELS }, (_, i) => Math.sin(i * 12.9898) * 2);
  const inputs = [...Array.from({ length: 20 }, (_, i) => testSplit.images.slice(i * PIXELS, (i + 1) * PIXELS)), noise];
  const inPage = await page.evaluate(async (images) => {
    const widget = await (globalThis as unknown as PageGlobal).mnistTryIt.widgets[0];
    return images.map((image) => widget.net.decide(Float32Array.from(image)).probabilities);
  }, inputs.map((x) => Array.from(x)));
  const inNode = tf.tidy(() => {
    const logProbabilities = model.predict(tf.tensor4d(Float32Array.from(inputs.flatMap((x) => Array.from(x))), [inputs.length, 28, 28, 1])) as tf.Tensor;
    return tf.exp(logProbabilities).arraySync() as number[][];
  });
  inNode.forEach((expected, i) => expected.forEach((p, d) => {
    assert.ok(Math.abs(inPage[i][d] - p) <= 1e-5, `input ${i}, class ${d}: page ${inPage[i][d]}, Node ${p}`);
  }));
  assert.deepEqual(errors, []);
});

test('the page preprocesses a drawing as Node does on the same pixels', async () => {
  await stroke([[90, 60], [200, 60], [130, 230]]); // a 7
  const { grey, input } = await page.evaluate(async () => {
    const widget = await (globalThis as unknown as PageGlobal).mnistTryIt.widgets[0];
    return { grey: Array.from(widget.pad.grey()), input: widget.input && Array.from(widget.input) };
  });
  assert.ok(input, 'the drawing reached the network');
  assert.deepEqual(input, Array.from(normalise(mnistFromDrawing(grey, 280, 280))));
  assert.deepEqual(errors, []);
});

test('100 test digits painted on the pad at its scale are read as Node reads the originals, for at least 95', async () => {
  const hundred: MnistSplit = { ...testSplit, count: 100 };
  const expected = await predictLabels(model, hundred);
  const pixels = Array.from({ length: 100 }, (_, i) => Array.from(digit(testSplit, i)));
  const inPage = await page.evaluate(async (images) => {
    const widget = await (globalThis as unknown as PageGlobal).mnistTryIt.widgets[0];
    return images.map((image) => {
      widget.show(image);
      return widget.decision!.probabilities;
    });
  }, pixels);
  const agree = inPage.filter((p, i) => argMax(p) === expected[i]).length;
  assert.ok(agree >= 95, `${agree} of 100 agree`);
  assert.deepEqual(errors, []);
});

test('a vertical stroke drawn with the mouse is a 1; a test digit picked shows each block\'s maps; Clear empties pad and bars', async () => {
  await page.getByRole('button', { name: 'Clear' }).click();
  await stroke([[140, 50], [140, 240]]);
  assert.equal(await page.locator('.try-it .top').innerText(), '1');
  assert.equal(await page.locator('.try-it .bar.best').count(), 1);

  await page.locator('.try-it .strip canvas').nth(3).click(); // the strip's digit labelled 3
  assert.equal(await page.locator('.try-it .top').innerText(), '3');
  const convBlocks = model.layers.filter((l) => l.getClassName() === 'Conv2d');
  assert.equal(await page.locator('.try-it .maps').count(), convBlocks.length, 'one grid per convolution block');
  for (const [i, layer] of convBlocks.entries()) {
    const channels = (layer.outputShape as number[])[3];
    assert.equal(await page.locator('.try-it .maps').nth(i).locator('canvas').count(), channels, `block ${i + 1}: a map per channel`);
  }
  await screenshot(page, 'try-it.png');

  await page.getByRole('button', { name: 'Clear' }).click();
  const cleared = await page.evaluate(async () => {
    const widget = await (globalThis as unknown as PageGlobal).mnistTryIt.widgets[0];
    return { ink: widget.pad.grey().some((v) => v > 0), decided: widget.decision !== undefined };
  });
  assert.deepEqual(cleared, { ink: false, decided: false });
  const heights = await page.locator('.try-it .bar').evaluateAll((bars) => bars.map((b) => (b as unknown as { style: { height: string } }).style.height));
  assert.deepEqual(heights, Array(10).fill('0%'));
  assert.equal(await page.locator('.try-it .top').innerText(), '–');
  assert.equal(await page.locator('.try-it .maps').count(), 0);
  assert.deepEqual(errors, []);
});

/** Draws through the given points (pad pixels) with the mouse, then waits for the network's answer to it. */
async function stroke(points: [number, number][]): Promise<void> {
  const box = (await page.locator('.try-it .pad').boundingBox())!;
  const at = ([x, y]: [number, number]) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280] as const;
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 15 });
  await page.mouse.up();
  // The widget answers on the next animation frame; two frames later it has.
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
}
