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
import { drawOnPad, largestDifference, nodeProbabilities, PageGlobal, widgetState } from './tryItPage';

// The "Try it" widget with the committed 99.4 % model, in a page opened from disk with the network cut off, as a
// reader opens the report.

let model: tf.LayersModel;
let testSplit: MnistSplit;
let browser: Browser;
let page: Page;
let errors: string[];

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
  const context = await browser.newContext({ offline: true, hasTouch: true, viewport: { width: 1100, height: 1200 } });
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
  const difference = largestDifference(inPage, nodeProbabilities(model, inputs));
  assert.ok(difference <= 1e-5, `probabilities differ by up to ${difference}`);
  assert.deepEqual(errors, []);
});

test('the page preprocesses a drawing as Node does on the same pixels', async () => {
  await drawOnPad(page, [[90, 60], [200, 60], [130, 230]]); // a 7
  const { grey, input } = await widgetState(page);
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

test('a vertical stroke drawn with the mouse is a 1, and with a finger the same; a test digit picked shows each block\'s maps; Clear empties pad and bars', async () => {
  await page.getByRole('button', { name: 'Clear' }).click();
  await drawOnPad(page, [[140, 50], [140, 240]]);
  assert.equal(await page.locator('.try-it .top').innerText(), '1');
  assert.equal(await page.locator('.try-it .bar.best').count(), 1);
  const byMouse = await widgetState(page);
  await page.getByRole('button', { name: 'Clear' }).click();
  await drawOnPad(page, [[140, 50], [140, 240]], 'touch');
  assert.deepEqual(await widgetState(page), byMouse, 'the same stroke drawn with a finger draws the same');

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
  const cleared = await widgetState(page);
  assert.ok(cleared.grey.every((v) => v === 0), 'the pad is black');
  assert.equal(cleared.probabilities, undefined);
  const heights = await page.locator('.try-it .bar').evaluateAll((bars) => bars.map((b) => (b as unknown as { style: { height: string } }).style.height));
  assert.deepEqual(heights, Array(10).fill('0%'));
  assert.equal(await page.locator('.try-it .top').innerText(), '–');
  assert.equal(await page.locator('.try-it .maps').count(), 0);
  assert.deepEqual(errors, []);
});
