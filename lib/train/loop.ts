import * as tf from '@tensorflow/tfjs';
import { activeThreads } from '../backend/choose';
import { rotateBatch } from '../data/augment';
import { DeviceSplit, disposeBatch, isDeviceBatch } from '../data/device';
import { batches, Mnist, MnistSplit } from '../data/mnist';
import { Rng } from '../util/rng';
import { evaluate } from './evaluate';
import { PendingSteps } from './metrics';
import { Recipe } from './recipe';
import { learningRate } from './schedule';
import { Trainer } from './step';

/** One row of the learning curves. Accuracies are in percent, losses are mean negative log-likelihood. */
export interface EpochStats {
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  testLoss: number;
  testAcc: number;
  seconds: number;
  /** The CPU threads that computed it (BackendReport.threads; unset on a GPU or native TensorFlow): what the seconds
   *  were measured on, no part of the numbers. */
  threads?: number;
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
  /** Running mean loss and accuracy of the epoch's steps read back so far (every READ_EVERY_MS, lib/train/metrics.ts). */
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

/** What a caller can plug into the loop: a start other than epoch 0, and what to do after each batch and epoch. */
export interface TrainHooks {
  /** Continues a run after `start.epoch` epochs; `restore` puts that epoch's weights and momentum in place. */
  start?: LoopState & { restore(optimizer: tf.Optimizer): Promise<void> };
  /** Awaited after each epoch, before onEpoch, with what a checkpoint needs besides the model. */
  onCheckpoint?(state: LoopState, optimizer: tf.Optimizer): Promise<void>;
  onBatch?(progress: BatchProgress): void;
  onEpoch?(stats: EpochStats): void;
}

/** Trains for `recipe.epochs` epochs, testing after each. One generator, seeded once, draws each epoch's order and then
 *  for each step the rotations (with `augment`) and one seed for the dropout masks, so its state and the epoch number
 *  are all the randomness of a run. */
export async function train(model: tf.LayersModel, data: Mnist, recipe: Recipe, hooks: TrainHooks = {}): Promise<History> {
  const trainer = new Trainer(model, recipe);
  // A single shard trains on batches gathered on the backend from the training set, uploaded once; rotations are made
  // on the CPU, so an augmented run sends each batch as it is made.
  const onDevice = recipe.shards === 1 && !recipe.augment ? DeviceSplit.upload(data.train) : undefined;
  const rng = new Rng(hooks.start?.rngState ?? recipe.seed);
  const history: History = [...(hooks.start?.history ?? [])];
  try {
    await hooks.start?.restore(trainer.optimizer);
    for (let epoch = (hooks.start?.epoch ?? 0) + 1; epoch <= recipe.epochs; epoch++) {
      const start = performance.now();
      const fit = await trainEpoch(trainer, data.train, onDevice, rng, epoch, recipe, hooks);
      const score = await evaluate(model, data.test);
      const stats: EpochStats = {
        epoch,
        trainLoss: fit.loss,
        trainAcc: fit.acc,
        testLoss: score.loss,
        testAcc: score.acc,
        seconds: (performance.now() - start) / 1000,
        threads: activeThreads(),
      };
      history.push(stats);
      await hooks.onCheckpoint?.({ epoch, rngState: rng.getState(), history }, trainer.optimizer);
      hooks.onEpoch?.(stats);
    }
  } finally {
    onDevice?.dispose();
    trainer.dispose();
  }
  return history;
}

/** One epoch. Each step's loss and correct count stay where the step left them until PendingSteps reads them (every
 *  READ_EVERY_MS and at the end), so a GPU runs ahead of the host; they are summed here in float64, in step order. */
async function trainEpoch(
  trainer: Trainer, split: MnistSplit, onDevice: DeviceSplit | undefined, rng: Rng, epoch: number, recipe: Recipe, hooks: TrainHooks,
): Promise<{ loss: number; acc: number }> {
  const order = rng.permutation(split.count);
  const total = split.count;
  const nBatches = Math.ceil(total / recipe.batchSize);
  const pending = new PendingSteps();
  let lossSum = 0;
  let correct = 0;
  let counted = 0;
  let read = 0;
  let seen = 0;
  let batch = 0;
  const take = async (now: boolean): Promise<void> => {
    for (const step of await pending.read(now)) {
      read++;
      if (!Number.isFinite(step.loss)) {
        throw new Error(`training diverged: loss ${step.loss} at epoch ${epoch}, batch ${read} (try a smaller --lr)`);
      }
      lossSum += step.loss * step.size;
      correct += step.correct;
      counted += step.size;
    }
  };
  try {
    for (const b of onDevice ? onDevice.batches(recipe.batchSize, order) : batches(split, recipe.batchSize, order)) {
      trainer.optimizer.setLearningRate(learningRate(recipe, (epoch - 1) * nBatches + batch, nBatches));
      try {
        const input = recipe.augment && !isDeviceBatch(b) ? rotateBatch(b, rng) : b;
        pending.add(await trainer.step(input, rng.seed()));
      } finally {
        if (isDeviceBatch(b)) disposeBatch(b);
      }
      seen += b.size;
      batch++;
      await take(batch === nBatches);
      hooks.onBatch?.({ epoch, epochs: recipe.epochs, batch, batches: nBatches, seen, total, loss: lossSum / counted, acc: (100 * correct) / counted });
      // Let the event loop run so a notebook or terminal can draw the progress between steps.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    pending.dispose();
  }
  return { loss: lossSum / seen, acc: (100 * correct) / seen };
}
