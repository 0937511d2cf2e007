import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelName, KERNELS } from '../../lib/cli/kernelSpecs';
import { ROOT } from '../../lib/util/paths';
import { loadModel } from '../../lib/model/saved';
import { drawnTraces, launch, screenshot, watchErrors } from './browser';
import { assertDecidesAsNode } from './tryItPage';

const QUICK = { MNIST_EPOCHS: '2', MNIST_TRAIN_SAMPLES: '1200', MNIST_TEST_SAMPLES: '500', MNIST_BACKEND: 'wasm', MNIST_SEED: '3' };

test('npm start with a bad setting stops at once with a one-line error', () => {
  const r = spawnSync('npm', ['start', '--silent'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MNIST_EPOCHS: 'many' } });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /MNIST_EPOCHS: expected a positive integer, got 'many'/);
  const kernel = spawnSync('npm', ['start', '--silent'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MNIST_KERNEL: 'python' } });
  assert.notEqual(kernel.status, 0);
  assert.equal(kernel.stderr, "npm start: MNIST_KERNEL: expected tslab or deno, got 'python'\n");
});

/** What each kernel's run left, for the comparison after both. */
const runs = new Map<KernelName, { outline: string[][]; weights: Buffer }>();

for (const kernel of KERNELS) {
  test(`npm start under ${kernel} writes a self-contained report whose charts draw offline in Chromium`, () => reportIsComplete(kernel));
}

test('under both kernels, the report has the same outputs, cell by cell, and training writes the same weights to the bit', () => {
  const [tslab, deno] = KERNELS.map((k) => runs.get(k));
  assert.ok(tslab && deno, 'both runs above finished');
  assert.deepEqual(deno.outline, tslab.outline);
  assert.ok(deno.weights.equals(tslab.weights), 'weights.bin differs');
});

async function reportIsComplete(kernel: KernelName): Promise<void> {
  const images = mkdtempSync(join(tmpdir(), 'mnist20k-images-'));
  const out = mkdtempSync(join(tmpdir(), 'mnist20k-out-'));
  const env = { ...process.env, ...QUICK, MNIST_KERNEL: kernel, MNIST_IMAGES_DIR: images, MNIST_OUT: out };
  const r = spawnSync('npm', ['start', '--silent'], { cwd: ROOT, encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^running notebooks/S6_net1.ts.ipynb in Jupyter \\(${kernel} kernel\\)`, 'm'));
  assert.match(r.stdout, /^epoch +1: train loss [\d.]+ acc [\d.]+% \| test loss [\d.]+ acc [\d.]+% \| [\d.]+ s \| 1\/2 epochs, about \d+ s left$/m);
  assert.match(r.stdout, /^epoch +2: .* \| done$/m);
  assert.match(r.stdout, /^best test accuracy: +[\d.]+% \(epoch \d of 2\)$/m, 'the headline numbers at the end');
  const html = join(ROOT, 'reports', 'S6_net1.html');
  assert.ok(existsSync(html));
  assert.deepEqual(readdirSync(images).sort(), ['learning_curve.png', 'output.png']);
  const source = readFileSync(html, 'utf8');
  assert.equal(source.split('* plotly.js (cartesian - minified) v').length - 1, 1, 'plotly.js embedded exactly once, minified');
  assert.ok(statSync(html).size < 5e6, `the report is ${statSync(html).size} bytes`);
  const outline = executedNotebookIsComplete(join(ROOT, 'reports', 'S6_net1.ts.ipynb'));
  runs.set(kernel, { outline, weights: readFileSync(join(out, 'weights.bin')) });

  const browser = await launch();
  try {
    const context = await browser.newContext({ offline: true, viewport: { width: 1200, height: 900 } });
    await context.route(/^(?!file:)/, (route) => route.abort());
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`file://${html}`);
    await page.locator('.js-plotly-plot').nth(3).waitFor({ timeout: 60000 });
    const drawn = await drawnTraces(page);
    assert.ok(drawn.lines >= 4, `learning curves: ${drawn.lines} line traces`);
    assert.ok(drawn.heatmaps >= 20 + 1, `sample digits and confusion matrix: ${drawn.heatmaps} heatmaps`);
    assert.equal(await page.locator('table.history tbody tr').count(), 2, 'one history row per epoch');
    assert.match(await page.locator('body').innerText(), /Total params: 16,034/);
    await assertDecidesAsNode(page, await loadModel(out)); // the run's model, saved where the notebook saved it
    await page.locator('.try-it .strip canvas').first().click();
    assert.ok(await page.locator('.try-it .maps').count() > 0, 'a test digit picked shows the blocks\' maps');
    await page.getByRole('button', { name: 'Clear' }).click();
    assert.equal(await page.locator('.try-it .top').innerText(), '–');
    await screenshot(page, `report-${kernel}.png`);
    assert.deepEqual(errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|ERR_FAILED|Failed to load resource/.test(e)), []);
  } finally {
    await browser.close();
  }
}

type Output = { output_type: string; name?: string; data?: Record<string, unknown> };
type Cell = { cell_type: string; source: string[]; execution_count: number | null; outputs?: Output[] };

/** Every code cell numbered in order, and every chart in the three forms front ends draw: plotly's MIME type, HTML and
 *  a PNG; the training cell's live chart made way for the learning-curves cell's. Returns each cell's outputs as
 *  their kinds (a stream's name, a display's MIME types). */
function executedNotebookIsComplete(file: string): string[][] {
  const cells = (JSON.parse(readFileSync(file, 'utf8')) as { cells: Cell[] }).cells.filter((c) => c.cell_type === 'code');
  assert.deepEqual(cells.map((c) => c.execution_count), cells.map((_, i) => i + 1));
  const charts = cells.flatMap((c) => (c.outputs ?? []).map((o) => o.data ?? {}))
    .filter((d) => 'application/vnd.plotly.v1+json' in d || /Plotly\.newPlot/.test(String(d['text/html'] ?? '')));
  assert.equal(charts.length, 5, 'sample digits, learning curves, confusion matrix, misclassified digits, the runs compared');
  for (const d of charts) assert.deepEqual(Object.keys(d).sort(), ['application/vnd.plotly.v1+json', 'image/png', 'text/html', 'text/plain']);
  const tryIt = cells.find((c) => c.source.join('').includes('showTryIt('))!;
  assert.deepEqual(Object.keys(tryIt.outputs![0].data!).sort(), ['image/png', 'text/html', 'text/plain'], 'the widget, its PNG and text');
  const training = cells.find((c) => c.source.join('').includes('trainLive('))!;
  assert.match(JSON.stringify(training.outputs), /the learning curves are drawn below/);
  return cells.map((c) => (c.outputs ?? []).map((o) => [o.output_type, o.name ?? Object.keys(o.data ?? {}).sort().join(' ')].join(': ')));
}
