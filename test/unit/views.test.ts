import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { figureHtml } from '../../lib/views/display';
import { buildNet } from '../../lib/model/net';
import { defaultSettings, envOf, SETTING_KEYS } from '../../lib/run/settings';
import { ROOT } from '../../lib/util/paths';
import { headline, picturesDir } from '../../lib/views/notebook';
import { confusionHeatmap, digitGrid, learningCurves, runCurves } from '../../lib/views/plots';
import { learningRate } from '../../lib/train/schedule';
import { confusionMatrix, misclassified } from '../../lib/train/evaluate';
import { findJupyter, userPaths } from '../../lib/cli/jupyter';
import { frameHtml, historyFrame } from '../../lib/views/tables';
import { History } from '../../lib/train/loop';

const history: History = [
  { epoch: 1, trainLoss: 0.5, trainAcc: 85.123, testLoss: 0.1, testAcc: 97.5, seconds: 20.04 },
  { epoch: 2, trainLoss: 0.1, trainAcc: 97.9, testLoss: 0.05, testAcc: 98.76, seconds: 19.5 },
];

test('learning curves: four panels, one trace each, in the original order', () => {
  const figure = learningCurves(history);
  assert.equal(figure.data.length, 4);
  const traces = figure.data as { x: number[]; y: number[]; xaxis: string; yaxis: string }[];
  assert.deepEqual(traces.map((t) => t.y), [[0.5, 0.1], [85.123, 97.9], [0.1, 0.05], [97.5, 98.76]]);
  assert.deepEqual(traces.map((t) => t.xaxis), ['x1', 'x2', 'x3', 'x4']);
  assert.deepEqual(traces[0].x, [1, 2]);
});

test('a run\'s curves put its learning rate per batch over the training loss, on an axis of their own, epoch by epoch', () => {
  const recipe = { ...defaultSettings(), epochs: 2, batchSize: 100, lrSchedule: 'onecycle' as const, lr: 0.05 };
  const figure = runCurves(history, recipe, 1000);
  assert.equal(figure.data.length, 5);
  const rate = figure.data[4] as { x: number[]; y: number[]; xaxis: string; yaxis: string };
  assert.deepEqual([rate.xaxis, rate.yaxis], ['x1', 'y5']);
  assert.equal((figure.layout.yaxis5 as { overlaying: string }).overlaying, 'y1');
  // 2 epochs of 10 batches: the first batch trains at lr/25 at x = 1 (the start of epoch 1), the last at x = 2.9.
  assert.equal(rate.x[0], 1);
  assert.equal(rate.x.at(-1), 1 + 19 / 10);
  assert.deepEqual(rate.y, rate.x.map((x) => learningRate(recipe, Math.round((x - 1) * 10), 10)));
  assert.ok(Math.abs(rate.y[0] - 0.05 / 25) < 1e-15);
});

test('confusion matrix and misclassified images', () => {
  const truth = Uint8Array.of(1, 2, 3, 3, 7);
  const predicted = Uint8Array.of(1, 2, 8, 3, 1);
  const counts = confusionMatrix(truth, predicted);
  assert.equal(counts.flat().reduce((a, b) => a + b, 0), truth.length);
  assert.equal(counts[3][8], 1);
  assert.equal(counts[7][1], 1);
  assert.deepEqual(misclassified(truth, predicted), [2, 4]);
  assert.deepEqual(misclassified(truth, predicted, 1), [2]);
  const heatmap = confusionHeatmap(counts).data[0] as { z: number[][] };
  assert.deepEqual(heatmap.z, counts);
});

test('digit grids: one heatmap and one caption per digit', () => {
  const digits = [new Uint8Array(784).fill(255), new Uint8Array(784)];
  const figure = digitGrid(digits, ['pred 1 / true 7', 'pred 2 / true 2'], 10);
  assert.equal(figure.data.length, 2);
  assert.equal((figure.data[0] as { z: number[][] }).z.length, 28);
  assert.equal((figure.layout.annotations as { text: string }[])[0].text, 'pred 1 / true 7');
});

test('charts as HTML carry their figure and a PNG fallback', () => {
  const html = figureHtml(learningCurves(history), Buffer.from('png-bytes'));
  assert.match(html, /<img src="data:image\/png;base64,cG5nLWJ5dGVz"/);
  assert.match(html, /Plotly\.newPlot/);
  assert.ok(html.includes('Test Accuracy (%)'), 'the figure travels with the chart');
  assert.ok(!html.includes('<b>'), 'markup inside the figure is escaped, so it cannot close the script');
});

