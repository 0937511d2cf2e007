import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberCodeCells, printedBy } from '../../lib/cli/executedNotebook';
import { watchRun } from '../../lib/cli/watchRun';
import * as tf from '@tensorflow/tfjs';
import { buildNet } from '../../lib/model/net';
import { CHECKPOINT_FILE, saveCheckpoint } from '../../lib/run/checkpoint';
import { defaultSettings, runSettings } from '../../lib/run/settings';
import { EpochStats } from '../../lib/train/loop';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'mnist20k-nbrun-'));

test('an executed notebook gets its code cells numbered in order; empty and markdown cells get none', () => {
  const file = join(tmp(), 'executed.ipynb');
  const code = (source: string, outputs: object[] = []) => ({ cell_type: 'code', source: [source], execution_count: null, outputs, metadata: {} });
  writeFileSync(file, JSON.stringify({
    nbformat: 4, nbformat_minor: 5, metadata: {},
    cells: [
      { cell_type: 'markdown', source: ['# title'], metadata: {} },
      code('const a = 1;'),
      code('  \n'),
      code('a + 1', [{ output_type: 'execute_result', execution_count: null, data: { 'text/plain': '2' }, metadata: {} }]),
      code('console.log(headline(a))', [{ output_type: 'stream', name: 'stdout', text: ['best: 1\n', 'last: 2\n'] }]),
    ],
  }));
  numberCodeCells(file);
  const cells = JSON.parse(readFileSync(file, 'utf8')).cells;
  assert.deepEqual(cells.map((c: { execution_count?: number | null }) => c.execution_count), [undefined, 1, null, 2, 3]);
  assert.equal(cells[3].outputs[0].execution_count, 2, 'Out [2] beside In [2]');
  assert.equal(printedBy(file, 'headline('), 'best: 1\nlast: 2\n');
  assert.equal(printedBy(file, 'nothing('), undefined);
});

test('npm start\'s progress: each epoch a new checkpoint adds, with the time left; an earlier run\'s checkpoint is not reported', async () => {
  const dir = tmp();
  const file = join(dir, CHECKPOINT_FILE);
  const stats = (epoch: number): EpochStats => ({ epoch, trainLoss: 0.5, trainAcc: 90, testLoss: 0.25, testAcc: 95, seconds: 30 });
  await tf.setBackend('cpu');
  const [model, optimizer] = [buildNet({ seed: 1 }), tf.train.momentum(0.01, 0.9)];
  // One step, so that the optimizer holds its momentum, as after any epoch.
  tf.tidy(() => {
    optimizer.minimize(() => tf.mean(model.apply(tf.zeros([2, 28, 28, 1]), { training: true }) as tf.Tensor));
  });
  const settings = runSettings({ ...defaultSettings(), epochs: 4 }, 'cpu');
  const checkpoint = (epochs: number) => saveCheckpoint(dir, model, optimizer, settings,
    { epoch: epochs, rngState: 1, history: Array.from({ length: epochs }, (_, i) => stats(i + 1)) });
  await checkpoint(4); // a finished earlier run
  utimesSync(file, new Date(0), new Date(0));
  const lines: string[] = [];
  const watch = watchRun(dir, (line) => lines.push(line));
  await checkpoint(2);
  watch.stop();
  model.dispose();
  assert.deepEqual(lines, [
    'epoch  1: train loss 0.5000 acc 90.00% | test loss 0.2500 acc 95.00% | 30.0 s | 1/4 epochs, about 2 min left',
    'epoch  2: train loss 0.5000 acc 90.00% | test loss 0.2500 acc 95.00% | 30.0 s | 2/4 epochs, about 60 s left',
  ]);
});
