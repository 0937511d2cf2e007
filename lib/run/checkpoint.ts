import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWrite } from '../util/atomicWrite';
import { decodeTensors, encodeTensors, SavedTensor } from './savedTensor';
import { LoopState } from '../train/loop';
import { RunSettings } from './settings';

export const CHECKPOINT_FILE = 'checkpoint.json';
const FORMAT = 'mnist20k-checkpoint/2';
/** Format 1 called the shard count `threads`. */
const FORMAT_1 = 'mnist20k-checkpoint/1';

export interface Checkpoint extends LoopState {
  format: typeof FORMAT;
  settings: RunSettings;
  /** model.getWeights() in order: trainable weights, then BatchNorm's running statistics among them. */
  weights: SavedTensor[];
  /** optimizer.getWeights(): the iteration count, then one momentum accumulator per trainable weight. */
  optimizer: SavedTensor[];
}

/** Writes DIR/checkpoint.json atomically. Refuses, naming the tensor, when a weight or accumulator is NaN or infinite,
 *  so the last good checkpoint stays in place. */
export async function saveCheckpoint(
  dir: string, model: tf.LayersModel, optimizer: tf.Optimizer, settings: RunSettings, state: LoopState,
): Promise<void> {
  const weights = model.weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
  const optimizerWeights = await optimizer.getWeights();
  const iterations = optimizerWeights[0]?.tensor;
  try {
    const checkpoint: Checkpoint = {
      format: FORMAT,
      ...state,
      settings,
      weights: await encodeTensors(weights, `epoch ${state.epoch}: weight`),
      optimizer: await encodeTensors(optimizerWeights, `epoch ${state.epoch}: optimizer state`),
    };
    atomicWrite(join(dir, CHECKPOINT_FILE), JSON.stringify(checkpoint));
  } finally {
    iterations?.dispose(); // getWeights() makes it afresh; the accumulators are the optimizer's own
  }
}

/** The checkpoint in `dir`, checked; undefined when there is none. */
export function readCheckpoint(dir: string): Checkpoint | undefined {
  const file = join(dir, CHECKPOINT_FILE);
  if (!existsSync(file)) return undefined;
  let cp: Checkpoint;
  try {
    cp = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if ((cp?.format as string) === FORMAT_1 && typeof cp.settings === 'object') {
    const { threads, ...settings } = cp.settings as RunSettings & { threads?: number };
    cp = { ...cp, format: FORMAT, settings: { ...settings, shards: threads! } };
  }
  if (cp?.format !== FORMAT) throw new Error(`${file}: not an mnist20k checkpoint (format '${cp?.format}', expected '${FORMAT}')`);
  const problem = checkpointProblem(cp);
  if (problem) throw new Error(`${file}: corrupt checkpoint: ${problem}`);
  return cp;
}

function checkpointProblem(cp: Checkpoint): string | undefined {
  if (!Number.isSafeInteger(cp.epoch) || cp.epoch < 1) return `epoch ${cp.epoch}`;
  if (!Number.isSafeInteger(cp.rngState)) return `rngState ${cp.rngState}`;
  if (!Array.isArray(cp.history) || cp.history.length !== cp.epoch) return `history does not hold ${cp.epoch} epochs`;
  if (typeof cp.settings !== 'object' || !Number.isSafeInteger(cp.settings?.batchSize)) return 'settings missing';
  if (!Array.isArray(cp.weights) || !Array.isArray(cp.optimizer) || !cp.optimizer.length) return 'weights missing';
  return undefined;
}

/** Puts a checkpoint's weights into `model` (built with the same settings) and its momentum into `optimizer` (fresh). */
export async function restoreCheckpoint(file: string, cp: Checkpoint, model: tf.LayersModel, optimizer: tf.Optimizer): Promise<void> {
  const weights = decodeTensors(cp.weights, file);
  const [iterations, ...momentum] = decodeTensors(cp.optimizer, file);
  try {
    checkShapes(file, 'weights', weights.map((w) => w.tensor), model.weights.map((w) => w.shape));
    checkShapes(file, 'momentum', momentum.map((m) => m.tensor), model.trainableWeights.map((w) => w.shape));
    model.setWeights(weights.map((w) => w.tensor));
    // Accumulators are matched to variables by position; name them after this model's variables.
    await optimizer.setWeights([iterations, ...momentum.map((m, i) => ({ name: `${model.trainableWeights[i].name}/momentum`, tensor: m.tensor }))]);
  } finally {
    tf.dispose([...weights, iterations, ...momentum].map((w) => w.tensor)); // the variables keep their own references
  }
}

function checkShapes(file: string, what: string, saved: tf.Tensor[], expected: tf.Shape[]): void {
  if (saved.length !== expected.length) {
    throw new Error(`${file}: holds ${saved.length} ${what} tensors, this network has ${expected.length}`);
  }
  const bad = saved.findIndex((t, i) => t.shape.join('x') !== expected[i].join('x'));
  if (bad >= 0) {
    throw new Error(`${file}: ${what} tensor ${bad} has shape ${saved[bad].shape.join('x')}, this network needs ${expected[bad].join('x')}`);
  }
}
