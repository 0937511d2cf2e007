import * as tf from '@tensorflow/tfjs';
import { batches, Mnist, MnistSplit } from '../data/mnist';
import { Rng } from '../util/rng';
import { evaluate } from './evaluate';
import { defaultThreads, Trainer } from './step';

/** One row of the learning curves. Accuracies are in percent, losses are mean negative log-likelihood. */
export interface EpochStats {
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  testLoss: number;
  testAcc: number;
  seconds: number;
}
export type History = EpochStats[];

/** Where training is, for a progress bar in a terminal or a notebook. */
export interface BatchProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  seen: number;
  total: number;
  loss: number;
  acc: number;
}

/** Where the epoch loop stands after `epoch` finished epochs; with the weights and the momentum, all a run needs to go
 *  on as if it had never stopped. */
export interface LoopState {
  epoch: number;
  /** The loop's Rng state: it draws each epoch's order and each step's dropout seed. */
  rngState: number;
  history: History;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  /** Step schedule, as PyTorch's StepLR: the learning rate is multiplied by lrGamma every lrStep epochs (0: never). */
  lrStep: number;
  lrGamma: number;
  momentum: number;
  seed: number;
  /** Shards per batch, each on its own thread (default: 2 on wasm where there are 2 cores, otherwise 1). */
  threads?: number;
  /** Continues a run after `start.epoch` epochs; `restore` puts that epoch's weights and momentum in place. */
  start?: LoopState & { restore(optimizer: tf.Optimizer): Promise<void> };
  /** Awaited after each epoch, before onEpoch, with what a checkpoint needs besides the model. */
  onCheckpoint?(state: LoopState, optimizer: tf.Optimizer): Promise<void>;
  onBatch?(progress: BatchProgress): void;
  onEpoch?(stats: EpochStats): void;
}

export const DEFAULTS: Omit<TrainOptions, 'start' | 'onCheckpoint' | 'onBatch' | 'onEpoch'> = {
  epochs: 20,
  batchSize: 128,
  lr: 0.01,
  lrStep: 8,
  lrGamma: 0.1,
  momentum: 0.9,
  seed: 1,
};

/** Trains for `opts.epochs` epochs, testing after each. One generator, seeded once, draws each epoch's order and then
 *  one seed per step for the dropout masks, so its state and the epoch number are all the randomness of a run. */
export async function train(model: tf.LayersModel, data: Mnist, opts: TrainOptions): Promise<History> {
  const threads = opts.threads ?? defaultThreads(tf.getBackend());
  const trainer = await Trainer.create(model, { lr: opts.lr, momentum: opts.momentum, shards: threads, workers: threads - 1 });
  const rng = new Rng(opts.start?.rngState ?? opts.seed);
  const history: History = [...(opts.start?.history ?? [])];
  try {
    await opts.start?.restore(trainer.optimizer);
    for (let epoch = (opts.start?.epoch ?? 0) + 1; epoch <= opts.epochs; epoch++) {
      const start = performance.now();
      trainer.optimizer.setLearningRate(learningRate(opts, epoch));
      const fit = await trainEpoch(trainer, data.train, rng, epoch, opts);
      const score = evaluate(model, data.test);
      const stats: EpochStats = {
        epoch,
        trainLoss: fit.loss,
        trainAcc: fit.acc,
        testLoss: score.loss,
        testAcc: score.acc,
        seconds: (performance.now() - start) / 1000,
      };
      history.push(stats);
      await opts.onCheckpoint?.({ epoch, rngState: rng.getState(), history }, trainer.optimizer);
      opts.onEpoch?.(stats);
    }
  } finally {
    await trainer.dispose();
  }
  return history;
}

/** The learning rate of epoch `epoch` (1-based) under the step schedule. */
export function learningRate({ lr, lrStep, lrGamma }: Pick<TrainOptions, 'lr' | 'lrStep' | 'lrGamma'>, epoch: number): number {
  return lrStep > 0 ? lr * lrGamma ** Math.floor((epoch - 1) / lrStep) : lr;
}

async function trainEpoch(trainer: Trainer, split: MnistSplit, rng: Rng, epoch: number, opts: TrainOptions): Promise<{ loss: number; acc: number }> {
  const order = rng.permutation(split.count);
  const total = split.count;
  const nBatches = Math.ceil(total / opts.batchSize);
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  let batch = 0;
  for (const b of batches(split, opts.batchSize, order)) {
    const step = await trainer.step(b, rng.seed());
    if (!Number.isFinite(step.loss)) {
      throw new Error(`training diverged: loss ${step.loss} at epoch ${epoch}, batch ${batch + 1} (try a smaller --lr)`);
    }
    lossSum += step.loss * b.size;
    correct += step.correct;
    seen += b.size;
    batch++;
    opts.onBatch?.({ epoch, epochs: opts.epochs, batch, batches: nBatches, seen, total, loss: lossSum / seen, acc: (100 * correct) / seen });
    // Let the event loop run so a notebook or terminal can draw the progress between steps.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { loss: lossSum / seen, acc: (100 * correct) / seen };
}
