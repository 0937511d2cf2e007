import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackendChoice } from '../backend/choose';
import { atomicWrite } from '../util/atomicWrite';
import { checkpointProblem } from './checkpointCheck';
import { decodeTensors, encodeTensors, NamedTensor, SavedTensor } from './savedTensor';
import { LoopState, TrainOptions } from '../train/loop';

export const CHECKPOINT_FILE = 'checkpoint.json';
const FORMAT = 'mnist20k-checkpoint/1';

/** What defines a run. A checkpoint keeps them, so that resuming continues the same run. */
export interface RunSettings extends Pick<TrainOptions, 'epochs' | 'batchSize' | 'lr' | 'lrStep' | 'lrGamma' | 'momentum' | 'seed'> {
  trainSamples?: number;
  testSamples?: number;
  dataDir?: string;
  backend: BackendChoice;
  /** Shards per batch: they fix the numerics (BatchNorm statistics per shard), so a resumed run keeps them. */
  threads: number;
}

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
      weights: encodeTensors(weights, `epoch ${state.epoch}: weight`),
      optimizer: encodeTensors(optimizerWeights, `epoch ${state.epoch}: optimizer state`),
    };
    atomicWrite(join(dir, CHECKPOINT_FILE), JSON.stringify(checkpoint));
  } finally {
    iterations?.dispose(); // getWeights() makes it afresh; the accumulators are the optimizer's own
  }
}

/** A checkpoint that cannot be continued, whatever is done: going back to it would fail the same way. */
export class CorruptCheckpoint extends Error {}

/** The checkpoint in `dir`, checked through (settings, history, tensors' types, sizes and values); undefined when there
 *  is none. */
export function readCheckpoint(dir: string): Checkpoint | undefined {
  const file = join(dir, CHECKPOINT_FILE);
  if (!existsSync(file)) return undefined;
  let cp: Checkpoint;
  try {
    cp = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CorruptCheckpoint(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (cp?.format !== FORMAT) throw new CorruptCheckpoint(`${file}: not an mnist20k checkpoint (format '${cp?.format}', expected '${FORMAT}')`);
  const problem = checkpointProblem(cp);
  if (problem) throw new CorruptCheckpoint(`${file}: corrupt checkpoint: ${problem}`);
  return cp;
}

/** Puts a checkpoint's weights into `model` (built with the same settings) and its momentum into `optimizer` (fresh).
 *  A checkpoint that does not fit the network is a CorruptCheckpoint naming the file and the tensor. */
export async function restoreCheckpoint(file: string, cp: Checkpoint, model: tf.LayersModel, optimizer: tf.Optimizer): Promise<void> {
  const [iterations, ...momentum] = decodeTensors(cp.optimizer, file, 'optimizer');
  const weights = decodeTensors(cp.weights, file, 'weights');
  try {
    checkShapes(file, 'weights', 0, weights, model.weights.map((w) => w.shape));
    checkShapes(file, 'optimizer', 1, momentum, model.trainableWeights.map((w) => w.shape));
    model.setWeights(weights.map((w) => w.tensor));
    // Accumulators are matched to variables by position; name them after this model's variables.
    await optimizer.setWeights([iterations, ...momentum.map((m, i) => ({ name: `${model.trainableWeights[i].name}/momentum`, tensor: m.tensor }))]);
  } finally {
    tf.dispose([...weights, iterations, ...momentum].map((w) => w.tensor)); // the variables keep their own references
  }
}

/** `saved` are the tensors `field`[first…]; this network needs one of each `expected` shape, in order. */
function checkShapes(file: string, field: string, first: number, saved: NamedTensor[], expected: tf.Shape[]): void {
  const fail = (what: string): never => {
    throw new CorruptCheckpoint(`${file}: does not fit this network: ${what}`);
  };
  if (saved.length !== expected.length) fail(`${field}: ${saved.length + first} tensors, this network needs ${expected.length + first}`);
  const bad = saved.findIndex((t, i) => t.tensor.shape.join('x') !== expected[i].join('x'));
  if (bad >= 0) fail(`${field}[${bad + first}] (${saved[bad].name}): shape ${saved[bad].tensor.shape.join('x')}, this network needs ${expected[bad].join('x')}`);
}