test('the history as a DataFrame and an HTML table', () => {
  const df = historyFrame(history);
  assert.deepEqual(df.columns, ['epoch', 'train loss', 'train acc (%)', 'test loss', 'test acc (%)', 'seconds']);
  assert.deepEqual((df.values as number[][])[0], [1, 0.5, 85.12, 0.1, 97.5, 20]);
  const html = frameHtml(df);
  assert.equal(html.match(/<tr>/g)!.length, 3);
  assert.match(html, /<td>98.76<\/td>/);
});

test('without Jupyter, npm start says how to install it', () => {
  const saved = process.env.JUPYTER;
  process.env.JUPYTER = '/nonexistent/jupyter';
  try {
    assert.throws(() => findJupyter(), /Jupyter is missing: install it \(Debian\/Ubuntu: sudo apt-get install -y jupyter-notebook/);
  } finally {
    if (saved === undefined) delete process.env.JUPYTER;
    else process.env.JUPYTER = saved;
  }
});

test('the headline: parameters, best accuracy and its epoch, first epoch at 99.4 %, the last five epochs, speed, backend', () => {
  const accs = [98.7, 99.1, 99.41, 99.3, 99.38, 99.46, 99.42];
  const history: History = accs.map((testAcc, i) => ({ epoch: i + 1, trainLoss: 0.1, trainAcc: 99, testLoss: 0.02, testAcc, seconds: 30 + i }));
  const model = buildNet();
  const report = { backend: 'wasm', device: 'CPU (WebAssembly, SIMD)', notes: [], threads: 3 };
  const text = headline({ model, history, report, settings: { ...defaultSettings(), backend: 'wasm', shards: 1 } });
  model.dispose();
  assert.match(text, /^parameters: +16,034$/m);
  assert.match(text, /^best test accuracy: +99\.46% \(epoch 6 of 7\)$/m);
  assert.match(text, /^first epoch at >= 99\.4%: 3$/m);
  assert.match(text, /^last epochs: +99\.41%, 99\.30%, 99\.38%, 99\.46%, 99\.42% \(epochs 3-7\)$/m);
  assert.match(text, /^seconds per epoch: +33\.0$/m);
  assert.match(text, /^backend: +wasm on CPU \(WebAssembly, SIMD\), 1 shard \(whole-batch BatchNorm\) on 3 threads$/m);
});

test('the notebook\'s first cell names every setting\'s variable', () => {
  const notebook = JSON.parse(readFileSync(join(ROOT, 'notebooks', 'S6_net1.ts.ipynb'), 'utf8'));
  const intro = notebook.cells[0].source.join('');
  for (const key of SETTING_KEYS) assert.ok(intro.includes(`\`${envOf(key)}\``), `${envOf(key)} missing from the intro`);
});

test('only a full default run refreshes the README\'s pictures; a quick run writes its own under reports/', () => {
  const images = join(ROOT, 'images');
  const quick = join(ROOT, 'reports', 'images');
  assert.equal(picturesDir({}), images);
  assert.equal(picturesDir({ MNIST_THREADS: '16', MNIST_BACKEND: 'wasm', MNIST_OUT: 'runs/x', MNIST_RESUME: '1' }), images, 'speed and place only');
  for (const env of [{ MNIST_EPOCHS: '1' }, { MNIST_TRAIN_SAMPLES: '2000' }, { MNIST_SEED: '2' }, { MNIST_AUGMENT: '1' }, { MNIST_SHARDS: '2' }]) {
    assert.equal(picturesDir(env), quick, JSON.stringify(env));
  }
  assert.equal(picturesDir({ MNIST_EPOCHS: '1', MNIST_IMAGES_DIR: '/somewhere' }), '/somewhere');
});

test('npm start hands the kernel (which runs in notebooks/) the spec file and data folder the user named, from where they typed it', () => {
  const from = join(ROOT, 'specs');
  assert.deepEqual(userPaths({ INIT_CWD: ROOT, MNIST_MODEL_SPEC: 'specs/under-8k.json', MNIST_DATA_DIR: '/data/mnist', MNIST_OUT: 'runs/x' }),
    { MNIST_MODEL_SPEC: join(ROOT, 'specs', 'under-8k.json'), MNIST_DATA_DIR: '/data/mnist' });
  assert.deepEqual(userPaths({ INIT_CWD: from, MNIST_MODEL_SPEC: 'under-10k.json' }), { MNIST_MODEL_SPEC: join(from, 'under-10k.json') });
  assert.deepEqual(userPaths({ INIT_CWD: ROOT, MNIST_MODEL_SPEC: '' }), {}, 'an empty variable is an unset one');
});
