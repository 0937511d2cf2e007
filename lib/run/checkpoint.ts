import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EpochStats, LoopState } from '../train/loop';
import { atomicWrite } from '../util/atomicWrite';
import { decodeTensors, encodeTensors, NamedTensor, SavedTensor, savedTensorProblem } from './savedTensor';
import { recordedSettingProblem, RunSettings, SETTING_KEYS } from './settings';

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
  if ((cp?.format as string) === FORMAT_1 && typeof cp.settings === 'object') {
    const { threads, ...settings } = cp.settings as RunSettings & { threads?: number };
    cp = { ...cp, format: FORMAT, settings: { ...settings, shards: threads ?? settings.shards } };
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

/** What is wrong with a value, or undefined when it is fine. */
type Check = (value: unknown) => string | undefined;

const check = (ok: (v: unknown) => boolean, expected: string): Check => (v) => (ok(v) ? undefined : `${JSON.stringify(v) ?? 'missing'}, expected ${expected}`);
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const isFinite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const positiveInt = check((v) => isInt(v) && v >= 1, 'an integer ≥ 1');

/** Each row of the history holds these, all finite. */
const EPOCH_FIELDS: (keyof EpochStats)[] = ['epoch', 'trainLoss', 'trainAcc', 'testLoss', 'testAcc', 'seconds'];

/** The first thing wrong with a parsed checkpoint, as "field: problem", or undefined. Shapes are left to the restore,
 *  which knows the network. */
function checkpointProblem(cp: Checkpoint): string | undefined {
  return first([
    () => field('epoch', positiveInt(cp.epoch)),
    () => field('rngState', check(isInt, 'an integer')(cp.rngState)),
    () => settingsProblem(cp.settings),
    () => historyProblem(cp.history, cp.epoch),
    () => tensorsProblem('weights', cp.weights, () => 'float32'),
    // The optimizer's iteration count (an int32 scalar), then one float32 momentum accumulator per trainable weight.
    () => tensorsProblem('optimizer', cp.optimizer, (i) => (i === 0 ? 'int32' : 'float32')),
    () => field('optimizer[0]', cp.optimizer[0].shape.length ? `shape ${cp.optimizer[0].shape.join('x')}, expected a scalar` : undefined),
  ]);
}

/** Every setting a run records, checked as its flag would be (lib/run/settings.ts). */
function settingsProblem(settings: RunSettings): string | undefined {
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return 'settings: missing';
  const keys = SETTING_KEYS.filter((k): k is keyof RunSettings => k !== 'out' && k !== 'resume');
  return first(keys.map((key) => () => recordedSettingProblem(key, settings[key], `settings.${key}`)));
}

function historyProblem(history: EpochStats[], epochs: number): string | undefined {
  if (!Array.isArray(history)) return 'history: missing';
  if (history.length !== epochs) return `history: holds ${history.length} epochs, expected ${epochs} (the checkpoint's epoch)`;
  return first(history.map((row, i) => () => {
    if (typeof row !== 'object' || row === null) return field(`history[${i}]`, `${JSON.stringify(row)}, expected an epoch's numbers`);
    const values = row as unknown as Record<string, unknown>;
    return first([
      ...EPOCH_FIELDS.map((key) => () => field(`history[${i}].${key}`, check(isFinite, 'a finite number')(values[key]))),
      () => field(`history[${i}].epoch`, row.epoch === i + 1 ? undefined : `${row.epoch}, expected ${i + 1}`),
    ]);
  }));
}

function tensorsProblem(name: string, tensors: Checkpoint['weights'], dtype: (i: number) => 'float32' | 'int32'): string | undefined {
  if (!Array.isArray(tensors) || !tensors.length) return `${name}: ${Array.isArray(tensors) ? 'empty' : 'missing'}`;
  return first(tensors.map((t, i) => () => field(`${name}[${i}]${typeof t?.name === 'string' ? ` (${t.name})` : ''}`, savedTensorProblem(t, dtype(i)))));
}

function field(name: string, problem: string | undefined): string | undefined {
  return problem && `${name}: ${problem}`;
}

/** The first problem found, checking in order and stopping there (later checks may rely on earlier ones). */
function first(checks: (() => string | undefined)[]): string | undefined {
  for (const c of checks) {
    const problem = c();
    if (problem) return problem;
  }
  return undefined;
}
