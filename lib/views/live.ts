import * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { BackendChoice } from '../backend/choose';
import { NotebookConfig } from '../run/settings';
import { Mnist } from '../data/mnist';
import { LiveDisplay } from './display';
import { lockRunDir } from '../run/lock';
import { ROOT } from '../util/paths';
import { learningCurves } from './plots';
import { formatEpoch } from './progress';
import { planRun, SettingNames, trainCheckpointed } from '../run/plan';
import { BatchProgress, History, TrainOptions } from '../train/loop';
import { defaultThreads } from '../train/step';
import { StopOnSignal, stoppable } from '../run/interrupt';
import { cellError, resumesInterrupted } from './cellInterrupt';

const PROGRESS_EVERY_MS = 250;

const NAMES: SettingNames = {
  epochs: 'MNIST_EPOCHS', batchSize: 'the batch size', lr: 'the learning rate', lrStep: 'the learning-rate step',
  lrGamma: 'the learning-rate factor', momentum: 'the momentum', seed: 'MNIST_SEED',
  trainSamples: 'MNIST_TRAIN_SAMPLES', testSamples: 'MNIST_TEST_SAMPLES', dataDir: 'the data folder', backend: 'MNIST_BACKEND',
  threads: 'MNIST_THREADS', out: 'MNIST_OUT', resume: 'MNIST_RESUME=1',
};

/** Trains as `mnist20k train` does, with a checkpoint in `config.out` after every epoch (MNIST_RESUME=1 continues
 *  it), drawing a progress line (rate, ETA) and a learning-curve chart that grows as each epoch ends. Jupyter's
 *  Interrupt stops training after the current batch and ends the cell with one line; run again, the cell continues
 *  from the checkpoint. */
export async function trainLive(model: tf.LayersModel, data: Mnist, config: NotebookConfig): Promise<History> {
  const dir = resolve(ROOT, config.out);
  const lock = lockRunDir(dir, 'MNIST_OUT');
  const stop = new StopOnSignal('kernel');
  try {
    const backend = tf.getBackend() as BackendChoice;
    const { epochs, batchSize, lr, lrStep, lrGamma, momentum, seed, trainSamples, testSamples, threads } = config;
    const given = { epochs, batchSize, lr, lrStep, lrGamma, momentum, seed, trainSamples, testSamples, dataDir: undefined, backend, ...(threads ? { threads } : {}) };
    const plan = planRun(dir, given, given, resumesInterrupted(dir) || config.resume, NAMES);
    const settings = { ...plan.settings, threads: plan.settings.threads ?? defaultThreads(backend) };
    const view = liveHooks(plan.checkpoint?.history ?? []);
    try {
      const history = await trainCheckpointed(model, data, dir, settings, plan.checkpoint, stoppable(view, stop, settings.epochs));
      view.finished();
      return history;
    } finally {
      await view.settled();
    }
  } catch (e) {
    throw cellError(e, dir, config.out);
  } finally {
    stop.dispose();
    lock.release();
  }
}

/** The notebook's view of training; a resumed run starts with the epochs its checkpoint holds. */
function liveHooks(done: History): Pick<TrainOptions, 'onBatch' | 'onEpoch'> & { finished(): void; settled(): Promise<void> } {
  const progress = new LiveDisplay();
  const curves = new LiveDisplay();
  const lines = done.map(formatEpoch);
  const history = [...done];
  let epochStart = performance.now();
  let lastDraw = 0;
  if (done.length) curves.figure(learningCurves(history));
  return {
    onBatch(p: BatchProgress) {
      if (p.batch === 1) epochStart = performance.now();
      const now = performance.now();
      if (now - lastDraw < PROGRESS_EVERY_MS && p.batch !== p.batches) return;
      lastDraw = now;
      progress.text([...lines, progressLine(p, (now - epochStart) / 1000)].join('\n'));
    },
    onEpoch(s) {
      lines.push(formatEpoch(s));
      progress.text(lines.join('\n'));
      history.push(s);
      curves.figure(learningCurves(history));
    },
    // The run's final curves are the next section's chart: the live one makes way for it rather than repeat it.
    finished: () => curves.text('(the learning curves are drawn below, under "Learning curves")'),
    settled: async () => {
      await Promise.all([progress.settled(), curves.settled()]);
    },
  };
}

function progressLine(p: BatchProgress, seconds: number): string {
  const rate = p.seen / seconds;
  const width = 30;
  const done = Math.round((width * p.seen) / p.total);
  const eta = (p.total - p.seen) / rate;
  return `epoch ${p.epoch}/${p.epochs} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${p.seen}/${p.total} ` +
    `| ${rate.toFixed(0)} img/s | ETA ${eta.toFixed(0)} s | loss ${p.loss.toFixed(4)} acc ${p.acc.toFixed(2)}%`;
}

