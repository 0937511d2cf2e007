import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackendReport } from '../backend/choose';
import { digit, MnistSplit, MNIST_MEAN, MNIST_STD } from '../data/mnist';
import { trainableParams } from '../model/net';
import { TrainedRun } from '../run/runTraining';
import { Configured, describeShards, describeSettings, notebookSettings, SettingKey } from '../run/settings';
import { confusionMatrix, misclassified, predictLabels } from '../train/evaluate';
import { History } from '../train/loop';
import { ROOT } from '../util/paths';
import { escapeHtml, showFigure, showHtml } from './display';
import { confusionHeatmap, digitGrid, runCurves } from './plots';
import { frameHtml, historyFrame } from './tables';

export { trainLive } from './live';

/** Settings that change where or how fast a run goes, not what it computes. */
const NOT_RECIPE: SettingKey[] = ['threads', 'backend', 'out', 'resume'];

/** Where a run's pictures go: MNIST_IMAGES_DIR when set; else images/, the README's, for a full default run only (the
 *  20-epoch pictures the README shows); else reports/images/, so that a quick run (fewer epochs or images, another
 *  recipe) leaves the committed pictures alone. */
export function picturesDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MNIST_IMAGES_DIR) return env.MNIST_IMAGES_DIR;
  const changed = Object.keys(notebookSettings(env).given).some((key) => !NOT_RECIPE.includes(key as SettingKey));
  return join(ROOT, ...(changed ? ['reports', 'images'] : ['images']));
}

/** A grid of the first training digits with their labels, and the normalisation the network sees. */
export async function showSamples(split: MnistSplit, count = 20): Promise<void> {
  const images = Array.from({ length: count }, (_, i) => digit(split, i));
  await showFigure(digitGrid(images, Array.from(split.labels.subarray(0, count), String)));
  const raw = meanStd(split.pixels, 1 / 255);
  const normalised = meanStd(split.images, 1);
  console.log(`pixels / 255: mean ${raw.mean.toFixed(4)}, std ${raw.std.toFixed(4)}  (the original uses ${MNIST_MEAN}, ${MNIST_STD})`);
  console.log(`normalised:   mean ${normalised.mean.toFixed(4)}, std ${normalised.std.toFixed(4)}`);
}

/** Text tables next to each other (the summary and the receptive fields), one under the other where there is no HTML. */
export function showSideBySide(...tables: string[]): void {
  const columns = tables.map((t) => `<pre style="margin: 0 2em 0 0">${escapeHtml(t)}</pre>`).join('');
  showHtml(`<div style="display: flex; flex-wrap: wrap; align-items: flex-start">${columns}</div>`, tables.join('\n\n'));
}

/** The run's curves, the learning rate per batch beside the training loss (`train`: the images it trained on). */
export async function showLearningCurves(run: TrainedRun, train: MnistSplit): Promise<void> {
  savePng('learning_curve.png', await showFigure(runCurves(run.history, run.settings, train.count)));
}

export function showHistoryTable(history: History): void {
  const df = historyFrame(history);
  showHtml(frameHtml(df), df.toString());
}

/** The confusion matrix of the test set, and the misclassified digits with predicted and true labels. */
export async function showMistakes(model: tf.LayersModel, test: MnistSplit, count = 30): Promise<number> {
  const predicted = await predictLabels(model, test);
  await showFigure(confusionHeatmap(confusionMatrix(test.labels, predicted)));
  const wrong = misclassified(test.labels, predicted);
  const shown = wrong.slice(0, count);
  const grid = digitGrid(
    shown.map((i) => digit(test, i)),
    shown.map((i) => `pred ${predicted[i]} / true ${test.labels[i]}`),
  );
  savePng('output.png', await showFigure(grid));
  return wrong.length;
}

/** What the run will use, resolved: what runs it, "all" for unset sample counts. */
export function describeNotebookSettings({ settings }: Configured, report: BackendReport): string {
  const samples = (n: number | undefined) => (n === undefined ? 'all' : n.toLocaleString('en-US'));
  return [
    describeSettings(settings, report),
    `images: ${samples(settings.trainSamples)} for training, ${samples(settings.testSamples)} for testing` +
      (settings.dataDir ? ` from ${settings.dataDir}` : ' (the packaged MNIST)'),
    `run folder: ${settings.out}${settings.resume ? ' (continuing its checkpoint)' : ''}`,
  ].join('\n');
}

/** The numbers the original's README states, and those it did not. */
export function headline({ model, history, report, settings }: Pick<TrainedRun, 'model' | 'history' | 'report' | 'settings'>): string {
  const best = history.reduce((a, b) => (b.testAcc > a.testAcc ? b : a));
  const first = history.find((s) => s.testAcc >= 99.4);
  const perEpoch = history.reduce((sum, s) => sum + s.seconds, 0) / history.length;
  const lastFive = history.slice(-5);
  return [
    `parameters:              ${trainableParams(model).toLocaleString('en-US')}`,
    `best test accuracy:      ${best.testAcc.toFixed(2)}% (epoch ${best.epoch} of ${history.length})`,
    `first epoch at >= 99.4%: ${first ? first.epoch : 'not reached'}`,
    `last epochs:             ${lastFive.map((s) => `${s.testAcc.toFixed(2)}%`).join(', ')} (epochs ${lastFive[0].epoch}-${history.length})`,
    `seconds per epoch:       ${perEpoch.toFixed(1)}`,
    `backend:                 ${report.backend} on ${report.device}, ${describeShards(settings.shards, report)}`,
  ].join('\n');
}
function savePng(name: string, png: Buffer | undefined): void {
  if (!png) return console.log(`(no Chromium found: ${name} not refreshed)`);
  const dir = picturesDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), png);
}

function meanStd(values: ArrayLike<number>, scale: number): { mean: number; std: number } {
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] * scale;
    sum += v;
    sq += v * v;
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(sq / values.length - mean * mean) };
}
